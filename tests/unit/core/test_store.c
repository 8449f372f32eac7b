/* SPDX-License-Identifier: MIT */
/* The SQLite store (store.c): group commit from many threads, per-request rollback, readers
 * seeing committed data, the meta table, and open-time errors. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include "store/db_sqlite.h"

#include "core_fixture.h"
#include "store/store.h"
#include "store/store_schema.h"

#define N_THREADS 8
#define N_WRITES 25

struct fx {
    char *dir;
    struct store *st;
    atomic_int commits;
};

static void count_commit(void *arg)
{
    struct fx *f = arg;
    atomic_fetch_add(&f->commits, 1);
}

static int exec_fn(struct db *db, void *ctx, struct scim_error *err)
{
    int rc = db_exec(db, ctx);
    if (rc != DB_OK)
        return store_db_error(db, rc, err, "exec");
    return 0;
}

static void write_sql(struct store *st, const char *sql)
{
    struct scim_error err = { 0 };
    if (store_write(st, exec_fn, (void *)sql, &err) != 0)
        fail_msg("store_write(%s): %d %s", sql, err.status, err.detail);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = core_mkdtemp();
    f->st = core_store_open(f->dir, "scimd.db", true);
    store_set_commit_hook(f->st, count_commit, f);
    write_sql(f->st, "CREATE TABLE scratch(tag TEXT PRIMARY KEY, thread INTEGER, seq INTEGER)");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->st);
    core_rmdir(f->dir);
    free(f);
    return 0;
}

/* What a reader sees for tag: 1 with thread/seq/rowid filled, 0 absent. */
static int read_tag(struct store *st, const char *tag, int *thread, int *seq, int64_t *rowid)
{
    struct scim_error err = { 0 };
    struct db *db = store_reader_get(st, &err);
    if (!db)
        fail_msg("store_reader_get: %s", err.detail);
    struct db_stmt *s = NULL;
    int found = -1;
    if (db_prepare(db, "SELECT thread, seq, rowid FROM scratch WHERE tag = ?", &s) == DB_OK) {
        db_bind_text(s, 1, tag);
        int rc = db_step(s);
        if (rc == DB_ROW) {
            *thread = db_column_int(s, 0);
            *seq = db_column_int(s, 1);
            *rowid = db_column_int64(s, 2);
            found = 1;
        } else if (rc == DB_DONE) {
            found = 0;
        }
    }
    db_finalize(s);
    store_reader_put(st, db);
    return found;
}

static int64_t count_rows(struct store *st, const char *sql)
{
    struct scim_error err = { 0 };
    struct db *db = store_reader_get(st, &err);
    assert_non_null(db);
    struct db_stmt *s = NULL;
    int64_t n = -1;
    if (db_prepare(db, sql, &s) == DB_OK && db_step(s) == DB_ROW)
        n = db_column_int64(s, 0);
    db_finalize(s);
    store_reader_put(st, db);
    return n;
}

enum outcome { SUCCEED, FAIL_WITH_ERROR, FAIL_SILENTLY };

struct write_ctx {
    struct fx *f;
    int thread, seq;
    enum outcome outcome;
    char tag[32];
    int64_t rowid;    /* set by the write fn */
    int batch;        /* commits counted when the fn ran: equal within one transaction */
    pthread_t ran_on;
    int runs;
};

static int tagged_insert(struct db *db, void *arg, struct scim_error *err)
{
    struct write_ctx *c = arg;
    c->runs++;
    c->ran_on = pthread_self();
    c->batch = atomic_load(&c->f->commits);
    struct db_stmt *s = NULL;
    int rc = db_prepare(db, "INSERT INTO scratch(tag, thread, seq) VALUES(?, ?, ?)", &s);
    if (rc == DB_OK) {
        db_bind_text(s, 1, c->tag);
        db_bind_int64(s, 2, c->thread);
        db_bind_int64(s, 3, c->seq);
        rc = db_step(s);
    }
    db_finalize(s);
    if (rc != DB_DONE)
        return store_db_error(db, rc, err, "insert");
    c->rowid = sqlite3_last_insert_rowid(db_sqlite_handle(db));
    /* A failing request fails after it wrote: its row must be rolled back, no one else's. */
    if (c->outcome == FAIL_WITH_ERROR)
        return scim_error_set(err, 409, "uniqueness", "refused thread %d seq %d", c->thread, c->seq);
    if (c->outcome == FAIL_SILENTLY)
        return -1;
    return 0;
}

