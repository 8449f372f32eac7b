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

static char *dup_col(struct db_stmt *s, int i)
{
    const char *t = db_column_text(s, i);
    return t ? strdup((const char *)t) : NULL;
}

int groups_repo_from_stmt(struct db_stmt *s, struct group_row *row)
{
    memset(row, 0, sizeof(*row));
    snprintf(row->id, sizeof(row->id), "%s", db_column_text(s, 0));
    row->display_name = dup_col(s, 1);
    row->name = dup_col(s, 2);
    row->external_id = dup_col(s, 3);
    row->gid = (uint32_t)db_column_int64(s, 4);
    row->version = db_column_int64(s, 5);
    snprintf(row->created, sizeof(row->created), "%s", db_column_text(s, 6));
    snprintf(row->modified, sizeof(row->modified), "%s", db_column_text(s, 7));
    const char *doc = db_column_text(s, 8);
    row->doc = doc ? json_loads(doc, 0, NULL) : NULL;
    if (!row->display_name || !row->name || !row->doc) {
        group_row_clear(row);
        return -1;
    }
    return 0;
}

static int exec_row(struct db *db, const char *sql, const struct group_row *row,
                    struct scim_error *err, const char *what)
{
    struct db_stmt *s = NULL;
    char *doc = json_dumps(row->doc, JSON_COMPACT);
    int ret = -1;
    if (!doc)
        return scim_error_set(err, 500, NULL, "%s: cannot encode group", what);
    int rc = db_prepare(db, sql, &s);
    if (rc == DB_OK) {
        db_bind_text(s, 1, row->id);
        db_bind_text(s, 2, row->display_name);
        db_bind_text(s, 3, row->name);
        if (row->external_id)
            db_bind_text(s, 4, row->external_id);
        else
            db_bind_null(s, 4);
        if (row->gid)
            db_bind_int64(s, 5, row->gid);
        else
            db_bind_null(s, 5);
        db_bind_int64(s, 6, row->version);
        db_bind_text(s, 7, row->created);
        db_bind_text(s, 8, row->modified);
        db_bind_text(s, 9, doc);
        rc = db_step(s);
    }
    if (rc == DB_DONE)
        ret = changes_record(db, "group", row->id, err);
    else if ((rc & 0xff) == DB_CONSTRAINT)
        scim_error_set(err, 409, "uniqueness", "%s: the group name or gid is already in use", what);
    else
        store_db_error(db, rc, err, what);
    db_finalize(s);
    free(doc);
    return ret;
}

int groups_repo_insert(struct db *db, const struct group_row *row, struct scim_error *err)
{
    return exec_row(db,
                    "INSERT INTO groups(id, display_name, name, external_id, gid, version, created,"
                    " modified, doc) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    row, err, "create group");
}

int groups_repo_update(struct db *db, const struct group_row *row, struct scim_error *err)
{
    return exec_row(db,
                    "UPDATE groups SET display_name = ?2, name = ?3, external_id = ?4, gid = ?5,"
                    " version = ?6, created = ?7, modified = ?8, doc = ?9 WHERE id = ?1",
                    row, err, "update group");
}

static int exec_id(struct db *db, const char *sql, const char *id, struct scim_error *err,
                   const char *what)
{
    struct db_stmt *s = NULL;
    int rc = db_prepare(db, sql, &s);
    if (rc == DB_OK) {
        db_bind_text(s, 1, id);
        rc = db_step(s);
    }
    db_finalize(s);
    return rc == DB_DONE ? 0 : store_db_error(db, rc, err, what);
}

int groups_repo_delete(struct db *db, const char *id, struct scim_error *err)
{
    if (exec_id(db, "DELETE FROM groups WHERE id = ?", id, err, "delete group") < 0)
        return -1;
    return changes_record(db, "group", id, err);
}

int groups_touch_for_user(struct db *db, const char *user_id, struct scim_error *err)
{
    char now[32];
    struct db_stmt *s = NULL;
    store_timestamp(now);
    int rc = db_prepare(db, "UPDATE groups SET version = version + 1, modified = ?2"
                                    " WHERE id IN (SELECT group_id FROM group_members"
                                    " WHERE user_id = ?1)", &s);
    if (rc == DB_OK) {
        db_bind_text(s, 1, user_id);
        db_bind_text(s, 2, now);
        rc = db_step(s);
    }
    db_finalize(s);
    return rc == DB_DONE ? 0 : store_db_error(db, rc, err, "group versions");
}

json_t *groups_repo_members(struct db *db, const char *group_id, struct scim_error *err)
{
    struct db_stmt *s = NULL;
    json_t *arr = json_array();
    int rc = db_prepare(db, "SELECT user_id FROM group_members WHERE group_id = ?", &s);
    if (rc == DB_OK) {
        db_bind_text(s, 1, group_id);
        while ((rc = db_step(s)) == DB_ROW)
            json_array_append_new(arr, json_pack("{s:s}", "value", db_column_text(s, 0)));
    }
    db_finalize(s);
    if (rc != DB_DONE || !arr) {
        json_decref(arr);
        store_db_error(db, rc, err, "group members");
        return NULL;
    }
    return arr;
}

/* The member ids as one JSON array: the statements below take the whole list as one
 * parameter, so a 10,000-member group costs a few statements, not two per member (each a
 * round trip to a PostgreSQL server). */
static char *member_ids_json(const json_t *members, struct scim_error *err)
{
    json_t *ids = json_array();
    char *text = NULL;
    size_t i;
    const json_t *m;
    if (!ids)
        goto oom;
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
        if (json_array_append_new(ids, json_string(value)) < 0)
            goto oom;
    }
    text = json_dumps(ids, JSON_COMPACT);
    if (text)
        goto out;
oom:
    scim_error_set(err, 500, NULL, "out of memory");
out:
    json_decref(ids);
    return text;
}

