/* SPDX-License-Identifier: MIT */
#include "store/id_ledger.h"

#include "store/store.h"

/* Run in the writer on every create: kept prepared on the connection (store_stmt). */
int64_t id_ledger_max_in(sqlite3 *db, uint32_t lo, uint32_t hi)
{
    /* A range scan on the primary key: O(log n), where filtering on kind would scan. */
    sqlite3_stmt *s = store_stmt(db, "SELECT MAX(id) FROM id_ledger WHERE id BETWEEN ? AND ?");
    int64_t v = -1;
    if (!s)
        return v;
    sqlite3_bind_int64(s, 1, lo);
    sqlite3_bind_int64(s, 2, hi);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(s, 0);
    store_stmt_done(s);
    return v;
}

int id_ledger_insert(sqlite3 *db, int64_t id, const char *kind, const char *owner,
                     const char *name, const char *what, struct scim_error *err)
{
    char now[32];
    store_timestamp(now);
    sqlite3_stmt *s = store_stmt(db, "INSERT INTO id_ledger(id, kind, owner, name, allocated)"
                                     " VALUES(?, ?, ?, ?, ?)");
    int rc = SQLITE_ERROR;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, owner, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, now, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        store_stmt_done(s);
    }
    if (rc != SQLITE_DONE)
        return store_sqlite_error(db, rc == SQLITE_ERROR ? sqlite3_errcode(db) : rc, err, what);
    return 0;
}

int id_ledger_insert_claimed(sqlite3 *db, uint32_t id, const char *owner, const char *name,
                             struct scim_error *err)
{
    char now[32];
    store_timestamp(now);
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, "INSERT INTO id_ledger(id, kind, owner, name, allocated)"
                                    " VALUES(?, 'user', ?, ?, ?)", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, now, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(db, rc, err, "uid ledger");
    return 0;
}

int64_t id_ledger_uses(sqlite3 *db, uint32_t id)
{
    sqlite3_stmt *s = NULL;
    int64_t used = 1;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM id_ledger WHERE id = ?", -1, &s, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(s, 1, id);
        if (sqlite3_step(s) == SQLITE_ROW)
            used = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return used;
}

static int update_live(sqlite3 *db, const char *sql, const char *a, const char *owner,
                       struct scim_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(db, rc, err, "uid ledger");
    return 0;
}

int id_ledger_release(sqlite3 *db, const char *owner, struct scim_error *err)
{
    char now[32];
    store_timestamp(now);
    return update_live(db, "UPDATE id_ledger SET released = ? WHERE owner = ? AND released IS NULL",
                       now, owner, err);
}

int id_ledger_rename(sqlite3 *db, const char *owner, const char *name, struct scim_error *err)
{
    return update_live(db, "UPDATE id_ledger SET name = ? WHERE owner = ? AND released IS NULL",
                       name, owner, err);
}
