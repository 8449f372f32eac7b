/* SPDX-License-Identifier: MIT */
/* Home directories fixed at creation (docs/architecture.md, "Home directories"): a rename
 * through the users service keeps the uid and the home the export writes to passwd; a
 * colliding rename changes nothing; schema v5 adds users.home (backing a v4 database up
 * first), and the users stored before get their current path recorded once, from the
 * template and the login they have then; a failure to record changes nothing. */
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
#include <jansson.h>
#include "store/db.h"

#include "accounts/account_snapshot.h"
#include "accounts/home_path.h"
#include "accounts/users_service.h"
#include "core_fixture.h"
#include "store/db_sqlite.h"
#include "server.h"
#include "store/store.h"
#include "store/store_schema.h"
#include "store/users_homes.h"
#include "store/users_repo.h"

#define ULO 1700300000u

static uint64_t generation;

struct fx {
    char *dir;
    struct store *st;
    struct scimd_config cfg;
    struct scimd_server srv;
};

static void fx_open(struct fx *f, const char *name)
{
    f->st = core_store_open(f->dir, name, true);
    f->srv.store = f->st;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = core_mkdtemp();
    scimd_config_init(&f->cfg);
    f->cfg.uid_min = ULO;
    f->cfg.uid_max = ULO + 999;
    f->cfg.gid_min = ULO;
    f->cfg.gid_max = ULO + 999;
    free(f->cfg.home);
    f->cfg.home = strdup("/srv/home/%u");
    f->srv.cfg = &f->cfg;
    fx_open(f, "scimd.db");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->st);
    scimd_config_free(&f->cfg);
    core_rmdir(f->dir);
    free(f);
    return 0;
}

/* A create (id NULL) or a PUT of {"userName": user_name}; the HTTP status, 0 on success.
 * id_out (create) gets the new id. */
static int put_user(struct fx *f, const char *id, const char *user_name, char *id_out)
{
    struct users_change c = { 0 };
    struct scim_error err = { 0 };
    c.op = id ? USERS_OP_REPLACE : USERS_OP_CREATE;
    c.id = id;
    c.body = json_pack("{s:s}", "userName", user_name);
    c.login = user_name;
    int r = users_service_write(f->st, &f->cfg, &c, &err);
    if (r == 0 && id_out)
        memcpy(id_out, c.row.id, SCIM_ID_LEN + 1);
    json_decref(c.body);
    user_row_clear(&c.row);
    return r == 0 ? 0 : err.status;
}

/* The exported passwd entry of uid: its login and home, "" when not exported. */
static void exported(struct fx *f, uint32_t uid, char login[64], char home[128])
{
    struct account_snapshot s;
    char err[512] = "";
    if (account_snapshot_load(&f->srv, &generation, &s, err, sizeof(err)) != 0)
        fail_msg("load: %s", err);
    login[0] = home[0] = '\0';
    for (size_t i = 0; i < s.cache.n_users; i++)
        if (s.cache.users[i].uid == uid) {
            snprintf(login, 64, "%s", s.cache.users[i].name);
            snprintf(home, 128, "%s", s.cache.users[i].home);
        }
    account_snapshot_free(&s);
}

static uint32_t uid_of(struct fx *f, const char *id)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT uid FROM users WHERE id = '%s'", id);
    return (uint32_t)core_query_int(f->st, sql);
}

/* A PUT that changes userName renames the login, keeps the uid and keeps the home; a rename
 * back keeps it too; a rename onto another user's name is refused and changes nothing. */
