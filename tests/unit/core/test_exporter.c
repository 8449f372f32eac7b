/* SPDX-License-Identifier: MIT */
/* The cache exporter (exporter.c): a lone change after a quiet spell is exported at once,
 * bursts of changes coalesce into few exports, a steady stream still exports every
 * export_max_delay, stop flushes, and a failed export is retried until it succeeds. Exports are counted by the cache generation, which grows by one each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core_fixture.h"
#include "accounts/exporter.h"
#include "scim_cache.h"
#include "server.h"
#include "store/store.h"

#define DELAY_MS 40
#define MAX_DELAY_MS 250

struct fx {
    char *dir;
    struct store *st;
    struct scimd_config cfg;
    struct scimd_server srv;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = core_mkdtemp();
    f->st = core_store_open(f->dir, "scimd.db", true);
    scimd_config_init(&f->cfg);
    free(f->cfg.database);
    f->cfg.database = core_path(f->dir, "scimd.db");
    free(f->cfg.cache_path);
    f->cfg.cache_path = core_path(f->dir, "nss.cache");
    free(f->cfg.shadow_path);
    f->cfg.shadow_path = core_path(f->dir, "shadow.cache");
    f->cfg.export_delay_ms = DELAY_MS;
    f->cfg.export_max_delay_ms = MAX_DELAY_MS;
    f->cfg.invalidate_nscd = false;
    f->srv.cfg = &f->cfg;
    f->srv.store = f->st;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->st);
    char *sub = core_path(f->dir, "sub");
    core_rmdir(sub); /* only test_failed_export_is_retried makes it */
    scimd_config_free(&f->cfg);
    core_rmdir(f->dir);
    free(f);
    return 0;
}

