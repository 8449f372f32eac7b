/* SPDX-License-Identifier: MIT */
#include "store/id_ledger_held.h"

#include "store/store.h"

int id_ledger_held_by(struct db *db, uint32_t id, const char *owner)
{
    struct db_stmt *s = store_stmt(db, "SELECT COUNT(*) FROM id_ledger WHERE id = ?1 AND "
                                       "owner = ?2 AND released IS NULL");
    if (!s)
        return -1;
    db_bind_int64(s, 1, id);
    db_bind_text(s, 2, owner);
    int ret = db_step(s) == DB_ROW ? db_column_int64(s, 0) > 0 : -1;
    store_stmt_done(s);
    return ret;
}