static void test_rename_keeps_home(void **state)
{
    struct fx *f = *state;
    char id[SCIM_ID_LEN + 1], other[SCIM_ID_LEN + 1], login[64], home[128];
    assert_int_equal(put_user(f, NULL, "mover1", id), 0);
    assert_int_equal(put_user(f, NULL, "stayer", other), 0);
    uint32_t uid = uid_of(f, id);
    exported(f, uid, login, home);
    assert_string_equal(login, "mover1");
    assert_string_equal(home, "/srv/home/mover1");

    assert_int_equal(put_user(f, id, "mover2", NULL), 0);
    assert_int_equal(uid_of(f, id), uid);
    exported(f, uid, login, home);
    assert_string_equal(login, "mover2");
    assert_string_equal(home, "/srv/home/mover1");

    /* Another user's name: 409, the row and the export as they were. */
    assert_int_equal(put_user(f, id, "stayer", NULL), 409);
    exported(f, uid, login, home);
    assert_string_equal(login, "mover2");
    assert_string_equal(home, "/srv/home/mover1");

    assert_int_equal(put_user(f, id, "mover1", NULL), 0);
    exported(f, uid, login, home);
    assert_string_equal(login, "mover1");
    assert_string_equal(home, "/srv/home/mover1");
    /* The template applies at creation only: a changed template moves nobody. */
    free(f->cfg.home);
    f->cfg.home = strdup("/home2/%u");
    assert_int_equal(put_user(f, id, "mover3", NULL), 0);
    exported(f, uid, login, home);
    assert_string_equal(home, "/srv/home/mover1");
    exported(f, uid_of(f, other), login, home);
    assert_string_equal(home, "/srv/home/stayer");
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

/* Turns the store at path back into what version 4 created, with two users. */
static void make_v4(const char *path)
{
    struct db *db = NULL;
    assert_non_null(db = core_sqlite_open(path, 0));
    assert_int_equal(db_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    char *msg = NULL;
    int rc = sqlite3_exec(db_sqlite_handle(db),
                          "DROP INDEX users_export;"
                          "ALTER TABLE users DROP COLUMN home;"
                          "CREATE INDEX users_export ON users(uid, login, active, password_hash,"
                          " password_day, gecos, roles, ssh_keys);"
                          "PRAGMA user_version = 4;"
                          "INSERT INTO users(id, user_name, user_name_key, login, active, uid,"
                          " version, created, modified, password_day, doc) VALUES"
                          " ('a', 'Old.One', 'old.one', 'old.one', 1, 1700300001, 1, 't', 't', 1,"
                          "  '{\"userName\":\"Old.One\"}'),"
                          " ('b', 'old2', 'old2', 'old2', 0, 1700300002, 1, 't', 't', 1,"
                          "  '{\"userName\":\"old2\"}');",
                          NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("make_v4: %s", msg);
    db_close(db);
}

/* v4 -> v5: backed up first, the column is added (NULL for the users stored before) and the
 * export's covering index carries it; scimd then records each user's current path once, and
 * from there a rename keeps it. */
static void test_schema_v4_is_upgraded(void **state)
{
    struct fx *f = *state;
    char err[512] = "";
    char *path = core_path(f->dir, "v4.db");
    char *bak = core_path(f->dir, "v4.db.bak-v4");
    struct store *st = core_store_open(f->dir, "v4.db", false);
    store_close(st);
    make_v4(path);

    store_close(f->st);
    fx_open(f, "v4.db");
    struct db *db = NULL;
    assert_non_null(db = core_sqlite_open(path, 0));
    assert_int_equal(db_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_true(STORE_SCHEMA_VERSION >= 5); /* v6 added a table, not a column */
    assert_int_equal(db_int(db, "SELECT count(*) FROM users WHERE home IS NULL"), 2);
    struct db_stmt *s = NULL;
    assert_int_equal(db_prepare(db,
                                        "EXPLAIN QUERY PLAN SELECT login, uid, active,"
                                        " password_hash, password_day, gecos, roles, ssh_keys,"
                                        " home FROM users ORDER BY uid", &s),
                     DB_OK);
    assert_int_equal(db_step(s), DB_ROW);
    assert_non_null(strstr(db_column_text(s, 3), "COVERING INDEX users_export"));
    db_finalize(s);
    db_close(db);
    struct stat sb;
    assert_int_equal(stat(bak, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_non_null(db = core_sqlite_open(bak, 0));
    assert_int_equal(db_int(db, "PRAGMA user_version"), 4);
    db_close(db);

    /* Not yet recorded: the export shows the path passwd showed before the upgrade. */
    char login[64], home[128];
    exported(f, ULO + 1, login, home);
    assert_string_equal(home, "/srv/home/old.one");

    /* What exporter_start does before the first export and before requests. */
    assert_int_equal(home_path_pin_existing(&f->cfg, f->st, err, sizeof(err)), 0);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM users WHERE"
                                           " (id = 'a' AND home = '/srv/home/old.one') OR"
                                           " (id = 'b' AND home = '/srv/home/old2')"), 2);
    /* Once: a second run (the next start) with another template moves nobody. */
    free(f->cfg.home);
    f->cfg.home = strdup("/elsewhere/%u");
    assert_int_equal(home_path_pin_existing(&f->cfg, f->st, err, sizeof(err)), 0);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM users WHERE home LIKE"
                                           " '/srv/home/%'"), 2);
    assert_int_equal(put_user(f, "a", "new.one", NULL), 0);
    exported(f, ULO + 1, login, home);
    assert_string_equal(login, "new.one");
    assert_string_equal(home, "/srv/home/old.one");

    /* Reopening a version-5 database migrates nothing and writes no new backup. */
    assert_int_equal(unlink(bak), 0);
    store_close(f->st);
    fx_open(f, "v4.db");
    assert_int_equal(stat(bak, &sb), -1);
    free(bak);
    free(path);
}

static char *home_or_fail(const char *login, void *arg)
{
    (void)arg;
    return strcmp(login, "old2") == 0 ? NULL : strdup("/x");
}

static int pin_failing_fn(struct db *db, void *arg, struct scim_error *err)
{
    (void)arg;
    return users_homes_pin(db, home_or_fail, NULL, err);
}

/* A path that cannot be made (out of memory) fails the whole statement: nobody's is
 * recorded, and the error says what failed. */
static void test_pin_failure_changes_nothing(void **state)
{
    struct fx *f = *state;
    char *path = core_path(f->dir, "v4.db");
    struct store *st = core_store_open(f->dir, "v4.db", false);
    store_close(st);
    make_v4(path);
    store_close(f->st);
    fx_open(f, "v4.db");
    struct scim_error err = { 0 };
    assert_int_equal(store_write(f->st, pin_failing_fn, NULL, &err), -1);
    assert_non_null(strstr(err.detail, "recording home directories"));
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM users WHERE home IS NULL"), 2);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rename_keeps_home, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_v4_is_upgraded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pin_failure_changes_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
