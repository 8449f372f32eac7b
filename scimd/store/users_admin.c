/* SPDX-License-Identifier: MIT */
#include "store/users_admin.h"

#include <stdio.h>

int users_admin_list(sqlite3 *db, users_admin_fn fn, void *arg, char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT login, uid, active, id, user_name FROM users ORDER BY uid",
                           -1, &s, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        sqlite3_finalize(s);
        return -1;
    }
    while (sqlite3_step(s) == SQLITE_ROW)
        fn((const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1),
           sqlite3_column_int(s, 2) != 0, (const char *)sqlite3_column_text(s, 3),
           (const char *)sqlite3_column_text(s, 4), arg);
    sqlite3_finalize(s);
    return 0;
}

int users_admin_find(sqlite3 *db, const char *who, struct user_row *row, char *err,
                     size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int ret;
    if (sqlite3_prepare_v2(db, "SELECT " USERS_COLUMNS " FROM users WHERE id = ?1"
                               " OR user_name_key = lower(?1) OR login = lower(?1)",
                           -1, &s, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        ret = -1;
        goto out;
    }
    sqlite3_bind_text(s, 1, who, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW) {
        ret = 0;
        goto out;
    }
    ret = users_repo_from_stmt(s, row) < 0 ? -2 : 1;
out:
    sqlite3_finalize(s);
    return ret;
}
