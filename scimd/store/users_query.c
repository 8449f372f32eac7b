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

int users_repo_find_by_key(sqlite3 *db, enum users_key key, const char *value,
                           struct user_row *row, struct scim_error *err)
{
    const char *sql = sql_of(key);
    if (!sql)
        return scim_error_set(err, 500, NULL, "user lookup by unknown key %d", (int)key);
    /* Key lookups run before every create and in every write's uniqueness check: the
     * statement stays prepared on the connection. */
    sqlite3_stmt *s = store_stmt(db, sql);
    int ret = -1, rc = SQLITE_ERROR;
    if (!s)
        goto sql_error;
    sqlite3_bind_text(s, 1, value, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        ret = 0;
        goto out;
    }
    if (rc != SQLITE_ROW)
        goto sql_error;
    if (users_repo_from_stmt(s, row) < 0) {
        scim_error_set(err, 500, NULL, "stored user %s is unreadable", value);
        goto out;
    }
    ret = 1;
    goto out;
sql_error:
    store_sqlite_error(db, rc == SQLITE_ERROR ? sqlite3_errcode(db) : rc, err, "user lookup");
out:
    store_stmt_done(s);
    return ret;
}

int users_repo_get(sqlite3 *db, const char *id, struct user_row *row, struct scim_error *err)
{
    return users_repo_find_by_key(db, USERS_KEY_ID, id, row, err);
}

struct user_walk {
    users_row_fn fn;
    void *arg;
};

/* A row of the wrong shape is skipped, not fatal: one bad row must not hide the others. */
static int one_user(sqlite3 *db, sqlite3_stmt *s, void *arg, struct scim_error *err)
{
    const struct user_walk *w = arg;
    struct user_row row;
    if (users_repo_from_stmt(s, &row) < 0)
        return 0;
    int r = w->fn(db, &row, w->arg, err);
    user_row_clear(&row);
    return r;
}

int users_query_each(sqlite3 *db, const struct users_query *q, users_row_fn fn, void *arg,
                     const char *what, struct scim_error *err)
{
    struct user_walk w = { .fn = fn, .arg = arg };
    sqlite3_stmt *s = NULL;
    int ret, rc;
    if (q->kind == USERS_QUERY_KEY) {
        /* The exact matches IdPs send before every create are the hot read: kept prepared. */
        const char *sql = sql_of(q->key);
        sqlite3_stmt *cached = sql ? store_stmt(db, sql) : NULL;
        if (!cached || !q->value) {
            store_sqlite_error(db, sqlite3_errcode(db), err, what);
            store_stmt_done(cached);
            return -1;
        }
        sqlite3_bind_text(cached, 1, q->value, -1, SQLITE_STATIC);
        ret = store_stmt_each(db, SQLITE_OK, cached, one_user, &w, what, err);
        store_stmt_done(cached);
        return ret;
    }
    if (q->kind == USERS_QUERY_PAGE) {
        rc = sqlite3_prepare_v2(db, "SELECT " USERS_COLUMNS " FROM users ORDER BY rowid"
                                    " LIMIT ? OFFSET ?", -1, &s, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(s, 1, q->limit);
            sqlite3_bind_int64(s, 2, q->offset);
        }
    } else {
        rc = sqlite3_prepare_v2(db, "SELECT " USERS_COLUMNS " FROM users ORDER BY rowid", -1, &s,
                                NULL);
    }
    ret = store_stmt_each(db, rc, s, one_user, &w, what, err);
    sqlite3_finalize(s);
    return ret;
}

int users_count(sqlite3 *db, int64_t *count, const char *what, struct scim_error *err)
{
    sqlite3_stmt *s = NULL;
    int ret = -1;
    int rc = sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM users", -1, &s, NULL);
    if (rc != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
        store_sqlite_error(db, rc, err, what);
        goto out;
    }
    *count = sqlite3_column_int64(s, 0);
    ret = 0;
out:
    sqlite3_finalize(s);
    return ret;
}
