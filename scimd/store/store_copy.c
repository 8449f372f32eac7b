/* SPDX-License-Identifier: MIT */
/* One table at a time, in foreign-key order, every column named: the two schemas are the same
 * version (both stores were opened, so migrated, by this binary), and a column this list
 * forgets would be lost silently, so a new column must be added here (tests:
 * tests/integration/ops/test_store_copy.py compares every row). */
#include "store/store_copy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/feed_repo.h"
#include "store/store.h"

struct copy_table {
    const char *name;
    const char *cols;  /* as written in both SELECT and INSERT */
    const char *types; /* per column: i integer, t text, b blob */
    const char *order; /* the source's order: the target's rows go in as they were */
    const char *where; /* source rows to leave out, or NULL */
    size_t count;      /* where its row count goes in struct store_copy_counts */
};

#define COUNT(field) offsetof(struct store_copy_counts, field)

/* SQLite's implicit rowid is written into PostgreSQL's explicit one: listings page in
 * insertion order, and a page cursor must mean the same row after the move. */
static const struct copy_table tables[] = {
    { "meta", "key, value", "tt", "key", "key <> 'schema_version'", COUNT(meta) },
    { "tokens", "id, name, key_hmac, created, last_used, revoked", "ttbttt", "rowid", NULL,
      COUNT(tokens) },
    { "id_ledger", "id, kind, owner, name, allocated, released", "ittttt", "id", NULL, COUNT(ids) },
    { "subid_ledger", "start, count, owner, allocated, released", "iittt", "start", NULL,
      COUNT(subids) },
    { "role_groups", "name, gid", "ti", "name", NULL, COUNT(role_groups) },
    { "users",
      "rowid, id, user_name, user_name_key, login, external_id, active, uid, version, created,"
      " modified, password_hash, password_day, doc, gecos, roles, ssh_keys, deactivated_at,"
      " home",
      "itttttiiitttitttttt", "rowid", NULL, COUNT(users) },
    { "groups", "rowid, id, display_name, name, external_id, gid, version, created, modified, doc",
      "ittttiittt", "rowid", NULL, COUNT(groups) },
    { "group_members", "group_id, user_id", "tt", "group_id, user_id", NULL, COUNT(members) },
    { "changes", "seq, kind, entity, at", "ittt", "seq", NULL, COUNT(changes) },
    { "hosts",
      "rowid, id, name, key_hmac, created, revoked, last_seen, seq_reached, conflicts",
      "ittbtttit", "rowid", NULL, COUNT(hosts) },
};

/* The BIGSERIAL columns: each sequence is set past the copied rows, or the next insert
 * would collide with a copied one (changes.seq: a follower would see the feed go back). */
static const char *const sequences[] = {
    "SELECT setval(pg_get_serial_sequence('users', 'rowid'), COALESCE(MAX(rowid), 0) + 1,"
    " false) FROM users",
    "SELECT setval(pg_get_serial_sequence('groups', 'rowid'), COALESCE(MAX(rowid), 0) + 1,"
    " false) FROM groups",
    "SELECT setval(pg_get_serial_sequence('hosts', 'rowid'), COALESCE(MAX(rowid), 0) + 1,"
    " false) FROM hosts",
    "SELECT setval(pg_get_serial_sequence('changes', 'seq'), COALESCE(MAX(seq), 0) + 1,"
    " false) FROM changes",
};

struct copy_ctx {
    struct db *src;
    struct store_copy_counts *counts;
};

static int db_fail(struct db *db, const char *what, struct scim_error *err)
{
    return scim_error_set(err, 500, NULL, "%s: %s", what, db_errmsg(db));
}

/* Rows per INSERT: one round trip to the server carries this many (a row at a time, 5,000
 * users with their ledger and change log took 6.9 s, 2.0 s in batches). 100 rows of the
 * widest table are 1,900 parameters, far below PostgreSQL's 65,535. */
#define ROWS_PER_INSERT 100

/* One row of the source's statement onto the target's, its columns from parameter first + 1
 * on. */
