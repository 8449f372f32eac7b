/* SPDX-License-Identifier: MIT */
/* The one SQL interface the store layer speaks: a connection, statements stepped row by row,
 * over SQLite (db_sqlite.c) or PostgreSQL (db_pg.c). Shaped like SQLite's step API, which the
 * repositories were written against, so a repository reads the same on both backends; what
 * the dialects cannot share is chosen by db_backend() in the few places that need it
 * (docs/architecture.md, "Store backends").
 *
 * Parameters are written `?` or `?N` in every statement; the PostgreSQL driver rewrites them
 * to `$N`. Values are bound as text, integers or blobs and are always copied. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct db_stmt;

enum db_backend {
    DB_SQLITE,
    DB_POSTGRESQL,
};

/* Result codes of db_prepare, db_step and db_exec (and db_errcode). */
enum {
    DB_OK = 0,
    DB_ERROR = 1,       /* anything not below; db_errmsg says what */
    DB_BUSY = 5,        /* locked, or a serialization failure: retry later */
    DB_IOERR = 10,      /* the storage failed or is corrupt */
    DB_FULL = 13,       /* the disk is full */
    DB_UNAVAILABLE = 14, /* cannot open the database, or the connection to it is lost */
    DB_CONSTRAINT = 19, /* a unique, foreign key, check or not-null constraint */
    DB_ROW = 100,       /* db_step: a row is ready */
    DB_DONE = 101,      /* db_step: finished */
};

enum db_backend db_backend(const struct db *db);

/* Prepares one statement the caller finalizes with db_finalize. DB_OK, or an error code
 * (the statement is NULL). */
int db_prepare(struct db *db, const char *sql, struct db_stmt **out);
/* A statement kept prepared on the connection for reuse, found by its SQL text (hot paths).
 * Reset and with no bindings; NULL on failure (db_errcode says why). Hand it back with
 * db_kept_done, never db_finalize: db_close finalizes it. */
struct db_stmt *db_kept(struct db *db, const char *sql);
void db_kept_done(struct db_stmt *s);

/* Bindings, 1-based. A NULL text binds SQL NULL. Values are copied. */
int db_bind_text(struct db_stmt *s, int i, const char *v);
int db_bind_int64(struct db_stmt *s, int i, int64_t v);
int db_bind_null(struct db_stmt *s, int i);
int db_bind_blob(struct db_stmt *s, int i, const void *v, size_t n);

int db_step(struct db_stmt *s);
/* Back to before the first step, keeping the bindings. */
void db_reset(struct db_stmt *s);
void db_clear_bindings(struct db_stmt *s);
void db_finalize(struct db_stmt *s);

/* Columns of the current row, 0-based. A NULL reads as NULL text, 0, and 0 bytes. Text stays
 * valid until the next step, reset or finalize. */
bool db_column_is_null(struct db_stmt *s, int i);
const char *db_column_text(struct db_stmt *s, int i);
size_t db_column_bytes(struct db_stmt *s, int i);
int64_t db_column_int64(struct db_stmt *s, int i);
int db_column_int(struct db_stmt *s, int i);
const void *db_column_blob(struct db_stmt *s, int i);
struct db *db_stmt_db(struct db_stmt *s);

/* Runs one or more statements without parameters or results. DB_OK or an error code. */
int db_exec(struct db *db, const char *sql);
/* Rows changed by the last INSERT, UPDATE or DELETE on this connection. */
int64_t db_changes(struct db *db);
/* The connection's last error: a DB_* code and a message (never NULL). */
int db_errcode(struct db *db);
const char *db_errmsg(struct db *db);
/* Whether a transaction is open on the connection. */
bool db_in_transaction(struct db *db);
/* Resets every statement still mid-step, kept or not (a pooled reader must not pin a
 * snapshot); the caller still finalizes its own. */
void db_reset_kept(struct db *db);
/* Finalizes the kept statements and closes. NULL is fine. */
void db_close(struct db *db);
