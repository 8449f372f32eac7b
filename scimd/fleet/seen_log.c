/* SPDX-License-Identifier: MIT */
#include "fleet/seen_log.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store/hosts_repo.h"
#include "store/store.h"

#define FLUSH_EVERY_MS 1000

struct seen_entry {
    char host_id[HOST_ID_LEN + 1];
    int64_t seq;
    char at[32];
};

struct seen_batch {
    struct seen_entry *v;
    size_t n;
};

struct seen_log {
    struct store *st;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;
    struct seen_entry *v;
    size_t n, cap;
    unsigned long flushes_asked, flushes_done; /* seen_log_flush waits on these */
    pthread_t thread;
};

static int write_batch(struct db *db, void *ctx, struct scim_error *err)
{
    const struct seen_batch *b = ctx;
    /* In arrival order, so a host's later request (a snapshot's 0, then its sequence) wins. */
    for (size_t i = 0; i < b->n; i++)
        if (hosts_seen_at(db, b->v[i].host_id, b->v[i].seq, b->v[i].at) < 0)
            return scim_error_set(err, 500, NULL, "store: cannot record hosts as seen");
    return 0;
}

/* Called without the lock: one transaction for the whole batch. A failure costs only this
 * bookkeeping (the hosts' next requests record them again), never an answer. */
static void write_out(struct seen_log *log, struct seen_batch *b)
{
    if (!b->n)
        return;
    struct scim_error e;
    if (store_write(log->st, write_batch, b, &e) < 0)
        log_warn("fleet: cannot record %zu host request(s) as seen: %s", b->n, e.detail);
}

static void take_pending(struct seen_log *log, struct seen_batch *b)
{
    b->v = log->v;
    b->n = log->n;
    log->v = NULL;
    log->n = log->cap = 0;
}

static void *run(void *arg)
{
    struct seen_log *log = arg;
    pthread_mutex_lock(&log->mu);
    while (!log->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += FLUSH_EVERY_MS % 1000 * 1000000L;
        until.tv_sec += FLUSH_EVERY_MS / 1000 + until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!log->stopping && log->flushes_asked == log->flushes_done &&
               pthread_cond_timedwait(&log->cv, &log->mu, &until) != ETIMEDOUT)
            ;
        unsigned long asked = log->flushes_asked;
        struct seen_batch b;
        take_pending(log, &b);
        pthread_mutex_unlock(&log->mu);
        write_out(log, &b);
        free(b.v);
        pthread_mutex_lock(&log->mu);
        log->flushes_done = asked;
        pthread_cond_broadcast(&log->cv);
    }
    pthread_mutex_unlock(&log->mu);
    return NULL;
}

struct seen_log *seen_log_start(struct store *st)
{
    struct seen_log *log = calloc(1, sizeof(*log));
    if (!log)
        return NULL;
    log->st = st;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&log->mu, NULL);
    pthread_cond_init(&log->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&log->thread, NULL, run, log) != 0) {
        pthread_cond_destroy(&log->cv);
        pthread_mutex_destroy(&log->mu);
        free(log);
        return NULL;
    }
    return log;
}

void seen_log_note(struct seen_log *log, const char *host_id, int64_t seq)
{
    if (!log)
        return;
    pthread_mutex_lock(&log->mu);
    if (log->n == log->cap) {
        size_t cap = log->cap ? 2 * log->cap : 64;
        struct seen_entry *v = realloc(log->v, cap * sizeof(*v));
        if (!v) {
            pthread_mutex_unlock(&log->mu);
            log_warn("fleet: out of memory recording host %s as seen", host_id);
            return;
        }
        log->v = v;
        log->cap = cap;
    }
    struct seen_entry *e = &log->v[log->n++];
    snprintf(e->host_id, sizeof(e->host_id), "%s", host_id);
    e->seq = seq;
    store_timestamp(e->at);
    pthread_mutex_unlock(&log->mu);
}

void seen_log_flush(struct seen_log *log)
{
    if (!log)
        return;
    pthread_mutex_lock(&log->mu);
    unsigned long mine = ++log->flushes_asked;
    pthread_cond_broadcast(&log->cv);
    while (!log->stopping && log->flushes_done < mine)
        pthread_cond_wait(&log->cv, &log->mu);
    pthread_mutex_unlock(&log->mu);
}

void seen_log_stop(struct seen_log *log)
{
    if (!log)
        return;
    pthread_mutex_lock(&log->mu);
    log->stopping = true;
    pthread_cond_broadcast(&log->cv);
    pthread_mutex_unlock(&log->mu);
    pthread_join(log->thread, NULL);
    struct seen_batch b;
    take_pending(log, &b); /* what came after the thread's last write */
    write_out(log, &b);
    free(b.v);
    pthread_cond_destroy(&log->cv);
    pthread_mutex_destroy(&log->mu);
    free(log);
}
