/* SPDX-License-Identifier: MIT */
#include "store/subid_ledger.h"

#include <stdio.h>

#include "store/store.h"

static int64_t owner_start(struct db *db, const char *owner)
{
    struct db_stmt *s = NULL;
    int64_t start = -1;
    if (db_prepare(db, "SELECT start FROM subid_ledger WHERE owner = ?", &s) == DB_OK) {
        db_bind_text(s, 1, owner);
        int rc = db_step(s);
        start = rc == DB_ROW ? db_column_int64(s, 0) : rc == DB_DONE ? -1 : -2;
    } else {
        start = -2;
    }
    db_finalize(s);
    return start;
}

/* The first id after every slice that reaches into [lo, hi]; lo when there is none. A range
 * scan on the primary key: slices are all SUBID_SLICE long, so one starting below lo can
 * reach into the range only from the SUBID_SLICE ids before it. */
static int64_t next_start(struct db *db, uint32_t lo, uint32_t hi)
{
    struct db_stmt *s = NULL;
    int64_t next = -2;
    int64_t from = lo >= SUBID_SLICE ? (int64_t)lo - SUBID_SLICE : 0;
    if (db_prepare(db, "SELECT MAX(start + count) FROM subid_ledger WHERE start BETWEEN ? AND ?",
                   &s) == DB_OK) {
        db_bind_int64(s, 1, from);
        db_bind_int64(s, 2, hi);
        if (db_step(s) == DB_ROW)
            next = db_column_is_null(s, 0) ? lo : db_column_int64(s, 0);
    }
    db_finalize(s);
    return next >= 0 && next < lo ? lo : next;
}

int subid_ledger_assign(struct db *db, const char *owner, uint32_t lo, uint32_t hi,
                        uint32_t *start, struct scim_error *err)
{
    int64_t have = owner_start(db, owner);
    if (have >= 0) {
        *start = (uint32_t)have;
        return 0;
    }
    int64_t next = have == -1 ? next_start(db, lo, hi) : -2;
    if (next < 0)
        return store_db_error(db, db_errcode(db), err, "subordinate id ledger");
    if (next + SUBID_SLICE - 1 > hi)
        return scim_error_set(err, 500, NULL,
                              "subordinate id range exhausted: every slice of %u ids from %u to "
                              "%u has been handed out (slices are never reused); widen "
                              "[accounts] subid_min/subid_max", SUBID_SLICE, lo, hi);
    char now[32];
    store_timestamp(now);
    if (store_exec_bind(db, "subordinate id ledger", err,
                        "INSERT INTO subid_ledger(start, count, owner, allocated)"
                        " VALUES(?, ?, ?, ?)",
                        "iitt", next, (int64_t)SUBID_SLICE, owner, now) < 0)
        return -1;
    *start = (uint32_t)next;
    return 0;
}

int64_t subid_ledger_end(struct db *db)
{
    struct db_stmt *s = NULL;
    int64_t end = -1;
    if (db_prepare(db, "SELECT COALESCE(MAX(start + count), 0) FROM subid_ledger", &s) == DB_OK &&
        db_step(s) == DB_ROW)
        end = db_column_int64(s, 0);
    db_finalize(s);
    return end;
}

int subid_ledger_release(struct db *db, const char *owner, struct scim_error *err)
{
    char now[32];
    store_timestamp(now);
    return store_exec_bind(db, "subordinate id ledger", err,
                           "UPDATE subid_ledger SET released = ? WHERE owner = ?"
                           " AND released IS NULL",
                           "tt", now, owner);
}

/* The callers' functions fail only for want of memory; a store failure is told apart. */
struct subid_walk {
    subid_row_fn row_fn;
    subid_owner_fn owner_fn;
    void *arg;
    bool oom;
};

static int read_slice(struct db_stmt *s, void *arg)
{
    struct subid_walk *w = arg;
    struct subid_row row = {
        .owner = db_column_text(s, 0),
        .uid = (uint32_t)db_column_int64(s, 1),
        .start = (uint32_t)db_column_int64(s, 2),
        .count = (uint32_t)db_column_int64(s, 3),
    };
    w->oom = w->row_fn(&row, w->arg) < 0;
    return w->oom;
}

static int read_owner(struct db_stmt *s, void *arg)
{
    struct subid_walk *w = arg;
    w->oom = w->owner_fn(db_column_text(s, 0), w->arg) < 0;
    return w->oom;
}

/* Runs sql through read; the error reads "out of memory while WHAT", or "WHAT: " the store's
 * message. 0, or -1. */
static int walk(struct db *db, const char *sql, store_walk_fn read, struct subid_walk *w,
                const char *what, char *err, size_t errlen)
{
    struct db_stmt *s = NULL;
    int rc = db_prepare(db, sql, &s);
    rc = store_stmt_walk(rc, s, read, w);
    if (w->oom)
        snprintf(err, errlen, "out of memory while %s", what);
    else if (rc != 0)
        snprintf(err, errlen, "%s: %s", what, db_errmsg(db));
    db_finalize(s);
    return rc == 0 ? 0 : -1;
}

int subid_ledger_scan(struct db *db, subid_row_fn fn, void *arg, char *err, size_t errlen)
{
    struct subid_walk w = { .row_fn = fn, .arg = arg };
    return walk(db, "SELECT s.owner, u.uid, s.start, s.count FROM subid_ledger s"
                    " JOIN users u ON u.id = s.owner WHERE s.released IS NULL ORDER BY u.uid",
                read_slice, &w, "reading subordinate ids", err, errlen);
}

int subid_ledger_missing(struct db *db, subid_owner_fn fn, void *arg, char *err, size_t errlen)
{
    struct subid_walk w = { .owner_fn = fn, .arg = arg };
    return walk(db, "SELECT u.id FROM users u WHERE NOT EXISTS"
                    " (SELECT 1 FROM subid_ledger s WHERE s.owner = u.id) ORDER BY u.uid",
                read_owner, &w, "listing users without subordinate ids", err, errlen);
}
