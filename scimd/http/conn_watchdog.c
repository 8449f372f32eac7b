/* SPDX-License-Identifier: MIT */
#include "http/conn_watchdog.h"

#include <linux/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"

enum phase { WAITING_HEAD, RECEIVING_BODY, PROCESSING };

struct tracked {
    int fd;
    enum phase phase;
    time_t since;
    bool shut;
    bool trusted;
    bool line_seen;       /* this request's line has arrived */
    uint64_t line_base;   /* bytes the socket had received when this request began */
    unsigned char addr[16]; /* the client address (IPv4 in the first 4 bytes) */
    unsigned peers;         /* unauthenticated open connections from addr, this one included */
    struct tracked *prev, *next;
};

struct conn_watchdog {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool stopping;
    struct conn_watchdog_limits limits;
    struct tracked *head;
    unsigned untrusted;            /* open, not shut, not trusted */
    unsigned live;                 /* open, not shut */
    unsigned late_heads, late_bodies, evicted, refused; /* since the last log line */
};

static time_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static bool counted(const struct tracked *t)
{
    return !t->shut && !t->trusted;
}

/* Caller holds wd->mu: t is about to stop counting as unauthenticated and open. */
static void uncount(struct conn_watchdog *wd, struct tracked *t)
{
    if (!counted(t))
        return;
    wd->untrusted--;
    for (struct tracked *o = wd->head; o; o = o->next)
        if (o != t && counted(o) && memcmp(o->addr, t->addr, sizeof(t->addr)) == 0)
            o->peers--;
}

/* Caller holds wd->mu. The entry is removed (under this mutex) before libmicrohttpd closes
 * the fd, so the fd is still this connection's. */
static void shut(struct conn_watchdog *wd, struct tracked *t)
{
    shutdown(t->fd, SHUT_RDWR);
    uncount(wd, t);
    t->shut = true;
    wd->live--;
}

/* One line per tick at most: a flood must not become a log flood. */
static void log_counts(struct conn_watchdog *wd)
{
    if (wd->late_heads)
        log_warn("http: closed %u connection(s) that took too long to send a request head",
                 wd->late_heads);
    if (wd->late_bodies)
        log_warn("http: closed %u connection(s) that took over %u s to send a request body",
                 wd->late_bodies, wd->limits.body_seconds);
    if (wd->evicted)
        log_warn("http: closed %u unauthenticated connection(s) still sending their request, "
                 "to keep room for clients with a token (over %u open)",
                 wd->evicted, wd->limits.max_untrusted);
    if (wd->refused)
        log_warn("http: refused %u connection(s) from addresses already holding unauthenticated "
                 "ones while over %u are open", wd->refused, wd->limits.max_untrusted);
    wd->late_heads = wd->late_bodies = wd->evicted = wd->refused = 0;
}

static void *watchdog_main(void *arg)
{
    struct conn_watchdog *wd = arg;
    pthread_mutex_lock(&wd->mu);
    while (!wd->stopping) {
        struct timespec wake;
        clock_gettime(CLOCK_REALTIME, &wake);
        wake.tv_nsec += 500 * 1000 * 1000;
        if (wake.tv_nsec >= 1000000000) {
            wake.tv_sec++;
            wake.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&wd->cv, &wd->mu, &wake);
        time_t now = now_s();
        for (struct tracked *t = wd->head; t; t = t->next) {
            unsigned limit = t->phase == RECEIVING_BODY ? wd->limits.body_seconds
                             : t->phase == PROCESSING   ? 0
                             : t->trusted               ? wd->limits.idle_seconds
                                                        : wd->limits.head_seconds;
            if (limit == 0 || t->shut || now - t->since <= (time_t)limit)
                continue;
            if (t->phase == WAITING_HEAD)
                wd->late_heads++;
            else
                wd->late_bodies++;
            shut(wd, t);
        }
        log_counts(wd);
    }
    pthread_mutex_unlock(&wd->mu);
    return NULL;
}

struct conn_watchdog *conn_watchdog_start(const struct conn_watchdog_limits *limits)
{
    struct conn_watchdog *wd = calloc(1, sizeof(*wd));
    if (!wd)
        return NULL;
    pthread_mutex_init(&wd->mu, NULL);
    pthread_cond_init(&wd->cv, NULL);
    wd->limits = *limits;
    if (pthread_create(&wd->thread, NULL, watchdog_main, wd) != 0) {
        pthread_mutex_destroy(&wd->mu);
        pthread_cond_destroy(&wd->cv);
        free(wd);
        return NULL;
    }
    return wd;
}

void conn_watchdog_stop(struct conn_watchdog *wd)
{
    if (!wd)
        return;
    pthread_mutex_lock(&wd->mu);
    wd->stopping = true;
    pthread_cond_signal(&wd->cv);
    pthread_mutex_unlock(&wd->mu);
    pthread_join(wd->thread, NULL);
    while (wd->head) {
        struct tracked *t = wd->head;
        wd->head = t->next;
        free(t);
    }
    pthread_mutex_destroy(&wd->mu);
    pthread_cond_destroy(&wd->cv);
    free(wd);
}

/* Caller holds wd->mu. A new connection pushed the unauthenticated ones past the cap: one
 * from the address holding the most of them goes (so a flood from many addresses cannot push
 * out a client that opened one), the one that has waited longest for its own request among
 * those. A client with a token sends its head and body within milliseconds of connecting,
 * so it is neither. The newcomer itself may go: it is the youngest, but not exempt. */
