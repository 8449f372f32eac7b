/* SPDX-License-Identifier: MIT */
#include "store/users_query.h"

#include "store/store.h"

/* Indexed by enum users_key. */
static const char *const key_sql[] = {
    [USERS_KEY_ID] = "SELECT " USERS_COLUMNS " FROM users WHERE id = ?",
    [USERS_KEY_USER_NAME] = "SELECT " USERS_COLUMNS " FROM users WHERE user_name_key = ?",
    [USERS_KEY_LOGIN] = "SELECT " USERS_COLUMNS " FROM users WHERE login = ?",
    [USERS_KEY_EXTERNAL_ID] =
        "SELECT " USERS_COLUMNS " FROM users WHERE external_id = ? ORDER BY rowid",
};

static const char *sql_of(enum users_key key)
{
    return (unsigned)key < sizeof(key_sql) / sizeof(key_sql[0]) ? key_sql[key] : NULL;
}

int users_repo_find_by_key(struct db *db, enum users_key key, const char *value,
                           struct user_row *row, struct scim_error *err)
{
    const char *sql = sql_of(key);
    if (!sql)
        return scim_error_set(err, 500, NULL, "user lookup by unknown key %d", (int)key);
    /* Key lookups run before every create and in every write's uniqueness check: the
     * statement stays prepared on the connection. */
    struct db_stmt *s = store_stmt(db, sql);
    int ret = -1, rc = DB_ERROR;
    if (!s)
        goto sql_error;
    db_bind_text(s, 1, value);
    rc = db_step(s);
    if (rc == DB_DONE) {
        ret = 0;
        goto out;
    }
    if (rc != DB_ROW)
        goto sql_error;
    if (users_repo_from_stmt(s, row) < 0) {
        scim_error_set(err, 500, NULL, "stored user %s is unreadable", value);
        goto out;
    }
    ret = 1;
    goto out;
sql_error:
    store_db_error(db, rc == DB_ERROR ? db_errcode(db) : rc, err, "user lookup");
out:
    store_stmt_done(s);
    return ret;
}

int users_repo_get(struct db *db, const char *id, struct user_row *row, struct scim_error *err)
{
    return users_repo_find_by_key(db, USERS_KEY_ID, id, row, err);
}

struct user_walk {
    users_row_fn fn;
    void *arg;
};

/* A row of the wrong shape is skipped, not fatal: one bad row must not hide the others. */
static int one_user(struct db *db, struct db_stmt *s, void *arg, struct scim_error *err)
{
    const struct user_walk *w = arg;
    struct user_row row;
    if (users_repo_from_stmt(s, &row) < 0)
        return 0;
    int r = w->fn(db, &row, w->arg, err);
    user_row_clear(&row);
    return r;
}

int users_query_each(struct db *db, const struct users_query *q, users_row_fn fn, void *arg,
                     const char *what, struct scim_error *err)
{
    struct user_walk w = { .fn = fn, .arg = arg };
    struct db_stmt *s = NULL;
    int ret, rc;
    if (q->kind == USERS_QUERY_KEY) {
        /* The exact matches IdPs send before every create are the hot read: kept prepared. */
        const char *sql = sql_of(q->key);
        struct db_stmt *cached = sql ? store_stmt(db, sql) : NULL;
        if (!cached || !q->value) {
            store_db_error(db, db_errcode(db), err, what);
            store_stmt_done(cached);
            return -1;
        }
        db_bind_text(cached, 1, q->value);
        ret = store_stmt_each(db, DB_OK, cached, one_user, &w, what, err);
        store_stmt_done(cached);
        return ret;
    }
    if (q->kind == USERS_QUERY_PAGE) {
        rc = db_prepare(db, "SELECT " USERS_COLUMNS " FROM users ORDER BY rowid"
                                    " LIMIT ? OFFSET ?", &s);
        if (rc == DB_OK) {
            db_bind_int64(s, 1, q->limit);
            db_bind_int64(s, 2, q->offset);
        }
    } else {
        rc = db_prepare(db, "SELECT " USERS_COLUMNS " FROM users ORDER BY rowid", &s);
    }
    ret = store_stmt_each(db, rc, s, one_user, &w, what, err);
    db_finalize(s);
    return ret;
}

int users_count(struct db *db, int64_t *count, const char *what, struct scim_error *err)
{
    struct db_stmt *s = NULL;
    int ret = -1;
    int rc = db_prepare(db, "SELECT COUNT(*) FROM users", &s);
    if (rc != DB_OK || db_step(s) != DB_ROW) {
        store_db_error(db, rc, err, what);
        goto out;
    }
    *count = db_column_int64(s, 0);
    ret = 0;
out:
    db_finalize(s);
    return ret;
}
