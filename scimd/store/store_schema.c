/* SPDX-License-Identifier: MIT */
#include "store/store_schema.h"

#include "store/db_sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* users: one row per live SCIM user; doc holds the SCIM attributes (no id/meta/password).
 * id_ledger: every uid/gid ever handed out, never deleted, so ids are never reused (the
 * tombstones docs/architecture.md requires). tokens: access ids with an HMAC of the key. */
static const char schema_v1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE tokens("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  key_hmac BLOB NOT NULL,"
    "  created TEXT NOT NULL,"
    "  last_used TEXT,"
    "  revoked TEXT);"
    "CREATE TABLE id_ledger("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK(kind IN ('user','group')),"
    "  owner TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  allocated TEXT NOT NULL,"
    "  released TEXT);"
    "CREATE INDEX id_ledger_owner ON id_ledger(owner);"
    "CREATE TABLE users("
    "  id TEXT PRIMARY KEY,"
    "  user_name TEXT NOT NULL,"
    "  user_name_key TEXT NOT NULL UNIQUE,"
    "  login TEXT NOT NULL UNIQUE,"
    "  external_id TEXT,"
    "  active INTEGER NOT NULL,"
    "  uid INTEGER NOT NULL UNIQUE,"
    "  version INTEGER NOT NULL,"
    "  created TEXT NOT NULL,"
    "  modified TEXT NOT NULL,"
    "  password_hash TEXT,"
    "  password_day INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    /* Export-ready fields derived from doc at every write, so an export of 100k users
     * reads columns instead of parsing 100k JSON documents. '\n'-separated lists. */
    "  gecos TEXT NOT NULL DEFAULT '',"
    "  roles TEXT NOT NULL DEFAULT '',"
    "  ssh_keys TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX users_external_id ON users(external_id);"
    "CREATE TABLE role_groups("
    "  name TEXT PRIMARY KEY,"
    "  gid INTEGER NOT NULL UNIQUE);"
    /* SCIM /Groups: name is the Linux group name derived from displayName; gid is NULL while
     * the group is mapped onto a local group by [groups]. */
    "CREATE TABLE groups("
    "  id TEXT PRIMARY KEY,"
    "  display_name TEXT NOT NULL,"
    "  name TEXT NOT NULL UNIQUE,"
    "  external_id TEXT,"
    "  gid INTEGER UNIQUE,"
    "  version INTEGER NOT NULL,"
    "  created TEXT NOT NULL,"
    "  modified TEXT NOT NULL,"
    "  doc TEXT NOT NULL);"
    "CREATE INDEX groups_external_id ON groups(external_id);"
    "CREATE TABLE group_members("
    "  group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
    "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  PRIMARY KEY(group_id, user_id)) WITHOUT ROWID;"
    "CREATE INDEX group_members_user ON group_members(user_id);";

/* v2: the exporter reads every user in uid order. Through the uid UNIQUE index that is one
 * random table lookup per user, each pulling in a page of JSON documents it does not need
 * (91 MB of pages at 100k users). This index covers the export's columns, so the export
 * walks ~15 MB in order instead. Adding an index rewrites nothing: no backup needed. */
static const char schema_v2[] =
    "CREATE INDEX users_export ON users("
    "  uid, login, active, password_hash, password_day, gecos, roles, ssh_keys);";

/* v3: when each user was deactivated, for [accounts] remove_deactivated_after. Users already
 * inactive get the migration time: when they were deactivated was never recorded, and the
 * policy must not delete them the moment it is switched on. */
static const char schema_v3[] =
    "ALTER TABLE users ADD COLUMN deactivated_at TEXT;"
    "UPDATE users SET deactivated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE active = 0;"
    "CREATE INDEX users_deactivated ON users(deactivated_at) WHERE deactivated_at IS NOT NULL;";

/* v4: the fleet (docs/architecture.md, fleet). changes: one row per store write that changes
 * what a follower materializes, written by the repositories in the write's transaction; seq
 * is AUTOINCREMENT so it never goes back, even after pruning deletes the newest rows.
 * hosts: the followers' tokens (only an HMAC of the key, like tokens), what each last asked
 * for and the conflicts it reported. feed_id names this hub's feed; randomblob draws from
 * SQLite's CSPRNG, seeded by the OS. changes_floor: the oldest since still answerable.
 * Only new tables and rows: no backup needed. */
static const char schema_v4[] =
    "CREATE TABLE changes("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  kind TEXT NOT NULL CHECK(kind IN ('user','group','role')),"
    "  entity TEXT NOT NULL,"
    "  at TEXT NOT NULL);"
    "CREATE INDEX changes_entity ON changes(kind, entity);"
    "CREATE TABLE hosts("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  key_hmac BLOB NOT NULL,"
    "  created TEXT NOT NULL,"
    "  revoked TEXT,"
    "  last_seen TEXT,"
    "  seq_reached INTEGER NOT NULL DEFAULT 0,"
    "  conflicts TEXT);"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('feed_id', lower(hex(randomblob(16))));"
    "INSERT OR IGNORE INTO meta(key, value) VALUES('changes_floor', '0');";

/* v5: users.home, the home directory fixed when the user is created, so a rename keeps it
 * (docs/architecture.md, "Home directories"). Users stored before have none: the template is
 * configuration the store does not see, so scimd records theirs from it and their current
 * login before its first export and before it serves a request (accounts/home_path.c);
 * until then the export derives the same path. The export's covering index gains the column,
 * or every passwd line would cost a table lookup again (see v2). */
static const char schema_v5[] =
    "ALTER TABLE users ADD COLUMN home TEXT;"
    "DROP INDEX users_export;"
    "CREATE INDEX users_export ON users("
    "  uid, login, active, password_hash, password_day, gecos, roles, ssh_keys, home);";

/* v6: subid_ledger, each SCIM user's subordinate id slice ([accounts] subids): start is the
 * first id, owner the SCIM id; released is set when the user is deleted and the row stays,
 * so a slice is never handed out again (files a user's containers left behind keep their
 * owner, like id_ledger's uids). Only a new table: no backup needed. IF NOT EXISTS: a
 * database whose user_version was set back by hand (the migration tests) keeps it. */
static const char schema_v6[] =
    "CREATE TABLE IF NOT EXISTS subid_ledger("
    "  start INTEGER PRIMARY KEY,"
    "  count INTEGER NOT NULL,"
    "  owner TEXT NOT NULL UNIQUE,"
    "  allocated TEXT NOT NULL,"
    "  released TEXT);";

/* The newest version whose migration alters a table: a database older than it is backed
 * up first. */
#define LAST_ALTERING_VERSION 5

static int read_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        *version = sqlite3_column_int(st, 0);
        ret = 0;
    }
    sqlite3_finalize(st);
    return ret;
}

