/* SPDX-License-Identifier: MIT */
#include "store/store.h"

#include "log.h"
#include "store/db_pg.h"
#include "store/db_sqlite.h"
#include "store/store_schema.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Bounded so one batch never holds the write lock for long. */
#define MAX_BATCH 512
#define MAX_POOLED_READERS 128

struct write_req {
    store_write_fn fn;
    void *ctx;
    struct scim_error *err;
    int result;
    bool done;
    struct write_req *next;
};

struct store {
    char *path; /* SQLite: the database file; PostgreSQL: NULL */
    char *pg_url;
    char *pg_password;
    enum db_backend backend;
    unsigned busy_timeout_ms;
    struct db *wdb;
    bool threaded;
    pthread_t writer;
    pthread_mutex_t mu;
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;
    struct write_req *head, *tail;
    bool stopping;
    void (*hook)(void *);
    void *hook_arg;
    store_batch_fn batch_observer;

    pthread_mutex_t pool_mu;
    struct db *pool[MAX_POOLED_READERS];
    size_t pool_n;

    /* PostgreSQL: a thread that LISTENs for other instances' commits. notify_sql carries
     * this store's random id as the payload, so the listener can skip its own commits, which
     * the writer's callers have already acted on (an export each, not two). */
    char instance[33];
    char notify_sql[64];
    void (*remote_hook)(void *);
    void *remote_hook_arg;
    pthread_t listener;
    bool listening;
    bool listener_stop; /* under mu */
    time_t reconnect_after; /* the writer's: CLOCK_MONOTONIC seconds */
};