struct worker {
    struct fx *f;
    int thread;
    atomic_int *ready;
    struct write_ctx ctx[N_WRITES];
    int results[N_WRITES];
    struct scim_error errs[N_WRITES];
    char problem[256];
};

static enum outcome outcome_for(int thread, int seq)
{
    if (seq == 0)
        return thread % 2 ? FAIL_WITH_ERROR : SUCCEED;
    if (seq % 5 == 3)
        return FAIL_WITH_ERROR;
    if (seq % 7 == 4)
        return FAIL_SILENTLY;
    return SUCCEED;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < N_WRITES && !w->problem[0]; i++) {
        struct write_ctx *c = &w->ctx[i];
        c->f = w->f;
        c->thread = w->thread;
        c->seq = i;
        c->outcome = outcome_for(w->thread, i);
        snprintf(c->tag, sizeof(c->tag), "t%d-s%d", w->thread, i);
        if (i == 0)
            atomic_fetch_add(w->ready, 1);
        w->results[i] = store_write(w->f->st, tagged_insert, c, &w->errs[i]);
        /* As soon as store_write returns, every reader sees the change (or its absence). */
        int thread = -1, seq = -1;
        int64_t rowid = -1;
        int found = read_tag(w->f->st, c->tag, &thread, &seq, &rowid);
        bool want = c->outcome == SUCCEED;
        if (found != (want ? 1 : 0))
            snprintf(w->problem, sizeof(w->problem), "%s: reader found=%d after result %d", c->tag,
                     found, w->results[i]);
        else if (want && (thread != w->thread || seq != i || rowid != c->rowid))
            snprintf(w->problem, sizeof(w->problem), "%s: reader sees another row", c->tag);
    }
    return NULL;
}

struct gate {
    atomic_int *ready;
    int want;
    atomic_int entered;
};

/* Holds the writer thread until every worker is about to queue its first write, so those
 * writes are all waiting when the writer comes back: they form one batch. */
static int gate_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct gate *g = arg;
    atomic_store(&g->entered, 1);
    for (int i = 0; i < 2000 && atomic_load(g->ready) < g->want; i++)
        usleep(1000);
    usleep(300 * 1000);
    return exec_fn(db, "INSERT INTO scratch(tag, thread, seq) VALUES('gate', -1, -1)", err);
}

static void *gate_main(void *arg)
{
    struct fx *f = ((void **)arg)[0];
    struct gate *g = ((void **)arg)[1];
    struct scim_error err = { 0 };
    if (store_write(f->st, gate_fn, g, &err) != 0)
        g->want = -1;
    return NULL;
}

