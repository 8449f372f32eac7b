/* SPDX-License-Identifier: MIT */
/* The deactivation lifecycle: schema v3 (users.deactivated_at, migrated with a backup), the
 * column kept by the users repository, and the retention sweep of [accounts]
 * remove_deactivated_after on an injected clock, through the SCIM DELETE's removal path. */
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
#include <jansson.h>
#include "store/db.h"

#include "core_fixture.h"
#include "store/db_sqlite.h"
#include "accounts/retention.h"
#include "store/store.h"
#include "store/store_schema.h"
#include "store/users_repo.h"

#define UID_LO 3100000


/* The text of the first column of the first row of sql on db ("" for NULL), malloc'd. */
static char *query_text(struct db *db, const char *sql)
{
    struct db_stmt *s = NULL;
    char *v = NULL;
    assert_int_equal(db_prepare(db, sql, &s), DB_OK);
    if (db_step(s) == DB_ROW)
        v = strdup(db_column_text(s, 0) ? db_column_text(s, 0) : "");
    db_finalize(s);
    assert_non_null(v);
    return v;
}

static char *store_text(struct store *st, const char *sql)
{
    struct scim_error err = { 0 };
    struct db *db = store_reader_get(st, &err);
    assert_non_null(db);
    char *v = query_text(db, sql);
    store_reader_put(st, db);
    return v;
}

static int64_t db_int(struct db *db, const char *sql)
{
    struct db_stmt *s = NULL;
    int64_t v = -1;
    assert_int_equal(db_prepare(db, sql, &s), DB_OK);
    if (db_step(s) == DB_ROW)
        v = db_column_int64(s, 0);
    db_finalize(s);
    return v;
}

/* A version-2 database with one active and one deactivated user is upgraded: the column and
 * its index exist, the deactivated user gets the migration time, the active one none, data
 * is kept, and the version-2 database was first copied to PATH.bak-v2 (0600). */
static void test_schema_v2_is_upgraded(void **state)
{
    struct core_store_fx *f = *state;
    char err[512] = "";
    struct store *st = NULL;
    char *path = core_path(f->dir, "v2.db");
    char *bak = core_path(f->dir, "v2.db.bak-v2");
    assert_int_equal(store_open(&st, path, 100, true, err, sizeof(err)), 0);
    store_close(st);

    struct db *db = NULL;
    assert_non_null(db = core_sqlite_open(path, 0));
    assert_int_equal(db_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    /* Back to what version 2 created (v5 changed the export index: v2's form). */
    assert_int_equal(db_exec(db, "DROP INDEX users_deactivated;"
                                  "ALTER TABLE users DROP COLUMN deactivated_at;"
                                  "DROP INDEX users_export;"
                                  "ALTER TABLE users DROP COLUMN home;"
                                  "CREATE INDEX users_export ON users(uid, login, active,"
                                  " password_hash, password_day, gecos, roles, ssh_keys);"
                                  "DROP TABLE changes; DROP TABLE hosts;"
                                  "PRAGMA user_version = 2;"
                                  "INSERT INTO users(id, user_name, user_name_key, login, active,"
                                  " uid, version, created, modified, password_day, doc) VALUES"
                                  " ('a', 'on', 'on', 'on', 1, 3100001, 1, 't', 't', 1, '{}'),"
                                  " ('b', 'off', 'off', 'off', 0, 3100002, 1, 't', 't', 1, '{}');"),
                     DB_OK);
    db_close(db);

    time_t before = time(NULL);
    assert_int_equal(store_open(&st, path, 100, true, err, sizeof(err)), 0);
    store_close(st);
    assert_non_null(db = core_sqlite_open(path, 0));
    assert_int_equal(db_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(db_int(db, "SELECT count(*) FROM users"), 2);
    assert_int_equal(db_int(db, "SELECT count(*) FROM users WHERE id = 'a' AND"
                                " deactivated_at IS NULL"), 1);
    /* The migration time, in the store's timestamp form (so it sorts against the cutoff). */
    char *at = query_text(db, "SELECT deactivated_at FROM users WHERE id = 'b'");
    struct tm tm = { 0 };
    const char *rest = strptime(at, "%Y-%m-%dT%H:%M:%S", &tm);
    assert_non_null(rest);
    assert_int_equal(strlen(at), 24);
    assert_string_equal(rest + 4, "Z");
    time_t t = timegm(&tm);
    assert_true(t >= before - 1 && t <= time(NULL) + 1);
    free(at);
    assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE name ="
                                " 'users_deactivated'"), 1);
    db_close(db);

    struct stat sb;
    assert_int_equal(stat(bak, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_non_null(db = core_sqlite_open(bak, 0));
    assert_int_equal(db_int(db, "PRAGMA user_version"), 2);
    assert_int_equal(db_int(db, "SELECT count(*) FROM users"), 2);
    db_close(db);

    /* Reopening a current database migrates nothing and writes no new backup. */
    assert_int_equal(unlink(bak), 0);
    assert_int_equal(store_open(&st, path, 100, true, err, sizeof(err)), 0);
    store_close(st);
    assert_int_equal(stat(bak, &sb), -1);
    free(bak);
    free(path);
}

struct repo_op {
    struct user_row *row;
    bool insert;
};

static int repo_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct repo_op *o = arg;
    return o->insert ? users_repo_insert(db, o->row, err) : users_repo_update(db, o->row, err);
}

static void repo_write(struct store *st, struct user_row *row, bool insert, bool active,
                       const char *modified)
{
    struct scim_error err = { 0 };
    struct repo_op o = { .row = row, .insert = insert };
    row->active = active;
    snprintf(row->modified, sizeof(row->modified), "%s", modified);
    if (store_write(st, repo_fn, &o, &err) < 0)
        fail_msg("users_repo write: %s", err.detail);
}

static void expect_deactivated_at(struct store *st, const char *id, const char *want)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT coalesce(deactivated_at, '') FROM users WHERE id = '%s'",
             id);
    char *got = store_text(st, sql);
    assert_string_equal(got, want);
    free(got);
}