void store_timestamp(char buf[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

int store_db_error(struct db *db, int rc, struct scim_error *err, const char *what)
{
    const char *msg = db ? db_errmsg(db) : "error";
    if (rc == DB_FULL)
        return scim_error_set(err, 507, NULL,
                              "%s: the server's disk is full; the change was not stored", what);
    if (rc == DB_BUSY)
        return scim_error_set(err, 503, NULL, "%s: the store is busy; retry", what);
    if (rc == DB_UNAVAILABLE)
        return scim_error_set(err, 503, NULL, "%s: the store is unavailable; retry", what);
    if (rc == DB_IOERR)
        return scim_error_set(err, 500, NULL, "%s: storage error: %s", what, msg);
    return scim_error_set(err, 500, NULL, "%s: %s", what, msg);
}

/* The store holds password hashes and token HMACs: create it 0600 whatever the umask
 * (SQLite gives its -wal and -shm files the database's mode). */
static int create_private(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fd >= 0)
        close(fd);
    return 0;
}

static int open_sqlite(const char *path, unsigned busy_ms, bool reader, struct db **out,
                       char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    if (!reader && create_private(path, err, errlen) < 0)
        return -1;
    char *msg = NULL;
    int rc = sqlite3_open_v2(path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(db, (int)busy_ms);
    /* synchronous=FULL in WAL mode fsyncs the WAL at every commit: a 2xx means on disk. */
    /* Up to one reader per connection: a small page cache each keeps RSS bounded at high
     * concurrency (the OS page cache holds the database anyway). */
    const char *pragmas = reader ? "PRAGMA query_only=1; PRAGMA foreign_keys=ON;"
                                   " PRAGMA cache_size=-128;"
                                 : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                   " PRAGMA foreign_keys=ON;";
    if (sqlite3_exec(db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
        goto fail;
    }
    *out = db_sqlite_wrap(db);
    if (!*out) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    return 0;
fail:
    sqlite3_free(msg);
    sqlite3_close(db);
    return -1;
}

/* Readers refuse to write on PostgreSQL as query_only makes SQLite readers refuse. */
static int open_pg(const struct store *st, bool reader, struct db **out, char *err,
                   size_t errlen)
{
    if (db_pg_open(st->pg_url, st->pg_password, out, err, errlen) != DB_OK)
        return -1;
    if (reader && db_exec(*out, "SET default_transaction_read_only = on") != DB_OK) {
        snprintf(err, errlen, "PostgreSQL: %s", db_errmsg(*out));
        db_close(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static int open_connection(const struct store *st, bool reader, struct db **out, char *err,
                           size_t errlen)
{
    if (st->backend == DB_POSTGRESQL)
        return open_pg(st, reader, out, err, errlen);
    return open_sqlite(st->path, st->busy_timeout_ms, reader, out, err, errlen);
}

void store_connection_close(struct db *db)
{
    db_close(db);
}

static void finish_batch(struct store *st, struct write_req *batch)
{
    pthread_mutex_lock(&st->mu);
    for (struct write_req *r = batch; r; r = r->next)
        r->done = true;
    pthread_cond_broadcast(&st->done_cv);
    pthread_mutex_unlock(&st->mu);
}

/* The transaction statements of a batch run a few thousand times a second under load:
 * kept prepared on the writer's connection instead of re-parsed by sqlite3_exec. */
static int exec_kept(struct db *db, const char *sql)
{
    struct db_stmt *s = store_stmt(db, sql);
    if (!s)
        return db_errcode(db) != DB_OK ? db_errcode(db) : DB_ERROR;
    int rc = db_step(s);
    store_stmt_done(s);
    return rc == DB_DONE ? DB_OK : rc;
}

/* Applies a batch in one transaction, each request in its own savepoint, then one fsync'd
 * COMMIT for all: this is the group commit. Returns whether anything changed. */
static int begin_write(struct store *st)
{
    struct db *db = st->wdb;
    if (st->backend == DB_SQLITE)
        return exec_kept(db, "BEGIN IMMEDIATE");
    /* After a failover the writer reconnects here, at its next batch: until then the IdPs
     * were answered 503 and retried. */
    if (!db_pg_alive(db)) {
        /* Against an address that does not answer a try takes libpq's connect timeout:
         * after a failed one, the batches of the next second fail at once instead of each
         * waiting it out in turn. */
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec < st->reconnect_after)
            return DB_UNAVAILABLE;
        if (db_pg_reconnect(db) != DB_OK) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            st->reconnect_after = now.tv_sec + 1;
            return DB_UNAVAILABLE;
        }
    }
    int rc = exec_kept(db, "BEGIN");
    if (rc == DB_OK) {
        rc = exec_kept(db, STORE_PG_WRITE_LOCK);
        /* A SELECT: exec_kept reads its one row as a failure. */
        if (rc == DB_ROW)
            rc = DB_OK;
        if (rc != DB_OK)
            db_exec(db, "ROLLBACK");
    }
    return rc;
}

static bool run_batch(struct store *st, struct write_req *batch)
{
    struct db *db = st->wdb;
    bool any_ok = false;
    int rc = begin_write(st);
    if (rc != DB_OK) {
        for (struct write_req *r = batch; r; r = r->next) {
            store_db_error(db, rc, r->err, "store");
            r->result = -1;
        }
        return false;
    }
    for (struct write_req *r = batch; r; r = r->next) {
        scim_error_clear(r->err);
        rc = exec_kept(db, "SAVEPOINT w");
        if (rc != DB_OK) {
            r->result = store_db_error(db, rc, r->err, "store");
            continue;
        }
        r->result = r->fn(db, r->ctx, r->err);
        /* A statement that failed inside fn aborts a PostgreSQL transaction even when fn
         * carried on (SQLite only fails the statement): COMMIT would then roll back every
         * request of the batch and still report success. Such a request fails here, alone. */
        if (r->result == 0 && st->backend == DB_POSTGRESQL && db_pg_transaction_failed(db))
            r->result = store_db_error(db, db_errcode(db), r->err, "store");
        if (r->result < 0) {
            /* Whatever a request made of a failure on a connection the database dropped
             * (a 500 of its own), it is the outage's: 503, which IdPs retry. */
            if (st->backend == DB_POSTGRESQL && !db_pg_connection_ok(db) && r->err &&
                r->err->status != 503)
                store_db_error(db, DB_UNAVAILABLE, r->err, "store");
            if (r->err && r->err->status == 0)
                scim_error_set(r->err, 500, NULL, "internal error");
            exec_kept(db, "ROLLBACK TO w");
        } else {
            any_ok = true;
        }
        exec_kept(db, "RELEASE w");
    }
    /* Delivered at COMMIT, to every instance's listener, this one's included. */
    rc = DB_OK;
    if (any_ok && st->backend == DB_POSTGRESQL)
        rc = exec_kept(db, st->notify_sql);
    if (rc == DB_OK && st->backend == DB_POSTGRESQL && db_pg_transaction_failed(db))
        rc = DB_ERROR;
    if (rc == DB_OK)
        rc = exec_kept(db, "COMMIT");
    if (rc != DB_OK) {
        struct scim_error e;
        store_db_error(db, rc, &e, "commit");
        exec_kept(db, "ROLLBACK");
        for (struct write_req *r = batch; r; r = r->next) {
            if (r->result == 0 && r->err)
                *r->err = e;
            r->result = -1;
        }
        return false;
    }
    return any_ok;
}

static void *writer_main(void *arg)
{
    struct store *st = arg;
    pthread_mutex_lock(&st->mu);
    for (;;) {
        while (!st->head && !st->stopping)
            pthread_cond_wait(&st->work_cv, &st->mu);
        if (!st->head && st->stopping)
            break;
        struct write_req *batch = st->head, *last = batch;
        size_t n = 1;
        while (last->next && n < MAX_BATCH) {
            last = last->next;
            n++;
        }
        st->head = last->next;
        if (!st->head)
            st->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&st->mu);

        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        bool changed = run_batch(st, batch);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (st->batch_observer)
            st->batch_observer(n, (double)(t1.tv_sec - t0.tv_sec) +
                                      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        if (changed && st->hook)
            st->hook(st->hook_arg);
        finish_batch(st, batch);

        pthread_mutex_lock(&st->mu);
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

int store_write(struct store *st, store_write_fn fn, void *ctx, struct scim_error *err)
{
    struct write_req req = { .fn = fn, .ctx = ctx, .err = err };
    if (!st->threaded) {
        bool changed = run_batch(st, &req);
        if (changed && st->hook)
            st->hook(st->hook_arg);
        return req.result;
    }
    pthread_mutex_lock(&st->mu);
    if (st->stopping) {
        pthread_mutex_unlock(&st->mu);
        return scim_error_set(err, 503, NULL, "the server is shutting down");
    }
    if (st->tail)
        st->tail->next = &req;
    else
        st->head = &req;
    st->tail = &req;
    pthread_cond_signal(&st->work_cv);
    while (!req.done)
        pthread_cond_wait(&st->done_cv, &st->mu);
    pthread_mutex_unlock(&st->mu);
    return req.result;
}

void store_set_commit_hook(struct store *st, void (*hook)(void *), void *arg)
{
    st->hook = hook;
    st->hook_arg = arg;
}

void store_set_batch_observer(struct store *st, store_batch_fn fn)
{
    st->batch_observer = fn;
}

struct db *store_reader_get(struct store *st, struct scim_error *err)
{
    struct db *db = NULL;
    for (;;) {
        pthread_mutex_lock(&st->pool_mu);
        db = st->pool_n > 0 ? st->pool[--st->pool_n] : NULL;
        pthread_mutex_unlock(&st->pool_mu);
        /* Pooled before a database restart, a connection would fail one request each after
         * it: such connections are dropped here, unused. */
        if (!db || st->backend != DB_POSTGRESQL || db_pg_alive(db))
            break;
        store_connection_close(db);
    }
    if (db)
        return db;
    char msg[256];
    if (open_connection(st, true, &db, msg, sizeof(msg)) < 0) {
        /* A database that cannot be reached is the IdP's cue to retry, not a server bug. */
        scim_error_set(err, st->backend == DB_POSTGRESQL ? 503 : 500, NULL, "store: %s", msg);
        return NULL;
    }
    return db;
}

int store_last_error(struct db *db, struct scim_error *err, const char *what)
{
    return store_db_error(db, db_errcode(db), err, what);
}

int store_read_begin(struct db *db, struct scim_error *err)
{
    /* One snapshot for every read of the transaction, as SQLite's deferred BEGIN gives. */
    int rc = exec_kept(db, db_backend(db) == DB_POSTGRESQL
                               ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                               : "BEGIN");
    /* BEGIN is deferred: the first read takes the snapshot every later read shares. */
    return rc == DB_OK ? 0 : store_db_error(db, rc, err, "read transaction");
}

void store_reader_put(struct store *st, struct db *db)
{
    if (!db)
        return;
    /* A reader must not pin an old snapshot: any statement left open would keep the WAL from
     * being checkpointed. Cached statements stay prepared, but reset. */
    db_reset_kept(db);
    if (db_in_transaction(db))
        db_exec(db, "ROLLBACK");
    /* A connection the database dropped (failover, restart) is not pooled: the next reader
     * connects anew. */
    if (db_backend(db) == DB_POSTGRESQL && !db_pg_connection_ok(db)) {
        store_connection_close(db);
        return;
    }
    pthread_mutex_lock(&st->pool_mu);
    if (st->pool_n < MAX_POOLED_READERS) {
        st->pool[st->pool_n++] = db;
        db = NULL;
    }
    pthread_mutex_unlock(&st->pool_mu);
    store_connection_close(db);
}

struct db_stmt *store_stmt(struct db *db, const char *sql)
{
    return db_kept(db, sql);
}

void store_stmt_done(struct db_stmt *s)
{
    db_kept_done(s);
}

int store_stmt_each(struct db *db, int prepared, struct db_stmt *s, store_row_fn fn, void *arg,
                    const char *what, struct scim_error *err)
{
    int rc = prepared;
    if (rc != DB_OK)
        return store_db_error(db, rc, err, what);
    while ((rc = db_step(s)) == DB_ROW) {
        int r = fn(db, s, arg, err);
        if (r < 0)
            return r;
    }
    if (rc != DB_DONE)
        return store_db_error(db, rc, err, what);
    return 0;
}

int store_stmt_walk(int prepared, struct db_stmt *s, store_walk_fn fn, void *arg)
{
    if (prepared != DB_OK)
        return -1;
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        int r = fn(s, arg);
        if (r != 0)
            return r;
    }
    return rc == DB_DONE ? 0 : -1;
}

void store_bind_v(struct db_stmt *s, const char *fmt, va_list ap)
{
    for (int i = 0; fmt[i]; i++) {
        if (fmt[i] == 't') {
            const char *v = va_arg(ap, const char *);
            if (v)
                db_bind_text(s, i + 1, v);
            else
                db_bind_null(s, i + 1);
        } else {
            db_bind_int64(s, i + 1, va_arg(ap, int64_t));
        }
    }
}

int store_exec_bind(struct db *db, const char *what, struct scim_error *err, const char *sql,
                    const char *fmt, ...)
{
    struct db_stmt *s = NULL;
    int rc = db_prepare(db, sql, &s);
    if (rc == DB_OK) {
        va_list ap;
        va_start(ap, fmt);
        store_bind_v(s, fmt, ap);
        va_end(ap);
        rc = db_step(s);
    }
    db_finalize(s);
    if (rc != DB_DONE)
        return store_db_error(db, rc, err, what);
    return 0;
}

int store_row_exists(struct db *db, const char *sql, const char *a, const char *b,
                     struct scim_error *err)
{
    struct db_stmt *s = store_stmt(db, sql);
    int rc = DB_ERROR;
    if (s) {
        db_bind_text(s, 1, a);
        if (b)
            db_bind_text(s, 2, b);
        rc = db_step(s);
        store_stmt_done(s);
    }
    if (rc == DB_ROW)
        return 1;
    if (rc == DB_DONE)
        return 0;
    return store_db_error(db, rc == DB_ERROR ? db_errcode(db) : rc, err, "lookup");
}

/* Kept prepared (store_stmt): the writer reads and raises the high-water marks on every
 * allocation. */
int store_meta_get(struct db *db, const char *key, char *buf, size_t buflen)
{
    struct db_stmt *s = store_stmt(db, "SELECT value FROM meta WHERE key = ?");
    int ret = -1;
    if (!s)
        return -1;
    db_bind_text(s, 1, key);
    int rc = db_step(s);
    if (rc == DB_DONE) {
        ret = 0;
    } else if (rc == DB_ROW) {
        snprintf(buf, buflen, "%s", db_column_text(s, 0));
        ret = 1;
    }
    store_stmt_done(s);
    return ret;
}

int store_meta_set(struct db *db, const char *key, const char *value)
{
    struct db_stmt *s = store_stmt(db, "INSERT INTO meta(key, value) VALUES(?, ?)"
                                     " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    if (!s)
        return -1;
    db_bind_text(s, 1, key);
    db_bind_text(s, 2, value);
    int rc = db_step(s);
    store_stmt_done(s);
    return rc == DB_DONE ? 0 : -1;
}

int store_meta_write(struct db *db, const char *key, const char *value, const char *what,
                     struct scim_error *err)
{
    if (store_meta_set(db, key, value) < 0)
        return store_db_error(db, db_errcode(db), err, what);
    return 0;
}

int store_open_target(struct store **out, const struct store_target *t, bool writer_thread,
                      char *err, size_t errlen)
{
    struct store *st = calloc(1, sizeof(*st));
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&st->mu, NULL);
    pthread_mutex_init(&st->pool_mu, NULL);
    pthread_cond_init(&st->work_cv, NULL);
    pthread_cond_init(&st->done_cv, NULL);
    st->busy_timeout_ms = t->busy_timeout_ms;
    st->backend = t->pg_url ? DB_POSTGRESQL : DB_SQLITE;
    if (st->backend == DB_POSTGRESQL) {
        unsigned char raw[16];
        if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
            snprintf(err, errlen, "cannot draw an instance id: %s", strerror(errno));
            goto fail;
        }
        for (size_t i = 0; i < sizeof(raw); i++)
            snprintf(st->instance + 2 * i, 3, "%02x", raw[i]);
        snprintf(st->notify_sql, sizeof(st->notify_sql), "NOTIFY scimd_changes, '%s'",
                 st->instance);
        st->pg_url = strdup(t->pg_url);
        st->pg_password = t->pg_password ? strdup(t->pg_password) : NULL;
        if (!st->pg_url || (t->pg_password && !st->pg_password))
            goto nomem;
    } else {
        st->path = strdup(t->path);
        if (!st->path)
            goto nomem;
    }
    if (open_connection(st, false, &st->wdb, err, errlen) < 0)
        goto fail;
    if (st->backend == DB_POSTGRESQL ? store_schema_migrate_pg(st->wdb, err, errlen) < 0
                                     : store_schema_migrate(st->wdb, t->path, err, errlen) < 0)
        goto fail;
    if (writer_thread) {
        int e = pthread_create(&st->writer, NULL, writer_main, st);
        if (e != 0) {
            snprintf(err, errlen, "cannot start writer thread: %s", strerror(e));
            goto fail;
        }
        st->threaded = true;
    }
    *out = st;
    return 0;
nomem:
    snprintf(err, errlen, "out of memory");
fail:
    store_close(st);
    return -1;
}

int store_open(struct store **out, const char *path, unsigned busy_timeout_ms, bool writer_thread,
               char *err, size_t errlen)
{
    const struct store_target t = { .path = path, .busy_timeout_ms = busy_timeout_ms };
    return store_open_target(out, &t, writer_thread, err, errlen);
}

enum db_backend store_backend(const struct store *st)
{
    return st->backend;
}

static bool listener_stopping(struct store *st)
{
    pthread_mutex_lock(&st->mu);
    bool stop = st->listener_stop;
    pthread_mutex_unlock(&st->mu);
    return stop;
}

/* Sleeps ms in short steps, so store_close never waits long for this thread. */
static void listener_pause(struct store *st, unsigned ms)
{
    for (unsigned slept = 0; slept < ms && !listener_stopping(st); slept += 100)
        nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000000L }, NULL);
}

/* Another instance's commit is this one's news too: long-polls wake, the cache exports.
 * A lost connection (failover) is reopened with backoff; the hook runs after each
 * reconnection because NOTIFYs sent meanwhile are gone. */
static void *listener_main(void *arg)
{
    struct store *st = arg;
    struct db *db = NULL;
    unsigned backoff = 100;
    bool was_lost = false;
    while (!listener_stopping(st)) {
        if (!db) {
            char msg[256];
            if (open_pg(st, false, &db, msg, sizeof(msg)) < 0 ||
                db_exec(db, "LISTEN scimd_changes") != DB_OK) {
                if (!was_lost)
                    log_warn("store: cannot listen for other instances' changes (%s); "
                             "retrying", db ? db_errmsg(db) : msg);
                was_lost = true;
                db_close(db);
                db = NULL;
                listener_pause(st, backoff);
                backoff = backoff < 5000 ? backoff * 2 : 5000;
                continue;
            }
            if (was_lost)
                log_info("store: listening for other instances' changes again");
            was_lost = false;
            backoff = 100;
            st->remote_hook(st->remote_hook_arg);
        }
        char payload[64];
        int r = db_pg_wait_notify(db, 500, NULL, 0, payload, sizeof(payload));
        if (r < 0) {
            db_close(db);
            db = NULL;
            continue;
        }
        if (r == 0)
            continue;
        /* One call for a burst: the hook reads the store's state, not the messages. */
        bool foreign = strcmp(payload, st->instance) != 0;
        while (db_pg_wait_notify(db, 0, NULL, 0, payload, sizeof(payload)) == 1)
            foreign = foreign || strcmp(payload, st->instance) != 0;
        if (foreign)
            st->remote_hook(st->remote_hook_arg);
    }
    db_close(db);
    return NULL;
}

int store_listen_commits(struct store *st, void (*hook)(void *arg), void *arg, char *err,
                         size_t errlen)
{
    if (st->backend != DB_POSTGRESQL || st->listening)
        return 0;
    st->remote_hook = hook;
    st->remote_hook_arg = arg;
    int e = pthread_create(&st->listener, NULL, listener_main, st);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the store's listener thread: %s", strerror(e));
        return -1;
    }
    st->listening = true;
    return 0;
}

const char *store_path(const struct store *st)
{
    return st->path;
}

void store_listen_stop(struct store *st)
{
    if (!st || !st->listening)
        return;
    pthread_mutex_lock(&st->mu);
    st->listener_stop = true;
    pthread_mutex_unlock(&st->mu);
    pthread_join(st->listener, NULL);
    st->listening = false;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    store_listen_stop(st);
    if (st->threaded) {
        pthread_mutex_lock(&st->mu);
        st->stopping = true;
        pthread_cond_signal(&st->work_cv);
        pthread_mutex_unlock(&st->mu);
        pthread_join(st->writer, NULL);
    }
    for (size_t i = 0; i < st->pool_n; i++)
        store_connection_close(st->pool[i]);
    store_connection_close(st->wdb);
    pthread_mutex_destroy(&st->mu);
    pthread_mutex_destroy(&st->pool_mu);
    pthread_cond_destroy(&st->work_cv);
    pthread_cond_destroy(&st->done_cv);
    free(st->path);
    free(st->pg_url);
    if (st->pg_password) {
        explicit_bzero(st->pg_password, strlen(st->pg_password));
        free(st->pg_password);
    }
    free(st);
}