static int bind_row(struct db_stmt *from, struct db_stmt *to, const char *types, int first)
{
    int rc = DB_OK;
    for (int i = 0; types[i] && rc == DB_OK; i++) {
        int at = first + i + 1;
        if (db_column_is_null(from, i))
            rc = db_bind_null(to, at);
        else if (types[i] == 'i')
            rc = db_bind_int64(to, at, db_column_int64(from, i));
        else if (types[i] == 'b')
            rc = db_bind_blob(to, at, db_column_blob(from, i), db_column_bytes(from, i));
        else
            rc = db_bind_text(to, at, db_column_text(from, i));
    }
    return rc;
}

/* "INSERT INTO t(cols) VALUES(?, ?), (?, ?), ...": rows rows of ncols parameters. */
static char *insert_sql(const struct copy_table *t, size_t ncols, size_t rows)
{
    size_t len = strlen(t->name) + strlen(t->cols) + 32 + rows * (ncols * 3 + 4);
    char *sql = malloc(len);
    if (!sql)
        return NULL;
    char *p = sql + sprintf(sql, "INSERT INTO %s(%s) VALUES", t->name, t->cols);
    for (size_t r = 0; r < rows; r++) {
        p += sprintf(p, "%s(", r ? ", " : "");
        for (size_t i = 0; i < ncols; i++)
            p += sprintf(p, "%s?", i ? ", " : "");
        *p++ = ')';
    }
    *p = '\0';
    return sql;
}

static int64_t count_of(struct db *db, const char *sql, bool *ok)
{
    struct db_stmt *s = NULL;
    int64_t v = 0;
    int rc = db_prepare(db, sql, &s);
    if (rc == DB_OK && (rc = db_step(s)) == DB_ROW)
        v = db_column_int64(s, 0);
    *ok = rc == DB_ROW;
    db_finalize(s);
    return v;
}

static int copy_table(struct db *src, struct db *dst, const struct copy_table *t, int64_t *n,
                      struct scim_error *err)
{
    char select[512];
    char *full_sql = NULL, *tail_sql = NULL;
    struct db_stmt *from = NULL, *full = NULL, *tail = NULL;
    int ret = -1;
    bool ok;
    size_t ncols = strlen(t->types), commas = 0;
    for (const char *p = t->cols; *p; p++)
        commas += *p == ',';
    if (commas + 1 != ncols) {
        scim_error_set(err, 500, NULL, "%s: %zu columns but %zu types", t->name, commas + 1,
                       ncols);
        goto out;
    }
    const char *where = t->where ? " WHERE " : "", *cond = t->where ? t->where : "";
    /* Counted in the same snapshot the rows are read in: the last INSERT, shorter than the
     * others, is prepared knowing how many rows are left. */
    snprintf(select, sizeof(select), "SELECT COUNT(*) FROM %s%s%s", t->name, where, cond);
    int64_t total = count_of(src, select, &ok);
    if (!ok) {
        db_fail(src, t->name, err);
        goto out;
    }
    snprintf(select, sizeof(select), "SELECT %s FROM %s%s%s ORDER BY %s", t->cols, t->name,
             where, cond, t->order);
    full_sql = insert_sql(t, ncols, ROWS_PER_INSERT);
    tail_sql = insert_sql(t, ncols, (size_t)(total % ROWS_PER_INSERT));
    if (!full_sql || !tail_sql) {
        scim_error_set(err, 500, NULL, "%s: out of memory", t->name);
        goto out;
    }
    if (db_prepare(src, select, &from) != DB_OK) {
        db_fail(src, t->name, err);
        goto out;
    }
    *n = 0;
    while (*n < total) {
        size_t rows = total - *n >= ROWS_PER_INSERT ? ROWS_PER_INSERT
                                                    : (size_t)(total - *n);
        struct db_stmt **to = rows == ROWS_PER_INSERT ? &full : &tail;
        /* The full one is prepared on the server once and executed for every batch. */
        if (!*to) {
            if (rows == ROWS_PER_INSERT)
                full = db_kept(dst, full_sql);
            else
                db_prepare(dst, tail_sql, &tail);
        }
        if (!*to) {
            db_fail(dst, t->name, err);
            goto out;
        }
        db_reset(*to);
        db_clear_bindings(*to);
        for (size_t r = 0; r < rows; r++) {
            if (db_step(from) != DB_ROW) {
                db_fail(src, t->name, err);
                goto out;
            }
            if (bind_row(from, *to, t->types, (int)(r * ncols)) != DB_OK) {
                db_fail(dst, t->name, err);
                goto out;
            }
        }
        if (db_step(*to) != DB_DONE) {
            db_fail(dst, t->name, err);
            goto out;
        }
        *n += (int64_t)rows;
    }
    if (db_step(from) != DB_DONE) {
        db_fail(src, t->name, err);
        goto out;
    }
    ret = 0;
out:
    db_finalize(tail);
    if (full)
        db_kept_done(full);
    db_finalize(from);
    free(tail_sql);
    free(full_sql);
    return ret;
}

