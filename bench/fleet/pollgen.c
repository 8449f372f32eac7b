/* SPDX-License-Identifier: MIT */
/* Simulated fleet hosts: one epoll thread holds one long-poll per host token
 * (GET /fleet/v1/changes?since=S&wait=WAIT, each on its own connection with its own token),
 * the way N followers wait on a hub, and times how long after a change's 2xx every host
 * holds it.
 *
 *   pollgen HOST PORT TOKENS_FILE SINCE WAIT SCIM_AUTH PATCH_PATH [TIMEOUT_S]
 *
 * TOKENS_FILE: one host bearer per line (N = its line count). Every host polls as a follower
 * does: a 204 (its wait ran out) is asked again, a 200 moves the host to the answer's "to"
 * and it asks again from there at once, on the same connection. Once every poll has been sent
 * and has stayed unanswered for 2 s, it prints "held N" and reads one line from stdin (the
 * caller measures the hub idle meanwhile); then it PATCHes PATCH_PATH with active=false
 * (SCIM_AUTH is the whole Authorization value) on a separate connection and records, per
 * host, when the 200 answer carrying the change was complete. Prints key/value lines: held,
 * answered, failed, patch_ms, body_bytes/wire_bytes (of one answer), p50/p99/max/min in ms
 * from the PATCH's 2xx and from the PATCH being sent, then "end 0" (every host answered by
 * TIMEOUT_S) or "end 1". Exits 1 at once if the PATCH failed.
 *
 * It then keeps the polls and takes commands on stdin, one a line, for changes someone
 * else makes (bench/fleet/toggles.py):
 *   next LABEL T   a change was answered 2xx at T (CLOCK_MONOTONIC seconds): once every host
 *                  holds a sequence past the one all held before (or TIMEOUT_S after T),
 *                  prints "round LABEL reached unreached p50 p99 max min" (ms from T; a host
 *                  answered before T counts negative)
 *   summary        per LABEL: "pooled LABEL rounds samples unreached p50 p99 max" over every
 *                  host of every round, "every LABEL p50 p99 max" over the rounds' time until
 *                  their last host; then "end"
 * End of stdin ends it (exit 0). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
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
#define REQ_CAP 1024
#define CMD_KEY UINT64_MAX
#define MAX_LABELS 8

enum { ST_CONNECTING, ST_WAITING, ST_FAILED };

struct host {
    int fd, state;
    char *token;
    char req[REQ_CAP];
    size_t req_len, req_off;
    char *buf;
    size_t len;
    long long seq;  /* the "to" of the last 200, or SINCE */
    double t_adv;   /* when seq last moved */
    size_t wire, body;
};

struct fleet {
    struct host *hosts;
    size_t n, failed, repolls;
    int ep;
    const char *hostname, *wait;
};

struct patch_arg {
    const char *host, *auth, *path;
    int port;
    double t_sent, t_2xx;
    int status;
};

struct samples {
    double *v;
    size_t n, cap;
};

/* One label's rounds (commands "next LABEL T"). */
struct pool {
    char label[16];
    size_t rounds, unreached;
    struct samples all, every;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void push(struct samples *s, double x)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = realloc(s->v, s->cap * sizeof(double));
        if (s->v == NULL) {
            perror("pollgen");
            exit(1);
        }
    }
    s->v[s->n++] = x;
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

/* The "to" of a feed document (docs/fleet.md, Feed document: compact, sorted keys, so the
 * top-level "to" follows "roles"; no nested object has that key). -1 if absent. */
