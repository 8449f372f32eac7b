/* SPDX-License-Identifier: MIT */
/* The schema on PostgreSQL: the same tables, columns and constraints as store_schema.c's
 * SQLite schema at the same version, written in PostgreSQL's types. Text columns compare
 * byte-wise (COLLATE "C") as SQLite's do, so uniqueness and every ORDER BY agree on both
 * backends whatever the database's locale. users, groups and hosts get an explicit `rowid`
 * (SQLite's implicit one) because listings page in insertion order.
 *
 * The version lives in meta('schema_version') instead of PRAGMA user_version. Creating and
 * migrating run in one transaction under an advisory lock, so several scimd instances
 * starting at once against a new database create it once (docs/architecture.md, "Store
 * backends"). */
#include "store/store_schema.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

static const char schema_v5[] =
    "CREATE TABLE meta(key TEXT COLLATE \"C\" PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE tokens("
    "  id TEXT COLLATE \"C\" PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  key_hmac BYTEA NOT NULL,"
    "  created TEXT COLLATE \"C\" NOT NULL,"
    "  last_used TEXT,"
    "  revoked TEXT);"
    "CREATE TABLE id_ledger("
    "  id BIGINT PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK(kind IN ('user','group')),"
    "  owner TEXT COLLATE \"C\" NOT NULL,"
    "  name TEXT COLLATE \"C\" NOT NULL,"
    "  allocated TEXT NOT NULL,"
    "  released TEXT);"
    "CREATE INDEX id_ledger_owner ON id_ledger(owner);"
    "CREATE TABLE users("
    "  rowid BIGSERIAL NOT NULL UNIQUE,"
    "  id TEXT COLLATE \"C\" PRIMARY KEY,"
    "  user_name TEXT COLLATE \"C\" NOT NULL,"
    "  user_name_key TEXT COLLATE \"C\" NOT NULL UNIQUE,"
    "  login TEXT COLLATE \"C\" NOT NULL UNIQUE,"
    "  external_id TEXT COLLATE \"C\","
    "  active INTEGER NOT NULL,"
    "  uid BIGINT NOT NULL UNIQUE,"
    "  version BIGINT NOT NULL,"
    "  created TEXT NOT NULL,"
    "  modified TEXT NOT NULL,"
    "  password_hash TEXT,"
    "  password_day BIGINT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  gecos TEXT NOT NULL DEFAULT '',"
    "  roles TEXT NOT NULL DEFAULT '',"
    "  ssh_keys TEXT NOT NULL DEFAULT '',"
    "  deactivated_at TEXT COLLATE \"C\","
    "  home TEXT);"
    "CREATE INDEX users_external_id ON users(external_id);"
    "CREATE INDEX users_deactivated ON users(deactivated_at) WHERE deactivated_at IS NOT NULL;"
    "CREATE TABLE role_groups("
    "  name TEXT COLLATE \"C\" PRIMARY KEY,"
    "  gid BIGINT NOT NULL UNIQUE);"
    "CREATE TABLE groups("
    "  rowid BIGSERIAL NOT NULL UNIQUE,"
    "  id TEXT COLLATE \"C\" PRIMARY KEY,"
    "  display_name TEXT COLLATE \"C\" NOT NULL,"
    "  name TEXT COLLATE \"C\" NOT NULL UNIQUE,"
    "  external_id TEXT COLLATE \"C\","
    "  gid BIGINT UNIQUE,"
    "  version BIGINT NOT NULL,"
    "  created TEXT NOT NULL,"
    "  modified TEXT NOT NULL,"
    "  doc TEXT NOT NULL);"
    "CREATE INDEX groups_external_id ON groups(external_id);"
    "CREATE TABLE group_members("
    "  group_id TEXT COLLATE \"C\" NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
    "  user_id TEXT COLLATE \"C\" NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  PRIMARY KEY(group_id, user_id));"
    "CREATE INDEX group_members_user ON group_members(user_id);"
    /* seq: BIGSERIAL never goes back; every write holds the store's advisory lock, so
     * sequence order is commit order and a follower at N has seen everything up to N. */
    "CREATE TABLE changes("
    "  seq BIGSERIAL PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK(kind IN ('user','group','role')),"
    "  entity TEXT COLLATE \"C\" NOT NULL,"
    "  at TEXT COLLATE \"C\" NOT NULL);"
    "CREATE INDEX changes_entity ON changes(kind, entity);"
    "CREATE TABLE hosts("
    "  rowid BIGSERIAL NOT NULL UNIQUE,"
    "  id TEXT COLLATE \"C\" PRIMARY KEY,"
    "  name TEXT COLLATE \"C\" NOT NULL UNIQUE,"
    "  key_hmac BYTEA NOT NULL,"
    "  created TEXT COLLATE \"C\" NOT NULL,"
    "  revoked TEXT,"
    "  last_seen TEXT,"
    "  seq_reached BIGINT NOT NULL DEFAULT 0,"
    "  conflicts TEXT);"
    /* PRAGMA data_version's stand-in: a counter every change to tokens or to the token
     * secret raises, so each instance's authenticator sees another's revocation at once. */
    "CREATE TABLE data_version(n BIGINT NOT NULL);"
    "INSERT INTO data_version VALUES(0);"
    "CREATE FUNCTION scimd_data_version_bump() RETURNS trigger LANGUAGE plpgsql AS"
    "  $$BEGIN UPDATE data_version SET n = n + 1; RETURN NULL; END$$;"
    "CREATE TRIGGER tokens_data_version AFTER INSERT OR UPDATE OR DELETE ON tokens"
    "  FOR EACH STATEMENT EXECUTE FUNCTION scimd_data_version_bump();"
    /* Of meta only the token secret: every POST raises the id high-water marks there, and
     * each would make every instance reload its token table. */
    "CREATE TRIGGER meta_data_version AFTER INSERT OR UPDATE ON meta FOR EACH ROW"
    "  WHEN (NEW.key = 'token_hmac_key') EXECUTE FUNCTION scimd_data_version_bump();"
    "CREATE TRIGGER meta_data_version_delete AFTER DELETE ON meta FOR EACH ROW"
    "  WHEN (OLD.key = 'token_hmac_key') EXECUTE FUNCTION scimd_data_version_bump();"
    "INSERT INTO meta(key, value) VALUES('feed_id', replace(gen_random_uuid()::text, '-', ''));"
    "INSERT INTO meta(key, value) VALUES('changes_floor', '0');";