/* The clock starts when active turns false and only then; reactivation clears it. */
static void test_deactivated_at_follows_active(void **state)
{
    struct core_store_fx *f = *state;
    struct user_row row = { 0 };
    assert_int_equal(users_new_id(row.id), 0);
    row.user_name = strdup("kim@example.com");
    row.login = strdup("kim");
    row.uid = UID_LO + 1;
    row.version = 1;
    snprintf(row.created, sizeof(row.created), "2026-01-01T00:00:00.000Z");
    row.doc = json_pack("{s:s}", "userName", "kim@example.com");

    repo_write(f->st, &row, true, true, "2026-01-01T00:00:00.000Z");
    expect_deactivated_at(f->st, row.id, "");
    repo_write(f->st, &row, false, false, "2026-02-01T00:00:00.000Z");
    expect_deactivated_at(f->st, row.id, "2026-02-01T00:00:00.000Z");
    /* Another update of a deactivated user (a renamed displayName) keeps the first time. */
    repo_write(f->st, &row, false, false, "2026-03-01T00:00:00.000Z");
    expect_deactivated_at(f->st, row.id, "2026-02-01T00:00:00.000Z");
    repo_write(f->st, &row, false, true, "2026-04-01T00:00:00.000Z");
    expect_deactivated_at(f->st, row.id, "");
    repo_write(f->st, &row, false, true, "2026-04-02T00:00:00.000Z");
    expect_deactivated_at(f->st, row.id, "");
    repo_write(f->st, &row, false, false, "2026-05-01T00:00:00.000Z");
    expect_deactivated_at(f->st, row.id, "2026-05-01T00:00:00.000Z");

    /* A user created inactive is deactivated from its creation. */
    struct user_row off = { 0 };
    assert_int_equal(users_new_id(off.id), 0);
    off.user_name = strdup("lee@example.com");
    off.login = strdup("lee");
    off.uid = UID_LO + 2;
    off.version = 1;
    snprintf(off.created, sizeof(off.created), "2026-06-01T00:00:00.000Z");
    off.doc = json_pack("{s:s, s:b}", "userName", "lee@example.com", "active", 0);
    repo_write(f->st, &off, true, false, "2026-06-01T00:00:00.000Z");
    expect_deactivated_at(f->st, off.id, "2026-06-01T00:00:00.000Z");
    user_row_clear(&row);
    user_row_clear(&off);
}

struct seed {
    const char *login;
    uint32_t uid;
    bool active;
    const char *deactivated_at; /* NULL: none */
    char id[SCIM_ID_LEN + 1];
};

static int seed_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct seed *s = arg;
    if (core_insert_user(db, s->login, s->uid, s->active, s->id, err) < 0)
        return -1;
    char *sql = sqlite3_mprintf(
        "UPDATE users SET deactivated_at = %Q WHERE id = %Q;"
        "INSERT INTO id_ledger(id, kind, owner, name, allocated) VALUES(%u, 'user', %Q, %Q, 't');",
        s->deactivated_at, s->id, s->uid, s->id, s->login);
    int rc = db_exec(db, sql);
    sqlite3_free(sql);
    return rc == DB_OK ? 0 : store_db_error(db, rc, err, "seed");
}

static void seed(struct store *st, struct seed *s)
{
    struct scim_error err = { 0 };
    if (store_write(st, seed_fn, s, &err) < 0)
        fail_msg("seed %s: %s", s->login, err.detail);
}

