/* SPDX-License-Identifier: MIT */
/* The PostgreSQL driver (store/db_pg.c) against a real server: a throw-away cluster started by
 * tests/integration/harness/pgcluster.py, which passes SCIMD_TEST_PG_URL (a fresh database
 * owned by an ordinary role) and SCIMD_TEST_PG_ADMIN (the superuser, to end a backend the way
 * a failover does). Run directly without them, the test skips (77) unless
 * SCIMD_TEST_PG_REQUIRED is set, as CI sets it: there a missing server is a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/db.h"
#include "store/db_pg.h"

static const char *url;

struct fx {
    struct db *db;
};

static struct db *open_or_fail(const char *conninfo)
{
    char err[512] = "";
    struct db *db = NULL;
    if (db_pg_open(conninfo, NULL, &db, err, sizeof(err)) != DB_OK)
        fail_msg("db_pg_open: %s", err);
    return db;
}

static void exec_ok(struct db *db, const char *sql)
{
    if (db_exec(db, sql) != DB_OK)
        fail_msg("%s: %s", sql, db_errmsg(db));
}

/* The first column of the first row of a one-parameter-free query, as an integer. */
static int64_t scalar(struct db *db, const char *sql)
{
    struct db_stmt *s = NULL;
    assert_int_equal(db_prepare(db, sql, &s), DB_OK);
    if (db_step(s) != DB_ROW)
        fail_msg("%s: %s", sql, db_errmsg(db));
    int64_t v = db_column_int64(s, 0);
    db_finalize(s);
    return v;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    f->db = open_or_fail(url);
    exec_ok(f->db, "DROP TABLE IF EXISTS t;"
                   " CREATE TABLE t(id bigint PRIMARY KEY, name text UNIQUE, flag boolean,"
                   " data bytea, note text)");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    db_close(f->db);
    free(f);
    return 0;
}

static void insert_row(struct db *db, int64_t id, const char *name)
{
    struct db_stmt *s = NULL;
    assert_int_equal(db_prepare(db, "INSERT INTO t(id, name) VALUES(?, ?)", &s), DB_OK);
    assert_int_equal(db_bind_int64(s, 1, id), DB_OK);
    assert_int_equal(db_bind_text(s, 2, name), DB_OK);
    if (db_step(s) != DB_DONE)
        fail_msg("insert %s: %s", name, db_errmsg(db));
    db_finalize(s);
}

static void test_open_errors_never_show_the_password(void **state)
{
    (void)state;
    char err[512] = "";
    struct db *db = NULL;
    assert_int_equal(db_pg_open("host=/nonexistent-dir port=1 user=x password=Sekr3tPw", NULL, &db,
                                err, sizeof(err)),
                     DB_UNAVAILABLE);
    assert_null(db);
    assert_non_null(strstr(err, "PostgreSQL:"));
    assert_null(strstr(err, "Sekr3tPw"));
    assert_int_equal(db_pg_open("postgresql://x:Sekr3tPw@/db?host=/nonexistent-dir", NULL, &db, err,
                                sizeof(err)),
                     DB_UNAVAILABLE);
    assert_null(strstr(err, "Sekr3tPw"));
    /* libpq quotes what it cannot parse, and here that is the password. */
    assert_int_equal(db_pg_open("postgresql://x:Sekr%3tPw@/db", NULL, &db, err, sizeof(err)), DB_ERROR);
    assert_non_null(strstr(err, "invalid PostgreSQL connection string"));
    assert_null(strstr(err, "Sekr"));
    assert_int_equal(db_pg_open("host=/x password Sekr3tPw", NULL, &db, err, sizeof(err)), DB_ERROR);
    assert_null(strstr(err, "Sekr3tPw"));
    assert_null(db);
    assert_int_equal(db_pg_open("", NULL, &db, err, sizeof(err)), DB_ERROR);
    assert_non_null(strstr(err, "no PostgreSQL connection string"));
    assert_null(db);
    /* The password from [store] password_file, given apart from the connection string. */
    assert_int_equal(db_pg_open("host=/nonexistent-dir port=1 user=x", "Sekr3tPw", &db, err,
                                sizeof(err)),
                     DB_UNAVAILABLE);
    assert_null(strstr(err, "Sekr3tPw"));
    assert_null(db);
}