static void make_room(struct conn_watchdog *wd)
{
    while (wd->untrusted > wd->limits.max_untrusted) {
        struct tracked *victim = NULL;
        for (struct tracked *t = wd->head; t; t = t->next) /* newest first */
            if (counted(t) && t->phase != PROCESSING &&
                (!victim || t->peers > victim->peers ||
                 (t->peers == victim->peers && t->since <= victim->since)))
                victim = t;
        if (!victim)
            return;
        shut(wd, victim);
        wd->evicted++;
    }
}

static void addr_key(const struct sockaddr *sa, unsigned char out[16])
{
    memset(out, 0, 16);
    if (sa && sa->sa_family == AF_INET)
        memcpy(out, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    else if (sa && sa->sa_family == AF_INET6)
        memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
}

static void client_addr(struct MHD_Connection *conn, unsigned char out[16])
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    addr_key(ci ? ci->client_addr : NULL, out);
}

enum MHD_Result conn_watchdog_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct conn_watchdog *wd = cls;
    unsigned char key[16];
    (void)addrlen;
    addr_key(addr, key);
    bool refuse = false;
    pthread_mutex_lock(&wd->mu);
    refuse = wd->live >= wd->limits.max_live;
    if (wd->untrusted >= wd->limits.max_untrusted)
        for (struct tracked *t = wd->head; t && !refuse; t = t->next)
            refuse = counted(t) && memcmp(t->addr, key, sizeof(key)) == 0;
    if (refuse)
        wd->refused++;
    pthread_mutex_unlock(&wd->mu);
    return refuse ? MHD_NO : MHD_YES;
}

void conn_watchdog_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct conn_watchdog *wd = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct tracked *t = ci ? calloc(1, sizeof(*t)) : NULL;
        if (!t)
            return;
        t->fd = ci->connect_fd;
        t->phase = WAITING_HEAD;
        t->since = now_s();
        client_addr(conn, t->addr);
        t->peers = 1;
        pthread_mutex_lock(&wd->mu);
        for (struct tracked *o = wd->head; o; o = o->next)
            if (counted(o) && memcmp(o->addr, t->addr, sizeof(t->addr)) == 0) {
                o->peers++;
                t->peers++;
            }
        t->next = wd->head;
        if (wd->head)
            wd->head->prev = t;
        wd->head = t;
        wd->untrusted++;
        wd->live++;
        make_room(wd);
        pthread_mutex_unlock(&wd->mu);
        *socket_context = t;
        return;
    }
    struct tracked *t = *socket_context;
    if (!t)
        return;
    pthread_mutex_lock(&wd->mu);
    if (t->prev)
        t->prev->next = t->next;
    else
        wd->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    uncount(wd, t);
    if (!t->shut)
        wd->live--;
    pthread_mutex_unlock(&wd->mu);
    free(t);
    *socket_context = NULL;
}

/* tcpi_bytes_received (Linux 4.6): every byte received on the socket, read or not; 0 when
 * the kernel does not say. */
static uint64_t bytes_received(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
        return 0;
    return ti.tcpi_bytes_received;
}

static struct tracked *tracked_of(struct conn_watchdog *wd, struct MHD_Connection *conn)
{
    if (!wd)
        return NULL;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void set_phase(struct conn_watchdog *wd, struct MHD_Connection *conn, enum phase phase)
{
    struct tracked *t = tracked_of(wd, conn);
    if (!t)
        return;
    pthread_mutex_lock(&wd->mu);
    t->phase = phase;
    t->since = now_s();
    pthread_mutex_unlock(&wd->mu);
}

void conn_watchdog_head_done(struct conn_watchdog *wd, struct MHD_Connection *conn)
{
    set_phase(wd, conn, RECEIVING_BODY);
}

void conn_watchdog_body_done(struct conn_watchdog *wd, struct MHD_Connection *conn)
{
    set_phase(wd, conn, PROCESSING);
}

void conn_watchdog_trusted(struct conn_watchdog *wd, struct MHD_Connection *conn)
{
    struct tracked *t = tracked_of(wd, conn);
    if (!t)
        return;
    pthread_mutex_lock(&wd->mu);
    uncount(wd, t);
    t->trusted = true;
    pthread_mutex_unlock(&wd->mu);
}

void conn_watchdog_request_done(struct conn_watchdog *wd, struct MHD_Connection *conn)
{
    struct tracked *t = tracked_of(wd, conn);
    if (!t)
        return;
    uint64_t base = bytes_received(t->fd);
    pthread_mutex_lock(&wd->mu);
    t->phase = WAITING_HEAD;
    t->since = now_s();
    t->line_seen = false;
    t->line_base = base;
    pthread_mutex_unlock(&wd->mu);
}

void conn_watchdog_line_seen(struct conn_watchdog *wd, struct MHD_Connection *conn)
{
    struct tracked *t = tracked_of(wd, conn);
    if (!t)
        return;
    pthread_mutex_lock(&wd->mu);
    t->line_seen = true;
    pthread_mutex_unlock(&wd->mu);
}

unsigned conn_watchdog_overlong_lines(struct conn_watchdog *wd, uint64_t min_bytes,
                                      void (*answer)(int fd, void *arg), void *arg)
{
    unsigned n = 0;
    if (!wd)
        return 0;
    pthread_mutex_lock(&wd->mu);
    for (struct tracked *t = wd->head; t; t = t->next) {
        if (t->shut || t->line_seen || t->phase != WAITING_HEAD)
            continue;
        uint64_t got = bytes_received(t->fd);
        if (got < t->line_base || got - t->line_base < min_bytes)
            continue;
        /* Under the mutex: the fd is still this connection's (shut()). Seen once. */
        answer(t->fd, arg);
        t->line_seen = true;
        n++;
    }
    pthread_mutex_unlock(&wd->mu);
    return n;
}
