/* SPDX-License-Identifier: MIT */
#include "store/groups_repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/changes_repo.h"
#include "store/store.h"

void group_row_clear(struct group_row *row)
{
    free(row->display_name);
    free(row->name);
    free(row->external_id);
    json_decref(row->doc);
    memset(row, 0, sizeof(*row));
}

static char *dup_col(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? strdup((const char *)t) : NULL;
}

int groups_repo_from_stmt(sqlite3_stmt *s, struct group_row *row)
{
    memset(row, 0, sizeof(*row));
    snprintf(row->id, sizeof(row->id), "%s", (const char *)sqlite3_column_text(s, 0));
    row->display_name = dup_col(s, 1);
    row->name = dup_col(s, 2);
    row->external_id = dup_col(s, 3);
    row->gid = (uint32_t)sqlite3_column_int64(s, 4);
    row->version = sqlite3_column_int64(s, 5);
    snprintf(row->created, sizeof(row->created), "%s", (const char *)sqlite3_column_text(s, 6));
    snprintf(row->modified, sizeof(row->modified), "%s", (const char *)sqlite3_column_text(s, 7));
    const char *doc = (const char *)sqlite3_column_text(s, 8);
    row->doc = doc ? json_loads(doc, 0, NULL) : NULL;
    if (!row->display_name || !row->name || !row->doc) {
        group_row_clear(row);
        return -1;
    }
    return 0;
}

static int exec_row(sqlite3 *db, const char *sql, const struct group_row *row,
                    struct scim_error *err, const char *what)
{
    sqlite3_stmt *s = NULL;
    char *doc = json_dumps(row->doc, JSON_COMPACT);
    int ret = -1;
    if (!doc)
        return scim_error_set(err, 500, NULL, "%s: cannot encode group", what);
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, row->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, row->display_name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, row->name, -1, SQLITE_STATIC);
        if (row->external_id)
            sqlite3_bind_text(s, 4, row->external_id, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, 4);
        if (row->gid)
            sqlite3_bind_int64(s, 5, row->gid);
        else
            sqlite3_bind_null(s, 5);
        sqlite3_bind_int64(s, 6, row->version);
        sqlite3_bind_text(s, 7, row->created, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 8, row->modified, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 9, doc, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
    }
    if (rc == SQLITE_DONE)
        ret = changes_record(db, "group", row->id, err);
    else if ((rc & 0xff) == SQLITE_CONSTRAINT)
        scim_error_set(err, 409, "uniqueness", "%s: the group name or gid is already in use", what);
    else
        store_sqlite_error(db, rc, err, what);
    sqlite3_finalize(s);
    free(doc);
    return ret;
}

int groups_repo_insert(sqlite3 *db, const struct group_row *row, struct scim_error *err)
{
    return exec_row(db,
                    "INSERT INTO groups(id, display_name, name, external_id, gid, version, created,"
                    " modified, doc) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    row, err, "create group");
}

int groups_repo_update(sqlite3 *db, const struct group_row *row, struct scim_error *err)
{
    return exec_row(db,
                    "UPDATE groups SET display_name = ?2, name = ?3, external_id = ?4, gid = ?5,"
                    " version = ?6, created = ?7, modified = ?8, doc = ?9 WHERE id = ?1",
                    row, err, "update group");
}

static int exec_id(sqlite3 *db, const char *sql, const char *id, struct scim_error *err,
                   const char *what)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : store_sqlite_error(db, rc, err, what);
}

int groups_repo_delete(sqlite3 *db, const char *id, struct scim_error *err)
{
    if (exec_id(db, "DELETE FROM groups WHERE id = ?", id, err, "delete group") < 0)
        return -1;
    return changes_record(db, "group", id, err);
}

