/* SPDX-License-Identifier: MIT */
/* [accounts] subids (accounts/subids.c, store/subid_ledger.c): a slice per user when it is
 * created, in order, stable, never handed out again after a delete; a used-up range refuses
 * the user and writes nothing; users stored before get theirs at start; the export attaches
 * live users' slices; a store older than the cache is refused; and the range checks at
 * start and in --check-config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "accounts/identity.h"
#include "accounts/subids.h"
#include "core_fixture.h"
#include "store/store.h"
#include "store/subid_ledger.h"

#define LO 1700000000u
#define S0 1800000000u /* the slices' range in these tests */
#define SL SUBID_SLICE

static int setup(void **state)
{
    struct core_ledger_fx *f = core_ledger_fx_new(LO);
    f->cfg.subids = true;
    f->cfg.subid_min = S0;
    f->cfg.subid_max = S0 + 3 * SL - 1; /* three slices */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    core_ledger_fx_free(*state);
    return 0;
}

struct op {
    const struct scimd_config *cfg;
    const char *owner;
    bool release;
    uint32_t uid;
};

static int op_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct op *op = arg;
    if (op->release)
        return identity_release(db, op->owner, err);
    return identity_allocate_uid(db, op->cfg, op->owner, op->owner, &op->uid, err);
}

static int create(struct core_ledger_fx *f, const char *owner, struct scim_error *err)
{
    struct op op = { &f->cfg, owner, false, 0 };
    return store_write(f->st, op_fn, &op, err);
}

static void must_create(struct core_ledger_fx *f, const char *owner)
{
    struct scim_error err = { 0 };
    if (create(f, owner, &err) != 0)
        fail_msg("create %s: %s", owner, err.detail);
}

static void must_delete(struct core_ledger_fx *f, const char *owner)
{
    struct scim_error err = { 0 };
    struct op op = { &f->cfg, owner, true, 0 };
    if (store_write(f->st, op_fn, &op, &err) != 0)
        fail_msg("delete %s: %s", owner, err.detail);
}

static int assign_fn(struct db *db, void *arg, struct scim_error *err)
{
    return subids_assign(db, arg, "user-a", err);
}

static int64_t start_of(struct core_ledger_fx *f, const char *owner)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT start FROM subid_ledger WHERE owner = '%s'", owner);
    return core_query_int(f->st, sql);
}

static void test_slices_in_order_never_reused(void **state)
{
    struct core_ledger_fx *f = *state;
    must_create(f, "user-a");
    must_create(f, "user-b");
    assert_int_equal(start_of(f, "user-a"), S0);
    assert_int_equal(start_of(f, "user-b"), S0 + SL);
    /* The deleted user's slice stays recorded and is not handed to the next user. */
    must_delete(f, "user-b"); /* the newest slice: the next one still goes past it */
    assert_int_equal(start_of(f, "user-b"), S0 + SL);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM subid_ledger WHERE owner ="
                                           " 'user-b' AND released IS NOT NULL"), 1);
    must_create(f, "user-c");
    assert_int_equal(start_of(f, "user-c"), S0 + 2 * SL);
    /* Asking again for a user that has one changes nothing. */
    struct scim_error err = { 0 };
    assert_int_equal(store_write(f->st, assign_fn, &f->cfg, &err), 0);
    assert_int_equal(start_of(f, "user-a"), S0);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM subid_ledger"), 3);

    /* Used up: the user is refused, and neither its uid nor a slice is written. */
    int64_t ids = core_query_int(f->st, "SELECT count(*) FROM id_ledger");
    assert_int_equal(create(f, "user-d", &err), -1);
    assert_int_equal(err.status, 500);
    assert_non_null(strstr(err.detail, "subordinate id range exhausted"));
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM id_ledger"), ids);
    assert_int_equal(start_of(f, "user-d"), -1);

    /* A wider range continues after the last slice ever handed out. */
    f->cfg.subid_max += SL;
    must_create(f, "user-d");
    assert_int_equal(start_of(f, "user-d"), S0 + 3 * SL);
}

static void test_off_records_nothing(void **state)
{
    struct core_ledger_fx *f = *state;
    f->cfg.subids = false;
    must_create(f, "user-a");
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM subid_ledger"), 0);
}

struct ins {
    const char *login;
    uint32_t uid;
    char id[64];
};

static int insert_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct ins *in = arg;
    return core_insert_user(db, in->login, in->uid, true, in->id, err);
}

