/* SPDX-License-Identifier: MIT */
#include "store/feed_repo.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

/* The entities of one kind whose latest change lies in (?1, ?2]: changes after since, grouped,
 * keeping those whose newest is not past upto (those wait for the next range). NOT INDEXED:
 * left to itself SQLite walks every change of the kind through changes_entity (23 ms at 100k
 * changes, for each long-poll answered) instead of the few after since by seq (< 1 ms). */
#define TOUCHED_HINTED(kind, hint)                                                             \
    "SELECT entity FROM changes " hint " WHERE kind = '" kind "' AND seq > ?1"                \
    " GROUP BY entity HAVING MAX(seq) <= ?2"
/* PostgreSQL plans by its statistics and takes no hints. */
#define TOUCHED(kind) TOUCHED_HINTED(kind, "NOT INDEXED")
#define TOUCHED_PG(kind) TOUCHED_HINTED(kind, "")

/* A snapshot walks whole tables; a range walks only what changed. Two texts rather than one
 * "?1 < 0 OR id IN (...)", which would group the whole change log for every snapshot. */
static struct db_stmt *prepare_range(struct db *db, const char *all_sql, const char *range_sql,
                                     const char *range_pg_sql, int64_t since, int64_t upto)
{
    struct db_stmt *s = NULL;
    const char *range = db_backend(db) == DB_POSTGRESQL ? range_pg_sql : range_sql;
    if (db_prepare(db, since < 0 ? all_sql : range, &s) != DB_OK) {
        db_finalize(s);
        return NULL;
    }
    if (since >= 0) {
        db_bind_int64(s, 1, since);
        db_bind_int64(s, 2, upto);
    }
    return s;
}

static int64_t scalar(struct db *db, const char *sql, int *ok)
{
    struct db_stmt *s = NULL;
    int64_t v = 0;
    *ok = 0;
    if (db_prepare(db, sql, &s) == DB_OK) {
        int rc = db_step(s);
        if (rc == DB_ROW)
            v = db_column_int64(s, 0);
        *ok = rc == DB_ROW || rc == DB_DONE;
    }
    db_finalize(s);
    return v;
}

int feed_max_seq(struct db *db, int64_t *out)
{
    int ok;
    /* sqlite_sequence, not MAX(seq): AUTOINCREMENT's high-water mark survives pruning every
     * row, so the feed's position never goes back. PostgreSQL's sequence would count
     * uncommitted changes too; MAX(seq) of the committed ones cannot go back either, since
     * feed_prune keeps the newest change, and the floor counts for a database moved past
     * its reservation (seq_reserve.c) before its next change. */
    *out = scalar(db, db_backend(db) == DB_POSTGRESQL
                          ? "SELECT GREATEST(COALESCE(MAX(seq), 0), (SELECT CAST(value AS BIGINT)"
                            " FROM meta WHERE key = 'changes_floor')) FROM changes"
                          : "SELECT seq FROM sqlite_sequence WHERE name = 'changes'",
                  &ok);
    return ok ? 0 : -1;
}

int feed_floor(struct db *db, int64_t *out)
{
    char buf[32];
    int r = store_meta_get(db, "changes_floor", buf, sizeof(buf));
    if (r < 0)
        return -1;
    *out = r == 1 ? strtoll(buf, NULL, 10) : 0;
    return 0;
}

/* users.roles and users.ssh_keys hold '\n'-terminated values: as a JSON array of strings. */
static char *lines_json_new(const char *lines)
{
    json_t *arr = json_array();
    char *out = NULL;
    if (!arr)
        return NULL;
    for (const char *p = lines ? lines : ""; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > 0 && json_array_append_new(arr, json_stringn(p, n)) < 0)
            goto out;
        p += n + (nl ? 1 : 0);
    }
    out = json_dumps(arr, JSON_COMPACT);
out:
    json_decref(arr);
    return out;
}

#define USER_COLS                                                                              \
    "id, user_name, login, gecos, password_hash, uid, password_day, active, roles, ssh_keys"

