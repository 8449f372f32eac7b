/* SPDX-License-Identifier: MIT */
#include "store/db_sqlite.h"

#include "store/db_driver.h"

#include <stdlib.h>
#include <string.h>

struct sq_db {
    struct db base;
    sqlite3 *h;
    struct sq_stmt *kept; /* statements kept prepared for reuse, finalized by close */
};

struct sq_stmt {
    struct db_stmt base;
    sqlite3_stmt *st;
    bool kept;
    struct sq_stmt *next;
};

static const struct db_ops sq_ops;

static struct sq_db *sq(struct db *db)
{
    return (struct sq_db *)db;
}

static sqlite3_stmt *st_of(struct db_stmt *s)
{
    return ((struct sq_stmt *)s)->st;
}

int db_sqlite_code(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
        return DB_OK;
    case SQLITE_ROW:
        return DB_ROW;
    case SQLITE_DONE:
        return DB_DONE;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return DB_BUSY;
    case SQLITE_FULL:
        return DB_FULL;
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return DB_IOERR;
    case SQLITE_CANTOPEN:
        return DB_UNAVAILABLE;
    case SQLITE_CONSTRAINT:
        return DB_CONSTRAINT;
    default:
        return DB_ERROR;
    }
}

struct db *db_sqlite_wrap(sqlite3 *h)
{
    struct sq_db *d = calloc(1, sizeof(*d));
    if (!d) {
        sqlite3_close(h);
        return NULL;
    }
    d->base.ops = &sq_ops;
    d->h = h;
    return &d->base;
}

sqlite3 *db_sqlite_handle(struct db *db)
{
    return db && db->ops == &sq_ops ? sq(db)->h : NULL;
}

static struct sq_stmt *wrap_stmt(struct db *db, sqlite3_stmt *st)
{
    struct sq_stmt *s = calloc(1, sizeof(*s));
    if (!s) {
        sqlite3_finalize(st);
        return NULL;
    }
    s->base.db = db;
    s->st = st;
    return s;
}

static int sq_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(sq(db)->h, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return db_sqlite_code(rc);
    struct sq_stmt *s = wrap_stmt(db, st);
    if (!s)
        return DB_ERROR;
    *out = &s->base;
    return DB_OK;
}

static struct db_stmt *sq_kept(struct db *db, const char *sql)
{
    struct sq_db *d = sq(db);
    /* A connection keeps a handful of statements: a linear look costs less than preparing. */
    for (struct sq_stmt *s = d->kept; s; s = s->next) {
        if (!sqlite3_stmt_busy(s->st) && strcmp(sqlite3_sql(s->st), sql) == 0) {
            sqlite3_reset(s->st);
            sqlite3_clear_bindings(s->st);
            return &s->base;
        }
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        return NULL;
    struct sq_stmt *s = wrap_stmt(db, st);
    if (!s)
        return NULL;
    s->kept = true;
    s->next = d->kept;
    d->kept = s;
    return &s->base;
}

static void sq_kept_done(struct db_stmt *s)
{
    sqlite3_reset(st_of(s));
    sqlite3_clear_bindings(st_of(s));
}

static int sq_bind_text(struct db_stmt *s, int i, const char *v)
{
    return db_sqlite_code(sqlite3_bind_text(st_of(s), i, v, -1, SQLITE_TRANSIENT));
}

static int sq_bind_int64(struct db_stmt *s, int i, int64_t v)
{
    return db_sqlite_code(sqlite3_bind_int64(st_of(s), i, v));
}

static int sq_bind_null(struct db_stmt *s, int i)
{
    return db_sqlite_code(sqlite3_bind_null(st_of(s), i));
}

static int sq_bind_blob(struct db_stmt *s, int i, const void *v, size_t n)
{
    return db_sqlite_code(sqlite3_bind_blob64(st_of(s), i, v, n, SQLITE_TRANSIENT));
}

static int sq_step(struct db_stmt *s)
{
    return db_sqlite_code(sqlite3_step(st_of(s)));
}

static void sq_reset(struct db_stmt *s)
{
    sqlite3_reset(st_of(s));
}

static void sq_clear_bindings(struct db_stmt *s)
{
    sqlite3_clear_bindings(st_of(s));
}

static void sq_finalize(struct db_stmt *s)
{
    struct sq_stmt *q = (struct sq_stmt *)s;
    if (q->kept) {
        sq_kept_done(s);
        return;
    }
    sqlite3_finalize(q->st);
    free(q);
}

static bool sq_column_is_null(struct db_stmt *s, int i)
{
    return sqlite3_column_type(st_of(s), i) == SQLITE_NULL;
}

static const char *sq_column_text(struct db_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(st_of(s), i);
}

static size_t sq_column_bytes(struct db_stmt *s, int i)
{
    return (size_t)sqlite3_column_bytes(st_of(s), i);
}

static int64_t sq_column_int64(struct db_stmt *s, int i)
{
    return sqlite3_column_int64(st_of(s), i);
}

static const void *sq_column_blob(struct db_stmt *s, int i)
{
    return sqlite3_column_blob(st_of(s), i);
}

static int sq_exec(struct db *db, const char *sql)
{
    return db_sqlite_code(sqlite3_exec(sq(db)->h, sql, NULL, NULL, NULL));
}

static int64_t sq_changes(struct db *db)
{
    return sqlite3_changes64(sq(db)->h);
}

static int sq_errcode(struct db *db)
{
    return db_sqlite_code(sqlite3_errcode(sq(db)->h));
}

static const char *sq_errmsg(struct db *db)
{
    return sqlite3_errmsg(sq(db)->h);
}

static bool sq_in_transaction(struct db *db)
{
    return !sqlite3_get_autocommit(sq(db)->h);
}

/* Every statement on the handle, the caller's own included: one left mid-step pins a read
 * snapshot and keeps the WAL from being checkpointed. */
static void sq_reset_kept(struct db *db)
{
    sqlite3 *h = sq(db)->h;
    for (sqlite3_stmt *s = sqlite3_next_stmt(h, NULL); s; s = sqlite3_next_stmt(h, s))
        if (sqlite3_stmt_busy(s))
            sqlite3_reset(s);
}

static void sq_close(struct db *db)
{
    struct sq_db *d = sq(db);
    struct sq_stmt *s = d->kept;
    while (s) {
        struct sq_stmt *next = s->next;
        sqlite3_finalize(s->st);
        free(s);
        s = next;
    }
    /* Statements a caller prepared and never finalized would make sqlite3_close refuse and
     * leak the connection; close_v2 closes once they are gone. */
    sqlite3_close_v2(d->h);
    free(d);
}

static const struct db_ops sq_ops = {
    .backend = DB_SQLITE,
    .prepare = sq_prepare,
    .kept = sq_kept,
    .kept_done = sq_kept_done,
    .bind_text = sq_bind_text,
    .bind_int64 = sq_bind_int64,
    .bind_null = sq_bind_null,
    .bind_blob = sq_bind_blob,
    .step = sq_step,
    .reset = sq_reset,
    .clear_bindings = sq_clear_bindings,
    .finalize = sq_finalize,
    .column_is_null = sq_column_is_null,
    .column_text = sq_column_text,
    .column_bytes = sq_column_bytes,
    .column_int64 = sq_column_int64,
    .column_blob = sq_column_blob,
    .exec = sq_exec,
    .changes = sq_changes,
    .errcode = sq_errcode,
    .errmsg = sq_errmsg,
    .in_transaction = sq_in_transaction,
    .reset_kept = sq_reset_kept,
    .close = sq_close,
};
