/* SPDX-License-Identifier: MIT */
#include "store/store_counts.h"

#include "store/store.h"

static long long count_rows(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    long long n = -1;
    if (db && sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

void store_counts_read(struct store *st, struct store_counts *out)
{
    struct scim_error e;
    sqlite3 *db = store_reader_get(st, &e);
    out->users_active = count_rows(db, "SELECT COUNT(*) FROM users WHERE active");
    out->users_deactivated = count_rows(db, "SELECT COUNT(*) FROM users WHERE NOT active");
    out->groups = count_rows(db, "SELECT COUNT(*) FROM groups");
    out->role_groups = count_rows(db, "SELECT COUNT(*) FROM role_groups");
    store_reader_put(st, db);
}
