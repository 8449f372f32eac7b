/* SPDX-License-Identifier: MIT */
#include "store/export_scan.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

sqlite3 *export_scan_begin(struct store *st, char *err, size_t errlen)
{
    struct scim_error e;
    sqlite3 *db = store_reader_get(st, &e);
    if (!db) {
        snprintf(err, errlen, "%s", e.detail);
        return NULL;
    }
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "store: %s", sqlite3_errmsg(db));
        store_reader_put(st, db);
        return NULL;
    }
    return db;
}

void export_scan_end(struct store *st, sqlite3 *db)
{
    if (!db)
        return;
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    store_reader_put(st, db);
}

typedef int (*scan_row_fn)(sqlite3_stmt *s, void *ctx, char *err, size_t errlen);

/* Hands every row of sql to one_row, stopping at its first failure (its err stands); a
 * SQLite failure reads "reading WHAT: ...". 0 or -1. */
static int scan(sqlite3 *db, const char *sql, const char *what, scan_row_fn one_row, void *ctx,
                char *err, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int ret = -1;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        goto sql_error;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (one_row(s, ctx, err, errlen) < 0)
            goto out;
    }
    if (rc != SQLITE_DONE)
        goto sql_error;
    ret = 0;
    goto out;
sql_error:
    snprintf(err, errlen, "reading %s: %s", what, sqlite3_errmsg(db));
out:
    sqlite3_finalize(s);
    return ret;
}

struct user_scan {
    export_user_fn fn;
    void *arg;
};

static int user_row(sqlite3_stmt *s, void *ctx, char *err, size_t errlen)
{
    const struct user_scan *c = ctx;
    struct export_user_row row = {
        .login = (const char *)sqlite3_column_text(s, 0),
        .uid = (uint32_t)sqlite3_column_int64(s, 1),
        .active = sqlite3_column_int(s, 2) != 0,
        .password_hash = (const char *)sqlite3_column_text(s, 3),
        .password_day = sqlite3_column_int64(s, 4),
        .gecos = (const char *)sqlite3_column_text(s, 5),
        .roles = (const char *)sqlite3_column_text(s, 6),
        .ssh_keys = (const char *)sqlite3_column_text(s, 7),
        .home = (const char *)sqlite3_column_text(s, 8),
    };
    return c->fn(&row, c->arg, err, errlen);
}

int export_scan_users(sqlite3 *db, export_user_fn fn, void *arg, char *err, size_t errlen)
{
    struct user_scan c = { .fn = fn, .arg = arg };
    return scan(db, "SELECT login, uid, active, password_hash, password_day, gecos, roles,"
                    " ssh_keys, home FROM users ORDER BY uid", "users", user_row, &c, err, errlen);
}

struct group_scan {
    export_group_fn fn;
    void *arg;
};

static int group_row(sqlite3_stmt *s, void *ctx, char *err, size_t errlen)
{
    const struct group_scan *c = ctx;
    /* Types before values: a column's type is undefined once a value was converted. */
    struct export_group_row row = { .has_gid = sqlite3_column_type(s, 1) != SQLITE_NULL,
                                    .has_member = sqlite3_column_type(s, 3) != SQLITE_NULL };
    row.name = (const char *)sqlite3_column_text(s, 0);
    row.gid = (uint32_t)sqlite3_column_int64(s, 1);
    row.display_name = (const char *)sqlite3_column_text(s, 2);
    row.member_uid = (uint32_t)sqlite3_column_int64(s, 3);
    return c->fn(&row, c->arg, err, errlen);
}

int export_scan_groups(sqlite3 *db, export_group_fn fn, void *arg, char *err, size_t errlen)
{
    struct group_scan c = { .fn = fn, .arg = arg };
    return scan(db, "SELECT g.name, g.gid, g.display_name, u.uid FROM groups g"
                    " LEFT JOIN group_members m ON m.group_id = g.id"
                    " LEFT JOIN users u ON u.id = m.user_id ORDER BY g.id",
                "groups", group_row, &c, err, errlen);
}

void export_scan_marks(sqlite3 *db, uint64_t *uid_hwm, uint64_t *gid_hwm)
{
    char buf[32];
    *uid_hwm = store_meta_get(db, "uid_hwm", buf, sizeof(buf)) == 1 ? strtoull(buf, NULL, 10) : 0;
    *gid_hwm = store_meta_get(db, "gid_hwm", buf, sizeof(buf)) == 1 ? strtoull(buf, NULL, 10) : 0;
}