static void test_bind_step_and_columns(void **state)
{
    struct db *db = ((struct fx *)*state)->db;
    assert_int_equal(db_backend(db), DB_POSTGRESQL);
    static const unsigned char bytes[] = {0x00, 0xff, 0x5c, 0x78, 0x27, 0x00};
    struct db_stmt *s = NULL;
    assert_int_equal(db_prepare(db, "INSERT INTO t(id, name, flag, data, note)"
                                    " VALUES(?1, ?2, ?3, ?4, ?5)", &s),
                     DB_OK);
    assert_int_equal(db_bind_int64(s, 1, INT64_C(9007199254740993)), DB_OK);
    assert_int_equal(db_bind_text(s, 2, "zoë ?'\""), DB_OK);
    assert_int_equal(db_bind_int64(s, 3, 1), DB_OK); /* SQLite's booleans are integers */
    assert_int_equal(db_bind_blob(s, 4, bytes, sizeof(bytes)), DB_OK);
    assert_int_equal(db_bind_null(s, 5), DB_OK);
    assert_int_equal(db_step(s), DB_DONE);
    assert_int_equal(db_changes(db), 1);
    db_finalize(s);
    s = NULL;
    assert_int_equal(db_prepare(db, "INSERT INTO t(id, name, flag, data) VALUES(?, ?, ?, ?)", &s),
                     DB_OK);
    assert_int_equal(db_bind_int64(s, 1, -5), DB_OK);
    assert_int_equal(db_bind_text(s, 2, "empty"), DB_OK);
    assert_int_equal(db_bind_text(s, 3, "f"), DB_OK);
    assert_int_equal(db_bind_blob(s, 4, "", 0), DB_OK); /* zero bytes, not NULL */
    assert_int_equal(db_step(s), DB_DONE);
    db_finalize(s);
    s = NULL;

    /* The '?' in the literal is no parameter: one is bound, and the server agrees. */
    assert_int_equal(db_prepare(db, "SELECT id, name, flag, data, note, '?' FROM t"
                                    " WHERE name <> '?' AND id > ? ORDER BY id", &s),
                     DB_OK);
    assert_int_equal(db_bind_int64(s, 1, -100), DB_OK);
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_column_int64(s, 0), -5);
    assert_string_equal(db_column_text(s, 1), "empty");
    assert_int_equal(db_column_int(s, 2), 0);
    assert_false(db_column_is_null(s, 3));
    assert_int_equal(db_column_bytes(s, 3), 0);
    assert_true(db_column_is_null(s, 4));
    assert_null(db_column_text(s, 4));
    assert_int_equal(db_column_bytes(s, 4), 0);
    assert_int_equal(db_column_int64(s, 4), 0);
    assert_null(db_column_blob(s, 4));
    assert_string_equal(db_column_text(s, 5), "?");

    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_column_int64(s, 0), INT64_C(9007199254740993));
    assert_string_equal(db_column_text(s, 1), "zoë ?'\"");
    assert_int_equal(db_column_bytes(s, 1), strlen("zoë ?'\""));
    assert_int_equal(db_column_int64(s, 2), 1);
    assert_int_equal(db_column_bytes(s, 3), sizeof(bytes));
    assert_memory_equal(db_column_blob(s, 3), bytes, sizeof(bytes));
    /* Out of range reads as NULL, never a crash. */
    assert_true(db_column_is_null(s, 6));
    assert_true(db_column_is_null(s, -1));
    assert_int_equal(db_step(s), DB_DONE);
    assert_int_equal(db_step(s), DB_DONE);

    /* db_reset keeps the bindings: the same rows again. */
    db_reset(s);
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_column_int64(s, 0), -5);
    /* A statement that ran is not rebound until reset (SQLite says misuse too). */
    assert_int_equal(db_bind_int64(s, 1, 0), DB_ERROR);
    db_reset(s);
    db_clear_bindings(s);
    /* Cleared: the parameter is NULL, and id > NULL matches nothing. */
    assert_int_equal(db_step(s), DB_DONE);
    db_finalize(s);
}

