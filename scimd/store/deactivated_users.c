/* SPDX-License-Identifier: MIT */
#include "store/deactivated_users.h"

#include "store/store.h"

int deactivated_users_before(struct db *db, const char *cutoff, size_t limit,
                             deactivated_user_fn fn, void *arg, struct scim_error *err)
{
    /* Kept prepared: the retention thread runs it every sweep. */
    struct db_stmt *s = store_stmt(db, "SELECT id, login, uid FROM users WHERE active = 0"
                                     " AND deactivated_at < ? ORDER BY deactivated_at LIMIT ?");
    int rc = DB_ERROR;
    size_t n = 0;
    if (!s)
        return store_db_error(db, db_errcode(db), err, "retention sweep");
    db_bind_text(s, 1, cutoff);
    db_bind_int64(s, 2, (int64_t)limit);
    while (n < limit && (rc = db_step(s)) == DB_ROW) {
        n++;
        fn(db_column_text(s, 0), db_column_text(s, 1),
           (uint32_t)db_column_int64(s, 2), arg);
    }
    store_stmt_done(s);
    if (rc != DB_DONE && rc != DB_ROW)
        return store_db_error(db, rc, err, "retention sweep");
    return 0;
}
