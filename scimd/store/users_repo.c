/* SPDX-License-Identifier: MIT */
#include "store/users_repo.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>

#include "proto/schema.h"
#include "store/changes_repo.h"
#include "store/store.h"

void user_row_clear(struct user_row *row)
{
    free(row->user_name);
    free(row->login);
    free(row->external_id);
    free(row->password_hash);
    json_decref(row->doc);
    free(row->home);
    memset(row, 0, sizeof(*row));
}

static char *dup_col(struct db_stmt *s, int i)
{
    const char *t = db_column_text(s, i);
    return t ? strdup((const char *)t) : NULL;
}

int users_repo_from_stmt(struct db_stmt *s, struct user_row *row)
{
    memset(row, 0, sizeof(*row));
    const char *id = db_column_text(s, 0);
    snprintf(row->id, sizeof(row->id), "%s", id ? id : "");
    row->user_name = dup_col(s, 1);
    row->login = dup_col(s, 2);
    row->external_id = dup_col(s, 3);
    row->active = db_column_int(s, 4) != 0;
    row->uid = (uint32_t)db_column_int64(s, 5);
    row->version = db_column_int64(s, 6);
    snprintf(row->created, sizeof(row->created), "%s", db_column_text(s, 7));
    snprintf(row->modified, sizeof(row->modified), "%s", db_column_text(s, 8));
    row->password_hash = dup_col(s, 9);
    row->password_day = db_column_int64(s, 10);
    const char *doc = db_column_text(s, 11);
    row->doc = doc ? json_loadb(doc, (size_t)db_column_bytes(s, 11), 0, NULL) : NULL;
    if (!row->user_name || !row->login || !row->doc) {
        user_row_clear(row);
        return -1;
    }
    return 0;
}