static void test_bad_statements(void **state)
{
    struct db *db = ((struct fx *)*state)->db;
    struct db_stmt *s = NULL;
    assert_int_equal(db_prepare(db, "SELECT ?0", &s), DB_ERROR);
    assert_null(s);
    assert_non_null(strstr(db_errmsg(db), "?0"));
    assert_int_equal(db_prepare(db, "SELECT ?", &s), DB_OK);
    assert_int_equal(db_bind_int64(s, 0, 1), DB_ERROR);
    assert_int_equal(db_bind_int64(s, 2, 1), DB_ERROR);
    db_finalize(s);
    s = NULL;
    assert_int_equal(db_prepare(db, "SELEC 1", &s), DB_OK);
    assert_int_equal(db_step(s), DB_ERROR);
    assert_int_equal(db_errcode(db), DB_ERROR);
    assert_non_null(strstr(db_errmsg(db), "syntax error"));
    assert_null(strchr(db_errmsg(db), '\n'));
    db_finalize(s);
    assert_null(db_kept(db, "SELEC 2"));
    assert_int_equal(db_errcode(db), DB_ERROR);
    assert_int_equal(db_exec(db, "SELEC 3"), DB_ERROR);
    /* Nothing was left broken: the connection still works. */
    assert_int_equal(scalar(db, "SELECT 7"), 7);
    assert_int_equal(db_errcode(db), DB_OK);
}

static void test_kept_statements_reused(void **state)
{
    struct db *db = ((struct fx *)*state)->db;
    insert_row(db, 1, "a");
    insert_row(db, 2, "b");
    const char *sql = "SELECT name FROM t WHERE id >= ? ORDER BY id";
    struct db_stmt *k1 = db_kept(db, sql);
    assert_non_null(k1);
    assert_int_equal(db_bind_int64(k1, 1, 1), DB_OK);
    assert_int_equal(db_step(k1), DB_ROW);
    /* Handed out: asking again gives another statement. */
    struct db_stmt *k2 = db_kept(db, sql);
    assert_non_null(k2);
    assert_ptr_not_equal(k1, k2);
    db_kept_done(k2);
    db_kept_done(k1);
    /* Both back: the first found is reused, reset and without bindings. */
    struct db_stmt *k3 = db_kept(db, sql);
    assert_true(k3 == k1 || k3 == k2);
    assert_int_equal(db_step(k3), DB_DONE); /* id >= NULL */
    db_reset(k3);
    assert_int_equal(db_bind_int64(k3, 1, 2), DB_OK);
    assert_int_equal(db_step(k3), DB_ROW);
    assert_string_equal(db_column_text(k3, 0), "b");
    db_finalize(k3); /* a kept statement's finalize hands it back */
    /* Prepared on the server, two of them, under generated names. */
    assert_int_equal(scalar(db, "SELECT count(*) FROM pg_prepared_statements"
                                " WHERE statement = 'SELECT name FROM t WHERE id >= $1"
                                " ORDER BY id'"),
                     2);
    struct db_stmt *k4 = db_kept(db, sql);
    assert_ptr_equal(k4, k3);
    /* db_reset_kept drops a result mid-walk: the next step runs it again. */
    assert_int_equal(db_bind_int64(k4, 1, 1), DB_OK);
    assert_int_equal(db_step(k4), DB_ROW);
    db_reset_kept(db);
    assert_int_equal(db_step(k4), DB_ROW);
    assert_string_equal(db_column_text(k4, 0), "a");
    db_kept_done(k4);
}

