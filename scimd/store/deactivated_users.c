/* SPDX-License-Identifier: MIT */
#include "store/deactivated_users.h"

#include "store/store.h"

int deactivated_users_before(sqlite3 *db, const char *cutoff, size_t limit,
                             deactivated_user_fn fn, void *arg, struct scim_error *err)
{
    /* Kept prepared: the retention thread runs it every sweep. */
    sqlite3_stmt *s = store_stmt(db, "SELECT id, login, uid FROM users WHERE active = 0"
                                     " AND deactivated_at < ? ORDER BY deactivated_at LIMIT ?");
    int rc = SQLITE_ERROR;
    size_t n = 0;
    if (!s)
        return store_sqlite_error(db, sqlite3_errcode(db), err, "retention sweep");
    sqlite3_bind_text(s, 1, cutoff, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
    while (n < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        n++;
        fn((const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
           (uint32_t)sqlite3_column_int64(s, 2), arg);
    }
    store_stmt_done(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return store_sqlite_error(db, rc, err, "retention sweep");
    return 0;
}
