/* SPDX-License-Identifier: MIT */
/* The SQLite driver behind db.h. The store opens SQLite itself (file modes, pragmas) and
 * wraps the handle; the few SQLite-only operations (VACUUM INTO, PRAGMA data_version, an
 * application function) reach the handle through db_sqlite_handle. */
#pragma once

#include <sqlite3.h>

#include "store/db.h"

/* Takes ownership of h (closed by db_close). NULL when out of memory (h is then closed). */
struct db *db_sqlite_wrap(sqlite3 *h);
/* The SQLite handle of a SQLite connection; NULL for another backend. */
sqlite3 *db_sqlite_handle(struct db *db);
/* A SQLite result code as a DB_* code. */
int db_sqlite_code(int rc);