/* passwd fields must not carry ':' or line breaks; IdP display names may. */
static void sanitize(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == ':' || (unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

char *users_gecos_new(const json_t *doc)
{
    const char *display = json_string_value(json_object_get(doc, "displayName"));
    const json_t *name = json_object_get(doc, "name");
    const char *formatted = json_string_value(json_object_get(name, "formatted"));
    const char *given = json_string_value(json_object_get(name, "givenName"));
    const char *family = json_string_value(json_object_get(name, "familyName"));
    char *out = NULL;
    if (display && *display)
        out = strdup(display);
    else if (formatted && *formatted)
        out = strdup(formatted);
    else if (asprintf(&out, "%s%s%s", given ? given : "", given && family ? " " : "",
                      family ? family : "") < 0)
        out = NULL;
    if (out)
        sanitize(out);
    return out;
}

/* values of a multi-valued attribute (one per line; values with line breaks are left out,
 * an ssh key or role name never has one). */
static char *values_new(const json_t *arr)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    size_t i;
    const json_t *item;
    json_array_foreach(arr, i, item) {
        const char *v = json_string_value(json_object_get(item, "value"));
        if (v && *v && !strpbrk(v, "\r\n"))
            fprintf(f, "%s\n", v);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int bind_row(struct db_stmt *s, const struct user_row *row, bool with_home, char **doc_out)
{
    char *doc = json_dumps(row->doc, JSON_COMPACT);
    if (!doc)
        return -1;
    char *key = users_name_key_new(row->user_name);
    if (!key) {
        free(doc);
        return -1;
    }
    db_bind_text(s, 1, row->id);
    db_bind_text(s, 2, row->user_name);
    db_bind_text(s, 3, key);
    db_bind_text(s, 4, row->login);
    if (row->external_id)
        db_bind_text(s, 5, row->external_id);
    else
        db_bind_null(s, 5);
    db_bind_int64(s, 6, row->active ? 1 : 0);
    db_bind_int64(s, 7, row->uid);
    db_bind_int64(s, 8, row->version);
    db_bind_text(s, 9, row->created);
    db_bind_text(s, 10, row->modified);
    if (row->password_hash)
        db_bind_text(s, 11, row->password_hash);
    else
        db_bind_null(s, 11);
    db_bind_int64(s, 12, row->password_day);
    db_bind_text(s, 13, doc);
    char *gecos = users_gecos_new(row->doc);
    char *roles = values_new(json_object_get(row->doc, "roles"));
    char *keys = values_new(
        json_object_get(json_object_get(row->doc, SCIM_URN_LINUX_USER), "sshPublicKeys"));
    int ret = gecos && roles && keys ? 0 : -1;
    db_bind_text(s, 14, gecos ? gecos : "");
    db_bind_text(s, 15, roles ? roles : "");
    db_bind_text(s, 16, keys ? keys : "");
    /* Only the insert has a ?17: the update's statement leaves home alone. */
    if (row->home && with_home)
        db_bind_text(s, 17, row->home);
    free(gecos);
    free(roles);
    free(keys);
    free(key);
    if (ret < 0) {
        free(doc);
        return -1;
    }
    *doc_out = doc;
    return 0;
}

static int exec_row(struct db *db, const char *sql, const struct user_row *row, bool with_home,
                    struct scim_error *err, const char *what)
{
    /* Every create and update runs one of these in the writer: kept prepared. */
    struct db_stmt *s = store_stmt(db, sql);
    char *doc = NULL;
    int ret = -1;
    int rc = s ? DB_OK : db_errcode(db);
    if (!s)
        goto sql_error;
    if (bind_row(s, row, with_home, &doc) < 0) {
        scim_error_set(err, 500, NULL, "%s: cannot encode user", what);
        goto out;
    }
    rc = db_step(s);
    if (rc != DB_DONE)
        goto sql_error;
    /* In the same transaction, so no write reaches the store without reaching the fleet. */
    ret = changes_record(db, "user", row->id, err);
    goto out;
sql_error:
    if ((rc & 0xff) == DB_CONSTRAINT)
        scim_error_set(err, 409, "uniqueness", "%s: userName, login name or uid already in use",
                       what);
    else
        store_db_error(db, rc, err, what);
out:
    store_stmt_done(s);
    free(doc);
    return ret;
}

int users_repo_insert(struct db *db, const struct user_row *row, struct scim_error *err)
{
    return exec_row(db,
                    "INSERT INTO users(id, user_name, user_name_key, login, external_id, active,"
                    " uid, version, created, modified, password_hash, password_day, doc, gecos,"
                    " roles, ssh_keys, deactivated_at, home)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
                    " CASE WHEN ?6 = 0 THEN ?10 END, ?17)",
                    row, true, err, "create user");
}

int users_repo_update(struct db *db, const struct user_row *row, struct scim_error *err)
{
    return exec_row(db,
                    "UPDATE users SET user_name = ?2, user_name_key = ?3, login = ?4,"
                    " external_id = ?5, active = ?6, uid = ?7, version = ?8, created = ?9,"
                    " modified = ?10, password_hash = ?11, password_day = ?12, doc = ?13,"
                    " gecos = ?14, roles = ?15, ssh_keys = ?16,"
                    /* "active" on the right is the stored value: the clock of
                     * remove_deactivated_after starts at the true -> false change only. */
                    " deactivated_at = CASE WHEN ?6 = 1 THEN NULL WHEN active = 1 THEN ?10"
                    " ELSE deactivated_at END WHERE id = ?1",
                    row, false, err, "update user");
}

int users_repo_delete(struct db *db, const char *id, struct scim_error *err)
{
    /* The delete cascades to group_members: the groups the user was in change too. */
    char now[32];
    store_timestamp(now);
    struct db_stmt *s = store_stmt(db, "INSERT INTO changes(kind, entity, at)"
                                       " SELECT 'group', group_id, ?2"
                                       " FROM group_members WHERE user_id = ?1");
    int rc = s ? DB_OK : db_errcode(db);
    if (s) {
        db_bind_text(s, 1, id);
        db_bind_text(s, 2, now);
        rc = db_step(s);
        store_stmt_done(s);
    }
    if (rc != DB_DONE)
        return store_db_error(db, rc, err, "delete user");
    s = store_stmt(db, "DELETE FROM users WHERE id = ?");
    rc = s ? DB_OK : db_errcode(db);
    if (s) {
        db_bind_text(s, 1, id);
        rc = db_step(s);
        store_stmt_done(s);
    }
    if (rc != DB_DONE)
        return store_db_error(db, rc, err, "delete user");
    return changes_record(db, "user", id, err);
}

char *users_name_key_new(const char *user_name)
{
    char *key = strdup(user_name);
    if (!key)
        return NULL;
    for (char *p = key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return key;
}

int users_new_id(char out[SCIM_ID_LEN + 1])
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, SCIM_ID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}
