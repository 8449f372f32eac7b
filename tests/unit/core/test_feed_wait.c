/* SPDX-License-Identifier: MIT */
/* The long-poll waiter (fleet/feed_wait.c) on a fake sequence source: a waiter returns at once
 * when the sequence is already past it, the moment a kick makes the refresher see a commit
 * (not at its one-second fallback), at its deadline when nothing changes, and at once on
 * shutdown; the fallback poll finds writes nobody kicked for (another process). */
#include <pthread.h>
#include <setjmp.h>
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
    feed_wait_kick(fw);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_already_past),
        cmocka_unit_test(test_kick_wakes_at_once),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_fallback_poll),
        cmocka_unit_test(test_idle_reads_nothing),
        cmocka_unit_test(test_shutdown_wakes),
    };
    cmocka_set_message_output(CM_OUTPUT_TAP);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
