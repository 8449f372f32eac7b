/* SPDX-License-Identifier: MIT */
/* The rendered-GET cache (render_cache.c): hits and misses, the generation guard that keeps
 * a rendering older than a commit out, invalidation of one id or of everything, eviction of
 * single entries by CLOCK, the byte budget, the bound on base URLs, and concurrent readers
 * (one stripe and many) that must never see a stale rendering. */
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

#include "api/render_cache.h"

#define BASE "https://scim.example.com/scim/v2"
#define BIG (64u * 1024 * 1024) /* a byte budget that never binds */

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

static bool cached(struct render_cache *rc, const char *id)
{
    int64_t v;
    char *got = render_cache_get(rc, id, BASE, &v);
    free(got);
    return got != NULL;
}

static void put_simple(struct render_cache *rc, const char *id)
{
    char body[64];
    snprintf(body, sizeof(body), "{\"id\":\"%s\"}", id);
    render_cache_put(rc, render_cache_generation(rc), id, BASE, 1, body);
}

static void test_hit_and_miss(void **state)
{
    (void)state;
    assert_null(render_cache_new(0, BIG));
    assert_null(render_cache_new(64, 0));
    struct render_cache *rc = render_cache_new(64, BIG);
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
    expect_hit(rc, "u", "1" BASE, "other", 1);
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
    /* Ids no SCIM id can be (empty, longer than a key holds) are never cached. */
    render_cache_put(rc, g, "", BASE, 1, "empty");
    expect_miss(rc, "", BASE);
    char long_id[300];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    render_cache_put(rc, g, long_id, BASE, 1, "long");
    expect_miss(rc, long_id, BASE);
    struct render_cache_stats st;
    render_cache_stats(rc, &st);
    assert_int_equal(st.entries, 3);
    render_cache_free(rc);
    render_cache_free(NULL);
}

/* Bodies shaped like real renderings (compactly stored) and bodies the compact form cannot
 * hold (raw control bytes) both come back byte for byte, under each base URL. */
static void test_bodies_round_trip(void **state)
{
    (void)state;
    struct render_cache *rc = render_cache_new(64, BIG);
    const char *id = "5a5463e8-0644-4def-965d-e7f725c09a73";
    const char *base2 = "http://127.0.0.1:8080/scim/v2";
    char body[1024], body2[1024];
#define USER_FMT                                                                                 \
    "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":"              \
    "\"alice@example.com\",\"active\":true,\"id\":\"%s\",\"groups\":[{\"value\":\"g1\","   \
    "\"$ref\":\"%s/Groups/g1\"}],\"meta\":{\"resourceType\":\"User\",\"created\":\"2026\"," \
    "\"lastModified\":\"2026\",\"location\":\"%s/Users/%s\",\"version\":\"W/\\\"2\\\"\"}}"
    snprintf(body, sizeof(body), USER_FMT, id, BASE, BASE, id);
    snprintf(body2, sizeof(body2), USER_FMT, id, base2, base2, id);
    uint64_t g = render_cache_generation(rc);
    render_cache_put(rc, g, id, BASE, 2, body);
    render_cache_put(rc, g, id, base2, 2, body2);
    expect_hit(rc, id, BASE, body, 2);
    expect_hit(rc, id, base2, body2, 2);
    render_cache_put(rc, g, "raw", BASE, 1, "{\n\t\"id\": \"raw\"\x01\x1f\n}");
    expect_hit(rc, "raw", BASE, "{\n\t\"id\": \"raw\"\x01\x1f\n}", 1);
    render_cache_put(rc, g, "empty-body", BASE, 1, "");
    expect_hit(rc, "empty-body", BASE, "", 1);
    render_cache_free(rc);
}

