/* SPDX-License-Identifier: MIT */
/* The change log's sequence reservation (store/seq_reserve.h) on PostgreSQL: the change's
 * seq comes back through RETURNING, a database set back below the reservation moves its
 * sequence (setval) and floor past it, and the feed's position (MAX(seq), or the floor
 * before the next change) reads the moved value. Runs against the throw-away cluster of
 * tests/integration/harness/pgcluster.py (SCIMD_TEST_PG_URL); without it it skips (77)
 * unless SCIMD_TEST_PG_REQUIRED is set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto/scim_error.h"
#include "store/changes_repo.h"
#include "store/db.h"
#include "store/feed_repo.h"
#include "store/seq_reserve.h"
#include "store/store.h"

#define STEP 5

static const char *url;

static int record_fn(struct db *db, void *arg, struct scim_error *err)
{
    return changes_record(db, "role", arg, err);
}

static void record(struct store *st, int n)
{
    for (int i = 0; i < n; i++) {
        struct scim_error e = { 0 };
        if (store_write(st, record_fn, "seqrole", &e) < 0)
            fail_msg("changes_record: %s", e.detail);
    }
}

static int64_t feed_seq(struct store *st)
{
    struct scim_error e;
    int64_t v = -1;
    struct db *db = store_reader_get(st, &e);
    assert_non_null(db);
    assert_int_equal(feed_max_seq(db, &v), 0);
    store_reader_put(st, db);
    return v;
}

/* What a restore from a backup taken at seq `at` leaves: no change above it, and the
 * sequence back there (pg_dump restores its value with the rows). */
static int set_back_fn(struct db *db, void *arg, struct scim_error *err)
{
    int64_t at = *(int64_t *)arg;
    struct db_stmt *s = NULL;
    int rc = db_prepare(db, "DELETE FROM changes WHERE seq > ?1", &s);
    if (rc == DB_OK && db_bind_int64(s, 1, at) == DB_OK)
        rc = db_step(s);
    db_finalize(s);
    s = NULL;
    if (rc != DB_DONE)
        return store_db_error(db, rc, err, "delete");
    rc = db_prepare(db, "SELECT setval(pg_get_serial_sequence('changes', 'seq'), ?1)", &s);
    if (rc == DB_OK && db_bind_int64(s, 1, at) == DB_OK)
        rc = db_step(s);
    db_finalize(s);
    return rc == DB_ROW ? 0 : store_db_error(db, rc, err, "setval");
}

static uint64_t reserved(const char *guard)
{
    uint64_t v = 0;
    assert_int_equal(guard_file_get(guard, SEQ_RESERVE_KEY, &v), 1);
    return v;
}

static void test_restored_database_moves_past(void **state)
{
    (void)state;
    char err[512] = "", dir[] = "/tmp/scimd-seq-pg-XXXXXX", guard[64];
    struct store *st = NULL;
    struct seq_restore r;
    struct scim_error e;
    const struct store_target t = { .pg_url = url };
    assert_non_null(mkdtemp(dir));
    snprintf(guard, sizeof(guard), "%s/uid-high-water", dir);
    if (store_open_target(&st, &t, true, err, sizeof(err)) < 0)
        fail_msg("store_open_target: %s", err);
    if (seq_reserve_start(st, guard, STEP, &r, err, sizeof(err)) < 0)
        fail_msg("seq_reserve_start: %s", err);
    int64_t base = r.db_seq;
    assert_int_equal(reserved(guard), base + STEP);
    record(st, 3);
    int64_t backup_at = feed_seq(st);
    assert_int_equal(backup_at, base + 3);
    record(st, 5); /* base+6 passes the reservation: seq + STEP is written */
    assert_int_equal(reserved(guard), base + 6 + STEP);
    assert_int_equal(seq_reserve_stop(st), 0);
    assert_int_equal(reserved(guard), base + 8);

    assert_int_equal(store_write(st, set_back_fn, &backup_at, &e), 0);
    assert_int_equal(feed_seq(st), base + 3);
    if (seq_reserve_start(st, guard, STEP, &r, err, sizeof(err)) < 0)
        fail_msg("seq_reserve_start: %s", err);
    assert_int_equal(r.db_seq, base + 3);
    assert_int_equal(r.reserved, base + 8);
    assert_int_equal(r.moved_to, base + 9);
    assert_int_equal(feed_seq(st), base + 9); /* the floor, before any change */
    record(st, 1);
    assert_int_equal(feed_seq(st), base + 10);
    assert_int_equal(seq_reserve_stop(st), 0);
    store_close(st);
    unlink(guard);
    rmdir(dir);
}

int main(void)
{
    url = getenv("SCIMD_TEST_PG_URL");
    if (!url || !*url) {
        if (getenv("SCIMD_TEST_PG_REQUIRED")) {
            fprintf(stderr, "test_seq_reserve_pg: SCIMD_TEST_PG_URL is not set but "
                            "SCIMD_TEST_PG_REQUIRED is: run it through "
                            "tests/integration/harness/pgcluster.py\n");
            printf("1..1\nnot ok 1 - SCIMD_TEST_PG_URL is not set\n");
            return 1;
        }
        printf("1..0 # SKIP SCIMD_TEST_PG_URL is not set\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restored_database_moves_past),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
