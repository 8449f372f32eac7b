/* SPDX-License-Identifier: MIT */
/* The long-poll waiter (fleet/feed_wait.c) on a fake sequence source: a waiter returns at once
 * when the sequence is already past it, the moment a kick makes the refresher see a commit
 * (not at its one-second fallback), at its deadline when nothing changes, and at once on
 * shutdown; the fallback poll finds writes nobody kicked for (another process). Parked waiters
 * (no thread each, fired by callback) get the same answers: all of them fired once by one
 * commit, each at its own deadline in deadline order, all at once on shutdown, and a park
 * that is already answered returns false without firing. */
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fleet/feed_wait.h"

static pthread_mutex_t seq_mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t db_seq; /* what the "store" holds */
static int reads;

static int read_seq(void *arg, int64_t *out)
{
    (void)arg;
    pthread_mutex_lock(&seq_mu);
    *out = db_seq;
    reads++;
    pthread_mutex_unlock(&seq_mu);
    return 0;
}

static void set_seq(int64_t v)
{
    pthread_mutex_lock(&seq_mu);
    db_seq = v;
    pthread_mutex_unlock(&seq_mu);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct timespec in_ms(unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

struct waiter {
    struct feed_wait *fw;
    int64_t since;
    unsigned ms;
    enum feed_wait_result res;
    double took;
};

static void *wait_main(void *arg)
{
    struct waiter *w = arg;
    struct timespec dl = in_ms(w->ms);
    double t0 = now_s();
    w->res = feed_wait_for(w->fw, w->since, &dl);
    w->took = now_s() - t0;
    return NULL;
}

static void test_already_past(void **state)
{
    (void)state;
    set_seq(7);
    struct feed_wait *fw = feed_wait_start(read_seq, NULL, 10000);
    assert_non_null(fw);
    feed_wait_publish(fw, 7);
    struct timespec dl = in_ms(5000);
    double t0 = now_s();
    assert_int_equal(feed_wait_for(fw, 6, &dl), FEED_WAIT_CHANGED);
    assert_true(now_s() - t0 < 0.5);
    /* Publishing lower never goes back. */
    feed_wait_publish(fw, 3);
    assert_int_equal(feed_wait_for(fw, 6, &dl), FEED_WAIT_CHANGED);
    feed_wait_stop(fw);
}

static void test_kick_wakes_at_once(void **state)
{
    (void)state;
    set_seq(10);
    /* A fallback poll of 10 s: only the kick can answer within the test's bound. */
    struct feed_wait *fw = feed_wait_start(read_seq, NULL, 10000);
    usleep(100 * 1000); /* the start-up read: seq 10 */
    struct waiter w = { .fw = fw, .since = 10, .ms = 8000 };
    pthread_t t;
    pthread_create(&t, NULL, wait_main, &w);
    usleep(200 * 1000);
    set_seq(11); /* a commit */
    feed_wait_committed(fw);
    pthread_join(t, NULL);
    assert_int_equal(w.res, FEED_WAIT_CHANGED);
    assert_true(w.took < 1.0);
    feed_wait_stop(fw);
}

static void test_timeout(void **state)
{
    (void)state;
    set_seq(20);
    struct feed_wait *fw = feed_wait_start(read_seq, NULL, 100);
    usleep(100 * 1000);
    struct waiter w = { .fw = fw, .since = 20, .ms = 400 };
    wait_main(&w);
    assert_int_equal(w.res, FEED_WAIT_TIMEOUT);
    assert_true(w.took >= 0.39 && w.took < 2.0);
    feed_wait_stop(fw);
}

static void test_fallback_poll(void **state)
{
    (void)state;
    set_seq(30);
    struct feed_wait *fw = feed_wait_start(read_seq, NULL, 200);
    usleep(100 * 1000);
    struct waiter w = { .fw = fw, .since = 30, .ms = 5000 };
    pthread_t t;
    pthread_create(&t, NULL, wait_main, &w);
    usleep(100 * 1000);
    set_seq(31); /* written by another process: no kick */
    pthread_join(t, NULL);
    assert_int_equal(w.res, FEED_WAIT_CHANGED);
    assert_true(w.took < 2.0);
    feed_wait_stop(fw);
}

static void test_idle_reads_nothing(void **state)
{
    (void)state;
    set_seq(40);
    struct feed_wait *fw = feed_wait_start(read_seq, NULL, 50);
    usleep(100 * 1000);
    pthread_mutex_lock(&seq_mu);
    int before = reads;
    pthread_mutex_unlock(&seq_mu);
    usleep(400 * 1000); /* eight poll periods, nobody waiting, no kick */
    pthread_mutex_lock(&seq_mu);
    int after = reads;
    pthread_mutex_unlock(&seq_mu);
    assert_int_equal(after, before);
    feed_wait_stop(fw);
}

static void test_shutdown_wakes(void **state)
{
    (void)state;
    set_seq(50);
    struct feed_wait *fw = feed_wait_start(read_seq, NULL, 10000);
    usleep(100 * 1000);
    struct waiter w[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        w[i] = (struct waiter){ .fw = fw, .since = 50, .ms = 60000 };
        pthread_create(&t[i], NULL, wait_main, &w[i]);
    }
    usleep(200 * 1000);
    feed_wait_shutdown(fw);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].res, FEED_WAIT_STOPPING);
        assert_true(w[i].took < 1.0);
    }
    /* And a wait that starts after shutdown does not block. */
    struct waiter late = { .fw = fw, .since = 50, .ms = 60000 };
    wait_main(&late);
    assert_int_equal(late.res, FEED_WAIT_STOPPING);
    feed_wait_stop(fw);
}

