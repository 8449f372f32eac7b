/* SPDX-License-Identifier: MIT */
/* Start-up refusals (startup_checks.c): id ranges clear of local ids and subordinate ids, and
 * the high-water guard that stops a restored database from handing out old uids again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include "store/db.h"

#include "core_fixture.h"
#include "accounts/startup_checks.h"
#include "store/store.h"

struct fx {
    char *dir;   /* a fake root: dir/etc/{passwd,group,subuid,subgid} */
    char *etc;
    struct scimd_config cfg;
    char err[1024];
};

static void put(struct fx *f, const char *name, const char *text);

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = core_mkdtemp();
    f->etc = core_path(f->dir, "etc");
    assert_int_equal(mkdir(f->etc, 0755), 0);
    scimd_config_init(&f->cfg);
    f->cfg.uid_min = 200000000u;
    f->cfg.uid_max = 200000999u;
    f->cfg.gid_min = 200001000u;
    f->cfg.gid_max = 200001999u;
    free(f->cfg.database);
    f->cfg.database = core_path(f->dir, "scimd.db");
    free(f->cfg.cache_path);
    f->cfg.cache_path = core_path(f->dir, "nss.cache"); /* never written: no cache mark */
    /* A host whose useradd pool stops below the test ranges (shadow's default pool,
     * 100000..600100000, would contain them: see test_ranges_login_defs_pool). */
    put(f, "login.defs", "SUB_UID_MAX 199999999\nSUB_GID_MAX 199999999\n");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    core_rmdir(f->etc);
    scimd_config_free(&f->cfg);
    core_rmdir(f->dir);
    free(f);
    return 0;
}

static void put(struct fx *f, const char *name, const char *text)
{
    free(core_write(f->etc, name, text, strlen(text)));
}