/* PATH.bak-vN: a consistent copy of the version-N database, 0600 like the database (it holds
 * the same hashes), written to a temporary name and renamed so a crash never leaves a half
 * copy under the final name. A copy left by an earlier failed attempt is replaced: the newest
 * copy is the one with every change up to the upgrade. */
static int backup_before(sqlite3 *db, const char *path, int version, char *err, size_t errlen)
{
    char *bak = NULL, *tmp = NULL, *sql = NULL, *msg = NULL;
    int ret = -1;
    if (asprintf(&bak, "%s.bak-v%d", path, version) < 0 || asprintf(&tmp, "%s.tmp", bak) < 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create the pre-upgrade backup: %s", tmp, strerror(errno));
        goto out;
    }
    close(fd);
    sql = sqlite3_mprintf("VACUUM INTO %Q", tmp);
    if (!sql || sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot write the pre-upgrade backup %s: %s", path, bak,
                 msg ? msg : "out of memory");
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, bak) < 0) {
        snprintf(err, errlen, "%s: %s", bak, strerror(errno));
        unlink(tmp);
        goto out;
    }
    ret = 0;
out:
    sqlite3_free(msg);
    sqlite3_free(sql);
    free(tmp);
    free(bak);
    return ret;
}

static int migrate_locked(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    int ret = -1;
    sqlite3_stmt *st = NULL;
    char *msg = NULL;
    int version = 0;
    bool in_txn = false;

    /* IMMEDIATE: scimctl and scimd may both open a new database at once; one creates it. */
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot lock database: %s", path, msg ? msg : "?");
        goto out;
    }
    in_txn = true;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        snprintf(err, errlen, "%s: cannot read schema version: %s", path, sqlite3_errmsg(db));
        goto out;
    }
    version = sqlite3_column_int(st, 0);
    /* A statement left mid-step keeps a read open, and DROP INDEX (v5) refuses to run. */
    sqlite3_reset(st);
    if (version > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen, "%s: schema version %d is newer than this scimd supports (%d)", path,
                 version, STORE_SCHEMA_VERSION);
        goto out;
    }
    /* Version 0 is a new, empty database: no backup needed (store_schema_migrate backed up
     * any older database before an altering migration). */
    if (version == 0 && sqlite3_exec(db, schema_v1, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot create schema: %s", path, msg ? msg : "?");
        goto out;
    }
    if (version < 2 && sqlite3_exec(db, schema_v2, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot upgrade schema to version 2: %s", path,
                 msg ? msg : "?");
        goto out;
    }
    if (version < 3 && sqlite3_exec(db, schema_v3, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot upgrade schema to version 3: %s", path,
                 msg ? msg : "?");
        goto out;
    }
    if (version < 4 && sqlite3_exec(db, schema_v4, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot upgrade schema to version 4: %s", path,
                 msg ? msg : "?");
        goto out;
    }
    if (version < 5 && sqlite3_exec(db, schema_v5, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot upgrade schema to version 5: %s", path,
                 msg ? msg : "?");
        goto out;
    }
    if (version < 6 && sqlite3_exec(db, schema_v6, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot upgrade schema to version 6: %s", path,
                 msg ? msg : "?");
        goto out;
    }
    char set_version[40];
    snprintf(set_version, sizeof(set_version), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
    if (version < STORE_SCHEMA_VERSION &&
        sqlite3_exec(db, set_version, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot record schema version: %s", path, msg ? msg : "?");
        goto out;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot commit schema: %s", path, msg ? msg : "?");
        goto out;
    }
    in_txn = false;
    ret = 0;
out:
    sqlite3_finalize(st);
    if (in_txn)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_free(msg);
    return ret;
}

int store_schema_migrate(struct db *conn, const char *path, char *err, size_t errlen)
{
    sqlite3 *db = db_sqlite_handle(conn);
    int version = 0;
    /* VACUUM INTO cannot run inside a transaction: look, back up, then migrate under the lock
     * (which re-reads the version, in case another process migrated meanwhile). */
    if (read_version(db, &version) == 0 && version > 0 && version < LAST_ALTERING_VERSION &&
        backup_before(db, path, version, err, errlen) < 0)
        return -1;
    return migrate_locked(db, path, err, errlen);
}
