/* SPDX-License-Identifier: MIT */
/* Simulated fleet hosts: one epoll thread holds one long-poll per host token
 * (GET /fleet/v1/changes?since=SINCE&wait=WAIT, each on its own connection with its own
 * token), the way N followers wait on a hub, then times how long after a deactivation's 2xx
 * every host holds the change.
 *
 *   pollgen HOST PORT TOKENS_FILE SINCE WAIT SCIM_AUTH PATCH_PATH [TIMEOUT_S]
 *
 * TOKENS_FILE: one host bearer per line (N = its line count). A poll answered 204 (its wait
 * ran out) is sent again on the same connection, as a follower does. Once every poll has
 * been sent and has stayed unanswered for 2 s, it prints "held N" and reads one line from
 * stdin (the caller measures the hub idle meanwhile); then it PATCHes PATCH_PATH with
 * active=false (SCIM_AUTH is the whole Authorization value) on a separate connection and
 * records, per host, when its 200 answer was complete. Prints key/value lines: held, answered,
 * failed, patch_ms, body_bytes/wire_bytes (of one answer), and p50/p99/max in ms from the
 * PATCH's 2xx and from the PATCH being sent. Exit 1 when a host got no 200 by TIMEOUT_S. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_CAP (64 * 1024)

enum { ST_CONNECTING, ST_WAITING, ST_DONE, ST_FAILED };

struct host {
    int fd, state;
    char *req;
    size_t req_len, req_off;
    char *buf;
    size_t len;
    double t_answer;
    size_t wire, body;
};

struct patch_arg {
    const char *host, *auth, *path;
    int port;
    double t_sent, t_2xx;
    int status;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open_socket(const char *host, int port, int nonblock)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A complete response in buf? Returns its total length (head + body), 0 if not yet. */
static size_t response_complete(const char *buf, size_t len, int *status, size_t *body)
{
    const char *end = memmem(buf, len, "\r\n\r\n", 4);
    if (end == NULL)
        return 0;
    size_t head = (size_t)(end - buf) + 4;
    *status = atoi(buf + 9);
    size_t clen = 0;
    for (const char *p = buf; p < end; p++) {
        if ((p == buf || p[-1] == '\n') && strncasecmp(p, "Content-Length:", 15) == 0)
            clen = strtoul(p + 15, NULL, 10);
    }
    if (len < head + clen)
        return 0;
    *body = clen;
    return head + clen;
}

static void *do_patch(void *v)
{
    struct patch_arg *a = v;
    static const char body[] =
        "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],"
        "\"Operations\":[{\"op\":\"replace\",\"path\":\"active\",\"value\":false}]}";
    char req[2048], resp[8192];
    int n = snprintf(req, sizeof(req),
                     "PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n"
                     "Content-Type: application/scim+json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     a->path, a->host, a->auth, sizeof(body) - 1, body);
    int fd = open_socket(a->host, a->port, 0);
    if (fd < 0)
        return NULL;
    a->t_sent = now_s();
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n)
        goto out;
    size_t len = 0, blen = 0;
    for (;;) {
        ssize_t r = recv(fd, resp + len, sizeof(resp) - 1 - len, 0);
        if (r <= 0)
            break;
        len += (size_t)r;
        if (response_complete(resp, len, &a->status, &blen) > 0) {
            a->t_2xx = now_s();
            break;
        }
    }
out:
    close(fd);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static void arm(int ep, struct host *h, size_t idx, uint32_t ev)
{
    struct epoll_event e = {.events = ev, .data.u64 = idx};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, h->fd, &e) < 0)
        epoll_ctl(ep, EPOLL_CTL_ADD, h->fd, &e);
}

/* Writes what is left of the request; EPOLLIN once it is all out. */
static void pump_write(int ep, struct host *h, size_t idx)
{
    while (h->req_off < h->req_len) {
        ssize_t w = send(h->fd, h->req + h->req_off, h->req_len - h->req_off, MSG_NOSIGNAL);
        if (w < 0 && errno == EAGAIN) {
            arm(ep, h, idx, EPOLLOUT);
            return;
        }
        if (w <= 0) {
            h->state = ST_FAILED;
            return;
        }
        h->req_off += (size_t)w;
    }
    h->state = ST_WAITING;
    arm(ep, h, idx, EPOLLIN);
}

