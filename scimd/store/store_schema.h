/* SPDX-License-Identifier: MIT */
/* The database schema and its migrations (PRAGMA user_version on SQLite, meta on
 * PostgreSQL). */
#pragma once

#include "store/db.h"
#include <stddef.h>

#define STORE_SCHEMA_VERSION 6

/* Creates or migrates the schema in one transaction. v1 -> v2 only adds an index; v3 adds
 * users.deactivated_at, so a v1 or v2 database is first copied to PATH.bak-vN (0600); v4 adds
 * the fleet's changes and hosts tables and the meta rows feed_id and changes_floor; v5 adds
 * users.home (NULL for the users stored before, see store/users_homes.h), so a database older
 * than v5 is backed up too; v6 adds subid_ledger (subordinate id slices, never reused). */
int store_schema_migrate(struct db *db, const char *path, char *err, size_t errlen);

/* The same schema on PostgreSQL (store_schema_pg.c): created or migrated in one transaction
 * under STORE_PG_WRITE_LOCK; the version is meta('schema_version'). 0, or -1 with err. */
int store_schema_migrate_pg(struct db *db, char *err, size_t errlen);

/* The transaction-scoped advisory lock every scimd instance on one PostgreSQL database takes
 * before its schema changes and before every write batch: writes are serialized across
 * instances as SQLite's BEGIN IMMEDIATE serializes them, so the change log's sequence order
 * is commit order and the id ledger's high-water marks never race. "scim" in ASCII. */
#define STORE_PG_WRITE_LOCK "SELECT pg_advisory_xact_lock(1935893869)"
