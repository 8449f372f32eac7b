/* The database schema and its migrations (PRAGMA user_version). */
#pragma once

#include <sqlite3.h>
#include <stddef.h>

#define STORE_SCHEMA_VERSION 1

/* Creates or migrates the schema; copies the database to PATH.bak-vN before migrating an
 * existing one. */
int store_schema_migrate(sqlite3 *db, const char *path, char *err, size_t errlen);