static void test_generation_guard(void **state)
{
    (void)state;
    struct render_cache *rc = render_cache_new(64, BIG);
    /* A reader notes the generation, reads the row... */
    uint64_t g = render_cache_generation(rc);
    /* ...a change commits and invalidates meanwhile... */
    render_cache_invalidate(rc, "u1");
    assert_int_equal(render_cache_generation(rc), g + 1);
    /* ...so what the reader rendered is stale and must not be cached. */
    render_cache_put(rc, g, "u1", BASE, 1, "stale");
    expect_miss(rc, "u1", BASE);
    /* Any stale generation is refused, whatever id changed. */
    render_cache_put(rc, g, "u9", BASE, 1, "stale too");
    expect_miss(rc, "u9", BASE);
    render_cache_put(rc, g + 1, "u1", BASE, 2, "fresh");
    expect_hit(rc, "u1", BASE, "fresh", 2);
    /* A second put for a cached key does not replace it. */
    render_cache_put(rc, g + 1, "u1", BASE, 1, "older");
    expect_hit(rc, "u1", BASE, "fresh", 2);
    render_cache_invalidate(NULL, "u1"); /* no cache: nothing to do */
    render_cache_free(rc);
}

static void test_invalidate(void **state)
{
    (void)state;
    struct render_cache *rc = render_cache_new(64, BIG);
    uint64_t g = render_cache_generation(rc);
    render_cache_put(rc, g, "u1", BASE, 1, "one");
    render_cache_put(rc, g, "u1", "http://other/scim/v2", 1, "one elsewhere");
    render_cache_put(rc, g, "u2", BASE, 2, "two");
    /* A user's change drops that user's entries under every base URL, and no other. */
    render_cache_invalidate(rc, "u1");
    expect_miss(rc, "u1", BASE);
    expect_miss(rc, "u1", "http://other/scim/v2");
    expect_hit(rc, "u2", BASE, "two", 2);
    /* A group change alters the groups attribute of any user: everything goes. */
    g = render_cache_generation(rc);
    render_cache_put(rc, g, "u3", BASE, 3, "three");
    render_cache_invalidate(rc, NULL);
    assert_int_equal(render_cache_generation(rc), g + 1);
    expect_miss(rc, "u2", BASE);
    expect_miss(rc, "u3", BASE);
    struct render_cache_stats st;
    render_cache_stats(rc, &st);
    assert_int_equal(st.entries, 0);
    /* An id no entry can have still bumps the generation. */
    render_cache_invalidate(rc, "");
    assert_int_equal(render_cache_generation(rc), g + 2);
    render_cache_free(rc);
}

/* A full cache drops one entry per insertion, never the whole table, and the entry it drops
 * is one not read since the CLOCK hand last passed it. */
static void test_clock_eviction(void **state)
{
    (void)state;
    struct render_cache *rc = render_cache_new(4, BIG);
    put_simple(rc, "a");
    put_simple(rc, "b");
    put_simple(rc, "c");
    put_simple(rc, "d");
    assert_true(cached(rc, "a") && cached(rc, "b") && cached(rc, "c"));
    put_simple(rc, "e");
    assert_false(cached(rc, "d")); /* the only entry nobody read */
    assert_true(cached(rc, "a") && cached(rc, "b") && cached(rc, "c") && cached(rc, "e"));
    struct render_cache_stats st;
    render_cache_stats(rc, &st);
    assert_int_equal(st.entries, 4);
    assert_int_equal(st.evictions, 1);
    /* Every entry was read: the hand takes back their second chances and still evicts
     * exactly one. */
    put_simple(rc, "f");
    render_cache_stats(rc, &st);
    assert_int_equal(st.entries, 4);
    assert_int_equal(st.evictions, 2);
    assert_true(cached(rc, "f"));
    render_cache_free(rc);

    /* Entries read between insertions survive any amount of churn around them. */
    rc = render_cache_new(4, BIG);
    put_simple(rc, "hot1");
    put_simple(rc, "hot2");
    put_simple(rc, "x");
    put_simple(rc, "y");
    char id[32];
    for (int i = 0; i < 200; i++) {
        assert_true(cached(rc, "hot1"));
        assert_true(cached(rc, "hot2"));
        snprintf(id, sizeof(id), "cold-%d", i);
        put_simple(rc, id);
        render_cache_stats(rc, &st);
        assert_int_equal(st.entries, 4);
    }
    assert_int_equal(st.evictions, 200);
    assert_true(cached(rc, "cold-199")); /* the entry just stored is there */
    assert_false(cached(rc, "cold-0"));
    assert_false(cached(rc, "x"));
    render_cache_free(rc);
}