int feed_each_user(struct db *db, int64_t since, int64_t upto,
                   int (*cb)(void *, const struct feed_user *), void *arg)
{
    int ret = -1, rc;
    struct db_stmt *s = prepare_range(
        db, "SELECT " USER_COLS " FROM users ORDER BY uid",
        "SELECT " USER_COLS " FROM users WHERE id IN (" TOUCHED("user") ") ORDER BY uid",
        "SELECT " USER_COLS " FROM users WHERE id IN (" TOUCHED_PG("user") ") ORDER BY uid",
        since, upto);
    if (!s)
        return -1;
    while ((rc = db_step(s)) == DB_ROW) {
        char *roles = lines_json_new(db_column_text(s, 8));
        char *keys = lines_json_new(db_column_text(s, 9));
        struct feed_user u = {
            .id = db_column_text(s, 0),
            .user_name = db_column_text(s, 1),
            .login = db_column_text(s, 2),
            .gecos = db_column_text(s, 3),
            .password_hash = db_column_text(s, 4),
            .uid = db_column_int64(s, 5),
            .password_day = db_column_int64(s, 6),
            .active = db_column_int(s, 7) != 0,
            .roles_json = roles,
            .ssh_keys_json = keys,
        };
        int r = roles && keys && u.id && u.user_name && u.login ? cb(arg, &u) : -1;
        free(roles);
        free(keys);
        if (r != 0) {
            ret = r;
            goto out;
        }
    }
    ret = rc == DB_DONE ? 0 : -1;
out:
    db_finalize(s);
    return ret;
}

/* A group's members arrive as one '\n'-joined column (SCIM ids never hold a line break): split
 * in place into an array of pointers. */
static int split_members(char *joined, const char ***out, size_t *n_out)
{
    size_t n = 0, cap = 1;
    for (const char *p = joined; p && *p; p++)
        cap += *p == '\n';
    const char **ids = calloc(cap, sizeof(*ids));
    if (!ids)
        return -1;
    for (char *p = joined; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        ids[n++] = p;
        p = nl ? nl + 1 : p + strlen(p);
    }
    *out = ids;
    *n_out = n;
    return 0;
}

#define GROUP_SELECT_WITH(concat)                                                              \
    "SELECT g.id, g.display_name, g.name, g.gid,"                                              \
    " (SELECT " concat " FROM group_members m WHERE m.group_id = g.id)"                       \
    " FROM groups g"
#define GROUP_SELECT GROUP_SELECT_WITH("group_concat(m.user_id, char(10))")
#define GROUP_SELECT_PG GROUP_SELECT_WITH("string_agg(m.user_id, chr(10))")

int feed_each_group(struct db *db, int64_t since, int64_t upto,
                    int (*cb)(void *, const struct feed_group *, const char *const *member_ids,
                              size_t n),
                    void *arg)
{
    int ret = -1, rc;
    bool pg = db_backend(db) == DB_POSTGRESQL;
    struct db_stmt *s = prepare_range(db, pg ? GROUP_SELECT_PG " ORDER BY g.id"
                                             : GROUP_SELECT " ORDER BY g.id",
                                      GROUP_SELECT " WHERE g.id IN (" TOUCHED("group")
                                                   ") ORDER BY g.id",
                                      GROUP_SELECT_PG " WHERE g.id IN (" TOUCHED_PG("group")
                                                      ") ORDER BY g.id",
                                      since, upto);
    if (!s)
        return -1;
    while ((rc = db_step(s)) == DB_ROW) {
        const char *members = db_column_text(s, 4);
        char *joined = members ? strdup(members) : NULL;
        const char **ids = NULL;
        size_t n = 0;
        struct feed_group g = {
            .id = db_column_text(s, 0),
            .display_name = db_column_text(s, 1),
            .name = db_column_text(s, 2),
            .gid = db_column_int64(s, 3), /* NULL reads as 0: no gid of its own */
        };
        int r = -1;
        if ((!members || joined) && split_members(joined, &ids, &n) == 0 && g.id &&
            g.display_name && g.name)
            r = cb(arg, &g, ids, n);
        free(ids);
        free(joined);
        if (r != 0) {
            ret = r;
            goto out;
        }
    }
    ret = rc == DB_DONE ? 0 : -1;
out:
    db_finalize(s);
    return ret;
}

