/* SPDX-License-Identifier: MIT */
#include "store/store_counts.h"

#include "store/store.h"

static long long count_rows(struct db *db, const char *sql)
{
    struct db_stmt *s = NULL;
    long long n = -1;
    if (db && db_prepare(db, sql, &s) == DB_OK && db_step(s) == DB_ROW)
        n = db_column_int64(s, 0);
    db_finalize(s);
    return n;
}

void store_counts_read(struct store *st, struct store_counts *out)
{
    struct scim_error e;
    struct db *db = store_reader_get(st, &e);
    out->users_active = count_rows(db, "SELECT COUNT(*) FROM users WHERE active <> 0");
    out->users_deactivated = count_rows(db, "SELECT COUNT(*) FROM users WHERE active = 0");
    out->groups = count_rows(db, "SELECT COUNT(*) FROM groups");
    out->role_groups = count_rows(db, "SELECT COUNT(*) FROM role_groups");
    store_reader_put(st, db);
}
