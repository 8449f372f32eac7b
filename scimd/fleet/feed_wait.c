/* SPDX-License-Identifier: MIT */
#include "fleet/feed_wait.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct feed_wait {
    pthread_mutex_t mu;
    pthread_cond_t changed; /* waiters: the sequence grew, or shutdown */
    pthread_cond_t kicked;  /* the refresher: read the sequence now */
    pthread_t thread;
    feed_wait_read_fn read_seq;
    void *arg;
    unsigned poll_ms;
    int64_t seq;
    unsigned waiters;
    bool kick, stopping;
};

static void deadline_in(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void publish_locked(struct feed_wait *fw, int64_t seq)
{
    if (seq <= fw->seq)
        return;
    fw->seq = seq;
    pthread_cond_broadcast(&fw->changed);
}

static void *refresher_main(void *arg)
{
    struct feed_wait *fw = arg;
    pthread_mutex_lock(&fw->mu);
    while (!fw->stopping) {
        if (!fw->kick) {
            struct timespec until;
            deadline_in(&until, fw->poll_ms);
            pthread_cond_timedwait(&fw->kicked, &fw->mu, &until);
            /* Idle and not kicked: nobody to tell, so no query. */
            if (fw->stopping || (!fw->kick && fw->waiters == 0))
                continue;
        }
        fw->kick = false;
        pthread_mutex_unlock(&fw->mu);
        int64_t seq = 0;
        int rc = fw->read_seq(fw->arg, &seq);
        pthread_mutex_lock(&fw->mu);
        if (rc == 0)
            publish_locked(fw, seq);
    }
    pthread_mutex_unlock(&fw->mu);
    return NULL;
}

struct feed_wait *feed_wait_start(feed_wait_read_fn read_seq, void *arg, unsigned poll_ms)
{
    struct feed_wait *fw = calloc(1, sizeof(*fw));
    pthread_condattr_t ca;
    if (!fw)
        return NULL;
    fw->read_seq = read_seq;
    fw->arg = arg;
    fw->poll_ms = poll_ms ? poll_ms : 1000;
    fw->kick = true; /* learn the sequence at once */
    pthread_mutex_init(&fw->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&fw->changed, &ca);
    pthread_cond_init(&fw->kicked, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&fw->thread, NULL, refresher_main, fw) != 0) {
        pthread_cond_destroy(&fw->changed);
        pthread_cond_destroy(&fw->kicked);
        pthread_mutex_destroy(&fw->mu);
        free(fw);
        return NULL;
    }
    return fw;
}

void feed_wait_shutdown(struct feed_wait *fw)
{
    if (!fw)
        return;
    pthread_mutex_lock(&fw->mu);
    fw->stopping = true;
    pthread_cond_broadcast(&fw->changed);
    pthread_cond_signal(&fw->kicked);
    pthread_mutex_unlock(&fw->mu);
}

void feed_wait_stop(struct feed_wait *fw)
{
    if (!fw)
        return;
    feed_wait_shutdown(fw);
    pthread_join(fw->thread, NULL);
    pthread_cond_destroy(&fw->changed);
    pthread_cond_destroy(&fw->kicked);
    pthread_mutex_destroy(&fw->mu);
    free(fw);
}

void feed_wait_kick(struct feed_wait *fw)
{
    if (!fw)
        return;
    pthread_mutex_lock(&fw->mu);
    fw->kick = true;
    pthread_cond_signal(&fw->kicked);
    pthread_mutex_unlock(&fw->mu);
}

void feed_wait_publish(struct feed_wait *fw, int64_t seq)
{
    pthread_mutex_lock(&fw->mu);
    publish_locked(fw, seq);
    pthread_mutex_unlock(&fw->mu);
}

int64_t feed_wait_latest(struct feed_wait *fw)
{
    pthread_mutex_lock(&fw->mu);
    int64_t seq = fw->seq;
    pthread_mutex_unlock(&fw->mu);
    return seq;
}

enum feed_wait_result feed_wait_for(struct feed_wait *fw, int64_t since,
                                    const struct timespec *deadline)
{
    enum feed_wait_result res = FEED_WAIT_TIMEOUT;
    pthread_mutex_lock(&fw->mu);
    fw->waiters++;
    for (;;) {
        if (fw->stopping) {
            res = FEED_WAIT_STOPPING;
            break;
        }
        if (fw->seq > since) {
            res = FEED_WAIT_CHANGED;
            break;
        }
        if (pthread_cond_timedwait(&fw->changed, &fw->mu, deadline) != 0) {
            /* ETIMEDOUT: one last look, a publish may have raced the deadline. */
            res = fw->stopping ? FEED_WAIT_STOPPING
                  : fw->seq > since ? FEED_WAIT_CHANGED
                                    : FEED_WAIT_TIMEOUT;
            break;
        }
    }
    fw->waiters--;
    pthread_mutex_unlock(&fw->mu);
    return res;
}