int feed_each_role(struct db *db, int64_t since, int64_t upto,
                   int (*cb)(void *, const struct feed_role *), void *arg)
{
    int ret = -1, rc;
    struct db_stmt *s = prepare_range(
        db, "SELECT name, gid FROM role_groups ORDER BY name",
        "SELECT name, gid FROM role_groups WHERE name IN (" TOUCHED("role") ") ORDER BY name",
        "SELECT name, gid FROM role_groups WHERE name IN (" TOUCHED_PG("role") ") ORDER BY name",
        since, upto);
    if (!s)
        return -1;
    while ((rc = db_step(s)) == DB_ROW) {
        struct feed_role r = { .name = db_column_text(s, 0),
                               .gid = db_column_int64(s, 1) };
        int v = r.name ? cb(arg, &r) : -1;
        if (v != 0) {
            ret = v;
            goto out;
        }
    }
    ret = rc == DB_DONE ? 0 : -1;
out:
    db_finalize(s);
    return ret;
}

/* The entities whose latest change lies in (?1, ?2] and which no longer exist. */
#define DELETED_SQL(hint)                                                                      \
    "SELECT kind, entity FROM (SELECT kind, entity FROM changes " hint " WHERE seq > ?1"       \
    " GROUP BY kind, entity HAVING MAX(seq) <= ?2) t"                                          \
    " WHERE (kind = 'user' AND NOT EXISTS(SELECT 1 FROM users WHERE id = t.entity))"           \
    " OR (kind = 'group' AND NOT EXISTS(SELECT 1 FROM groups WHERE id = t.entity))"            \
    " OR (kind = 'role' AND NOT EXISTS(SELECT 1 FROM role_groups WHERE name = t.entity))"      \
    " ORDER BY kind, entity"

int feed_each_deleted(struct db *db, int64_t since, int64_t upto,
                      int (*cb)(void *, const char *kind, const char *id), void *arg)
{
    int ret = -1, rc;
    struct db_stmt *s = NULL;
    if (since < 0)
        return 0;
    if (db_prepare(db,
                   db_backend(db) == DB_POSTGRESQL ? DELETED_SQL("") : DELETED_SQL("NOT INDEXED"),
                   &s) != DB_OK)
        goto out;
    db_bind_int64(s, 1, since);
    db_bind_int64(s, 2, upto);
    while ((rc = db_step(s)) == DB_ROW) {
        const char *kind = db_column_text(s, 0);
        const char *id = db_column_text(s, 1);
        int v = kind && id ? cb(arg, kind, id) : -1;
        if (v != 0) {
            ret = v;
            goto out;
        }
    }
    ret = rc == DB_DONE ? 0 : -1;
out:
    db_finalize(s);
    return ret;
}

int feed_id_get(struct db *db, char out[33])
{
    char buf[64];
    if (store_meta_get(db, "feed_id", buf, sizeof(buf)) != 1 || strlen(buf) != 32 ||
        strspn(buf, "0123456789abcdef") != 32)
        return -1;
    memcpy(out, buf, 33);
    return 0;
}

long long feed_prune(struct db *db, const char *older_than)
{
    struct db_stmt *s = NULL;
    long long ret = -1;
    int64_t floor = 0, last = 0;
    char buf[32];
    /* The newest change always stays, so MAX(seq) agrees with feed_max_seq for any reader. */
    if (feed_floor(db, &floor) < 0 ||
        db_prepare(db, "SELECT MAX(seq) FROM changes WHERE at < ?1"
                               " AND seq < (SELECT MAX(seq) FROM changes)", &s) != DB_OK)
        goto out;
    db_bind_text(s, 1, older_than);
    if (db_step(s) != DB_ROW)
        goto out;
    if (db_column_is_null(s, 0)) {
        ret = 0;
        goto out;
    }
    last = db_column_int64(s, 0);
    db_finalize(s);
    s = NULL;
    /* Everything up to the newest old change goes, so the floor is one number: a follower at
     * since >= floor finds every change after it still here. */
    if (db_prepare(db, "DELETE FROM changes WHERE seq <= ?", &s) != DB_OK)
        goto out;
    db_bind_int64(s, 1, last);
    if (db_step(s) != DB_DONE)
        goto out;
    long long deleted = db_changes(db);
    snprintf(buf, sizeof(buf), "%lld", (long long)(last > floor ? last : floor));
    if (store_meta_set(db, "changes_floor", buf) < 0)
        goto out;
    ret = deleted;
out:
    db_finalize(s);
    return ret;
}