static void test_changes(void **state)
{
    struct db *db = ((struct fx *)*state)->db;
    insert_row(db, 1, "a");
    insert_row(db, 2, "b");
    insert_row(db, 3, "c");
    struct db_stmt *s = NULL;
    assert_int_equal(db_prepare(db, "UPDATE t SET note = 'x' WHERE id > ?", &s), DB_OK);
    assert_int_equal(db_bind_int64(s, 1, 1), DB_OK);
    assert_int_equal(db_step(s), DB_DONE);
    assert_int_equal(db_changes(db), 2);
    db_finalize(s);
    /* A SELECT leaves the count alone, as in SQLite. */
    assert_int_equal(scalar(db, "SELECT count(*) FROM t"), 3);
    assert_int_equal(db_changes(db), 2);
    s = db_kept(db, "DELETE FROM t WHERE id = ? RETURNING name");
    assert_non_null(s);
    assert_int_equal(db_bind_int64(s, 1, 3), DB_OK);
    assert_int_equal(db_step(s), DB_ROW);
    assert_string_equal(db_column_text(s, 0), "c");
    assert_int_equal(db_changes(db), 1);
    db_kept_done(s);
    exec_ok(db, "DELETE FROM t");
    assert_int_equal(db_changes(db), 2);
    exec_ok(db, "UPDATE t SET note = 'y'");
    assert_int_equal(db_changes(db), 0);
}

static void test_constraint_violations(void **state)
{
    struct db *db = ((struct fx *)*state)->db;
    insert_row(db, 1, "taken-name");
    struct db_stmt *s = NULL;
    assert_int_equal(db_prepare(db, "INSERT INTO t(id, name) VALUES(?, ?)", &s), DB_OK);
    assert_int_equal(db_bind_int64(s, 1, 2), DB_OK);
    assert_int_equal(db_bind_text(s, 2, "taken-name"), DB_OK);
    assert_int_equal(db_step(s), DB_CONSTRAINT);
    assert_int_equal(db_errcode(db), DB_CONSTRAINT);
    assert_non_null(strstr(db_errmsg(db), "duplicate key"));
    /* The message names the constraint, never the row's values (they can be secrets). */
    assert_null(strstr(db_errmsg(db), "taken-name"));
    db_finalize(s);
    s = NULL;
    assert_int_equal(db_prepare(db, "INSERT INTO t(id) VALUES(NULL)", &s), DB_OK);
    assert_int_equal(db_step(s), DB_CONSTRAINT); /* not null */
    db_finalize(s);
    assert_int_equal(db_exec(db, "INSERT INTO t(id, name) VALUES(1, 'other')"), DB_CONSTRAINT);
}

static int kept_exec(struct db *db, const char *sql)
{
    struct db_stmt *s = db_kept(db, sql);
    if (!s)
        return db_errcode(db);
    int rc = db_step(s);
    db_kept_done(s);
    return rc == DB_DONE ? DB_OK : rc;
}

/* The writer's group commit: one transaction, a savepoint per request, a failed request
 * rolled back to its savepoint while the others commit (store.c, run_batch). */
static void test_transaction_with_savepoints(void **state)
{
    struct db *db = ((struct fx *)*state)->db;
    assert_false(db_in_transaction(db));
    assert_int_equal(kept_exec(db, "BEGIN"), DB_OK);
    assert_true(db_in_transaction(db));
    assert_int_equal(kept_exec(db, "SAVEPOINT w"), DB_OK);
    insert_row(db, 1, "kept");
    assert_int_equal(kept_exec(db, "RELEASE w"), DB_OK);
    assert_int_equal(kept_exec(db, "SAVEPOINT w"), DB_OK);
    insert_row(db, 2, "undone");
    assert_int_equal(db_exec(db, "INSERT INTO t(id, name) VALUES(3, 'kept')"), DB_CONSTRAINT);
    assert_true(db_in_transaction(db)); /* failed, still open */
    assert_int_equal(kept_exec(db, "ROLLBACK TO w"), DB_OK);
    assert_int_equal(kept_exec(db, "RELEASE w"), DB_OK);
    assert_int_equal(kept_exec(db, "COMMIT"), DB_OK);
    assert_false(db_in_transaction(db));
    assert_int_equal(scalar(db, "SELECT count(*) FROM t"), 1);
    assert_int_equal(scalar(db, "SELECT id FROM t WHERE name = 'kept'"), 1);
    /* A rolled-back transaction leaves nothing. */
    assert_int_equal(kept_exec(db, "BEGIN"), DB_OK);
    insert_row(db, 5, "gone");
    assert_int_equal(kept_exec(db, "ROLLBACK"), DB_OK);
    assert_false(db_in_transaction(db));
    assert_int_equal(scalar(db, "SELECT count(*) FROM t"), 1);
}

