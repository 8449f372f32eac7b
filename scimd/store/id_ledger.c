/* SPDX-License-Identifier: MIT */
#include "store/id_ledger.h"

#include "store/store.h"

/* Run in the writer on every create: kept prepared on the connection (store_stmt). */
int64_t id_ledger_max_in(struct db *db, uint32_t lo, uint32_t hi)
{
    /* A range scan on the primary key: O(log n), where filtering on kind would scan. */
    struct db_stmt *s = store_stmt(db, "SELECT MAX(id) FROM id_ledger WHERE id BETWEEN ? AND ?");
    int64_t v = -1;
    if (!s)
        return v;
    db_bind_int64(s, 1, lo);
    db_bind_int64(s, 2, hi);
    if (db_step(s) == DB_ROW && !db_column_is_null(s, 0))
        v = db_column_int64(s, 0);
    store_stmt_done(s);
    return v;
}

int id_ledger_insert(struct db *db, int64_t id, const char *kind, const char *owner,
                     const char *name, const char *what, struct scim_error *err)
{
    char now[32];
    store_timestamp(now);
    struct db_stmt *s = store_stmt(db, "INSERT INTO id_ledger(id, kind, owner, name, allocated)"
                                     " VALUES(?, ?, ?, ?, ?)");
    int rc = DB_ERROR;
    if (s) {
        db_bind_int64(s, 1, id);
        db_bind_text(s, 2, kind);
        db_bind_text(s, 3, owner);
        db_bind_text(s, 4, name);
        db_bind_text(s, 5, now);
        rc = db_step(s);
        store_stmt_done(s);
    }
    if (rc != DB_DONE)
        return store_db_error(db, rc == DB_ERROR ? db_errcode(db) : rc, err, what);
    return 0;
}

int id_ledger_insert_claimed(struct db *db, uint32_t id, const char *owner, const char *name,
                             struct scim_error *err)
{
    char now[32];
    store_timestamp(now);
    return store_exec_bind(db, "uid ledger", err,
                           "INSERT INTO id_ledger(id, kind, owner, name, allocated)"
                           " VALUES(?, 'user', ?, ?, ?)",
                           "ittt", (int64_t)id, owner, name, now);
}

int64_t id_ledger_uses(struct db *db, uint32_t id)
{
    struct db_stmt *s = NULL;
    int64_t used = 1;
    if (db_prepare(db, "SELECT COUNT(*) FROM id_ledger WHERE id = ?", &s) ==
        DB_OK) {
        db_bind_int64(s, 1, id);
        if (db_step(s) == DB_ROW)
            used = db_column_int64(s, 0);
    }
    db_finalize(s);
    return used;
}

int id_ledger_release(struct db *db, const char *owner, struct scim_error *err)
{
    char now[32];
    store_timestamp(now);
    return store_exec_bind(db, "uid ledger", err,
                           "UPDATE id_ledger SET released = ? WHERE owner = ? AND released IS NULL",
                           "tt", now, owner);
}

int id_ledger_rename(struct db *db, const char *owner, const char *name, struct scim_error *err)
{
    return store_exec_bind(db, "uid ledger", err,
                           "UPDATE id_ledger SET name = ? WHERE owner = ? AND released IS NULL",
                           "tt", name, owner);
}