int main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: pollgen HOST PORT TOKENS_FILE SINCE WAIT SCIM_AUTH PATCH_PATH "
                        "[TIMEOUT_S]\n");
        return 2;
    }
    const char *hostname = argv[1];
    int port = atoi(argv[2]);
    double timeout = argc > 8 ? atof(argv[8]) : 30.0;
    FILE *tf = fopen(argv[3], "r");
    if (tf == NULL) {
        perror(argv[3]);
        return 2;
    }
    size_t cap = 1024, n = 0;
    struct host *hosts = calloc(cap, sizeof(*hosts));
    char line[512];
    while (fgets(line, sizeof(line), tf) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        if (n == cap) {
            cap *= 2;
            hosts = realloc(hosts, cap * sizeof(*hosts));
            memset(hosts + n, 0, (cap - n) * sizeof(*hosts));
        }
        char req[1024];
        int len = snprintf(req, sizeof(req),
                           "GET /fleet/v1/changes?since=%s&wait=%s HTTP/1.1\r\nHost: %s\r\n"
                           "Authorization: Bearer %s\r\n\r\n",
                           argv[4], argv[5], hostname, line);
        hosts[n].req = strdup(req);
        hosts[n].req_len = (size_t)len;
        hosts[n].buf = malloc(BUF_CAP);
        n++;
    }
    fclose(tf);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event *evs = calloc(1024, sizeof(*evs));

    /* Connect in batches so the hub's accept queue (and its thread creation) keeps up. */
    for (size_t i = 0; i < n; i++) {
        hosts[i].fd = open_socket(hostname, port, 1);
        if (hosts[i].fd < 0) {
            fprintf(stderr, "pollgen: connect %zu: %s\n", i, strerror(errno));
            return 1;
        }
        hosts[i].state = ST_CONNECTING;
        arm(ep, &hosts[i], i, EPOLLOUT);
        if (i % 200 == 199) {
            int k = epoll_wait(ep, evs, 1024, 0);
            for (int j = 0; j < k; j++) {
                struct host *h = &hosts[evs[j].data.u64];
                if (h->state == ST_CONNECTING)
                    pump_write(ep, h, evs[j].data.u64);
            }
            usleep(20000);
        }
    }

    struct patch_arg pa = {.host = hostname, .port = port, .auth = argv[6], .path = argv[7]};
    pthread_t pt;
    int patched = 0, held_printed = 0;
    double quiet_since = now_s(), deadline = 0, t_start = now_s();
    size_t answered = 0, failed = 0, repolls = 0, sample_wire = 0, sample_body = 0;
    for (;;) {
        int k = epoll_wait(ep, evs, 1024, 100);
        double t = now_s();
        for (int j = 0; j < k; j++) {
            size_t idx = evs[j].data.u64;
            struct host *h = &hosts[idx];
            if (h->state == ST_CONNECTING) {
                pump_write(ep, h, idx);
                continue;
            }
            if (h->state != ST_WAITING)
                continue;
            ssize_t r = recv(h->fd, h->buf + h->len, BUF_CAP - h->len, 0);
            if (r < 0 && errno == EAGAIN)
                continue;
            if (r <= 0) {
                h->state = ST_FAILED;
                failed++;
                fprintf(stderr, "pollgen: host %zu: connection closed by the hub\n", idx);
                epoll_ctl(ep, EPOLL_CTL_DEL, h->fd, NULL);
                continue;
            }
            h->len += (size_t)r;
            int status = 0;
            size_t body = 0, total = response_complete(h->buf, h->len, &status, &body);
            if (total == 0)
                continue;
            if (status == 204) {
                h->len = 0;  /* its wait ran out: poll again, as a follower does */
                h->req_off = 0;
                repolls++;
                pump_write(ep, h, idx);
                if (!patched)
                    quiet_since = t;
                continue;
            }
            epoll_ctl(ep, EPOLL_CTL_DEL, h->fd, NULL);
            if (status == 200 && patched) {
                h->state = ST_DONE;
                h->t_answer = t;
                h->wire = total;
                h->body = body;
                sample_wire = total;
                sample_body = body;
                answered++;
            } else {
                h->state = ST_FAILED;
                failed++;
                fprintf(stderr, "pollgen: host %zu: answered %d%s\n", idx, status,
                        patched ? "" : " before the PATCH");
            }
        }
        if (k > 0 && !patched)
            quiet_since = t;
        if (!patched && t - quiet_since >= 2.0) {
            size_t waiting = 0;
            for (size_t i = 0; i < n; i++)
                waiting += hosts[i].state == ST_WAITING && hosts[i].req_off == hosts[i].req_len;
            if (waiting + failed == n && !held_printed) {
                printf("held\t%zu\nhold_setup_s\t%.2f\n", waiting, t - t_start);
                fflush(stdout);
                held_printed = 1;
                /* The caller measures the idle hub, then sends a line. */
                if (fgets(line, sizeof(line), stdin) == NULL)
                    return 1;
                pthread_create(&pt, NULL, do_patch, &pa);
                patched = 1;
                deadline = now_s() + timeout;
            }
        }
        if (patched && (answered + failed == n || t > deadline))
            break;
    }
    pthread_join(pt, NULL);
    if (pa.status / 100 != 2) {
        fprintf(stderr, "pollgen: PATCH %s answered %d\n", pa.path, pa.status);
        return 1;
    }
    double *from2xx = calloc(answered + 1, sizeof(double));
    double *fromsend = calloc(answered + 1, sizeof(double));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (hosts[i].state != ST_DONE)
            continue;
        from2xx[m] = (hosts[i].t_answer - pa.t_2xx) * 1000.0;
        fromsend[m] = (hosts[i].t_answer - pa.t_sent) * 1000.0;
        m++;
    }
    qsort(from2xx, m, sizeof(double), cmp_double);
    qsort(fromsend, m, sizeof(double), cmp_double);
    printf("hosts\t%zu\nanswered\t%zu\nfailed\t%zu\nrepolls\t%zu\npatch_ms\t%.1f\n"
           "body_bytes\t%zu\nwire_bytes\t%zu\n",
           n, answered, failed + (n - answered - failed), repolls,
           (pa.t_2xx - pa.t_sent) * 1000.0, sample_body, sample_wire);
    if (m > 0)
        printf("from_2xx_ms\t%.1f\t%.1f\t%.1f\t%.1f\nfrom_send_ms\t%.1f\t%.1f\t%.1f\t%.1f\n",
               pct(from2xx, m, 0.5), pct(from2xx, m, 0.99), from2xx[m - 1], from2xx[0],
               pct(fromsend, m, 0.5), pct(fromsend, m, 0.99), fromsend[m - 1], fromsend[0]);
    return answered == n ? 0 : 1;
}
