/* SPDX-License-Identifier: MIT */
#include "store/tombstones.h"

#include <stddef.h>

int tombstones_each(struct db *db, const char *login, tombstone_fn fn, void *arg)
{
    struct db_stmt *s = NULL;
    int ret = -1, rc;
    if (db_prepare(db, login ? "SELECT id, kind, name, released FROM id_ledger"
                               " WHERE released IS NOT NULL AND kind = 'user' AND name = ?"
                               " ORDER BY released DESC, id DESC"
                             : "SELECT id, kind, name, released FROM id_ledger"
                               " WHERE released IS NOT NULL ORDER BY id",
                   &s) != DB_OK)
        goto out;
    if (login)
        db_bind_text(s, 1, login);
    while ((rc = db_step(s)) == DB_ROW) {
        const struct tombstone t = {
            .id = (uint32_t)db_column_int64(s, 0),
            .kind = db_column_text(s, 1),
            .name = db_column_text(s, 2),
            .released = db_column_text(s, 3),
        };
        int r = fn(arg, &t);
        if (r != 0) {
            ret = r;
            goto out;
        }
    }
    ret = rc == DB_DONE ? 0 : -1;
out:
    db_finalize(s);
    return ret;
}

int tombstones_live_homes(struct db *db, const char *login, live_home_fn fn, void *arg)
{
    struct db_stmt *s = NULL;
    int ret = -1, rc;
    if (db_prepare(db, login ? "SELECT id, login, uid, active, home FROM users WHERE login = ?"
                             : "SELECT id, login, uid, active, home FROM users ORDER BY uid",
                   &s) != DB_OK)
        goto out;
    if (login)
        db_bind_text(s, 1, login);
    while ((rc = db_step(s)) == DB_ROW) {
        const struct live_home u = {
            .id = db_column_text(s, 0),
            .login = db_column_text(s, 1),
            .uid = (uint32_t)db_column_int64(s, 2),
            .active = db_column_int64(s, 3) != 0,
            .home = db_column_is_null(s, 4) ? NULL : db_column_text(s, 4),
        };
        int r = fn(arg, &u);
        if (r != 0) {
            ret = r;
            goto out;
        }
    }
    ret = rc == DB_DONE ? 0 : -1;
out:
    db_finalize(s);
    return ret;
}