/* The generation of the exported cache, 0 when there is none. */
static uint64_t generation(const char *path)
{
    struct scim_cache c;
    if (scim_cache_open(&c, path, SCIM_CACHE_FILE_NSS, SCIM_CACHE_OPEN_UNTRUSTED, NULL, 0) != 0)
        return 0;
    uint64_t g = scim_cache_generation(&c);
    scim_cache_close(&c);
    return g;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until the generation passes `after` (or timeout_ms), then for quiet_ms more. */
static uint64_t settle(const char *path, uint64_t after, int timeout_ms, int quiet_ms)
{
    int64_t end = now_ms() + timeout_ms;
    while (generation(path) <= after && now_ms() < end)
        usleep(5000);
    usleep((useconds_t)quiet_ms * 1000);
    return generation(path);
}

static struct exporter *start(struct fx *f)
{
    struct exporter *ex = NULL;
    char err[512] = "";
    if (exporter_start(&ex, &f->srv, err, sizeof(err)) != 0)
        fail_msg("exporter_start: %s", err);
    return ex;
}

static void test_burst_coalesced(void **state)
{
    struct fx *f = *state;
    struct exporter *ex = start(f);
    /* The initial export runs before exporter_start returns: a missing cache heals at once. */
    uint64_t g0 = generation(f->cfg.cache_path);
    assert_true(g0 >= 1);
    /* 100 changes, 1 ms apart: never DELAY_MS of quiet, well inside MAX_DELAY_MS. */
    for (int i = 0; i < 100; i++) {
        exporter_notify(ex);
        usleep(1000);
    }
    uint64_t g = settle(f->cfg.cache_path, g0, 3000, 3 * DELAY_MS);
    /* One export (two or three if this machine stalled for DELAY_MS), not one per change. */
    if (g < g0 + 1 || g > g0 + 3)
        fail_msg("100 notifications gave %llu exports", (unsigned long long)(g - g0));
    /* Quiet: no further exports. */
    usleep(3 * DELAY_MS * 1000);
    assert_int_equal(generation(f->cfg.cache_path), g);
    exporter_notify(NULL); /* allowed, does nothing */
    exporter_stop(ex);
}

static uint64_t wait_for_generation(struct fx *f, uint64_t want, int64_t limit_ms)
{
    int64_t t0 = now_ms();
    while (generation(f->cfg.cache_path) < want && now_ms() - t0 < limit_ms)
        usleep(2000);
    return generation(f->cfg.cache_path);
}

/* A change that follows export_delay of quiet is not held back by it (a deactivation must
 * reach PAM as fast as an export can run); changes right behind it still coalesce. */
static void test_lone_change_exported_at_once(void **state)
{
    struct fx *f = *state;
    f->cfg.export_delay_ms = 2000; /* far beyond what one export takes */
    f->cfg.export_max_delay_ms = 4000;
    struct exporter *ex = start(f);
    uint64_t g0 = generation(f->cfg.cache_path);
    exporter_notify(ex); /* the first change ever */
    if (wait_for_generation(f, g0 + 1, 1500) != g0 + 1)
        fail_msg("the first change waited for export_delay");
    usleep(2100 * 1000); /* quiet for longer than export_delay since that change */
    exporter_notify(ex);
    if (wait_for_generation(f, g0 + 2, 1500) != g0 + 2)
        fail_msg("a change after %d ms of quiet waited for export_delay", 2100);
    /* Right behind it, changes wait for export_delay of quiet again. */
    exporter_notify(ex);
    usleep(500 * 1000);
    assert_int_equal(generation(f->cfg.cache_path), g0 + 2);
    exporter_stop(ex); /* flushes the pending change */
    assert_int_equal(generation(f->cfg.cache_path), g0 + 3);
}

static void test_stream_exports_by_max_delay(void **state)
{
    struct fx *f = *state;
    struct exporter *ex = start(f);
    uint64_t g0 = generation(f->cfg.cache_path);
    /* A steady stream for 1 s with no pause as long as DELAY_MS: an exporter waiting only for
     * quiet would never export; MAX_DELAY_MS forces one about every 250 ms. */
    int64_t end = now_ms() + 1000;
    while (now_ms() < end) {
        exporter_notify(ex);
        usleep(5000);
    }
    uint64_t during = generation(f->cfg.cache_path) - g0;
    uint64_t g = settle(f->cfg.cache_path, g0 + during, 3000, 3 * DELAY_MS);
    if (during < 2 || during > 8)
        fail_msg("a 1 s stream with export_max_delay 250 ms exported %llu times while it lasted",
                 (unsigned long long)during);
    /* The changes after the last export are exported too. */
    if (g < g0 + during + 1)
        fail_msg("the tail of the stream was not exported (%llu exports in all)",
                 (unsigned long long)(g - g0));
    exporter_stop(ex);
}

static void test_stop_flushes(void **state)
{
    struct fx *f = *state;
    struct exporter *ex = start(f);
    uint64_t g0 = generation(f->cfg.cache_path);
    exporter_notify(ex);
    exporter_stop(ex); /* without waiting for DELAY_MS */
    assert_int_equal(generation(f->cfg.cache_path), g0 + 1);
    /* The guard file next to the database was written with the export. */
    char *guard = core_path(f->dir, "uid-high-water");
    struct stat sb;
    assert_int_equal(stat(guard, &sb), 0);
    free(guard);
}

static void test_failed_export_is_retried(void **state)
{
    struct fx *f = *state;
    char *sub = core_path(f->dir, "sub");
    free(f->cfg.cache_path);
    f->cfg.cache_path = core_path(sub, "nss.cache");
    free(f->cfg.shadow_path);
    f->cfg.shadow_path = core_path(sub, "shadow.cache");
    /* The directory is missing: the initial export fails, scimd still starts. */
    struct exporter *ex = start(f);
    assert_int_equal(generation(f->cfg.cache_path), 0);
    assert_int_equal(mkdir(sub, 0755), 0);
    /* Retried (every second) without any new change. */
    uint64_t g = settle(f->cfg.cache_path, 0, 4000, 0);
    assert_true(g >= 1);
    exporter_stop(ex);
    free(sub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_burst_coalesced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lone_change_exported_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_exports_by_max_delay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_flushes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_export_is_retried, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
