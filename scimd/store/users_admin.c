/* SPDX-License-Identifier: MIT */
#include "store/users_admin.h"

#include <stdio.h>

int users_admin_list(struct db *db, users_admin_fn fn, void *arg, char *err, size_t errlen)
{
    struct db_stmt *s = NULL;
    if (db_prepare(db, "SELECT login, uid, active, id, user_name FROM users ORDER BY uid", &s) != DB_OK) {
        snprintf(err, errlen, "%s", db_errmsg(db));
        db_finalize(s);
        return -1;
    }
    while (db_step(s) == DB_ROW)
        fn(db_column_text(s, 0), db_column_int64(s, 1),
           db_column_int(s, 2) != 0, db_column_text(s, 3),
           db_column_text(s, 4), arg);
    db_finalize(s);
    return 0;
}

int users_admin_find(struct db *db, const char *who, struct user_row *row, char *err,
                     size_t errlen)
{
    struct db_stmt *s = NULL;
    int ret;
    if (db_prepare(db, "SELECT " USERS_COLUMNS " FROM users WHERE id = ?1"
                               " OR user_name_key = lower(?1) OR login = lower(?1)", &s) != DB_OK) {
        snprintf(err, errlen, "%s", db_errmsg(db));
        ret = -1;
        goto out;
    }
    db_bind_text(s, 1, who);
    if (db_step(s) != DB_ROW) {
        ret = 0;
        goto out;
    }
    ret = users_repo_from_stmt(s, row) < 0 ? -2 : 1;
out:
    db_finalize(s);
    return ret;
}