/* Many more keys than room, in a cache large enough to be striped: the bound holds, what was
 * just stored is there, and nearly all of the room stays in use. */
static void test_bounded_entries(void **state)
{
    (void)state;
    struct render_cache *rc = render_cache_new(20000, BIG);
    char id[32], body[64];
    uint64_t g = render_cache_generation(rc);
    for (int i = 0; i < 100000; i++) {
        snprintf(id, sizeof(id), "user-%d", i);
        snprintf(body, sizeof(body), "{\"id\":\"user-%d\"}", i);
        render_cache_put(rc, g, id, BASE, i, body);
        if (i % 97 == 0)
            expect_hit(rc, id, BASE, body, i);
    }
    struct render_cache_stats st;
    render_cache_stats(rc, &st);
    assert_true(st.entries <= 20000 + 16); /* per-stripe bounds round up */
    assert_true(st.entries >= 18000);
    assert_int_equal(st.evictions, 100000 - st.entries);
    int hits = 0;
    for (int i = 0; i < 100000; i++) {
        snprintf(id, sizeof(id), "user-%d", i);
        hits += cached(rc, id);
    }
    assert_int_equal((size_t)hits, st.entries);
    render_cache_free(rc);
}

static void test_byte_budget(void **state)
{
    (void)state;
    char id[32], body[256];
    /* What the table costs, and what one entry of this shape costs. */
    struct render_cache *probe = render_cache_new(100, BIG);
    struct render_cache_stats empty, one;
    render_cache_stats(probe, &empty);
    put_simple(probe, "user-1000");
    render_cache_stats(probe, &one);
    size_t charge = one.bytes - empty.bytes;
    assert_true(charge > strlen("user-1000"));
    render_cache_free(probe);

    size_t budget = empty.bytes + 5 * charge + charge / 2;
    struct render_cache *rc = render_cache_new(100, budget);
    struct render_cache_stats st;
    for (int i = 1000; i < 1100; i++) {
        snprintf(id, sizeof(id), "user-%d", i);
        put_simple(rc, id);
        assert_true(cached(rc, id));
        render_cache_stats(rc, &st);
        assert_true(st.bytes <= budget);
        assert_int_equal(st.max_bytes, budget);
    }
    assert_int_equal(st.entries, 5); /* the budget binds long before the 100 entries */
    assert_int_equal(st.evictions, 95);

    /* A body larger than the whole budget is not stored, and pushes nothing out. */
    memset(body, 'x', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    struct render_cache *tiny = render_cache_new(100, empty.bytes + charge);
    put_simple(tiny, "user-1");
    render_cache_put(tiny, render_cache_generation(tiny), "huge", BASE, 1, body);
    expect_miss(tiny, "huge", BASE);
    assert_true(cached(tiny, "user-1"));
    /* A budget smaller than the table itself caches nothing, and says so in its stats. */
    struct render_cache *none = render_cache_new(100, 64);
    put_simple(none, "user-1");
    assert_false(cached(none, "user-1"));
    render_cache_stats(none, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.misses, 1);
    render_cache_free(none);
    render_cache_free(tiny);
    render_cache_free(rc);
}

/* Base URLs come from the Host header: a client cannot make the cache keep unbounded copies
 * of them. Beyond the bound a rendering is served uncached; a URL whose entries are gone
 * frees its place. */
static void test_base_url_bound(void **state)
{
    (void)state;
    struct render_cache *rc = render_cache_new(64, BIG);
    char base[64];
    int kept = 0;
    for (int b = 0; b < 20; b++) {
        snprintf(base, sizeof(base), "http://host%d/scim/v2", b);
        render_cache_put(rc, render_cache_generation(rc), "u1", base, 1, "one");
        int64_t v;
        char *got = render_cache_get(rc, "u1", base, &v);
        kept += got != NULL;
        free(got);
    }
    assert_true(kept >= 2 && kept < 20);
    render_cache_put(rc, render_cache_generation(rc), "u2", "http://new/scim/v2", 1, "two");
    expect_miss(rc, "u2", "http://new/scim/v2");
    render_cache_invalidate(rc, "u1");
    render_cache_put(rc, render_cache_generation(rc), "u2", "http://new/scim/v2", 1, "two");
    expect_hit(rc, "u2", "http://new/scim/v2", "two", 1);
    render_cache_free(rc);
}

struct worker {
    struct render_cache *rc;
    atomic_bool *stop;
    int ids;
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
    unsigned seed = (unsigned)(uintptr_t)w;
    while (!atomic_load(w->stop) && !w->problem[0]) {
        snprintf(id, sizeof(id), "u%d", (int)(rand_r(&seed) % (unsigned)w->ids));
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

static void expect_not_older(struct render_cache *rc, const char *id, uint64_t g)
{
    int64_t v;
    char *got = render_cache_get(rc, id, BASE, &v);
    if (got) {
        unsigned long long gen = 0;
        assert_int_equal(sscanf(got, "gen %llu", &gen), 1);
        if (gen < g)
            fail_msg("generation %llu rendering of %s served at generation %llu", gen, id,
                     (unsigned long long)g);
        free(got);
    }
}

/* ids: keys the readers use; entries, entry_bytes: the bounds (small ones keep evictions
 * going while readers read and the main thread invalidates). */
static void run_concurrent(size_t entries, size_t entry_bytes, int ids)
{
    struct render_cache_stats st;
    struct render_cache *rc = render_cache_new(entries, BIG);
    render_cache_stats(rc, &st); /* what the tables cost */
    render_cache_free(rc);
    rc = render_cache_new(entries, st.bytes + entry_bytes);
    assert_non_null(rc);
    atomic_bool stop = false;
    struct worker w[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].rc = rc;
        w[i].stop = &stop;
        w[i].ids = ids;
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, &w[i]), 0);
    }
    int64_t end = now_us() + 300 * 1000;
    long checks = 0;
    char id[16];
    while (now_us() < end) {
        /* Right after an invalidation nothing older than the new generation is served: for
         * the one id changed, and after a change of everything, for any id. */
        snprintf(id, sizeof(id), "u%ld", checks % ids);
        render_cache_invalidate(rc, id);
        expect_not_older(rc, id, render_cache_generation(rc));
        if (checks % 8 == 0) {
            render_cache_invalidate(rc, NULL);
            expect_not_older(rc, "u1", render_cache_generation(rc));
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
    render_cache_stats(rc, &st);
    assert_true(st.entries <= entries + 16);
    assert_true(st.bytes <= st.max_bytes);
    render_cache_free(rc);
}

static void test_concurrent_one_stripe(void **state)
{
    (void)state;
    run_concurrent(256, BIG / 2, 50);
}

static void test_concurrent_striped(void **state)
{
    (void)state;
    /* 64k entries: 16 stripes; 2,000 ids in room for a few hundred: evictions all along. */
    run_concurrent(65536, 24 * 1024, 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_and_miss),
        cmocka_unit_test(test_bodies_round_trip),
        cmocka_unit_test(test_generation_guard),
        cmocka_unit_test(test_invalidate),
        cmocka_unit_test(test_clock_eviction),
        cmocka_unit_test(test_bounded_entries),
        cmocka_unit_test(test_byte_budget),
        cmocka_unit_test(test_base_url_bound),
        cmocka_unit_test(test_concurrent_one_stripe),
        cmocka_unit_test(test_concurrent_striped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
