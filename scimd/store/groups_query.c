/* SPDX-License-Identifier: MIT */
#include "store/groups_query.h"

#include <stdio.h>

#include "store/store.h"

/* Indexed by enum groups_key. */
static const char *const key_sql[] = {
    [GROUPS_KEY_ID] = "SELECT " GROUPS_COLUMNS " FROM groups WHERE id = ?",
    /* ASCII case folding on both backends, as SQLite's NOCASE (the column is "C" on PostgreSQL). */
    [GROUPS_KEY_DISPLAY_NAME] =
        "SELECT " GROUPS_COLUMNS " FROM groups WHERE lower(display_name) = lower(?1)",
    [GROUPS_KEY_EXTERNAL_ID] = "SELECT " GROUPS_COLUMNS " FROM groups WHERE external_id = ?",
};

int groups_repo_get(struct db *db, const char *id, struct group_row *row, struct scim_error *err)
{
    struct db_stmt *s = NULL;
    int ret = -1;
    int rc = db_prepare(db, key_sql[GROUPS_KEY_ID], &s);
    if (rc == DB_OK) {
        db_bind_text(s, 1, id);
        rc = db_step(s);
    }
    if (rc == DB_DONE)
        ret = 0;
    else if (rc != DB_ROW)
        store_db_error(db, rc, err, "group lookup");
    else if (groups_repo_from_stmt(s, row) < 0)
        scim_error_set(err, 500, NULL, "stored group %s is unreadable", id);
    else
        ret = 1;
    db_finalize(s);
    return ret;
}

struct group_walk {
    groups_row_fn fn;
    void *arg;
};

/* A row of the wrong shape is skipped, not fatal: one bad row must not hide the others. */
static int one_group(struct db *db, struct db_stmt *s, void *arg, struct scim_error *err)
{
    const struct group_walk *w = arg;
    struct group_row row;
    if (groups_repo_from_stmt(s, &row) < 0)
        return 0;
    int r = w->fn(db, &row, w->arg, err);
    group_row_clear(&row);
    return r;
}

int groups_query_each(struct db *db, const struct groups_query *q, groups_row_fn fn, void *arg,
                      const char *what, struct scim_error *err)
{
    struct group_walk w = { .fn = fn, .arg = arg };
    struct db_stmt *s = NULL;
    int rc;
    if (q->kind == GROUPS_QUERY_KEY) {
        if ((unsigned)q->key >= sizeof(key_sql) / sizeof(key_sql[0]))
            return scim_error_set(err, 500, NULL, "%s: unknown key %d", what, (int)q->key);
        rc = db_prepare(db, key_sql[q->key], &s);
        if (rc == DB_OK)
            db_bind_text(s, 1, q->value);
    } else {
        rc = db_prepare(db, "SELECT " GROUPS_COLUMNS " FROM groups ORDER BY rowid", &s);
    }
    int ret = store_stmt_each(db, rc, s, one_group, &w, what, err);
    db_finalize(s);
    return ret;
}