/* Users stored while subids were off get slices at the next start, in uid order; a second
 * start changes nothing. */
static void test_pin_existing(void **state)
{
    struct core_ledger_fx *f = *state;
    struct ins b = { "bee", LO + 5, "" }, a = { "ant", LO + 2, "" };
    struct scim_error err = { 0 };
    assert_int_equal(store_write(f->st, insert_fn, &b, &err), 0);
    assert_int_equal(store_write(f->st, insert_fn, &a, &err), 0);
    char msg[256] = "";
    f->cfg.subids = false;
    assert_int_equal(subids_pin_existing(&f->cfg, f->st, msg, sizeof(msg)), 0);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM subid_ledger"), 0);
    f->cfg.subids = true;
    assert_int_equal(subids_pin_existing(&f->cfg, f->st, msg, sizeof(msg)), 0);
    assert_int_equal(start_of(f, a.id), S0);
    assert_int_equal(start_of(f, b.id), S0 + SL);
    assert_int_equal(subids_pin_existing(&f->cfg, f->st, msg, sizeof(msg)), 0);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM subid_ledger"), 2);
}

struct export_op {
    const struct scimd_config *cfg;
    struct scim_cache_user *users;
    size_t n;
    int rc;
};

static int export_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct export_op *x = arg;
    char msg[256];
    x->rc = subids_export(x->cfg, db, x->users, x->n, msg, sizeof(msg));
    (void)err;
    return 0;
}

static void test_export_attaches_live_slices(void **state)
{
    struct core_ledger_fx *f = *state;
    struct ins a = { "ant", LO + 2, "" }, b = { "bee", LO + 5, "" };
    struct scim_error err = { 0 };
    char msg[256];
    assert_int_equal(store_write(f->st, insert_fn, &a, &err), 0);
    assert_int_equal(store_write(f->st, insert_fn, &b, &err), 0);
    assert_int_equal(subids_pin_existing(&f->cfg, f->st, msg, sizeof(msg)), 0);
    must_delete(f, a.id); /* released (its users row would be gone in a real delete) */
    struct scim_cache_user users[3] = {
        { .name = "ant", .uid = LO + 2 }, { .name = "bee", .uid = LO + 5 },
        { .name = "cow", .uid = LO + 7 },
    };
    struct export_op x = { &f->cfg, users, 3, -1 };
    assert_int_equal(store_write(f->st, export_fn, &x, &err), 0);
    assert_int_equal(x.rc, 0);
    assert_int_equal(users[0].subid_count, 0);
    assert_int_equal(users[1].subid_start, S0 + SL);
    assert_int_equal(users[1].subid_count, SL);
    assert_int_equal(users[2].subid_count, 0);
    /* Off: nothing attached even though the store has slices. */
    users[1].subid_count = 0;
    f->cfg.subids = false;
    assert_int_equal(store_write(f->st, export_fn, &x, &err), 0);
    assert_int_equal(users[1].subid_count, 0);
}

/* A database older than the cache (restored from a backup) would hand out the slices of
 * users created since: refused until the store has them or subid_min is above them. */
static void test_restore_guard(void **state)
{
    struct core_ledger_fx *f = *state;
    char err[1024] = "";
    free(f->cfg.cache_path);
    f->cfg.cache_path = core_path(f->dir, "nss.cache");
    char *shadow = core_path(f->dir, "shadow.cache");
    struct scim_cache_user u = { .name = "ant", .uid = LO + 2, .gid = LO + 2, .home = "/h",
                                 .shell = "/bin/sh", .active = true, .last_change_day = 1,
                                 .subid_start = S0 + SL, .subid_count = SL };
    struct scim_cache_snapshot snap = { .users = &u, .n_users = 1, .generation = 1 };
    assert_int_equal(scim_cache_write(f->cfg.cache_path, shadow, &snap, err, sizeof(err)), 0);
    free(shadow);

    assert_int_equal(subids_check_restore(&f->cfg, f->st, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "older than the cache"));
    /* The store catching up (two slices: up to the cache's end) is enough. */
    must_create(f, "user-a");
    assert_int_equal(subids_check_restore(&f->cfg, f->st, err, sizeof(err)), -1);
    must_create(f, "user-b");
    assert_int_equal(subids_check_restore(&f->cfg, f->st, err, sizeof(err)), 0);
    /* Or a range above the cache's slices. */
    struct core_ledger_fx *g = core_ledger_fx_new(LO);
    g->cfg.subids = true;
    g->cfg.subid_min = S0 + SL;
    g->cfg.subid_max = S0 + 9 * SL;
    free(g->cfg.cache_path);
    g->cfg.cache_path = strdup(f->cfg.cache_path);
    assert_int_equal(subids_check_restore(&g->cfg, g->st, err, sizeof(err)), -1);
    g->cfg.subid_min = S0 + 2 * SL;
    assert_int_equal(subids_check_restore(&g->cfg, g->st, err, sizeof(err)), 0);
    /* Off: not looked at. */
    g->cfg.subids = false;
    g->cfg.subid_min = S0;
    assert_int_equal(subids_check_restore(&g->cfg, g->st, err, sizeof(err)), 0);
    core_ledger_fx_free(g);
}