int groups_touch_for_user(sqlite3 *db, const char *user_id, struct scim_error *err)
{
    char now[32];
    sqlite3_stmt *s = NULL;
    store_timestamp(now);
    int rc = sqlite3_prepare_v2(db, "UPDATE groups SET version = version + 1, modified = ?2"
                                    " WHERE id IN (SELECT group_id FROM group_members"
                                    " WHERE user_id = ?1)", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, user_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : store_sqlite_error(db, rc, err, "group versions");
}

json_t *groups_repo_members(sqlite3 *db, const char *group_id, struct scim_error *err)
{
    sqlite3_stmt *s = NULL;
    json_t *arr = json_array();
    int rc = sqlite3_prepare_v2(db, "SELECT user_id FROM group_members WHERE group_id = ?", -1,
                                &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, group_id, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
            json_array_append_new(arr, json_pack("{s:s}", "value", sqlite3_column_text(s, 0)));
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE || !arr) {
        json_decref(arr);
        store_sqlite_error(db, rc, err, "group members");
        return NULL;
    }
    return arr;
}

static int user_exists(sqlite3_stmt *check, const char *id)
{
    sqlite3_reset(check);
    sqlite3_bind_text(check, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(check);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int groups_repo_set_members(sqlite3 *db, const char *group_id, const json_t *members,
                            struct scim_error *err)
{
    sqlite3_stmt *check = NULL, *ins = NULL, *del = NULL;
    int ret = -1, rc;
    size_t i;
    const json_t *m;

    /* Validate every member before touching anything: all or nothing. */
    rc = sqlite3_prepare_v2(db, "SELECT 1 FROM users WHERE id = ?", -1, &check, NULL);
    if (rc != SQLITE_OK)
        goto sql_error;
    json_array_foreach(members, i, m) {
        const char *value = json_string_value(json_object_get(m, "value"));
        const char *type = json_string_value(json_object_get(m, "type"));
        if (!value) {
            scim_error_set(err, 400, "invalidValue", "members[%zu] has no string value", i);
            goto out;
        }
        if (type && strcasecmp(type, "User") != 0) {
            scim_error_set(err, 400, "invalidValue",
                           "member '%.64s' has type '%.32s': only users can be members (nested "
                           "groups are not supported)", value, type);
            goto out;
        }
        int r = user_exists(check, value);
        if (r < 0)
            goto sql_error;
        if (r == 0) {
            scim_error_set(err, 400, "invalidValue", "member '%.64s' is not a known user", value);
            goto out;
        }
    }
    rc = sqlite3_prepare_v2(db, "DELETE FROM group_members WHERE group_id = ?", -1, &del, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(del, 1, group_id, -1, SQLITE_STATIC);
        rc = sqlite3_step(del);
    }
    if (rc != SQLITE_DONE)
        goto sql_error;
    rc = sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO group_members(group_id, user_id) VALUES(?, ?)",
                            -1, &ins, NULL);
    if (rc != SQLITE_OK)
        goto sql_error;
    json_array_foreach(members, i, m) {
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, group_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, json_string_value(json_object_get(m, "value")), -1, SQLITE_STATIC);
        rc = sqlite3_step(ins);
        if (rc != SQLITE_DONE)
            goto sql_error;
    }
    ret = changes_record(db, "group", group_id, err);
    goto out;
sql_error:
    store_sqlite_error(db, rc, err, "group members");
out:
    sqlite3_finalize(check);
    sqlite3_finalize(ins);
    sqlite3_finalize(del);
    return ret;
}

int groups_repo_each_member(sqlite3 *db, const char *group_id, groups_ref_fn fn, void *arg)
{
    sqlite3_stmt *s = NULL;
    int rc;
    /* display is what clients show for a member: its displayName, else its userName. */
    if (sqlite3_prepare_v2(db, "SELECT m.user_id, COALESCE(NULLIF(json_extract(u.doc,"
                               " '$.displayName'), ''), u.user_name) FROM group_members m"
                               " JOIN users u ON u.id = m.user_id WHERE m.group_id = ?",
                           -1, &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return -1;
    }
    sqlite3_bind_text(s, 1, group_id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        fn((const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1), arg);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int groups_repo_each_of_user(sqlite3 *db, const char *user_id, groups_ref_fn fn, void *arg)
{
    int rc;
    sqlite3_stmt *s = store_stmt(db, "SELECT g.id, g.display_name FROM group_members m"
                                     " JOIN groups g ON g.id = m.group_id WHERE m.user_id = ?");
    if (!s)
        return -1;
    sqlite3_bind_text(s, 1, user_id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        fn((const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1), arg);
    store_stmt_done(s);
    return rc == SQLITE_DONE ? 0 : -1;
}