static long long doc_to(const char *body, size_t len)
{
    const char *p = memmem(body, len, ",\"to\":", 6);
    if (p == NULL)
        return -1;
    return strtoll(p + 6, NULL, 10);
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

static void fail(struct fleet *f, size_t idx, const char *why, int status)
{
    struct host *h = &f->hosts[idx];
    if (h->state == ST_FAILED)
        return;
    h->state = ST_FAILED;
    f->failed++;
    epoll_ctl(f->ep, EPOLL_CTL_DEL, h->fd, NULL);
    close(h->fd);
    fprintf(stderr, "pollgen: host %zu: %s %d\n", idx, why, status);
}

/* Writes what is left of the request; EPOLLIN once it is all out. */
static void pump_write(struct fleet *f, size_t idx)
{
    struct host *h = &f->hosts[idx];
    while (h->req_off < h->req_len) {
        ssize_t w = send(h->fd, h->req + h->req_off, h->req_len - h->req_off, MSG_NOSIGNAL);
        if (w < 0 && errno == EAGAIN) {
            arm(f->ep, h, idx, EPOLLOUT);
            return;
        }
        if (w <= 0) {
            fail(f, idx, "send failed, errno", errno);
            return;
        }
        h->req_off += (size_t)w;
    }
    h->state = ST_WAITING;
    arm(f->ep, h, idx, EPOLLIN);
}

/* The host's next poll, from the sequence it holds. */
static void poll_again(struct fleet *f, size_t idx)
{
    struct host *h = &f->hosts[idx];
    int len = snprintf(h->req, sizeof(h->req),
                       "GET /fleet/v1/changes?since=%lld&wait=%s HTTP/1.1\r\nHost: %s\r\n"
                       "Authorization: Bearer %s\r\n\r\n",
                       h->seq, f->wait, f->hostname, h->token);
    h->req_len = (size_t)len;
    h->req_off = 0;
    h->len = 0;
    pump_write(f, idx);
}

/* Reads what the hub sent to host idx. 1 when a 200 moved it on, 0 otherwise. */
static int on_readable(struct fleet *f, size_t idx, int patched, double t)
{
    struct host *h = &f->hosts[idx];
    ssize_t r = recv(h->fd, h->buf + h->len, BUF_CAP - h->len, 0);
    if (r < 0 && errno == EAGAIN)
        return 0;
    if (r <= 0) {
        fail(f, idx, "connection closed by the hub, errno", r < 0 ? errno : 0);
        return 0;
    }
    h->len += (size_t)r;
    int status = 0;
    size_t body = 0, total = response_complete(h->buf, h->len, &status, &body);
    if (total == 0) {
        if (h->len == BUF_CAP)
            fail(f, idx, "answer larger than the buffer, status", status);
        return 0;
    }
    if (status == 204) {
        f->repolls++;
        poll_again(f, idx);
        return 0;
    }
    long long to = status == 200 ? doc_to(h->buf + total - body, body) : -1;
    if (status != 200 || !patched || to <= h->seq) {
        fail(f, idx, !patched ? "answered before the PATCH:" : to < 0 ? "answered" :
                     "answered no newer sequence, status", status);
        return 0;
    }
    h->seq = to;
    h->t_adv = t;
    h->wire = total;
    h->body = body;
    poll_again(f, idx);
    return 1;
}

/* Hosts holding a sequence past base. */
static size_t reached(const struct fleet *f, long long base)
{
    size_t k = 0;
    for (size_t i = 0; i < f->n; i++)
        k += f->hosts[i].state != ST_FAILED && f->hosts[i].seq > base;
    return k;
}

static long long max_seq(const struct fleet *f)
{
    long long m = 0;
    for (size_t i = 0; i < f->n; i++)
        if (f->hosts[i].state != ST_FAILED && f->hosts[i].seq > m)
            m = f->hosts[i].seq;
    return m;
}

/* (t_adv - t_ref) in ms of every host past base, sorted, into s (emptied first). */
static void collect(const struct fleet *f, long long base, double t_ref, struct samples *s)
{
    s->n = 0;
    for (size_t i = 0; i < f->n; i++)
        if (f->hosts[i].state != ST_FAILED && f->hosts[i].seq > base)
            push(s, (f->hosts[i].t_adv - t_ref) * 1000.0);
    qsort(s->v, s->n, sizeof(double), cmp_double);
}

/* A line from fd 0 without its newline: 1, 0 when none is complete yet, -1 at its end. */
static int stdin_line(char *line, size_t cap)
{
    static char in[4096];
    static size_t len;
    for (;;) {
        char *nl = memchr(in, '\n', len);
        if (nl != NULL) {
            size_t l = (size_t)(nl - in);
            size_t c = l < cap - 1 ? l : cap - 1;
            memcpy(line, in, c);
            line[c] = '\0';
            memmove(in, nl + 1, len - l - 1);
            len -= l + 1;
            return 1;
        }
        if (len == sizeof(in))
            len = 0; /* an over-long line: dropped */
        ssize_t r = read(0, in + len, sizeof(in) - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN)
            return 0;
        if (r <= 0)
            return -1;
        len += (size_t)r;
    }
}

static struct pool *pool_for(struct pool *pools, size_t *npools, const char *label)
{
    for (size_t i = 0; i < *npools; i++)
        if (strcmp(pools[i].label, label) == 0)
            return &pools[i];
    if (*npools == MAX_LABELS)
        return NULL;
    struct pool *p = &pools[(*npools)++];
    snprintf(p->label, sizeof(p->label), "%s", label);
    return p;
}

static void print_summary(struct pool *pools, size_t npools)
{
    for (size_t i = 0; i < npools; i++) {
        struct pool *p = &pools[i];
        qsort(p->all.v, p->all.n, sizeof(double), cmp_double);
        qsort(p->every.v, p->every.n, sizeof(double), cmp_double);
        if (p->all.n > 0)
            printf("pooled\t%s\t%zu\t%zu\t%zu\t%.1f\t%.1f\t%.1f\n", p->label, p->rounds, p->all.n,
                   p->unreached, pct(p->all.v, p->all.n, 0.5), pct(p->all.v, p->all.n, 0.99),
                   p->all.v[p->all.n - 1]);
        if (p->every.n > 0)
            printf("every\t%s\t%.1f\t%.1f\t%.1f\n", p->label, pct(p->every.v, p->every.n, 0.5),
                   pct(p->every.v, p->every.n, 0.99), p->every.v[p->every.n - 1]);
    }
    printf("end\n");
    fflush(stdout);
}

/* After the first round: rounds for changes made by the caller, until stdin ends. */
static int command_loop(struct fleet *f, double timeout, struct epoll_event *evs)
{
    struct pool pools[MAX_LABELS] = {0};
    size_t npools = 0;
    struct samples round = {0};
    long long base = max_seq(f);
    struct pool *open = NULL;
    double t_ref = 0, deadline = 0;
    char line[256];
    int eof = 0;

    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = CMD_KEY};
    if (epoll_ctl(f->ep, EPOLL_CTL_ADD, 0, &e) < 0) {
        perror("pollgen: epoll on stdin");
        return 1;
    }
    while (!eof || open != NULL) {
        int k = epoll_wait(f->ep, evs, 1024, 100);
        double t = now_s();
        for (int j = 0; j < k; j++) {
            uint64_t idx = evs[j].data.u64;
            if (idx == CMD_KEY) {
                int got;
                while (!eof && (got = stdin_line(line, sizeof(line))) != 0) {
                    char label[16];
                    double at;
                    if (got < 0) {
                        eof = 1;
                        epoll_ctl(f->ep, EPOLL_CTL_DEL, 0, NULL);
                    } else if (sscanf(line, "next %15s %lf", label, &at) == 2 && open == NULL) {
                        open = pool_for(pools, &npools, label);
                        if (open == NULL) {
                            printf("error\ttoo many labels\n");
                            fflush(stdout);
                        }
                        t_ref = at;
                        deadline = at + timeout;
                    } else if (strcmp(line, "summary") == 0 && open == NULL) {
                        print_summary(pools, npools);
                    } else {
                        printf("error\tunknown or untimely command: %s\n", line);
                        fflush(stdout);
                    }
                }
                continue;
            }
            struct host *h = &f->hosts[idx];
            if (h->state == ST_CONNECTING)
                pump_write(f, idx);
            else if (h->state == ST_WAITING && (evs[j].events & EPOLLOUT))
                pump_write(f, idx);
            else if (h->state == ST_WAITING)
                on_readable(f, idx, 1, t);
        }
        if (open == NULL)
            continue;
        size_t got = reached(f, base);
        if (got + f->failed < f->n && t < deadline)
            continue;
        collect(f, base, t_ref, &round);
        open->rounds++;
        open->unreached += f->n - got;
        for (size_t i = 0; i < round.n; i++)
            push(&open->all, round.v[i]);
        if (round.n > 0) {
            push(&open->every, round.v[round.n - 1]);
            printf("round\t%s\t%zu\t%zu\t%.1f\t%.1f\t%.1f\t%.1f\n", open->label, got, f->n - got,
                   pct(round.v, round.n, 0.5), pct(round.v, round.n, 0.99),
                   round.v[round.n - 1], round.v[0]);
        } else {
            printf("round\t%s\t0\t%zu\t-\t-\t-\t-\n", open->label, f->n);
        }
        fflush(stdout);
        base = max_seq(f);
        open = NULL;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: pollgen HOST PORT TOKENS_FILE SINCE WAIT SCIM_AUTH PATCH_PATH "
                        "[TIMEOUT_S]\n");
        return 2;
    }
    struct fleet f = {.hostname = argv[1], .wait = argv[5]};
    int port = atoi(argv[2]);
    long long since = atoll(argv[4]);
    double timeout = argc > 8 ? atof(argv[8]) : 30.0;
    FILE *tf = fopen(argv[3], "r");
    if (tf == NULL) {
        perror(argv[3]);
        return 2;
    }
    size_t cap = 1024;
    f.hosts = calloc(cap, sizeof(*f.hosts));
    char line[512];
    while (fgets(line, sizeof(line), tf) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0')
            continue;
        if (f.n == cap) {
            cap *= 2;
            f.hosts = realloc(f.hosts, cap * sizeof(*f.hosts));
            memset(f.hosts + f.n, 0, (cap - f.n) * sizeof(*f.hosts));
        }
        f.hosts[f.n].token = strdup(line);
        f.hosts[f.n].seq = since;
        f.hosts[f.n].buf = malloc(BUF_CAP);
        f.n++;
    }
    fclose(tf);
    size_t n = f.n;
    f.ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event *evs = calloc(1024, sizeof(*evs));

    /* Connect in batches so the hub's accept queue keeps up. */
    for (size_t i = 0; i < n; i++) {
        struct host *h = &f.hosts[i];
        h->fd = open_socket(f.hostname, port, 1);
        if (h->fd < 0) {
            fprintf(stderr, "pollgen: connect %zu: %s\n", i, strerror(errno));
            return 1;
        }
        h->state = ST_CONNECTING;
        int len = snprintf(h->req, sizeof(h->req),
                           "GET /fleet/v1/changes?since=%lld&wait=%s HTTP/1.1\r\nHost: %s\r\n"
                           "Authorization: Bearer %s\r\n\r\n",
                           h->seq, f.wait, f.hostname, h->token);
        h->req_len = (size_t)len;
        arm(f.ep, h, i, EPOLLOUT);
        if (i % 200 == 199) {
            int k = epoll_wait(f.ep, evs, 1024, 0);
            for (int j = 0; j < k; j++)
                if (f.hosts[evs[j].data.u64].state == ST_CONNECTING)
                    pump_write(&f, evs[j].data.u64);
            usleep(20000);
        }
    }

    struct patch_arg pa = {.host = f.hostname, .port = port, .auth = argv[6], .path = argv[7]};
    pthread_t pt;
    int patched = 0;
    double quiet_since = now_s(), deadline = 0, t_start = now_s();
    for (;;) {
        int k = epoll_wait(f.ep, evs, 1024, 100);
        double t = now_s();
        for (int j = 0; j < k; j++) {
            size_t idx = evs[j].data.u64;
            struct host *h = &f.hosts[idx];
            if (h->state == ST_CONNECTING || (evs[j].events & EPOLLOUT)) {
                pump_write(&f, idx);
                continue;
            }
            if (h->state == ST_WAITING)
                on_readable(&f, idx, patched, t);
        }
        if (k > 0 && !patched)
            quiet_since = t;
        if (!patched && t - quiet_since >= 2.0) {
            size_t waiting = 0;
            for (size_t i = 0; i < n; i++)
                waiting += f.hosts[i].state == ST_WAITING &&
                           f.hosts[i].req_off == f.hosts[i].req_len;
            if (waiting + f.failed == n) {
                printf("held\t%zu\nhold_setup_s\t%.2f\n", waiting, t - t_start);
                fflush(stdout);
                /* The caller measures the idle hub, then sends a line. */
                int got;
                while ((got = stdin_line(line, sizeof(line))) == 0)
                    ;
                if (got < 0)
                    return 1;
                pthread_create(&pt, NULL, do_patch, &pa);
                patched = 1;
                deadline = now_s() + timeout;
            }
        }
        if (patched && (reached(&f, since) + f.failed == n || t > deadline))
            break;
    }
    pthread_join(pt, NULL);
    if (pa.status / 100 != 2) {
        fprintf(stderr, "pollgen: PATCH %s answered %d\n", pa.path, pa.status);
        printf("end\t1\n");
        return 1;
    }
    struct samples from2xx = {0}, fromsend = {0};
    collect(&f, since, pa.t_2xx, &from2xx);
    collect(&f, since, pa.t_sent, &fromsend);
    size_t m = from2xx.n, sample_body = 0, sample_wire = 0;
    for (size_t i = 0; i < n; i++)
        if (f.hosts[i].state != ST_FAILED && f.hosts[i].seq > since) {
            sample_body = f.hosts[i].body;
            sample_wire = f.hosts[i].wire;
        }
    printf("hosts\t%zu\nanswered\t%zu\nfailed\t%zu\nrepolls\t%zu\npatch_ms\t%.1f\n"
           "body_bytes\t%zu\nwire_bytes\t%zu\n",
           n, m, n - m, f.repolls, (pa.t_2xx - pa.t_sent) * 1000.0, sample_body, sample_wire);
    if (m > 0)
        printf("from_2xx_ms\t%.1f\t%.1f\t%.1f\t%.1f\nfrom_send_ms\t%.1f\t%.1f\t%.1f\t%.1f\n",
               pct(from2xx.v, m, 0.5), pct(from2xx.v, m, 0.99), from2xx.v[m - 1], from2xx.v[0],
               pct(fromsend.v, m, 0.5), pct(fromsend.v, m, 0.99), fromsend.v[m - 1],
               fromsend.v[0]);
    printf("end\t%d\n", m == n ? 0 : 1);
    fflush(stdout);
    return command_loop(&f, timeout, evs);
}