/* ---- range checks ---- */

static void etc_file(const char *root, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/etc", root);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/etc/%s", root, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void expect_refused(struct core_ledger_fx *f, const char *why)
{
    char err[1024] = "";
    if (subids_check_ranges(&f->cfg, f->dir, err, sizeof(err)) != -1)
        fail_msg("accepted subid range %u-%u", f->cfg.subid_min, f->cfg.subid_max);
    if (!strstr(err, why))
        fail_msg("refusal says '%s', expected '%s'", err, why);
}

static void expect_ok(struct core_ledger_fx *f)
{
    char err[1024] = "";
    if (subids_check_ranges(&f->cfg, f->dir, err, sizeof(err)) != 0)
        fail_msg("refused: %s", err);
}

static void test_check_ranges(void **state)
{
    struct core_ledger_fx *f = *state;
    etc_file(f->dir, "login.defs", "SUB_UID_MIN 100000\nSUB_UID_MAX 600100000\n"
                                   "SUB_GID_MIN 100000\nSUB_GID_MAX 600100000\n");
    etc_file(f->dir, "subuid", "local:100000:65536\n");
    etc_file(f->dir, "subgid", "local:100000:65536\n");
    expect_ok(f);

    uint32_t min = f->cfg.subid_min, max = f->cfg.subid_max;
    f->cfg.subid_max = min + SL - 2; /* less than a slice */
    expect_refused(f, "holds no slice");
    f->cfg.subid_max = min - 1;
    expect_refused(f, "holds no slice");
    f->cfg.subid_min = LO + 50; /* into the uid range */
    f->cfg.subid_max = LO + 50 + SL;
    expect_refused(f, "overlaps the uid range");
    f->cfg.subid_min = LO + 1050; /* into the gid range */
    f->cfg.subid_max = LO + 1050 + SL;
    expect_refused(f, "overlaps the uid range");
    f->cfg.subid_min = min;
    f->cfg.subid_max = max;

    /* A local user's range, in either file. */
    etc_file(f->dir, "subgid", "local:100000:65536\nother:1800065536:65536\n");
    expect_refused(f, "etc/subgid:2");
    etc_file(f->dir, "subgid", "local:100000:65536\n");
    etc_file(f->dir, "subuid", "big:1700000000:200000000\n");
    expect_refused(f, "etc/subuid:1");
    etc_file(f->dir, "subuid", "");

    /* useradd's pool for local users, and shadow's default pool when login.defs says
     * nothing. */
    etc_file(f->dir, "login.defs", "SUB_GID_MIN 1790000000\nSUB_GID_MAX 1810000000\n");
    expect_refused(f, "SUB_GID_MIN");
    f->cfg.subid_min = 500000000;
    f->cfg.subid_max = 500000000 + SL - 1;
    etc_file(f->dir, "login.defs", "");
    expect_refused(f, "SUB_UID_MIN");
    etc_file(f->dir, "login.defs", "SUB_UID_COUNT 0\nSUB_GID_COUNT 0\n");
    expect_ok(f);
    f->cfg.subid_min = min;
    f->cfg.subid_max = max;

    /* A follower: the feed does not carry slices. */
    f->cfg.follow_hub = strdup("https://hub.example");
    expect_refused(f, "follower");
    free(f->cfg.follow_hub);
    f->cfg.follow_hub = NULL;

    /* Off: nothing is checked. */
    f->cfg.subids = false;
    f->cfg.subid_min = LO;
    expect_ok(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_slices_in_order_never_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_off_records_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pin_existing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_attaches_live_slices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restore_guard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_ranges, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