static void test_group_commit_threads(void **state)
{
    struct fx *f = *state;
    atomic_int ready = 0;
    struct gate g = { .ready = &ready, .want = N_THREADS };
    void *gate_args[2] = { f, &g };
    pthread_t gate_thread;
    assert_int_equal(pthread_create(&gate_thread, NULL, gate_main, gate_args), 0);
    while (!atomic_load(&g.entered))
        usleep(1000);
    int commits_before = atomic_load(&f->commits);

    struct worker *w = calloc(N_THREADS, sizeof(*w));
    pthread_t th[N_THREADS];
    assert_non_null(w);
    for (int t = 0; t < N_THREADS; t++) {
        w[t].f = f;
        w[t].thread = t;
        w[t].ready = &ready;
        assert_int_equal(pthread_create(&th[t], NULL, worker_main, &w[t]), 0);
    }
    for (int t = 0; t < N_THREADS; t++)
        pthread_join(th[t], NULL);
    pthread_join(gate_thread, NULL);
    assert_int_equal(g.want, N_THREADS);

    int successes = 0, writes = 0;
    int first_batch = w[0].ctx[0].batch;
    for (int t = 0; t < N_THREADS; t++) {
        if (w[t].problem[0])
            fail_msg("%s", w[t].problem);
        for (int i = 0; i < N_WRITES; i++) {
            const struct write_ctx *c = &w[t].ctx[i];
            const struct scim_error *e = &w[t].errs[i];
            writes++;
            assert_int_equal(c->runs, 1);
            /* Write fns run on the writer thread, not on the caller's. */
            assert_false(pthread_equal(c->ran_on, th[t]));
            switch (c->outcome) {
            case SUCCEED:
                successes++;
                if (w[t].results[i] != 0)
                    fail_msg("%s failed: %d %s", c->tag, e->status, e->detail);
                break;
            case FAIL_WITH_ERROR: {
                /* The caller gets its own error, not a neighbour's. */
                char want[64];
                snprintf(want, sizeof(want), "refused thread %d seq %d", t, i);
                assert_int_equal(w[t].results[i], -1);
                assert_int_equal(e->status, 409);
                assert_string_equal(e->scim_type, "uniqueness");
                assert_string_equal(e->detail, want);
                break;
            }
            case FAIL_SILENTLY:
                assert_int_equal(w[t].results[i], -1);
                assert_int_equal(e->status, 500);
                break;
            }
        }
        /* Every first write waited behind the gate and ran in the same transaction, which
         * mixed successes (even threads) with failures (odd threads). */
        if (w[t].ctx[0].batch != first_batch)
            fail_msg("thread %d's first write ran in another batch (%d vs %d)", t,
                     w[t].ctx[0].batch, first_batch);
    }
    assert_int_equal(first_batch, commits_before + 1);
    assert_int_equal(count_rows(f->st, "SELECT count(*) FROM scratch WHERE thread >= 0"), successes);
    assert_int_equal(count_rows(f->st, "SELECT count(*) FROM scratch WHERE tag = 'gate'"), 1);
    /* Group commit: fewer commits than successful writes (the gated batch alone saves 3). */
    int commits = atomic_load(&f->commits) - commits_before;
    assert_true(commits <= successes + 1 - (N_THREADS / 2 - 1));
    assert_true(writes == N_THREADS * N_WRITES);
    free(w);
}

static void test_synchronous_store(void **state)
{
    struct fx *f = *state;
    /* scimctl's mode: no writer thread, the same guarantees. */
    struct store *ctl = core_store_open(f->dir, "scimd.db", false);
    struct write_ctx ok = { .f = f, .thread = 100, .seq = 0, .outcome = SUCCEED, .tag = "ctl-ok" };
    struct write_ctx bad = { .f = f, .thread = 100, .seq = 1, .outcome = FAIL_WITH_ERROR,
                             .tag = "ctl-bad" };
    struct scim_error err = { 0 };
    assert_int_equal(store_write(ctl, tagged_insert, &ok, &err), 0);
    assert_true(pthread_equal(ok.ran_on, pthread_self()));
    assert_int_equal(store_write(ctl, tagged_insert, &bad, &err), -1);
    assert_string_equal(err.detail, "refused thread 100 seq 1");
    /* A duplicate key fails inside SQLite and is reported, not committed. */
    struct write_ctx dup = { .f = f, .thread = 100, .seq = 2, .outcome = SUCCEED, .tag = "ctl-ok" };
    assert_int_equal(store_write(ctl, tagged_insert, &dup, &err), -1);
    assert_true(err.status >= 500);
    int thread, seq;
    int64_t rowid;
    /* scimd's readers see what scimctl committed. */
    assert_int_equal(read_tag(f->st, "ctl-ok", &thread, &seq, &rowid), 1);
    assert_int_equal(seq, 0);
    assert_int_equal(read_tag(f->st, "ctl-bad", &thread, &seq, &rowid), 0);
    store_close(ctl);
}

static int meta_fn(struct db *db, void *arg, struct scim_error *err)
{
    const char *const *kv = arg;
    for (size_t i = 0; kv[i]; i += 2)
        if (store_meta_set(db, kv[i], kv[i + 1]) != 0)
            return scim_error_set(err, 500, NULL, "meta set %s failed", kv[i]);
    return 0;
}