static int exec_fn(struct db *db, void *ctx, struct scim_error *err)
{
    int rc = db_exec(db, ctx);
    return rc == DB_OK ? 0 : store_db_error(db, rc, err, "exec");
}

struct removed_log {
    char logins[8][256];
    uint32_t uids[8];
    size_t n;
};

static void note_removed(const struct retention_removed *u, void *arg)
{
    struct removed_log *l = arg;
    if (l->n < 8) {
        snprintf(l->logins[l->n], sizeof(l->logins[0]), "%s", u->login);
        l->uids[l->n++] = u->uid;
    }
}

static time_t at(const char *when)
{
    struct tm tm = { 0 };
    assert_non_null(strptime(when, "%Y-%m-%dT%H:%M:%S", &tm));
    return timegm(&tm);
}

/* On a fixed "now", only users deactivated more than DAYS ago go; active ones, recently
 * deactivated ones and a reactivated one stay. What goes leaves as a SCIM DELETE leaves: the
 * row and its memberships gone, its groups' versions bumped, its uid released but kept in
 * the ledger (a tombstone). */
static void test_sweep_on_injected_clock(void **state)
{
    struct core_store_fx *f = *state;
    struct seed old_off = { "old", UID_LO + 10, false, "2026-01-01T00:00:00.000Z", "" };
    struct seed new_off = { "new", UID_LO + 11, false, "2026-03-01T00:00:00.000Z", "" };
    struct seed on = { "on", UID_LO + 12, true, NULL, "" };
    struct seed edge = { "edge", UID_LO + 13, false, "2026-02-13T12:00:00.000Z", "" };
    seed(f->st, &old_off);
    seed(f->st, &new_off);
    seed(f->st, &on);
    seed(f->st, &edge);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO groups VALUES('g1', 'ops', 'ops', NULL, 3200000, 1, 't', 't', '{}');"
             "INSERT INTO group_members VALUES('g1', '%s'), ('g1', '%s');",
             old_off.id, on.id);
    struct scim_error err = { 0 };
    assert_int_equal(store_write(f->st, exec_fn, sql, &err), 0);

    struct removed_log log = { 0 };
    char msg[256] = "";
    /* 2026-03-15 12:00 - 30 days = 2026-02-13 12:00: "edge" is exactly at the cutoff, not past. */
    long n = retention_sweep(f->st, 30, at("2026-03-15T12:00:00"), note_removed, &log, msg,
                             sizeof(msg));
    assert_int_equal(n, 1);
    assert_int_equal(log.n, 1);
    assert_string_equal(log.logins[0], "old");
    assert_int_equal(log.uids[0], UID_LO + 10);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM users"), 3);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM users WHERE login = 'old'"), 0);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM group_members"), 1);
    assert_int_equal(core_query_int(f->st, "SELECT version FROM groups WHERE id = 'g1'"), 2);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM id_ledger WHERE id = 3100010"
                                           " AND released IS NOT NULL"), 1);

    /* Nothing more is due at the same time; one second later "edge" is. */
    assert_int_equal(retention_sweep(f->st, 30, at("2026-03-15T12:00:00"), note_removed, &log,
                                     msg, sizeof(msg)), 0);
    assert_int_equal(retention_sweep(f->st, 30, at("2026-03-15T12:00:01"), note_removed, &log,
                                     msg, sizeof(msg)), 1);
    assert_string_equal(log.logins[1], "edge");
    /* An active user is never due, however far the clock goes. */
    assert_int_equal(retention_sweep(f->st, 1, at("2099-01-01T00:00:00"), note_removed, &log,
                                     msg, sizeof(msg)), 1);
    assert_string_equal(log.logins[2], "new");
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM users WHERE login = 'on'"), 1);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM id_ledger"), 4);
}

/* More users than one write takes are all removed, in several bounded writes. */
static void test_sweep_in_batches(void **state)
{
    struct core_store_fx *f = *state;
    enum { N = 150 };
    for (int i = 0; i < N; i++) {
        char login[16];
        snprintf(login, sizeof(login), "u%d", i);
        struct seed s = { login, UID_LO + 20 + (uint32_t)i, false, "2026-01-01T00:00:00.000Z",
                          "" };
        seed(f->st, &s);
    }
    char msg[256] = "";
    assert_int_equal(retention_sweep(f->st, 7, at("2026-02-01T00:00:00"), NULL, NULL, msg,
                                     sizeof(msg)), N);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM users"), 0);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM id_ledger WHERE released IS"
                                           " NOT NULL"), N);
}

#define STORE_TEST(fn) \
    cmocka_unit_test_setup_teardown(fn, core_store_fx_setup, core_store_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        STORE_TEST(test_schema_v2_is_upgraded),
        STORE_TEST(test_deactivated_at_follows_active),
        STORE_TEST(test_sweep_on_injected_clock),
        STORE_TEST(test_sweep_in_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
