/* SPDX-License-Identifier: MIT */
#include "fleet/feed_wait.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct feed_wait {
    pthread_mutex_t mu;
    pthread_cond_t changed; /* blocking waiters: the sequence grew, or shutdown */
    pthread_cond_t kicked;  /* the refresher: read the sequence now, or a nearer deadline */
    pthread_t thread;
    feed_wait_read_fn read_seq;
    void *arg;
    unsigned poll_ms;
    int64_t seq;
    unsigned waiters;        /* blocked in feed_wait_for */
    struct feed_waiter **heap; /* parked, a binary min-heap on deadline */
    size_t parked, cap;
    bool kick, stopping;
};

static bool before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

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

static void sift_up(struct feed_waiter **h, size_t i)
{
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!before(&h[i]->deadline, &h[up]->deadline))
            break;
        struct feed_waiter *t = h[i];
        h[i] = h[up];
        h[up] = t;
        i = up;
    }
}

static void sift_down(struct feed_waiter **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && before(&h[l]->deadline, &h[m]->deadline))
            m = l;
        if (r < n && before(&h[r]->deadline, &h[m]->deadline))
            m = r;
        if (m == i)
            return;
        struct feed_waiter *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* Caller holds mu: every parked waiter that keep() refuses goes onto *fired with result. A
 * commit wakes nearly all of them, so one pass and a rebuild beat removing one at a time. */
static void take_parked(struct feed_wait *fw, bool (*keep)(const struct feed_waiter *, int64_t),
                        enum feed_wait_result result, struct feed_waiter **fired)
{
    size_t kept = 0;
    for (size_t i = 0; i < fw->parked; i++) {
        struct feed_waiter *w = fw->heap[i];
        if (keep && keep(w, fw->seq)) {
            fw->heap[kept++] = w;
            continue;
        }
        w->result = result;
        w->next = *fired;
        *fired = w;
    }
    fw->parked = kept;
    for (size_t i = kept / 2; i-- > 0;)
        sift_down(fw->heap, kept, i);
}

static bool still_behind(const struct feed_waiter *w, int64_t seq)
{
    return seq <= w->since;
}

/* Caller holds mu. */
static void publish_locked(struct feed_wait *fw, int64_t seq, struct feed_waiter **fired)
{
    if (seq <= fw->seq)
        return;
    fw->seq = seq;
    pthread_cond_broadcast(&fw->changed);
    take_parked(fw, still_behind, FEED_WAIT_CHANGED, fired);
}

/* Caller holds mu: the parked waiters whose deadline has come. A change that raced the
 * deadline wins. */
static void expire_locked(struct feed_wait *fw, struct feed_waiter **fired)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    while (fw->parked > 0 && !before(&now, &fw->heap[0]->deadline)) {
        struct feed_waiter *w = fw->heap[0];
        fw->heap[0] = fw->heap[--fw->parked];
        sift_down(fw->heap, fw->parked, 0);
        w->result = fw->seq > w->since ? FEED_WAIT_CHANGED : FEED_WAIT_TIMEOUT;
        w->next = *fired;
        *fired = w;
    }
}

/* Without mu: each fired waiter belongs to its owner again once fire is called. */
static void fire_all(struct feed_waiter *fired)
{
    while (fired) {
        struct feed_waiter *w = fired;
        fired = w->next;
        w->fire(w);
    }
}

static void *refresher_main(void *arg)
{
    struct feed_wait *fw = arg;
    struct timespec next_read;
    deadline_in(&next_read, 0);
    pthread_mutex_lock(&fw->mu);
    while (!fw->stopping) {
        struct feed_waiter *fired = NULL;
        struct timespec now, until;
        clock_gettime(CLOCK_MONOTONIC, &now);
        bool watched = fw->waiters > 0 || fw->parked > 0;
        /* Idle and not kicked: nobody to tell, so no query. */
        if (!fw->kick && !(watched && !before(&now, &next_read))) {
            if (watched)
                until = next_read;
            else
                deadline_in(&until, fw->poll_ms);
            if (fw->parked > 0 && before(&fw->heap[0]->deadline, &until))
                until = fw->heap[0]->deadline;
            pthread_cond_timedwait(&fw->kicked, &fw->mu, &until);
            expire_locked(fw, &fired);
        } else {
            fw->kick = false;
            deadline_in(&next_read, fw->poll_ms);
            pthread_mutex_unlock(&fw->mu);
            int64_t seq = 0;
            int rc = fw->read_seq(fw->arg, &seq);
            pthread_mutex_lock(&fw->mu);
            if (rc == 0)
                publish_locked(fw, seq, &fired);
        }
        if (fired) {
            pthread_mutex_unlock(&fw->mu);
            fire_all(fired);
            pthread_mutex_lock(&fw->mu);
        }
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
    struct feed_waiter *fired = NULL;
    if (!fw)
        return;
    pthread_mutex_lock(&fw->mu);
    fw->stopping = true;
    take_parked(fw, NULL, FEED_WAIT_STOPPING, &fired);
    pthread_cond_broadcast(&fw->changed);
    pthread_cond_signal(&fw->kicked);
    pthread_mutex_unlock(&fw->mu);
    fire_all(fired);
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
    free(fw->heap);
    free(fw);
}

void feed_wait_committed(struct feed_wait *fw)
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
    struct feed_waiter *fired = NULL;
    pthread_mutex_lock(&fw->mu);
    publish_locked(fw, seq, &fired);
    pthread_mutex_unlock(&fw->mu);
    fire_all(fired);
}

int64_t feed_wait_latest(struct feed_wait *fw)
{
    pthread_mutex_lock(&fw->mu);
    int64_t seq = fw->seq;
    pthread_mutex_unlock(&fw->mu);
    return seq;
}

bool feed_wait_park(struct feed_wait *fw, struct feed_waiter *w)
{
    struct timespec now;
    struct feed_waiter **grown = NULL;
    bool parked = false;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&fw->mu);
    if (fw->stopping)
        w->result = FEED_WAIT_STOPPING;
    else if (fw->seq > w->since)
        w->result = FEED_WAIT_CHANGED;
    else if (!before(&now, &w->deadline))
        w->result = FEED_WAIT_TIMEOUT;
    else if (fw->parked == fw->cap &&
             !(grown = reallocarray(fw->heap, fw->cap ? 2 * fw->cap : 64, sizeof(*grown))))
        w->result = FEED_WAIT_TIMEOUT; /* out of memory: answer "nothing yet" now */
    else {
        if (fw->parked == fw->cap) {
            fw->heap = grown;
            fw->cap = fw->cap ? 2 * fw->cap : 64;
        }
        fw->heap[fw->parked] = w;
        sift_up(fw->heap, fw->parked++);
        /* A new earliest deadline: the refresher's sleep must end sooner. */
        if (fw->heap[0] == w)
            pthread_cond_signal(&fw->kicked);
        parked = true;
    }
    pthread_mutex_unlock(&fw->mu);
    return parked;
}

size_t feed_wait_parked(struct feed_wait *fw)
{
    pthread_mutex_lock(&fw->mu);
    size_t n = fw->parked;
    pthread_mutex_unlock(&fw->mu);
    return n;
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