struct parked {
    struct feed_waiter w;
    int fired; /* how many times fire ran */
    double at;
};

static pthread_mutex_t fire_mu = PTHREAD_MUTEX_INITIALIZER;

static void on_fire(struct feed_waiter *w)
{
    struct parked *p = (struct parked *)w;
    pthread_mutex_lock(&fire_mu);
    p->fired++;
    p->at = now_s();
    pthread_mutex_unlock(&fire_mu);
}

static int fired_total(struct parked *p, int n)
{
    int total = 0;
    pthread_mutex_lock(&fire_mu);
    for (int i = 0; i < n; i++)
        total += p[i].fired;
    pthread_mutex_unlock(&fire_mu);
    return total;
}

static bool wait_fired(struct parked *p, int n, int want, double seconds)
{
    double until = now_s() + seconds;
    while (fired_total(p, n) < want && now_s() < until)
        usleep(5 * 1000);
    return fired_total(p, n) == want;
}

static void park_one(struct parked *p, int64_t since, unsigned ms)
{
    p->w = (struct feed_waiter){ .since = since, .deadline = in_ms(ms), .fire = on_fire };
    p->fired = 0;
}

static void test_parked_commit_fires_all_once(void **state)
{
    (void)state;
    enum { N = 1000 };
    static struct parked p[N];
    set_seq(60);
    struct feed_wait *fw = feed_wait_start(read_seq, NULL, 10000);
    usleep(100 * 1000);
    for (int i = 0; i < N; i++) {
        park_one(&p[i], 60, 30000);
        assert_true(feed_wait_park(fw, &p[i].w));
    }
    assert_int_equal(feed_wait_parked(fw), N);
    double t0 = now_s();
    set_seq(61);
    feed_wait_committed(fw);
    assert_true(wait_fired(p, N, N, 2.0));
    for (int i = 0; i < N; i++) {
        assert_int_equal(p[i].fired, 1);
        assert_int_equal(p[i].w.result, FEED_WAIT_CHANGED);
        assert_true(p[i].at - t0 < 1.0);
    }
    assert_int_equal(feed_wait_parked(fw), 0);
    feed_wait_stop(fw);
}

static void test_parked_already_answered(void **state)
{
    (void)state;
    struct parked p;
    set_seq(70);
    struct feed_wait *fw = feed_wait_start(read_seq, NULL, 10000);
    feed_wait_publish(fw, 70);
    park_one(&p, 69, 5000);
    assert_false(feed_wait_park(fw, &p.w));
    assert_int_equal(p.w.result, FEED_WAIT_CHANGED);
    park_one(&p, 70, 0);
    assert_false(feed_wait_park(fw, &p.w));
    assert_int_equal(p.w.result, FEED_WAIT_TIMEOUT);
    usleep(50 * 1000);
    assert_int_equal(p.fired, 0);
    feed_wait_stop(fw);
}

static void test_parked_deadlines_in_order(void **state)
{
    (void)state;
    struct parked p[3];
    const unsigned ms[3] = { 900, 300, 600 };
    set_seq(80);
    struct feed_wait *fw = feed_wait_start(read_seq, NULL, 10000);
    usleep(100 * 1000);
    double t0 = now_s();
    for (int i = 0; i < 3; i++) {
        park_one(&p[i], 80, ms[i]);
        assert_true(feed_wait_park(fw, &p[i].w));
    }
    assert_true(wait_fired(p, 3, 3, 3.0));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(p[i].w.result, FEED_WAIT_TIMEOUT);
        assert_true(p[i].at - t0 >= ms[i] / 1000.0 - 0.01);
        assert_true(p[i].at - t0 < ms[i] / 1000.0 + 0.5);
    }
    assert_true(p[1].at < p[2].at && p[2].at < p[0].at);
    feed_wait_stop(fw);
}

static void test_parked_shutdown(void **state)
{
    (void)state;
    struct parked p[3], late;
    set_seq(90);
    struct feed_wait *fw = feed_wait_start(read_seq, NULL, 10000);
    usleep(100 * 1000);
    for (int i = 0; i < 3; i++) {
        park_one(&p[i], 90, 60000);
        assert_true(feed_wait_park(fw, &p[i].w));
    }
    feed_wait_shutdown(fw);
    /* Fired on the calling thread, before shutdown returns. */
    assert_int_equal(fired_total(p, 3), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(p[i].w.result, FEED_WAIT_STOPPING);
    park_one(&late, 90, 60000);
    assert_false(feed_wait_park(fw, &late.w));
    assert_int_equal(late.w.result, FEED_WAIT_STOPPING);
    feed_wait_stop(fw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_already_past),
        cmocka_unit_test(test_kick_wakes_at_once),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_fallback_poll),
        cmocka_unit_test(test_idle_reads_nothing),
        cmocka_unit_test(test_shutdown_wakes),
        cmocka_unit_test(test_parked_commit_fires_all_once),
        cmocka_unit_test(test_parked_already_answered),
        cmocka_unit_test(test_parked_deadlines_in_order),
        cmocka_unit_test(test_parked_shutdown),
    };
    cmocka_set_message_output(CM_OUTPUT_TAP);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
