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
    struct tracked *prev, *next;
};

struct conn_watchdog {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool stopping;
    unsigned head_seconds, body_seconds;
    struct tracked *head;
};

static time_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
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
            unsigned limit = t->phase == WAITING_HEAD     ? wd->head_seconds
                             : t->phase == RECEIVING_BODY ? wd->body_seconds
                                                          : 0;
            if (limit == 0 || t->shut || now - t->since <= (time_t)limit)
                continue;
            /* The entry is removed (under this mutex) before libmicrohttpd closes the fd, so
             * the fd is still this connection's. */
            shutdown(t->fd, SHUT_RDWR);
            t->shut = true;
            log_warn("http: closed a connection that took over %u s to send its request %s",
                     limit, t->phase == WAITING_HEAD ? "head" : "body");
        }
    }
    pthread_mutex_unlock(&wd->mu);
    return NULL;
}

struct conn_watchdog *conn_watchdog_start(unsigned head_seconds, unsigned body_seconds)
{
    struct conn_watchdog *wd = calloc(1, sizeof(*wd));
    if (!wd)
        return NULL;
    pthread_mutex_init(&wd->mu, NULL);
    pthread_cond_init(&wd->cv, NULL);
    wd->head_seconds = head_seconds;
    wd->body_seconds = body_seconds;
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
    pthread_mutex_unlock(&wd->mu);
    free(t);
    *socket_context = NULL;
}

static void set_phase(struct conn_watchdog *wd, struct MHD_Connection *conn, enum phase phase)
{
    if (!wd)
        return;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct tracked *t = ci ? ci->socket_context : NULL;
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

void conn_watchdog_request_done(struct conn_watchdog *wd, struct MHD_Connection *conn)
{
    set_phase(wd, conn, WAITING_HEAD);
}