static int64_t backend_pid(struct db *db)
{
    return scalar(db, "SELECT pg_backend_pid()");
}

/* What a failover looks like from one connection: the server ends the session. */
static void terminate_backend(int64_t pid)
{
    const char *admin_url = getenv("SCIMD_TEST_PG_ADMIN");
    if (!admin_url)
        fail_msg("SCIMD_TEST_PG_ADMIN is not set (run through pgcluster.py)");
    struct db *admin = open_or_fail(admin_url);
    struct db_stmt *s = NULL;
    /* The timeout makes it wait until the backend is gone. */
    assert_int_equal(db_prepare(admin, "SELECT pg_terminate_backend(?, 10000)", &s), DB_OK);
    assert_int_equal(db_bind_int64(s, 1, pid), DB_OK);
    if (db_step(s) != DB_ROW)
        fail_msg("pg_terminate_backend: %s", db_errmsg(admin));
    assert_int_equal(db_column_int64(s, 0), 1);
    db_finalize(s);
    db_close(admin);
}

static void test_lost_connection_then_reconnect(void **state)
{
    struct db *db = ((struct fx *)*state)->db;
    insert_row(db, 1, "a");
    const char *sql = "SELECT name FROM t WHERE id = ?";
    struct db_stmt *k = db_kept(db, sql);
    assert_non_null(k);
    db_kept_done(k);
    struct db_stmt *open_stmt = NULL;
    assert_int_equal(db_prepare(db, "SELECT 1", &open_stmt), DB_OK);
    assert_true(db_pg_connection_ok(db));

    terminate_backend(backend_pid(db));

    k = db_kept(db, sql); /* still handed out from the cache: no server round trip */
    assert_non_null(k);
    assert_int_equal(db_bind_int64(k, 1, 1), DB_OK);
    assert_int_equal(db_step(k), DB_UNAVAILABLE);
    assert_int_equal(db_errcode(db), DB_UNAVAILABLE);
    assert_null(strchr(db_errmsg(db), '\n'));
    assert_false(db_pg_connection_ok(db));
    /* Everything after it answers DB_UNAVAILABLE, cleanly. */
    assert_int_equal(db_step(k), DB_UNAVAILABLE);
    assert_true(db_column_is_null(k, 0));
    db_kept_done(k);
    assert_int_equal(db_step(open_stmt), DB_UNAVAILABLE);
    db_finalize(open_stmt);
    struct db_stmt *s = NULL;
    assert_int_equal(db_prepare(db, "SELECT 1", &s), DB_UNAVAILABLE);
    assert_null(s);
    assert_null(db_kept(db, "SELECT 2"));
    assert_int_equal(db_errcode(db), DB_UNAVAILABLE);
    assert_int_equal(db_exec(db, "SELECT 3"), DB_UNAVAILABLE);
    assert_false(db_in_transaction(db));
    char channel[64];
    assert_int_equal(db_pg_wait_notify(db, 10, channel, sizeof(channel), NULL, 0), -1);
    db_reset_kept(db);

    assert_int_equal(db_pg_reconnect(db), DB_OK);
    assert_true(db_pg_connection_ok(db));
    /* The new session has no prepared statements: the kept one is prepared again. */
    k = db_kept(db, sql);
    assert_non_null(k);
    assert_int_equal(db_bind_int64(k, 1, 1), DB_OK);
    assert_int_equal(db_step(k), DB_ROW);
    assert_string_equal(db_column_text(k, 0), "a");
    db_kept_done(k);
    assert_int_equal(scalar(db, "SELECT 4"), 4);
}