/* v6: each SCIM user's subordinate id slice, never reused (store_schema.c's schema_v6). */
static const char schema_v6[] =
    "CREATE TABLE IF NOT EXISTS subid_ledger("
    "  start BIGINT PRIMARY KEY,"
    "  count BIGINT NOT NULL,"
    "  owner TEXT COLLATE \"C\" NOT NULL UNIQUE,"
    "  allocated TEXT NOT NULL,"
    "  released TEXT);";

static int version_of(struct db *db, int *version, char *err, size_t errlen)
{
    struct db_stmt *s = NULL;
    int ret = -1;
    /* to_regclass: NULL while meta does not exist, so a new database reads as version 0. */
    int rc = db_prepare(db, "SELECT to_regclass('meta') IS NOT NULL", &s);
    if (rc == DB_OK && (rc = db_step(s)) == DB_ROW && db_column_int(s, 0) == 0) {
        *version = 0;
        ret = 0;
        goto out;
    }
    if (rc != DB_ROW)
        goto fail;
    db_finalize(s);
    s = NULL;
    rc = db_prepare(db, "SELECT value FROM meta WHERE key = 'schema_version'", &s);
    if (rc == DB_OK)
        rc = db_step(s);
    if (rc != DB_ROW && rc != DB_DONE)
        goto fail;
    *version = rc == DB_ROW ? atoi(db_column_text(s, 0)) : 0;
    ret = 0;
    goto out;
fail:
    snprintf(err, errlen, "cannot read the schema version: %s", db_errmsg(db));
out:
    db_finalize(s);
    return ret;
}

int store_schema_migrate_pg(struct db *db, char *err, size_t errlen)
{
    int ret = -1, version = 0;
    char set_version[160];
    if (db_exec(db, "BEGIN") != DB_OK || db_exec(db, STORE_PG_WRITE_LOCK) != DB_OK) {
        snprintf(err, errlen, "cannot lock the database: %s", db_errmsg(db));
        goto out;
    }
    if (version_of(db, &version, err, errlen) < 0)
        goto out;
    if (version > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen, "schema version %d is newer than this scimd supports (%d)",
                 version, STORE_SCHEMA_VERSION);
        goto out;
    }
    /* A new database gets the current schema in one go; later versions add their
     * migrations here, each applied when version is below it, as store_schema.c does. */
    if (version == 0 && db_exec(db, schema_v5) != DB_OK) {
        snprintf(err, errlen, "cannot create the schema: %s", db_errmsg(db));
        goto out;
    }
    if (version < 6 && db_exec(db, schema_v6) != DB_OK) {
        snprintf(err, errlen, "cannot upgrade the schema to version 6: %s", db_errmsg(db));
        goto out;
    }
    snprintf(set_version, sizeof(set_version),
             "INSERT INTO meta(key, value) VALUES('schema_version', '%d')"
             " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
             STORE_SCHEMA_VERSION);
    if (version < STORE_SCHEMA_VERSION && db_exec(db, set_version) != DB_OK) {
        snprintf(err, errlen, "cannot record the schema version: %s", db_errmsg(db));
        goto out;
    }
    if (db_exec(db, "COMMIT") != DB_OK) {
        snprintf(err, errlen, "cannot commit the schema: %s", db_errmsg(db));
        goto out;
    }
    ret = 0;
out:
    if (db_in_transaction(db))
        db_exec(db, "ROLLBACK");
    return ret;
}