static void test_meta(void **state)
{
    struct fx *f = *state;
    struct scim_error err = { 0 };
    const char *first[] = { "uid_hwm", "1879048200", "note", "", "token_epoch", "1", NULL };
    assert_int_equal(store_write(f->st, meta_fn, first, &err), 0);
    const char *second[] = { "uid_hwm", "1879048300", NULL };
    assert_int_equal(store_write(f->st, meta_fn, second, &err), 0);

    struct db *db = store_reader_get(f->st, &err);
    assert_non_null(db);
    char buf[64];
    assert_int_equal(store_meta_get(db, "uid_hwm", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "1879048300"); /* overwritten, not duplicated */
    assert_int_equal(store_meta_get(db, "note", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "");
    assert_int_equal(store_meta_get(db, "token_epoch", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "1");
    snprintf(buf, sizeof(buf), "untouched");
    assert_int_equal(store_meta_get(db, "no_such_key", buf, sizeof(buf)), 0);
    assert_int_equal(store_meta_get(db, "UID_HWM", buf, sizeof(buf)), 0); /* keys are exact */
    /* Readers are read-only connections: a set through one fails and changes nothing. */
    assert_int_equal(store_meta_set(db, "uid_hwm", "1"), -1);
    assert_int_equal(store_meta_get(db, "uid_hwm", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "1879048300");
    store_reader_put(f->st, db);
    assert_int_equal(count_rows(f->st, "SELECT count(*) FROM meta WHERE key = 'uid_hwm'"), 1);

    /* A failing write fn rolls back its meta changes too. */
    const char *rolled[] = { "uid_hwm", "5", "bogus", NULL };
    /* kv[3] is NULL: meta_fn sets uid_hwm then fails on the NULL value (NOT NULL column). */
    assert_int_equal(store_write(f->st, meta_fn, rolled, &err), -1);
    db = store_reader_get(f->st, &err);
    assert_int_equal(store_meta_get(db, "uid_hwm", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "1879048300");
    assert_int_equal(store_meta_get(db, "bogus", buf, sizeof(buf)), 0);
    store_reader_put(f->st, db);
}

static void test_row_exists(void **state)
{
    struct fx *f = *state;
    write_sql(f->st, "INSERT INTO scratch VALUES('a', 1, 2)");
    struct scim_error err = { 0 };
    struct db *db = store_reader_get(f->st, &err);
    assert_int_equal(store_row_exists(db, "SELECT 1 FROM scratch WHERE tag = ?", "a", NULL, &err), 1);
    assert_int_equal(store_row_exists(db, "SELECT 1 FROM scratch WHERE tag = ?", "b", NULL, &err), 0);
    assert_int_equal(store_row_exists(db, "SELECT 1 FROM scratch WHERE tag = ?1 AND thread = ?2",
                                      "a", "1", &err),
                     1);
    assert_int_equal(store_row_exists(db, "SELECT 1 FROM scratch WHERE tag = ?1 AND thread = ?2",
                                      "a", "2", &err),
                     0);
    /* Bad SQL is an error with a status, not "no row". */
    scim_error_clear(&err);
    assert_int_equal(store_row_exists(db, "SELECT 1 FROM no_such_table WHERE x = ?", "a", NULL, &err),
                     -1);
    assert_int_equal(err.status, 500);
    store_reader_put(f->st, db);
}

static void test_readers(void **state)
{
    struct fx *f = *state;
    struct scim_error err = { 0 };
    struct db *r[5];
    for (int i = 0; i < 5; i++) {
        r[i] = store_reader_get(f->st, &err);
        assert_non_null(r[i]);
        for (int j = 0; j < i; j++)
            assert_ptr_not_equal(r[i], r[j]);
    }
    /* Readers cannot write. */
    assert_int_not_equal(db_exec(r[0], "INSERT INTO scratch VALUES('x', 0, 0)"), DB_OK);
    /* A reader handed back with a statement still open must not pin its old snapshot. */
    struct db_stmt *s = NULL;
    assert_int_equal(db_prepare(r[1], "SELECT count(*) FROM scratch", &s),
                     DB_OK);
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_column_int(s, 0), 0);
    for (int i = 4; i >= 0; i--)
        store_reader_put(f->st, r[i]);
    store_reader_put(f->st, NULL);
    write_sql(f->st, "INSERT INTO scratch VALUES('after', 0, 0)");
    for (int i = 0; i < 5; i++)
        r[i] = store_reader_get(f->st, &err);
    for (int i = 0; i < 5; i++) {
        struct db_stmt *q = NULL;
        assert_int_equal(db_prepare(r[i], "SELECT count(*) FROM scratch", &q),
                         DB_OK);
        assert_int_equal(db_step(q), DB_ROW);
        assert_int_equal(db_column_int(q, 0), 1);
        db_finalize(q);
    }
    for (int i = 0; i < 5; i++)
        store_reader_put(f->st, r[i]);
    /* Statements a caller prepares itself stay the caller's to finalize (the store only resets
     * them); the connection it belongs to is idle in the pool now. */
    db_finalize(s);
}

static void test_open_errors_and_reopen(void **state)
{
    struct fx *f = *state;
    char err[512] = "";
    struct store *st = NULL;
    char *bad = core_path(f->dir, "no/such/dir/scimd.db");
    assert_int_equal(store_open(&st, bad, 100, false, err, sizeof(err)), -1);
    assert_non_null(strstr(err, bad));
    free(bad);

    /* A database from a newer scimd is refused, not downgraded. */
    char *newer = core_path(f->dir, "newer.db");
    struct db *db = NULL;
    assert_non_null(db = core_sqlite_open(newer, 0));
    assert_int_equal(db_exec(db, "PRAGMA user_version = 999"), DB_OK);
    db_close(db);
    err[0] = '\0';
    assert_int_equal(store_open(&st, newer, 100, true, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "newer"));
    free(newer);

    /* Committed data survives close and reopen. */
    write_sql(f->st, "INSERT INTO scratch VALUES('durable', 7, 7)");
    store_close(f->st);
    f->st = core_store_open(f->dir, "scimd.db", true);
    store_set_commit_hook(f->st, count_commit, f);
    int thread, seq;
    int64_t rowid;
    assert_int_equal(read_tag(f->st, "durable", &thread, &seq, &rowid), 1);
    assert_int_equal(thread, 7);
}

static int64_t scalar(struct db *db, const char *sql)
{
    struct db_stmt *s = NULL;
    int64_t v = -1;
    assert_int_equal(db_prepare(db, sql, &s), DB_OK);
    if (db_step(s) == DB_ROW)
        v = db_column_int64(s, 0);
    db_finalize(s);
    return v;
}

/* A version-1 database (before the export index) is upgraded in place, data kept. */
static void test_schema_v1_is_upgraded(void **state)
{
    struct fx *f = *state;
    char err[512] = "";
    struct store *st = NULL;
    char *path = core_path(f->dir, "v1.db");
    assert_int_equal(store_open(&st, path, 100, true, err, sizeof(err)), 0);
    store_close(st);

    struct db *db = NULL;
    assert_non_null(db = core_sqlite_open(path, 0));
    assert_int_equal(scalar(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    /* Back to version 1: without the export index, and without v3's and v5's columns. */
    assert_int_equal(db_exec(db, "DROP INDEX users_export; DROP INDEX users_deactivated;"
                                      "ALTER TABLE users DROP COLUMN deactivated_at;"
                                      "ALTER TABLE users DROP COLUMN home;"
                                      "DROP TABLE changes; DROP TABLE hosts;"
                                      "PRAGMA user_version = 1;"
                                      "INSERT INTO meta VALUES('kept', 'yes');"),
                     DB_OK);
    db_close(db);

    assert_int_equal(store_open(&st, path, 100, true, err, sizeof(err)), 0);
    store_close(st);
    assert_non_null(db = core_sqlite_open(path, 0));
    assert_int_equal(scalar(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'users_export'"),
                     1);
    assert_int_equal(scalar(db, "SELECT count(*) FROM meta WHERE key = 'kept'"), 1);
    /* The exporter's scan must walk the covering index, not the table. */
    struct db_stmt *s = NULL;
    assert_int_equal(db_prepare(db,
                                        "EXPLAIN QUERY PLAN SELECT login, uid, active, "
                                        "password_hash, password_day, gecos, roles, ssh_keys, "
                                        "home FROM users ORDER BY uid", &s),
                     DB_OK);
    assert_int_equal(db_step(s), DB_ROW);
    const char *plan = db_column_text(s, 3);
    assert_non_null(strstr(plan, "COVERING INDEX users_export"));
    db_finalize(s);
    db_close(db);
    free(path);
}

/* Open descriptors of this process on path. */
static int fds_open_to(const char *path)
{
    char want[PATH_MAX], got[PATH_MAX];
    if (!realpath(path, want))
        fail_msg("realpath(%s): %s", path, strerror(errno));
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        ssize_t len = readlinkat(dirfd(d), e->d_name, got, sizeof(got) - 1);
        if (len > 0) {
            got[len] = '\0';
            if (strcmp(got, want) == 0)
                n++;
        }
    }
    closedir(d);
    return n;
}

static int cached_lookup_fn(struct db *db, void *arg, struct scim_error *err)
{
    (void)arg;
    struct db_stmt *s = store_stmt(db, "SELECT count(*) FROM scratch");
    if (!s)
        return scim_error_set(err, 500, NULL, "store_stmt failed");
    db_step(s);
    store_stmt_done(s);
    return 0;
}

static void test_close_releases_connections(void **state)
{
    struct fx *f = *state;
    /* Statements cached by store_stmt on the writer and on pooled readers (users_repo and
     * groups_repo lookups do this) once kept sqlite3_close from closing anything. */
    struct scim_error err = { 0 };
    assert_int_equal(store_write(f->st, cached_lookup_fn, NULL, &err), 0);
    struct db *r[3];
    for (int i = 0; i < 3; i++) {
        r[i] = store_reader_get(f->st, &err);
        assert_non_null(r[i]);
        struct db_stmt *s = store_stmt(r[i], "SELECT count(*) FROM scratch");
        assert_non_null(s);
        assert_int_equal(db_step(s), DB_ROW);
        store_stmt_done(s);
        /* The same statement comes back on the next use, reset. */
        assert_ptr_equal(store_stmt(r[i], "SELECT count(*) FROM scratch"), s);
        store_stmt_done(s);
    }
    for (int i = 0; i < 3; i++)
        store_reader_put(f->st, r[i]);
    char *db_path = core_path(f->dir, "scimd.db");
    assert_true(fds_open_to(db_path) >= 4);
    store_close(f->st);
    f->st = NULL;
    assert_int_equal(fds_open_to(db_path), 0);
    free(db_path);
}

static void test_files_are_private(void **state)
{
    struct fx *f = *state;
    /* Password hashes and token HMACs live here: 0600 whatever the umask, and SQLite gives
     * the -wal and -shm files the database's mode. */
    mode_t old = umask(0);
    struct store *st = core_store_open(f->dir, "private.db", true);
    umask(old);
    write_sql(st, "CREATE TABLE t(x)");
    static const char *const names[] = { "private.db", "private.db-wal", "private.db-shm" };
    for (size_t i = 0; i < 3; i++) {
        char *p = core_path(f->dir, names[i]);
        struct stat sb;
        if (stat(p, &sb) != 0)
            fail_msg("%s: %s", p, strerror(errno));
        if ((sb.st_mode & 0777) != 0600)
            fail_msg("%s has mode %03o", names[i], (unsigned)(sb.st_mode & 0777));
        free(p);
    }
    store_close(st);
}

static void test_timestamp_and_errors(void **state)
{
    (void)state;
    char ts[32];
    store_timestamp(ts);
    assert_int_equal(strlen(ts), 24);
    struct tm tm = { 0 };
    char *rest = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
    assert_non_null(rest);
    assert_true(rest[0] == '.' && rest[1] >= '0' && rest[1] <= '9' && rest[2] >= '0' &&
                rest[2] <= '9' && rest[3] >= '0' && rest[3] <= '9' && rest[4] == 'Z' && !rest[5]);
    time_t now = time(NULL);
    time_t t = timegm(&tm);
    assert_true(t <= now && now - t < 5);

    struct scim_error e = { 0 };
    assert_int_equal(store_db_error(NULL, DB_FULL, &e, "create user"), -1);
    assert_int_equal(e.status, 507);
    assert_non_null(strstr(e.detail, "create user"));
    assert_non_null(strstr(e.detail, "disk is full"));
    assert_int_equal(store_db_error(NULL, db_sqlite_code(SQLITE_BUSY_SNAPSHOT), &e, "x"), -1);
    assert_int_equal(e.status, 503);
    assert_int_equal(store_db_error(NULL, db_sqlite_code(SQLITE_IOERR_FSYNC), &e, "x"), -1);
    assert_int_equal(e.status, 500);
    assert_int_equal(store_db_error(NULL, DB_CONSTRAINT, &e, "x"), -1);
    assert_int_equal(e.status, 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_group_commit_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_synchronous_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_exists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_v1_is_upgraded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors_and_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_releases_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_are_private, setup, teardown),
        cmocka_unit_test(test_timestamp_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
