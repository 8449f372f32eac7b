/* The database schema and its migrations (PRAGMA user_version). */
#pragma once

#include <sqlite3.h>
#include <stddef.h>

#define STORE_SCHEMA_VERSION 2

/* Creates or migrates the schema in one transaction. v1 -> v2 only adds an index; a future
 * migration that alters tables copies the database to PATH.bak-vN first. */
int store_schema_migrate(sqlite3 *db, const char *path, char *err, size_t errlen);