static const char debian_passwd[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "alice:x:1000:1000::/home/alice:/bin/bash\n";
static const char debian_group[] =
    "root:x:0:\nsudo:x:27:alice\nnogroup:x:65534:\nalice:x:1000:\n";
/* useradd's defaults: 65536 subordinate ids per user from 100000 up. */
static const char debian_subid[] = "alice:100000:65536\nbob:165536:65536\n";

static void expect_ranges_ok(struct fx *f)
{
    f->err[0] = '\0';
    if (startup_check_ranges(&f->cfg, f->dir, f->err, sizeof(f->err)) != 0)
        fail_msg("refused: %s", f->err);
}

static void expect_ranges_refused(struct fx *f, const char *file, const char *what)
{
    f->err[0] = '\0';
    if (startup_check_ranges(&f->cfg, f->dir, f->err, sizeof(f->err)) != -1)
        fail_msg("accepted, expected a refusal naming %s and '%s'", file, what);
    char *path = core_path(f->etc, file);
    if (strstr(f->err, path) == NULL || strstr(f->err, what) == NULL)
        fail_msg("refusal '%s' does not name %s and '%s'", f->err, path, what);
    free(path);
}

static void test_ranges_clear(void **state)
{
    struct fx *f = *state;
    /* No passwd, group or subordinate id files (a minimal container): nothing to overlap. */
    expect_ranges_ok(f);
    put(f, "passwd", debian_passwd);
    put(f, "group", debian_group);
    put(f, "subuid", debian_subid);
    put(f, "subgid", debian_subid);
    expect_ranges_ok(f);
    /* The shipped ranges against a stock Debian host. */
    struct scimd_config shipped;
    scimd_config_init(&shipped);
    assert_int_equal(startup_check_ranges(&shipped, f->dir, f->err, sizeof(f->err)), 0);
    scimd_config_free(&shipped);
}

static void test_ranges_local_ids(void **state)
{
    struct fx *f = *state;
    put(f, "group", debian_group);
    put(f, "passwd", "root:x:0:0::/root:/bin/sh\nsvc:x:200000500:100::/:/bin/false\n");
    expect_ranges_refused(f, "passwd", "local user 'svc' has id 200000500");
    /* A local uid inside the gid range collides with a SCIM group's gid. */
    put(f, "passwd", "svc:x:200001000:100::/:/bin/false\n");
    expect_ranges_refused(f, "passwd", "'svc'");
    /* Edges of the ranges count. */
    put(f, "passwd", "svc:x:200000000:100::/:/bin/false\n");
    expect_ranges_refused(f, "passwd", "'svc'");
    put(f, "passwd", "svc:x:200001999:100::/:/bin/false\n");
    expect_ranges_refused(f, "passwd", "'svc'");
    put(f, "passwd", "svc:x:199999999:100::/:/bin/false\nsvc2:x:200002000:1::/:/bin/false\n");
    expect_ranges_ok(f);

    put(f, "group", "root:x:0:\nteam:x:200001234:alice\n");
    expect_ranges_refused(f, "group", "local group 'team' has id 200001234");
    put(f, "group", "root:x:0:\nteam:x:200000001:\n");
    expect_ranges_refused(f, "group", "'team'");
    put(f, "group", debian_group);
    expect_ranges_ok(f);
}

static void test_ranges_subordinate_ids(void **state)
{
    struct fx *f = *state;
    put(f, "subuid", "alice:100000:65536\nbig:199999000:2000\n");
    expect_ranges_refused(f, "subuid", ":2: subordinate ids 199999000-200000999 of 'big'");
    put(f, "subuid", debian_subid);
    put(f, "subgid", "carol:200001999:1\n");
    expect_ranges_refused(f, "subgid", ":1: subordinate ids 200001999-200001999 of 'carol'");
    /* A block ending right below the range, or starting right above it, is fine. */
    put(f, "subgid", "carol:199990000:10000\ndave:200002000:65536\n");
    expect_ranges_ok(f);
    /* One block spanning both ranges. */
    put(f, "subgid", "huge:1000000:4000000000\n");
    expect_ranges_refused(f, "subgid", "'huge'");
}

/* Empty subordinate id files: the next useradd's block comes from login.defs' pool. */
static void test_ranges_login_defs_pool(void **state)
{
    struct fx *f = *state;
    put(f, "subuid", "");
    put(f, "subgid", "");
    /* No login.defs: shadow's defaults, 100000..600100000, contain the test ranges. */
    char *defs = core_path(f->etc, "login.defs");
    assert_int_equal(unlink(defs), 0);
    free(defs);
    expect_ranges_refused(f, "login.defs", "SUB_UID_MIN..SUB_UID_MAX = 100000-600100000");
    /* Debian's stock file says the same. */
    put(f, "login.defs", "# comment\nUID_MIN\t\t\t 1000\nSUB_UID_MIN\t\t   100000\n"
                         "SUB_UID_MAX\t\t600100000\nSUB_UID_COUNT\t\t    65536\n"
                         "SUB_GID_MIN\t\t   100000\nSUB_GID_MAX\t\t600100000\n");
    expect_ranges_refused(f, "login.defs", "subordinate UIDs from SUB_UID_MIN..SUB_UID_MAX");
    /* The uid pool moved away, the gid pool (hex, as login.defs allows) still overlapping
     * the uid range. */
    put(f, "login.defs", "SUB_UID_MAX 199999999\nSUB_GID_MIN 0xBEBC200\n");
    expect_ranges_refused(f, "login.defs", "SUB_GID_MIN..SUB_GID_MAX = 200000000-600100000");
    /* A pool ending right below the ranges, or starting right above them, is fine. */
    put(f, "login.defs", "SUB_UID_MAX 199999999\nSUB_GID_MIN 200002000\n");
    expect_ranges_ok(f);
    /* No one hands out subordinate ids: nothing to collide with. */
    put(f, "login.defs", "SUB_UID_COUNT 0\nSUB_GID_COUNT 0\n");
    expect_ranges_ok(f);
    /* A commented-out key keeps the default. */
    put(f, "login.defs", "SUB_UID_COUNT 0\n#SUB_GID_COUNT 0\n");
    expect_ranges_refused(f, "login.defs", "SUB_GID_MIN");
    /* The shipped ranges sit above the default pool. */
    struct scimd_config shipped;
    scimd_config_init(&shipped);
    put(f, "login.defs", "");
    assert_int_equal(startup_check_ranges(&shipped, f->dir, f->err, sizeof(f->err)), 0);
    scimd_config_free(&shipped);
}

/* A cache directory anyone may rename files in: scimd refuses to start, naming it. */
static void test_cache_dirs(void **state)
{
    struct fx *f = *state;
    free(f->cfg.shadow_path);
    f->cfg.shadow_path = core_path(f->dir, "shadow.cache");
    if (startup_check_cache_dirs(&f->cfg, f->err, sizeof(f->err)) != 0)
        fail_msg("refused: %s", f->err);
    assert_int_equal(chmod(f->dir, 0777), 0);
    assert_int_equal(startup_check_cache_dirs(&f->cfg, f->err, sizeof(f->err)), -1);
    if (!strstr(f->err, f->dir) || !strstr(f->err, "without the sticky bit"))
        fail_msg("refusal '%s' does not name %s", f->err, f->dir);
    assert_int_equal(chmod(f->dir, 01777), 0);
    assert_int_equal(startup_check_cache_dirs(&f->cfg, f->err, sizeof(f->err)), 0);
    assert_int_equal(chmod(f->dir, 0755), 0);
    /* A directory still to be made (--check-config before the package made /var/lib/scimd)
     * is judged by the deepest one that exists. */
    free(f->cfg.shadow_path);
    f->cfg.shadow_path = core_path(f->dir, "not/yet/shadow.cache");
    if (startup_check_cache_dirs(&f->cfg, f->err, sizeof(f->err)) != 0)
        fail_msg("refused a directory still to be made: %s", f->err);
    assert_int_equal(chmod(f->dir, 0775), 0);
    assert_int_equal(startup_check_cache_dirs(&f->cfg, f->err, sizeof(f->err)), -1);
    if (!strstr(f->err, f->dir))
        fail_msg("refusal '%s' does not name %s", f->err, f->dir);
    assert_int_equal(chmod(f->dir, 0755), 0);
}

static void test_hwm_file(void **state)
{
    struct fx *f = *state;
    char path[4096];
    assert_int_equal(hwm_file_path(&f->cfg, path, sizeof(path)), 0);
    char *want = core_path(f->dir, "uid-high-water");
    assert_string_equal(path, want);
    free(want);
    char tiny[8];
    assert_int_equal(hwm_file_path(&f->cfg, tiny, sizeof(tiny)), -1);

    uint64_t u = 1, g = 1;
    assert_int_equal(hwm_file_read(path, &u, &g), 0); /* not there yet: no marks */
    assert_int_equal(u, 0);
    assert_int_equal(g, 0);
    assert_int_equal(hwm_file_write(path, 200000123u, 200001045u), 0);
    assert_int_equal(hwm_file_read(path, &u, &g), 0);
    assert_int_equal(u, 200000123u);
    assert_int_equal(g, 200001045u);
    size_t len = 0;
    unsigned char *text = core_read(path, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen("uid_hwm 200000123\ngid_hwm 200001045\n"));
    assert_memory_equal(text, "uid_hwm 200000123\ngid_hwm 200001045\n", len);
    free(text);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    /* Replaced whole, no temp file left behind. */
    assert_int_equal(hwm_file_write(path, 4294967294u, 5), 0);
    assert_int_equal(hwm_file_read(path, &u, &g), 0);
    assert_int_equal(u, 4294967294u);
    assert_int_equal(g, 5);
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_not_equal(access(tmp, F_OK), 0);
    /* A directory that does not exist: an error, nothing created. */
    char *bad = core_path(f->dir, "missing/uid-high-water");
    assert_int_equal(hwm_file_write(bad, 1, 1), -1);
    free(bad);
    unlink(path);
}

static int set_marks_fn(struct db *db, void *arg, struct scim_error *err)
{
    const char *const *m = arg;
    if (store_meta_set(db, "uid_hwm", m[0]) < 0 || store_meta_set(db, "gid_hwm", m[1]) < 0)
        return scim_error_set(err, 500, NULL, "meta set failed");
    return 0;
}

static void set_store_marks(struct store *st, const char *uid, const char *gid)
{
    const char *m[2] = { uid, gid };
    struct scim_error err = { 0 };
    assert_int_equal(store_write(st, set_marks_fn, m, &err), 0);
}

static void test_hwm_guard(void **state)
{
    struct fx *f = *state;
    char path[4096];
    assert_int_equal(hwm_file_path(&f->cfg, path, sizeof(path)), 0);
    struct store *st = core_store_open(f->dir, "scimd.db", false);

    /* Fresh install: no guard file, empty store. */
    assert_int_equal(startup_check_hwm(&f->cfg, st, f->err, sizeof(f->err)), 0);

    set_store_marks(st, "200000100", "200001010");
    assert_int_equal(hwm_file_write(path, 200000100u, 200001010u), 0);
    assert_int_equal(startup_check_hwm(&f->cfg, st, f->err, sizeof(f->err)), 0);
    assert_int_equal(hwm_file_write(path, 200000050u, 200001000u), 0); /* store ahead: fine */
    assert_int_equal(startup_check_hwm(&f->cfg, st, f->err, sizeof(f->err)), 0);

    /* A database restored from an older backup: the guard is ahead. */
    assert_int_equal(hwm_file_write(path, 200000200u, 200001010u), 0);
    assert_int_equal(startup_check_hwm(&f->cfg, st, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "200000100"));
    assert_non_null(strstr(f->err, "200000200"));
    assert_non_null(strstr(f->err, path));
    assert_non_null(strstr(f->err, "scimctl high-water adopt"));
    /* Only the gid mark ahead is a refusal too. */
    assert_int_equal(hwm_file_write(path, 200000100u, 200001011u), 0);
    assert_int_equal(startup_check_hwm(&f->cfg, st, f->err, sizeof(f->err)), -1);
    /* A replaced, empty database with a guard file left behind. */
    store_close(st);
    char *db = core_path(f->dir, "scimd.db");
    unlink(db);
    free(db);
    st = core_store_open(f->dir, "scimd.db", false);
    assert_int_equal(startup_check_hwm(&f->cfg, st, f->err, sizeof(f->err)), -1);

    /* The admin's way out: adopt raises the store's marks, never lowers them. */
    uint64_t u = 0, g = 0;
    assert_int_equal(hwm_adopt(&f->cfg, st, &u, &g, f->err, sizeof(f->err)), 0);
    assert_int_equal(u, 200000100u);
    assert_int_equal(g, 200001011u);
    assert_int_equal(startup_check_hwm(&f->cfg, st, f->err, sizeof(f->err)), 0);
    set_store_marks(st, "200000500", "200001500");
    assert_int_equal(hwm_adopt(&f->cfg, st, &u, &g, f->err, sizeof(f->err)), 0);
    assert_int_equal(u, 200000500u);
    assert_int_equal(g, 200001500u);
    store_close(st);
    unlink(path);
}

static void test_damaged_guard_refuses(void **state)
{
    struct fx *f = *state;
    char path[4096];
    assert_int_equal(hwm_file_path(&f->cfg, path, sizeof(path)), 0);
    struct store *st = core_store_open(f->dir, "scimd.db", false); /* empty: marks 0 */
    /* A damaged guard must not read as "no ids handed out yet": it protects exactly the case
     * of an empty or restored database. */
    static const char *const damaged[] = {
        "uid_hwm=1879048500\ngid_hwm=1880096900\n", /* a plausible hand edit */
        "uid_hwm 1879048500\n",                       /* truncated: no gid mark */
        "gid_hwm 1880096900\n",
        "uid_hwm 1879048500\ngid_hwm\n",
        "",                                           /* empty */
        "\x7f" "ELF\x02\x01",                          /* something else entirely */
    };
    for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
        free(core_write(f->dir, "uid-high-water", damaged[i], strlen(damaged[i])));
        uint64_t u = 7, g = 7;
        if (hwm_file_read(path, &u, &g) != -1)
            fail_msg("damaged guard #%zu read as marks %llu/%llu", i, (unsigned long long)u,
                     (unsigned long long)g);
        f->err[0] = '\0';
        assert_int_equal(startup_check_hwm(&f->cfg, st, f->err, sizeof(f->err)), -1);
        assert_non_null(strstr(f->err, path));
        assert_non_null(strstr(f->err, "damaged"));
        uint64_t au = 0, ag = 0;
        assert_int_equal(hwm_adopt(&f->cfg, st, &au, &ag, f->err, sizeof(f->err)), -1);
    }
    /* A directory where the file should be cannot be read either. */
    unlink(path);
    assert_int_equal(mkdir(path, 0755), 0);
    uint64_t u, g;
    assert_int_equal(hwm_file_read(path, &u, &g), -1);
    assert_int_equal(startup_check_hwm(&f->cfg, st, f->err, sizeof(f->err)), -1);
    rmdir(path);
    /* Both marks in any order, with extra whitespace, are fine. */
    static const char good[] = "gid_hwm 1880096900\n\n  uid_hwm   1879048500\n";
    free(core_write(f->dir, "uid-high-water", good, strlen(good)));
    assert_int_equal(hwm_file_read(path, &u, &g), 0);
    assert_int_equal(u, 1879048500u);
    assert_int_equal(g, 1880096900u);
    unlink(path);
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ranges_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranges_local_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranges_subordinate_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranges_login_defs_pool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hwm_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hwm_guard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_guard_refuses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