static void test_lost_connection_mid_transaction(void **state)
{
    struct db *db = ((struct fx *)*state)->db;
    assert_int_equal(kept_exec(db, "BEGIN"), DB_OK);
    insert_row(db, 1, "half");
    terminate_backend(backend_pid(db));
    assert_int_equal(kept_exec(db, "COMMIT"), DB_UNAVAILABLE);
    assert_false(db_in_transaction(db));
    assert_int_equal(db_pg_reconnect(db), DB_OK);
    /* Nothing half-applied: the transaction died with the session. */
    assert_int_equal(scalar(db, "SELECT count(*) FROM t"), 0);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_notify_wakes_a_listener(void **state)
{
    struct db *db = ((struct fx *)*state)->db;
    struct db *other = open_or_fail(url);
    char channel[64] = "";
    exec_ok(db, "LISTEN scimd_changes");
    assert_true(db_pg_socket(db) >= 0);
    int64_t t0 = mono_ms();
    assert_int_equal(db_pg_wait_notify(db, 150, channel, sizeof(channel), NULL, 0), 0);
    assert_true(mono_ms() - t0 >= 140);

    exec_ok(other, "NOTIFY scimd_changes");
    t0 = mono_ms();
    assert_int_equal(db_pg_wait_notify(db, 10000, channel, sizeof(channel), NULL, 0), 1);
    assert_true(mono_ms() - t0 < 5000);
    assert_string_equal(channel, "scimd_changes");
    assert_int_equal(db_pg_wait_notify(db, 0, channel, sizeof(channel), NULL, 0), 0);

    /* One that arrives while the listener runs a query is kept for the next wait. */
    exec_ok(other, "NOTIFY scimd_changes");
    usleep(200 * 1000);
    assert_int_equal(scalar(db, "SELECT 1"), 1);
    channel[0] = '\0';
    assert_int_equal(db_pg_wait_notify(db, 0, channel, sizeof(channel), NULL, 0), 1);
    assert_string_equal(channel, "scimd_changes");
    /* A notification sent inside a transaction arrives at its commit. */
    exec_ok(other, "BEGIN; NOTIFY scimd_changes");
    assert_int_equal(db_pg_wait_notify(db, 200, channel, sizeof(channel), NULL, 0), 0);
    exec_ok(other, "COMMIT");
    assert_int_equal(db_pg_wait_notify(db, 10000, channel, sizeof(channel), NULL, 0), 1);
    /* The payload says who sent it: an instance skips its own. */
    char payload[64] = "x";
    exec_ok(other, "NOTIFY scimd_changes");
    assert_int_equal(db_pg_wait_notify(db, 10000, channel, sizeof(channel), payload,
                                       sizeof(payload)), 1);
    assert_string_equal(payload, "");
    exec_ok(other, "NOTIFY scimd_changes, 'instance-7'");
    assert_int_equal(db_pg_wait_notify(db, 10000, channel, sizeof(channel), payload,
                                       sizeof(payload)), 1);
    assert_string_equal(payload, "instance-7");
    db_close(other);
}

static void test_exec_several_statements(void **state)
{
    struct db *db = ((struct fx *)*state)->db;
    exec_ok(db, "CREATE TEMP TABLE u(a int); INSERT INTO u VALUES(1), (2);"
                " -- a comment with a ? in it\n INSERT INTO u VALUES(3)");
    assert_int_equal(db_changes(db), 1);
    assert_int_equal(scalar(db, "SELECT sum(a) FROM u"), 6);
    /* An error part way: the whole string ran as one transaction and left nothing. */
    assert_int_equal(db_exec(db, "INSERT INTO u VALUES(4); SELEC"), DB_ERROR);
    assert_int_equal(scalar(db, "SELECT count(*) FROM u"), 3);
}

int main(void)
{
    url = getenv("SCIMD_TEST_PG_URL");
    if (!url || !*url) {
        if (getenv("SCIMD_TEST_PG_REQUIRED")) {
            fprintf(stderr, "test_db_pg: SCIMD_TEST_PG_URL is not set but SCIMD_TEST_PG_REQUIRED"
                            " is: run it through tests/integration/harness/pgcluster.py\n");
            printf("1..1\nnot ok 1 - SCIMD_TEST_PG_URL is not set\n");
            return 1;
        }
        printf("1..0 # SKIP SCIMD_TEST_PG_URL is not set\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_errors_never_show_the_password),
        cmocka_unit_test_setup_teardown(test_bind_step_and_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kept_statements_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_constraint_violations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transaction_with_savepoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_connection_then_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_connection_mid_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notify_wakes_a_listener, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_several_statements, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
