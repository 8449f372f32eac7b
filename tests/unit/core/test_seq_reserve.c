/* SPDX-License-Identifier: MIT */
/* The change log's sequence reservation in the guard file (store/seq_reserve.h): written
 * before a change passes it, kept by the uid marks' writer, brought down at a clean stop,
 * and at start a database behind it (a restored backup) moves its sequence and floor past
 * it, so the feed never numbers a change again with a sequence a host may hold. */
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

#include "accounts/startup_checks.h"
#include "core_fixture.h"
#include "store/feed_repo.h"
#include "store/seq_reserve.h"
#include "store/store.h"

#define STEP 5

struct fx {
    char *dir, *guard, *db;
    struct store *st;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = core_mkdtemp();
    f->guard = core_path(f->dir, "uid-high-water");
    f->db = core_path(f->dir, "scimd.db");
    f->st = core_store_open(f->dir, "scimd.db", true);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    seq_reserve_stop(f->st);
    store_close(f->st);
    core_rmdir(f->dir);
    free(f->guard);
    free(f->db);
    free(f);
    return 0;
}

static int add_user_fn(struct db *db, void *arg, struct scim_error *err)
{
    static uint32_t next_uid = 70000;
    return core_insert_user(db, arg, next_uid++, true, NULL, err);
}

static int add_user(struct fx *f, const char *login, struct scim_error *err)
{
    return store_write(f->st, add_user_fn, (void *)login, err);
}

static void add_users(struct fx *f, const char *prefix, int n)
{
    for (int i = 0; i < n; i++) {
        char login[32];
        struct scim_error e = { 0 };
        snprintf(login, sizeof(login), "%s%d", prefix, i);
        if (add_user(f, login, &e) < 0)
            fail_msg("write: %s", e.detail);
    }
}

static int64_t feed_seq(struct fx *f)
{
    return core_query_int(f->st, "SELECT seq FROM sqlite_sequence WHERE name = 'changes'");
}

static int64_t floor_of(struct fx *f)
{
    return core_query_int(f->st,
                          "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'changes_floor'");
}

static uint64_t reserved(struct fx *f)
{
    uint64_t v = 0;
    assert_int_equal(guard_file_get(f->guard, SEQ_RESERVE_KEY, &v), 1);
    return v;
}

static void start(struct fx *f, struct seq_restore *r)
{
    char err[512];
    if (seq_reserve_start(f->st, f->guard, STEP, r, err, sizeof(err)) < 0)
        fail_msg("seq_reserve_start: %s", err);
}

/* Writing the uid marks keeps the reservation, and the reservation keeps the marks. */
static void test_guard_lines_are_kept(void **state)
{
    struct fx *f = *state;
    uint64_t u, g, v;
    static const char *const keys[] = { SEQ_RESERVE_KEY };
    const uint64_t vals[] = { 42 };
    assert_int_equal(hwm_file_write(f->guard, 60010, 60020), 0);
    assert_int_equal(guard_file_set(f->guard, 1, keys, vals, true), 0);
    assert_int_equal(hwm_file_write(f->guard, 60011, 60021), 0);
    assert_int_equal(guard_file_get(f->guard, SEQ_RESERVE_KEY, &v), 1);
    assert_int_equal(v, 42);
    assert_int_equal(hwm_file_read(f->guard, &u, &g), 0);
    assert_int_equal(u, 60011);
    assert_int_equal(g, 60021);
}

/* A first start creates a guard the uid check accepts (both marks, at 0). */
static void test_first_start_reserves(void **state)
{
    struct fx *f = *state;
    struct seq_restore r;
    uint64_t u = 1, g = 1;
    start(f, &r);
    assert_int_equal(r.moved_to, 0);
    assert_int_equal(reserved(f), STEP);
    assert_int_equal(hwm_file_read(f->guard, &u, &g), 0);
    assert_int_equal(u, 0);
    assert_int_equal(g, 0);
}

/* The guard is rewritten only when a change passes it, with the change's seq + step. */
static void test_changes_pass_the_reservation(void **state)
{
    struct fx *f = *state;
    struct seq_restore r;
    start(f, &r);
    add_users(f, "a", STEP);
    assert_int_equal(feed_seq(f), STEP);
    assert_int_equal(reserved(f), STEP);
    add_users(f, "b", 1);
    assert_int_equal(reserved(f), STEP + 1 + STEP);
}

/* A clean stop brings the reservation down to the change log: the next start moves
 * nothing, and the floor stays. */
static void test_clean_stop_moves_nothing(void **state)
{
    struct fx *f = *state;
    struct seq_restore r;
    start(f, &r);
    add_users(f, "a", 3);
    assert_int_equal(seq_reserve_stop(f->st), 0);
    assert_int_equal(reserved(f), 3);
    start(f, &r);
    assert_int_equal(r.moved_to, 0);
    assert_int_equal(r.db_seq, 3);
    assert_int_equal(feed_seq(f), 3);
    assert_int_equal(floor_of(f), 0);
}

