/* SPDX-License-Identifier: MIT */
/* The database schema and its migrations (PRAGMA user_version). */
#pragma once

#include "store/db.h"
#include <stddef.h>

#define STORE_SCHEMA_VERSION 5

/* Creates or migrates the schema in one transaction. v1 -> v2 only adds an index; v3 adds
 * users.deactivated_at, so a v1 or v2 database is first copied to PATH.bak-vN (0600); v4 adds
 * the fleet's changes and hosts tables and the meta rows feed_id and changes_floor; v5 adds
 * users.home (NULL for the users stored before, see store/users_homes.h), so a database older
 * than v5 is backed up too. */
int store_schema_migrate(struct db *db, const char *path, char *err, size_t errlen);
