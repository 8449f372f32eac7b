/* SPDX-License-Identifier: MIT */
/* The database schema and its migrations (PRAGMA user_version). */
#pragma once

#include <sqlite3.h>
#include <stddef.h>

#define STORE_SCHEMA_VERSION 4

/* Creates or migrates the schema in one transaction. v1 -> v2 only adds an index; v3 adds
 * users.deactivated_at, so a v1 or v2 database is first copied to PATH.bak-vN (0600); v4 adds
 * the fleet's changes and hosts tables and the meta rows feed_id and changes_floor. */
int store_schema_migrate(sqlite3 *db, const char *path, char *err, size_t errlen);
