/* SPDX-License-Identifier: MIT */
/* The store: one writer thread that group-commits durable changes, and a pool of read
 * connections, over SQLite or PostgreSQL (store/db.h). The store is the only authority;
 * everything else is derived from it. */
#pragma once

#include "store/db.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/scim_error.h"

struct store;

/* Runs inside the writer's transaction (in its own savepoint). Returns 0, or -1 with err set;
 * on -1 everything it wrote is rolled back, the rest of the batch still commits. */
typedef int (*store_write_fn)(struct db *db, void *ctx, struct scim_error *err);

/* Where the store is. */
struct store_target {
    const char *path;        /* SQLite: the database file */
    const char *pg_url;      /* PostgreSQL: a libpq URI; NULL for SQLite */
    const char *pg_password; /* NULL: libpq's own (PGPASSWORD, its passfile) */
    unsigned busy_timeout_ms; /* SQLite */
};

/* Opens (creating and migrating if needed) the database. Starts the writer thread unless
 * writer_thread is false (scimctl writes synchronously through the same API). */
int store_open_target(struct store **out, const struct store_target *t, bool writer_thread,
                      char *err, size_t errlen);
/* store_open_target on a SQLite file. */
int store_open(struct store **out, const char *path, unsigned busy_timeout_ms, bool writer_thread,
               char *err, size_t errlen);
enum db_backend store_backend(const struct store *st);
void store_close(struct store *st);
const char *store_path(const struct store *st);

/* Queues fn and blocks until its change is committed and fsync'd (or failed). */
int store_write(struct store *st, store_write_fn fn, void *ctx, struct scim_error *err);

/* Called on the writer thread after each successful commit that changed something. */
void store_set_commit_hook(struct store *st, void (*hook)(void *arg), void *arg);

/* PostgreSQL: starts a thread that LISTENs for the commits of every other store on the same
 * database (other scimd instances, scimctl) and calls hook on that thread after each burst,
 * and once after every (re)connection, since commits may have been missed while it was away;
 * this store's own commits are its callers' to act on. Nothing for SQLite, where one scimd
 * writes.
 * 0, or -1 with err set. Set once, before serving. */
int store_listen_commits(struct store *st, void (*hook)(void *arg), void *arg, char *err,
                         size_t errlen);
/* Stops that thread (within half a second), before what its hook uses goes away. */
void store_listen_stop(struct store *st);

/* Told on the writer thread after every batch it ran: n writes in seconds (the transaction
 * and its fsync). The store knows nothing of metrics: main points this at metrics_commit. */
typedef void (*store_batch_fn)(size_t n, double seconds);
void store_set_batch_observer(struct store *st, store_batch_fn fn);

/* A read connection for the calling thread; give it back with store_reader_put. */
struct db *store_reader_get(struct store *st, struct scim_error *err);
void store_reader_put(struct store *st, struct db *db);
/* Opens a read transaction on a reader, so several reads see one state; store_reader_put
 * ends it. 0, or -1 with err set. */
int store_read_begin(struct db *db, struct scim_error *err);

/* A prepared statement kept on the connection for reuse (hot paths: lookups by id and name).
 * Return it with store_stmt_done, never db_finalize. */
struct db_stmt *store_stmt(struct db *db, const char *sql);
void store_stmt_done(struct db_stmt *s);

/* Steps s to its end, handing each row to fn (which reads its columns); stops at fn's first
 * negative return and returns it. prepared is what preparing s returned: when it is not
 * DB_OK nothing is stepped. A failure is mapped (store_db_error, naming what).
 * 0, or < 0. The caller still owns s. */
typedef int (*store_row_fn)(struct db *db, struct db_stmt *s, void *arg, struct scim_error *err);
int store_stmt_each(struct db *db, int prepared, struct db_stmt *s, store_row_fn fn, void *arg,
                    const char *what, struct scim_error *err);
/* The same walk for the readers whose callers report db_errmsg rather than a scim_error
 * (scimctl's listings, the fleet's host list): fn's first non-zero return, negative or
 * positive, stops the walk and is returned. 0 after the last row, or -1 when s was not
 * prepared or a step failed. The caller still owns s. */
typedef int (*store_walk_fn)(struct db_stmt *s, void *arg);
int store_stmt_walk(int prepared, struct db_stmt *s, store_walk_fn fn, void *arg);
/* Closes a connection with the statements kept on it. */
void store_connection_close(struct db *db);

/* Binds s's parameters in order as fmt lists them: 't' a const char * (NULL binds NULL),
 * 'i' an int64_t (cast: a narrower argument is undefined behaviour). */
void store_bind_v(struct db_stmt *s, const char *fmt, va_list ap);
/* Runs sql, one statement that returns no row (an INSERT or UPDATE), once, its parameters
 * bound as store_bind_v binds them. A failure is mapped (store_db_error, naming what).
 * 0, or < 0 with err set. */
int store_exec_bind(struct db *db, const char *what, struct scim_error *err, const char *sql,
                    const char *fmt, ...);

/* 1 if sql (with one or two text parameters) returns a row, 0 if none, -1 with err set. */
int store_row_exists(struct db *db, const char *sql, const char *a, const char *b,
                     struct scim_error *err);

/* Helpers for the key/value meta table (used inside write fns or on a reader); their
 * statements are cached on the connection (store_stmt). */
int store_meta_get(struct db *db, const char *key, char *buf, size_t buflen); /* 1 found, 0 not, -1 err */
int store_meta_set(struct db *db, const char *key, const char *value);
/* store_meta_set inside a write: a failure is mapped as store_db_error maps it, naming
 * what. 0, or -1 with err set. */
int store_meta_write(struct db *db, const char *key, const char *value, const char *what,
                     struct scim_error *err);

/* Maps a DB_* failure code to a SCIM 5xx error (disk full -> 507 with a clear detail; busy
 * or a lost database connection -> 503, which IdPs retry). */
int store_db_error(struct db *db, int rc, struct scim_error *err, const char *what);
/* store_db_error for the connection's most recent failure, for callers above the store
 * that got -1 from a repository function and hold no result code. */
int store_last_error(struct db *db, struct scim_error *err, const char *what);

/* Current time as RFC 3339 UTC with milliseconds: "2026-11-24T02:33:32.123Z". */
void store_timestamp(char buf[32]);