/* The rows (value, n) of a JSON array of strings, n its position. */
#define IDS_SQLITE "(SELECT value, key AS n FROM json_each(?))"
#define IDS_PG "json_array_elements_text(CAST(? AS JSON)) WITH ORDINALITY"

int groups_repo_set_members(struct db *db, const char *group_id, const json_t *members,
                            struct scim_error *err)
{
    struct db_stmt *check = NULL, *ins = NULL, *del = NULL;
    int ret = -1, rc;
    bool pg = db_backend(db) == DB_POSTGRESQL;
    char *ids = member_ids_json(members, err);
    if (!ids)
        goto out;

    /* Validate every member before touching anything: all or nothing. The first unknown one
     * in the request's order is named. */
    rc = db_prepare(db, pg ? "SELECT j.value FROM " IDS_PG " AS j(value, n) WHERE NOT EXISTS"
                             " (SELECT 1 FROM users u WHERE u.id = j.value COLLATE \"C\")"
                             " ORDER BY j.n LIMIT 1"
                           : "SELECT j.value FROM " IDS_SQLITE " AS j WHERE NOT EXISTS"
                             " (SELECT 1 FROM users u WHERE u.id = j.value) ORDER BY j.n LIMIT 1",
                    &check);
    if (rc == DB_OK) {
        db_bind_text(check, 1, ids);
        rc = db_step(check);
    }
    if (rc == DB_ROW) {
        scim_error_set(err, 400, "invalidValue", "member '%.64s' is not a known user",
                       db_column_text(check, 0));
        goto out;
    }
    if (rc != DB_DONE)
        goto sql_error;
    rc = db_prepare(db, "DELETE FROM group_members WHERE group_id = ?", &del);
    if (rc == DB_OK) {
        db_bind_text(del, 1, group_id);
        rc = db_step(del);
    }
    if (rc != DB_DONE)
        goto sql_error;
    /* SQLite needs the WHERE to read ON CONFLICT as the upsert clause, not a join's. */
    rc = db_prepare(db, pg ? "INSERT INTO group_members(group_id, user_id) SELECT"
                             " CAST(? AS TEXT), j.value FROM " IDS_PG " AS j(value, n)"
                             " ON CONFLICT DO NOTHING"
                           : "INSERT INTO group_members(group_id, user_id) SELECT ?, j.value"
                             " FROM " IDS_SQLITE " AS j WHERE true ON CONFLICT DO NOTHING",
                    &ins);
    if (rc == DB_OK) {
        db_bind_text(ins, 1, group_id);
        db_bind_text(ins, 2, ids);
        rc = db_step(ins);
    }
    if (rc != DB_DONE)
        goto sql_error;
    ret = changes_record(db, "group", group_id, err);
    goto out;
sql_error:
    store_db_error(db, rc, err, "group members");
out:
    db_finalize(check);
    db_finalize(ins);
    db_finalize(del);
    free(ids);
    return ret;
}

int groups_repo_each_member(struct db *db, const char *group_id, groups_ref_fn fn, void *arg)
{
    struct db_stmt *s = NULL;
    int rc;
    /* display is what clients show for a member: its displayName, else its userName. */
    const char *sql =
        db_backend(db) == DB_POSTGRESQL
            ? "SELECT m.user_id, COALESCE(NULLIF(u.doc::json ->> 'displayName', ''), u.user_name)"
              " FROM group_members m JOIN users u ON u.id = m.user_id WHERE m.group_id = ?"
            : "SELECT m.user_id, COALESCE(NULLIF(json_extract(u.doc, '$.displayName'), ''),"
              " u.user_name) FROM group_members m JOIN users u ON u.id = m.user_id"
              " WHERE m.group_id = ?";
    if (db_prepare(db, sql, &s) != DB_OK) {
        db_finalize(s);
        return -1;
    }
    db_bind_text(s, 1, group_id);
    while ((rc = db_step(s)) == DB_ROW)
        fn(db_column_text(s, 0), db_column_text(s, 1), arg);
    db_finalize(s);
    return rc == DB_DONE ? 0 : -1;
}

int groups_repo_each_of_user(struct db *db, const char *user_id, groups_ref_fn fn, void *arg)
{
    int rc;
    struct db_stmt *s = store_stmt(db, "SELECT g.id, g.display_name FROM group_members m"
                                     " JOIN groups g ON g.id = m.group_id WHERE m.user_id = ?");
    if (!s)
        return -1;
    db_bind_text(s, 1, user_id);
    while ((rc = db_step(s)) == DB_ROW)
        fn(db_column_text(s, 0), db_column_text(s, 1), arg);
    store_stmt_done(s);
    return rc == DB_DONE ? 0 : -1;
}
