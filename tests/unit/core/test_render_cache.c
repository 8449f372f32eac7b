/* The rendered-GET cache (render_cache.c): hits and misses, the generation guard that keeps
 * a rendering older than a commit out, invalidation, and bounded size. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "render_cache.h"

#define BASE "https://scim.example.com/scim/v2"

static void expect_hit(struct render_cache *rc, const char *id, const char *base, const char *body,
                       int64_t version)
{
    int64_t v = -1;
    char *got = render_cache_get(rc, id, base, &v);
    if (!got)
        fail_msg("miss for %s at %s", id, base);
    assert_string_equal(got, body);
    assert_int_equal(v, version);
    free(got);
}

static void expect_miss(struct render_cache *rc, const char *id, const char *base)
{
    int64_t v = -1;
    char *got = render_cache_get(rc, id, base, &v);
    if (got)
        fail_msg("unexpected hit for %s at %s: %s", id, base, got);
    assert_int_equal(v, -1);
}

static void test_hit_and_miss(void **state)
{
    (void)state;
    struct render_cache *rc = render_cache_new(64);
    assert_non_null(rc);
    expect_miss(rc, "u1", BASE);
    uint64_t g = render_cache_generation(rc);
    render_cache_put(rc, g, "u1", BASE, 3, "{\"id\":\"u1\"}");
    expect_hit(rc, "u1", BASE, "{\"id\":\"u1\"}", 3);
    /* The location in a body depends on the base URL the client used: separate entries. */
    expect_miss(rc, "u1", "http://127.0.0.1:8080/scim/v2");
    /* An id and base URL that concatenate alike are still different keys. */
    render_cache_put(rc, g, "u", "1" BASE, 1, "other");
    expect_hit(rc, "u1", BASE, "{\"id\":\"u1\"}", 3);
    expect_miss(rc, "u2", BASE);
    /* The caller owns what it gets: a copy, so changing it changes nothing cached. */
    int64_t v;
    char *copy = render_cache_get(rc, "u1", BASE, &v);
    copy[0] = 'X';
    free(copy);
    expect_hit(rc, "u1", BASE, "{\"id\":\"u1\"}", 3);
    /* The body is copied on put too. */
    char body[] = "{\"id\":\"u3\"}";
    render_cache_put(rc, g, "u3", BASE, 1, body);
    body[0] = 'X';
    expect_hit(rc, "u3", BASE, "{\"id\":\"u3\"}", 1);
    render_cache_free(rc);
    render_cache_free(NULL);
}

static void test_generation_guard(void **state)
{
    (void)state;
    struct render_cache *rc = render_cache_new(64);
    /* A reader notes the generation, reads the row... */
    uint64_t g = render_cache_generation(rc);
    /* ...a change commits and invalidates meanwhile... */
    render_cache_invalidate(rc, "u1");
    assert_int_equal(render_cache_generation(rc), g + 1);
    /* ...so what the reader rendered is stale and must not be cached. */
    render_cache_put(rc, g, "u1", BASE, 1, "stale");
    expect_miss(rc, "u1", BASE);
    render_cache_put(rc, g + 1, "u1", BASE, 2, "fresh");
    expect_hit(rc, "u1", BASE, "fresh", 2);
    /* A second put for a cached key does not replace it. */
    render_cache_put(rc, g + 1, "u1", BASE, 1, "older");
    expect_hit(rc, "u1", BASE, "fresh", 2);
    /* Any change drops every entry (a user's groups attribute changes with group writes). */
    render_cache_put(rc, g + 1, "u2", BASE, 5, "two");
    render_cache_invalidate(rc, NULL);
    expect_miss(rc, "u1", BASE);
    expect_miss(rc, "u2", BASE);
    render_cache_invalidate(NULL, "u1"); /* no cache: nothing to do */
    render_cache_free(rc);
}

static void test_bounded(void **state)
{
    (void)state;
    struct render_cache *rc = render_cache_new(4); /* raised to the minimum of 16 */
    uint64_t g = render_cache_generation(rc);
    char id[32], body[64];
    for (int i = 0; i < 10000; i++) {
        snprintf(id, sizeof(id), "user-%d", i);
        snprintf(body, sizeof(body), "{\"id\":\"user-%d\"}", i);
        render_cache_put(rc, g, id, BASE, i, body);
        /* The entry just stored is always there: the table never fills up. */
        expect_hit(rc, id, BASE, body, i);
    }
    int hits = 0;
    for (int i = 0; i < 10000; i++) {
        snprintf(id, sizeof(id), "user-%d", i);
        int64_t v;
        char *got = render_cache_get(rc, id, BASE, &v);
        if (got)
            hits++;
        free(got);
    }
    assert_true(hits >= 1 && hits <= 12); /* at most 3/4 of 16 slots */
    render_cache_free(rc);
}

struct worker {
    struct render_cache *rc;
    atomic_bool *stop;
    long gets;
    char problem[128];
};

/* Readers put bodies that name the generation they started with; the main thread bumps it.
 * A body read back from a generation that has moved on means a stale rendering was served.
 * Problems are recorded, not asserted: cmocka's failures belong to the main thread. */
static void *reader_main(void *arg)
{
    struct worker *w = arg;
    char id[16], body[64];
    while (!atomic_load(w->stop) && !w->problem[0]) {
        snprintf(id, sizeof(id), "u%d", (int)(w->gets % 50));
        uint64_t g = render_cache_generation(w->rc);
        int64_t v;
        char *got = render_cache_get(w->rc, id, BASE, &v);
        if (got) {
            unsigned long long gen = 0;
            if (sscanf(got, "gen %llu", &gen) != 1 || gen > render_cache_generation(w->rc) ||
                (int64_t)gen != v)
                snprintf(w->problem, sizeof(w->problem), "bad body '%s'", got);
            free(got);
        } else {
            snprintf(body, sizeof(body), "gen %llu", (unsigned long long)g);
            render_cache_put(w->rc, g, id, BASE, (int64_t)g, body);
        }
        w->gets++;
    }
    return NULL;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void test_concurrent(void **state)
{
    (void)state;
    struct render_cache *rc = render_cache_new(256);
    atomic_bool stop = false;
    struct worker w[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].rc = rc;
        w[i].stop = &stop;
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, &w[i]), 0);
    }
    int64_t end = now_us() + 300 * 1000;
    long checks = 0;
    while (now_us() < end) {
        render_cache_invalidate(rc, NULL);
        /* Right after an invalidation nothing older than the new generation is served. */
        uint64_t g = render_cache_generation(rc);
        int64_t v;
        char *got = render_cache_get(rc, "u1", BASE, &v);
        if (got) {
            unsigned long long gen = 0;
            assert_int_equal(sscanf(got, "gen %llu", &gen), 1);
            if (gen < g)
                fail_msg("generation %llu rendering served at generation %llu", gen,
                         (unsigned long long)g);
            free(got);
        }
        checks++;
        usleep(100);
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        if (w[i].problem[0])
            fail_msg("reader %d: %s", i, w[i].problem);
        assert_true(w[i].gets > 0);
    }
    assert_true(checks > 0);
    render_cache_free(rc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_and_miss),
        cmocka_unit_test(test_generation_guard),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
