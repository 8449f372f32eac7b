/* SPDX-License-Identifier: MIT */
/* The store (store/store.c) on PostgreSQL after the database ended its sessions, as a restart
 * or a failover does: pooled readers and the writer carry on without failing a request first,
 * and a request that fails on the lost connection is a 503 whatever error it made of it. Runs
 * against the throw-away cluster of tests/integration/harness/pgcluster.py
 * (SCIMD_TEST_PG_URL, and SCIMD_TEST_PG_ADMIN to end the sessions); without them it skips
 * (77) unless SCIMD_TEST_PG_REQUIRED is set, as CI sets it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/scim_error.h"
#include "store/db.h"
#include "store/db_pg.h"
#include "store/store.h"

static const char *url;

/* Ends every session of the test role but the admin's own, and waits until they are gone. */
static void end_sessions(void)
{
    const char *admin_url = getenv("SCIMD_TEST_PG_ADMIN");
    if (!admin_url)
        fail_msg("SCIMD_TEST_PG_ADMIN is not set (run through pgcluster.py)");
    char err[512] = "";
    struct db *admin = NULL;
    if (db_pg_open(admin_url, NULL, &admin, err, sizeof(err)) != DB_OK)
        fail_msg("db_pg_open: %s", err);
    struct db_stmt *s = NULL;
    assert_int_equal(db_prepare(admin, "SELECT count(pg_terminate_backend(pid, 10000))"
                                       " FROM pg_stat_activity WHERE usename = 'scimd_test'",
                                &s),
                     DB_OK);
    if (db_step(s) != DB_ROW)
        fail_msg("pg_terminate_backend: %s", db_errmsg(admin));
    assert_true(db_column_int64(s, 0) >= 1);
    db_finalize(s);
    db_close(admin);
}

static int setup(void **state)
{
    char err[512] = "";
    struct store *st = NULL;
    const struct store_target t = { .pg_url = url };
    if (store_open_target(&st, &t, true, err, sizeof(err)) < 0)
        fail_msg("store_open_target: %s", err);
    *state = st;
    return 0;
}

static int teardown(void **state)
{
    store_close(*state);
    return 0;
}

static int select_one(struct db *db, void *ctx, struct scim_error *err)
{
    (void)ctx;
    struct db_stmt *s = store_stmt(db, "SELECT 1");
    int rc = s ? db_step(s) : DB_ERROR;
    if (s)
        store_stmt_done(s);
    return rc == DB_ROW ? 0 : store_db_error(db, rc, err, "select");
}

static void test_pooled_reader_after_sessions_ended(void **state)
{
    struct store *st = *state;
    struct scim_error e;
    struct db *r = store_reader_get(st, &e);
    assert_non_null(r);
    assert_int_equal(store_read_begin(r, &e), 0);
    store_reader_put(st, r); /* pooled */

    end_sessions();

    /* Not the pooled connection the server closed: a working one, first time. */
    r = store_reader_get(st, &e);
    assert_non_null(r);
    scim_error_clear(&e);
    assert_int_equal(store_read_begin(r, &e), 0);
    store_reader_put(st, r);
}

static void test_writer_after_sessions_ended(void **state)
{
    struct store *st = *state;
    struct scim_error e;
    assert_int_equal(store_write(st, select_one, NULL, &e), 0);

    end_sessions();

    /* The writer's connection is replaced before its next batch, which succeeds. */
    scim_error_clear(&e);
    int rc = store_write(st, select_one, NULL, &e);
    if (rc != 0)
        fail_msg("first write after the sessions ended: %d %s", e.status, e.detail);
}

/* A request that ends the sessions mid-way, then makes a 500 of its next statement's
 * failure, as several repositories do. */
static int lose_then_fail(struct db *db, void *ctx, struct scim_error *err)
{
    (void)ctx;
    if (select_one(db, NULL, err) < 0)
        return -1;
    end_sessions();
    struct db_stmt *s = store_stmt(db, "SELECT 2");
    int rc = s ? db_step(s) : DB_ERROR;
    if (s)
        store_stmt_done(s);
    if (rc != DB_ROW)
        return scim_error_set(err, 500, NULL, "stored thing is unreadable");
    return 0;
}

static void test_failure_on_lost_connection_is_503(void **state)
{
    struct store *st = *state;
    struct scim_error e;
    scim_error_clear(&e);
    assert_int_equal(store_write(st, lose_then_fail, NULL, &e), -1);
    assert_int_equal(e.status, 503);
    /* And the store writes again. */
    scim_error_clear(&e);
    assert_int_equal(store_write(st, select_one, NULL, &e), 0);
}

int main(void)
{
    url = getenv("SCIMD_TEST_PG_URL");
    if (!url || !*url) {
        if (getenv("SCIMD_TEST_PG_REQUIRED")) {
            fprintf(stderr, "test_store_pg_reconnect: SCIMD_TEST_PG_URL is not set but "
                            "SCIMD_TEST_PG_REQUIRED is: run it through "
                            "tests/integration/harness/pgcluster.py\n");
            printf("1..1\nnot ok 1 - SCIMD_TEST_PG_URL is not set\n");
            return 1;
        }
        printf("1..0 # SKIP SCIMD_TEST_PG_URL is not set\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pooled_reader_after_sessions_ended, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_writer_after_sessions_ended, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_on_lost_connection_is_503, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