/* A database put back from a backup with fewer changes than the guard covers: the change
 * log goes on above the reservation, with the floor there, so every host is sent to a
 * snapshot newer than anything it holds. */
static void test_restored_database_moves_past(void **state)
{
    struct fx *f = *state;
    struct seq_restore r;
    char *saved = core_path(f->dir, "backup.db"), sql[512];
    struct db *db;
    start(f, &r);
    add_users(f, "a", 3);
    struct scim_error e;
    db = core_sqlite_open(f->db, 0); /* the backup: a copy of the database as it is now */
    assert_non_null(db);
    snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", saved);
    assert_int_equal(db_exec(db, sql), DB_OK);
    db_close(db);
    add_users(f, "b", 5); /* seqs 4..8, handed out after the backup */
    assert_int_equal(seq_reserve_stop(f->st), 0);
    store_close(f->st);
    assert_int_equal(rename(saved, f->db), 0);
    char *wal = core_path(f->dir, "scimd.db-wal");
    unlink(wal);
    free(wal);
    f->st = core_store_open(f->dir, "scimd.db", true);
    assert_int_equal(feed_seq(f), 3);

    start(f, &r);
    assert_int_equal(r.db_seq, 3);
    assert_int_equal(r.reserved, 8);
    assert_int_equal(r.moved_to, 9);
    assert_int_equal(feed_seq(f), 9);
    assert_int_equal(floor_of(f), 9);
    db = store_reader_get(f->st, &e);
    int64_t max = 0;
    assert_int_equal(feed_max_seq(db, &max), 0);
    store_reader_put(f->st, db);
    assert_int_equal(max, 9);
    assert_int_equal(reserved(f), 9 + STEP);
    add_users(f, "c", 1);
    assert_int_equal(feed_seq(f), 10);
    char msg[1024];
    seq_restore_describe(&r, f->guard, msg, sizeof(msg));
    assert_non_null(strstr(msg, "every host will take a new snapshot"));
    free(saved);
}

/* A damaged guard: refused, and neither the file nor the change log changes. */
static void test_damaged_guard_refused(void **state)
{
    struct fx *f = *state;
    struct seq_restore r;
    char err[512] = "";
    static const char bad[] = "uid_hwm 5\nfeed_seq_reserved ten\n";
    add_users(f, "a", 2);
    free(core_write(f->dir, "uid-high-water", bad, sizeof(bad) - 1));
    assert_int_equal(seq_reserve_start(f->st, f->guard, STEP, &r, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unreadable or damaged"));
    size_t len = 0;
    unsigned char *now = core_read(f->guard, &len);
    assert_int_equal(len, sizeof(bad) - 1);
    assert_memory_equal(now, bad, len);
    free(now);
    assert_int_equal(feed_seq(f), 2);
    assert_int_equal(floor_of(f), 0);
}

/* When the reservation cannot be written, the change that needs it is not committed. */
static void test_unwritable_guard_fails_the_write(void **state)
{
    struct fx *f = *state;
    struct seq_restore r;
    char err[512];
    char *sub = core_path(f->dir, "g"), *moved = core_path(f->dir, "h");
    char *guard = core_path(sub, "uid-high-water");
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(seq_reserve_start(f->st, guard, STEP, &r, err, sizeof(err)), 0);
    add_users(f, "a", STEP);
    assert_int_equal(rename(sub, moved), 0);
    struct scim_error e = { 0 };
    assert_int_equal(add_user(f, "late", &e), -1);
    assert_int_equal(e.status, 500);
    assert_non_null(strstr(e.detail, "change log reservation"));
    assert_int_equal(feed_seq(f), STEP);
    assert_int_equal(core_query_int(f->st, "SELECT COUNT(*) FROM users WHERE login = 'late'"),
                     0);
    assert_int_equal(rename(moved, sub), 0);
    assert_int_equal(add_user(f, "late", &e), 0);
    char *g2 = core_path(sub, "uid-high-water");
    uint64_t v = 0;
    assert_int_equal(guard_file_get(g2, SEQ_RESERVE_KEY, &v), 1);
    assert_int_equal(v, STEP + 1 + STEP);
    seq_reserve_stop(f->st);
    unlink(g2);
    rmdir(sub);
    free(g2);
    free(guard);
    free(sub);
    free(moved);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_guard_lines_are_kept),         T(test_first_start_reserves),
        T(test_changes_pass_the_reservation), T(test_clean_stop_moves_nothing),
        T(test_restored_database_moves_past), T(test_damaged_guard_refused),
        T(test_unwritable_guard_fails_the_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