/* 1 and the first table holding something, 0 when the target holds only what opening it
 * created (the schema, meta's schema_version and its own feed_id and changes_floor, which the
 * source's replace), -1 on error. */
static int target_holds_data(struct db *dst, const char **what, struct scim_error *err)
{
    char sql[160];
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        struct db_stmt *s = NULL;
        bool meta = strcmp(tables[i].name, "meta") == 0;
        snprintf(sql, sizeof(sql), "SELECT 1 FROM %s%s LIMIT 1", tables[i].name,
                 meta ? " WHERE key NOT IN ('schema_version', 'feed_id', 'changes_floor')"
                      : "");
        int rc = db_prepare(dst, sql, &s);
        if (rc == DB_OK)
            rc = db_step(s);
        db_finalize(s);
        if (rc == DB_ROW) {
            *what = tables[i].name;
            return 1;
        }
        if (rc != DB_DONE)
            return db_fail(dst, "checking the target is empty", err);
    }
    return 0;
}

static int copy_fn(struct db *dst, void *arg, struct scim_error *err)
{
    struct copy_ctx *c = arg;
    struct store_copy_counts *n = c->counts;
    const char *what = NULL;
    int64_t src_seq = 0;
    bool ok = true;
    int r = target_holds_data(dst, &what, err);
    if (r < 0)
        return -1;
    if (r > 0)
        return scim_error_set(err, 409, NULL,
                              "the target database already holds data (table %s): copy into a "
                              "new, empty database; nothing was written", what);
    /* PostgreSQL's feed position is the newest change's seq; SQLite's is its AUTOINCREMENT
     * mark, which pruning keeps at the newest change too. Were it ahead, followers that saw
     * it would see the feed go back. */
    if (feed_max_seq(c->src, &src_seq) < 0)
        return db_fail(c->src, "reading the source's change sequence", err);
    if (db_exec(dst, "DELETE FROM meta WHERE key <> 'schema_version'") != DB_OK)
        return db_fail(dst, "meta", err);
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
        if (copy_table(c->src, dst, &tables[i], (int64_t *)((char *)n + tables[i].count),
                       err) < 0)
            return -1;
    for (size_t i = 0; i < sizeof(sequences) / sizeof(sequences[0]); i++) {
        count_of(dst, sequences[i], &ok);
        if (!ok)
            return db_fail(dst, "setting the sequences past the copied rows", err);
    }
    n->seq = count_of(dst, "SELECT COALESCE(MAX(seq), 0) FROM changes", &ok);
    if (!ok)
        return db_fail(dst, "changes", err);
    if (src_seq > n->seq)
        return scim_error_set(err, 409, NULL,
                              "the source's change sequence is %lld but its newest change is "
                              "%lld: the copy would move the feed back; nothing was written",
                              (long long)src_seq, (long long)n->seq);
    n->ids_released = count_of(dst, "SELECT COUNT(*) FROM id_ledger WHERE released IS NOT NULL",
                               &ok);
    if (!ok)
        return db_fail(dst, "id_ledger", err);
    return 0;
}

int store_copy(struct store *src, struct store *dst, struct store_copy_counts *counts,
               struct scim_error *err)
{
    struct copy_ctx c = { .counts = counts };
    int ret = -1;
    memset(counts, 0, sizeof(*counts));
    if (store_backend(src) != DB_SQLITE || store_backend(dst) != DB_POSTGRESQL)
        return scim_error_set(err, 400, NULL,
                              "store copy reads a SQLite store and writes a PostgreSQL one");
    c.src = store_reader_get(src, err);
    if (!c.src)
        return -1;
    /* One snapshot of the source: a scimd still writing to it cannot tear the copy (what it
     * commits after the first read is not copied, hence "stop scimd first"). */
    if (store_read_begin(c.src, err) < 0)
        goto out;
    ret = store_write(dst, copy_fn, &c, err);
out:
    store_reader_put(src, c.src);
    return ret;
}
