#include "conn_watchdog.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
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
    unsigned late_heads, late_bodies, evicted; /* since the last log line */
};

static time_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* Caller holds wd->mu. The entry is removed (under this mutex) before libmicrohttpd closes
 * the fd, so the fd is still this connection's. */
static void shut(struct conn_watchdog *wd, struct tracked *t)
{
    shutdown(t->fd, SHUT_RDWR);
    t->shut = true;
    if (!t->trusted)
        wd->untrusted--;
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
    wd->late_heads = wd->late_bodies = wd->evicted = 0;
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

/* Caller holds wd->mu. A new connection pushed the unauthenticated ones past the cap: the
 * one that has waited longest for its own request to arrive goes. A client with a token
 * sends its head and body within milliseconds of connecting, so it is never the oldest. */
static void make_room(struct conn_watchdog *wd, const struct tracked *fresh)
{
    while (wd->untrusted > wd->limits.max_untrusted) {
        struct tracked *oldest = NULL;
        for (struct tracked *t = wd->head; t; t = t->next)
            if (t != fresh && !t->shut && !t->trusted && t->phase != PROCESSING &&
                (!oldest || t->since <= oldest->since))
                oldest = t;
        if (!oldest)
            return;
        shut(wd, oldest);
        wd->evicted++;
    }
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
        pthread_mutex_lock(&wd->mu);
        t->next = wd->head;
        if (wd->head)
            wd->head->prev = t;
        wd->head = t;
        wd->untrusted++;
        make_room(wd, t);
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
    if (!t->shut && !t->trusted)
        wd->untrusted--;
    pthread_mutex_unlock(&wd->mu);
    free(t);
    *socket_context = NULL;
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
    if (!t->trusted && !t->shut)
        wd->untrusted--;
    t->trusted = true;
    pthread_mutex_unlock(&wd->mu);
}

void conn_watchdog_request_done(struct conn_watchdog *wd, struct MHD_Connection *conn)
{
    set_phase(wd, conn, WAITING_HEAD);
}
