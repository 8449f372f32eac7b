/* SPDX-License-Identifier: MIT */
#include "store/groups_query.h"

#include <stdio.h>

#include "store/store.h"

/* Indexed by enum groups_key. */
static const char *const key_sql[] = {
    [GROUPS_KEY_ID] = "SELECT " GROUPS_COLUMNS " FROM groups WHERE id = ?",
    [GROUPS_KEY_DISPLAY_NAME] =
        "SELECT " GROUPS_COLUMNS " FROM groups WHERE display_name = ?1 COLLATE NOCASE",
    [GROUPS_KEY_EXTERNAL_ID] = "SELECT " GROUPS_COLUMNS " FROM groups WHERE external_id = ?",
};

int groups_repo_get(sqlite3 *db, const char *id, struct group_row *row, struct scim_error *err)
{
    sqlite3_stmt *s = NULL;
    int ret = -1;
    int rc = sqlite3_prepare_v2(db, key_sql[GROUPS_KEY_ID], -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
    }
    if (rc == SQLITE_DONE)
        ret = 0;
    else if (rc != SQLITE_ROW)
        store_sqlite_error(db, rc, err, "group lookup");
    else if (groups_repo_from_stmt(s, row) < 0)
        scim_error_set(err, 500, NULL, "stored group %s is unreadable", id);
    else
        ret = 1;
    sqlite3_finalize(s);
    return ret;
}

struct group_walk {
    groups_row_fn fn;
    void *arg;
};

/* A row of the wrong shape is skipped, not fatal: one bad row must not hide the others. */
static int one_group(sqlite3 *db, sqlite3_stmt *s, void *arg, struct scim_error *err)
{
    const struct group_walk *w = arg;
    struct group_row row;
    if (groups_repo_from_stmt(s, &row) < 0)
        return 0;
    int r = w->fn(db, &row, w->arg, err);
    group_row_clear(&row);
    return r;
}

int groups_query_each(sqlite3 *db, const struct groups_query *q, groups_row_fn fn, void *arg,
                      const char *what, struct scim_error *err)
{
    struct group_walk w = { .fn = fn, .arg = arg };
    sqlite3_stmt *s = NULL;
    int rc;
    if (q->kind == GROUPS_QUERY_KEY) {
        if ((unsigned)q->key >= sizeof(key_sql) / sizeof(key_sql[0]))
            return scim_error_set(err, 500, NULL, "%s: unknown key %d", what, (int)q->key);
        rc = sqlite3_prepare_v2(db, key_sql[q->key], -1, &s, NULL);
        if (rc == SQLITE_OK)
            sqlite3_bind_text(s, 1, q->value, -1, SQLITE_STATIC);
    } else {
        rc = sqlite3_prepare_v2(db, "SELECT " GROUPS_COLUMNS " FROM groups ORDER BY rowid", -1,
                                &s, NULL);
    }
    int ret = store_stmt_each(db, rc, s, one_group, &w, what, err);
    sqlite3_finalize(s);
    return ret;
}
