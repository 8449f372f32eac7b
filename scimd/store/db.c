/* SPDX-License-Identifier: MIT */
#include "store/db_driver.h"

enum db_backend db_backend(const struct db *db)
{
    return db->ops->backend;
}

int db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
    *out = NULL;
    return db->ops->prepare(db, sql, out);
}

struct db_stmt *db_kept(struct db *db, const char *sql)
{
    return db->ops->kept(db, sql);
}

void db_kept_done(struct db_stmt *s)
{
    if (s)
        s->db->ops->kept_done(s);
}

int db_bind_text(struct db_stmt *s, int i, const char *v)
{
    return v ? s->db->ops->bind_text(s, i, v) : s->db->ops->bind_null(s, i);
}

int db_bind_int64(struct db_stmt *s, int i, int64_t v)
{
    return s->db->ops->bind_int64(s, i, v);
}

int db_bind_null(struct db_stmt *s, int i)
{
    return s->db->ops->bind_null(s, i);
}

int db_bind_blob(struct db_stmt *s, int i, const void *v, size_t n)
{
    return s->db->ops->bind_blob(s, i, v, n);
}

int db_step(struct db_stmt *s)
{
    return s->db->ops->step(s);
}

void db_reset(struct db_stmt *s)
{
    if (s)
        s->db->ops->reset(s);
}

void db_clear_bindings(struct db_stmt *s)
{
    if (s)
        s->db->ops->clear_bindings(s);
}

void db_finalize(struct db_stmt *s)
{
    if (s)
        s->db->ops->finalize(s);
}

bool db_column_is_null(struct db_stmt *s, int i)
{
    return s->db->ops->column_is_null(s, i);
}

const char *db_column_text(struct db_stmt *s, int i)
{
    return s->db->ops->column_text(s, i);
}

size_t db_column_bytes(struct db_stmt *s, int i)
{
    return s->db->ops->column_bytes(s, i);
}

int64_t db_column_int64(struct db_stmt *s, int i)
{
    return s->db->ops->column_int64(s, i);
}

int db_column_int(struct db_stmt *s, int i)
{
    return (int)s->db->ops->column_int64(s, i);
}

const void *db_column_blob(struct db_stmt *s, int i)
{
    return s->db->ops->column_blob(s, i);
}

struct db *db_stmt_db(struct db_stmt *s)
{
    return s->db;
}

int db_exec(struct db *db, const char *sql)
{
    return db->ops->exec(db, sql);
}

int64_t db_changes(struct db *db)
{
    return db->ops->changes(db);
}

int db_errcode(struct db *db)
{
    return db->ops->errcode(db);
}

const char *db_errmsg(struct db *db)
{
    return db->ops->errmsg(db);
}

bool db_in_transaction(struct db *db)
{
    return db->ops->in_transaction(db);
}

void db_reset_kept(struct db *db)
{
    db->ops->reset_kept(db);
}

void db_close(struct db *db)
{
    if (db)
        db->ops->close(db);
}
