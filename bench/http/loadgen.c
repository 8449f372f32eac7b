/* SPDX-License-Identifier: MIT */
/* Bulk loader: POSTs N users to a SCIM server from C concurrent keep-alive connections,
 * the way an identity provider's initial push does, and writes the ids it got back.
 *
 *   loadgen HOST PORT BASE_PATH AUTH_HEADER_VALUE N C PREFIX IDS_FILE [FIRST]
 *
 * User i (FIRST <= i < FIRST+N) has userName PREFIX%06d@bench.example and 1-3 of 50 roles
 * (role00..role49, the same spread as the NSS benchmark). Connection t sends users
 * t, t+C, t+2C, ... Every answer must be 201; anything else stops the run (exit 1).
 * IDS_FILE gets "index<TAB>id" per user. Prints: users, seconds, users/s, p50 and p99 ms. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ID_MAX 64
#define RESP_MAX (1u << 20)

struct shared {
    const char *host, *base, *auth, *prefix;
    int port;
    long n, conc, first;
    char (*ids)[ID_MAX];
    double *lat_ms;
    int failed;
};

struct worker {
    struct shared *s;
    long t;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_to(const struct shared *s)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    if (inet_pton(AF_INET, s->host, &sa.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Reads one response with a Content-Length body into buf; returns the status or -1. */
static int read_response(int fd, char *buf, size_t cap, char **body)
{
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        if (have + 1 >= cap)
            return -1;
        ssize_t r = recv(fd, buf + have, cap - 1 - have, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        have += (size_t)r;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    long clen = -1;
    for (char *h = strstr(buf, "\r\n"); h && h < end; h = strstr(h + 2, "\r\n"))
        if (strncasecmp(h + 2, "Content-Length:", 15) == 0)
            clen = strtol(h + 17, NULL, 10);
    if (clen < 0)
        return -1;
    size_t need = (size_t)(end + 4 - buf) + (size_t)clen;
    if (need >= cap)
        return -1;
    while (have < need) {
        ssize_t r = recv(fd, buf + have, need - have, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        have += (size_t)r;
    }
    buf[need] = '\0';
    *body = end + 4;
    return status;
}

static uint32_t mix(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

static int build_body(char *out, size_t cap, const struct shared *s, long i)
{
    char roles[256] = "";
    size_t o = 0;
    uint32_t h = mix((uint32_t)i);
    unsigned k = 1 + h % 3, picked[3];
    for (unsigned j = 0; j < k; j++) {
        picked[j] = (mix(h + j * 7919u)) % 50;
        for (unsigned q = 0; q < j; q++)
            if (picked[q] == picked[j])
                picked[j] = (picked[j] + 1 + j) % 50;
        o += (size_t)snprintf(roles + o, sizeof(roles) - o, "%s{\"value\":\"role%02u\"}",
                              j ? "," : "", picked[j]);
    }
    return snprintf(out, cap,
                    "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],"
                    "\"userName\":\"%s%06ld@bench.example\",\"active\":true,"
                    "\"name\":{\"givenName\":\"Bench\",\"familyName\":\"User %ld\"},"
                    "\"emails\":[{\"value\":\"%s%06ld@bench.example\",\"type\":\"work\","
                    "\"primary\":true}],\"roles\":[%s]}",
                    s->prefix, i, i, s->prefix, i, roles);
}

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    struct shared *s = w->s;
    char *resp = malloc(RESP_MAX), body[2048], req[4096];
    int fd = connect_to(s);
    if (!resp || fd < 0) {
        fprintf(stderr, "loadgen: cannot connect to %s:%d\n", s->host, s->port);
        s->failed = 1;
        goto out;
    }
    for (long j = w->t; j < s->n && !s->failed; j += s->conc) {
        long i = s->first + j;
        int bl = build_body(body, sizeof(body), s, i);
        int rl = snprintf(req, sizeof(req),
                          "POST %s/Users HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: %s\r\n"
                          "Content-Type: application/scim+json\r\nContent-Length: %d\r\n\r\n%s",
                          s->base, s->host, s->port, s->auth, bl, body);
        char *rbody = NULL;
        double t0 = now_s();
        int st = send_all(fd, req, (size_t)rl) < 0 ? -1
                                                    : read_response(fd, resp, RESP_MAX, &rbody);
        s->lat_ms[j] = (now_s() - t0) * 1e3;
        if (st != 201) {
            fprintf(stderr, "loadgen: user %ld: status %d: %.300s\n", i, st, rbody ? rbody : "");
            s->failed = 1;
            break;
        }
        char *id = strstr(rbody, "\"id\":\"");
        if (!id) {
            fprintf(stderr, "loadgen: user %ld: no id in answer\n", i);
            s->failed = 1;
            break;
        }
        id += 6;
        size_t len = strcspn(id, "\"");
        if (len >= ID_MAX)
            len = ID_MAX - 1;
        memcpy(s->ids[j], id, len);
        s->ids[j][len] = '\0';
    }
out:
    if (fd >= 0)
        close(fd);
    free(resp);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 9 && argc != 10) {
        fprintf(stderr, "usage: loadgen HOST PORT BASE_PATH AUTH N C PREFIX IDS_FILE [FIRST]\n");
        return 2;
    }
    struct shared s = {
        .host = argv[1], .port = atoi(argv[2]), .base = argv[3], .auth = argv[4],
        .n = atol(argv[5]), .conc = atol(argv[6]), .prefix = argv[7],
        .first = argc == 10 ? atol(argv[9]) : 0,
    };
    if (s.n < 1 || s.conc < 1 || s.conc > 1024) {
        fprintf(stderr, "loadgen: bad N or C\n");
        return 2;
    }
    s.ids = calloc((size_t)s.n, ID_MAX);
    s.lat_ms = calloc((size_t)s.n, sizeof(double));
    pthread_t *th = calloc((size_t)s.conc, sizeof(*th));
    struct worker *ws = calloc((size_t)s.conc, sizeof(*ws));
    if (!s.ids || !s.lat_ms || !th || !ws)
        return 1;
    double t0 = now_s();
    for (long t = 0; t < s.conc; t++) {
        ws[t] = (struct worker){.s = &s, .t = t};
        pthread_create(&th[t], NULL, run_worker, &ws[t]);
    }
    for (long t = 0; t < s.conc; t++)
        pthread_join(th[t], NULL);
    double el = now_s() - t0;
    if (s.failed)
        return 1;
    FILE *f = fopen(argv[8], "w");
    if (!f) {
        perror(argv[8]);
        return 1;
    }
    for (long j = 0; j < s.n; j++)
        fprintf(f, "%ld\t%s\n", s.first + j, s.ids[j]);
    if (fclose(f) != 0)
        return 1;
    qsort(s.lat_ms, (size_t)s.n, sizeof(double), cmp_double);
    printf("users\t%ld\nseconds\t%.3f\nusers_per_s\t%.1f\np50_ms\t%.2f\np99_ms\t%.2f\n", s.n, el,
           (double)s.n / el, s.lat_ms[s.n / 2], s.lat_ms[(size_t)((double)s.n * 0.99)]);
    return 0;
}
