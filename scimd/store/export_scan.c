/* SPDX-License-Identifier: MIT */
#include "store/export_scan.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/store.h"

struct db *export_scan_begin(struct store *st, char *err, size_t errlen)
{
    struct scim_error e;
    struct db *db = store_reader_get(st, &e);
    if (!db) {
        snprintf(err, errlen, "%s", e.detail);
        return NULL;
    }
    if (store_read_begin(db, &e) < 0) {
        snprintf(err, errlen, "%s", e.detail);
        store_reader_put(st, db);
        return NULL;
    }
    return db;
}

void export_scan_end(struct store *st, struct db *db)
{
    if (!db)
        return;
    db_exec(db, "COMMIT");
    store_reader_put(st, db);
}

typedef int (*scan_row_fn)(struct db_stmt *s, void *ctx, char *err, size_t errlen);

/* Hands every row of sql to one_row, stopping at its first failure (its err stands); a
 * SQLite failure reads "reading WHAT: ...". 0 or -1. */
static int scan(struct db *db, const char *sql, const char *what, scan_row_fn one_row, void *ctx,
                char *err, size_t errlen)
{
    struct db_stmt *s = NULL;
    int ret = -1;
    int rc = db_prepare(db, sql, &s);
    if (rc != DB_OK)
        goto sql_error;
    while ((rc = db_step(s)) == DB_ROW) {
        if (one_row(s, ctx, err, errlen) < 0)
            goto out;
    }
    if (rc != DB_DONE)
        goto sql_error;
    ret = 0;
    goto out;
sql_error:
    snprintf(err, errlen, "reading %s: %s", what, db_errmsg(db));
out:
    db_finalize(s);
    return ret;
}

struct user_scan {
    export_user_fn fn;
    void *arg;
};

static int user_row(struct db_stmt *s, void *ctx, char *err, size_t errlen)
{
    const struct user_scan *c = ctx;
    struct export_user_row row = {
        .login = db_column_text(s, 0),
        .uid = (uint32_t)db_column_int64(s, 1),
        .active = db_column_int(s, 2) != 0,
        .password_hash = db_column_text(s, 3),
        .password_day = db_column_int64(s, 4),
        .gecos = db_column_text(s, 5),
        .roles = db_column_text(s, 6),
        .ssh_keys = db_column_text(s, 7),
        .home = db_column_text(s, 8),
    };
    return c->fn(&row, c->arg, err, errlen);
}

int export_scan_users(struct db *db, export_user_fn fn, void *arg, char *err, size_t errlen)
{
    struct user_scan c = { .fn = fn, .arg = arg };
    return scan(db, "SELECT login, uid, active, password_hash, password_day, gecos, roles,"
                    " ssh_keys, home FROM users ORDER BY uid", "users", user_row, &c, err, errlen);
}

struct group_scan {
    export_group_fn fn;
    void *arg;
};

static int group_row(struct db_stmt *s, void *ctx, char *err, size_t errlen)
{
    const struct group_scan *c = ctx;
    /* Types before values: a column's type is undefined once a value was converted. */
    struct export_group_row row = { .has_gid = !db_column_is_null(s, 1),
                                    .has_member = !db_column_is_null(s, 3) };
    row.name = db_column_text(s, 0);
    row.gid = (uint32_t)db_column_int64(s, 1);
    row.display_name = db_column_text(s, 2);
    row.member_uid = (uint32_t)db_column_int64(s, 3);
    return c->fn(&row, c->arg, err, errlen);
}

int export_scan_groups(struct db *db, export_group_fn fn, void *arg, char *err, size_t errlen)
{
    struct group_scan c = { .fn = fn, .arg = arg };
    return scan(db, "SELECT g.name, g.gid, g.display_name, u.uid FROM groups g"
                    " LEFT JOIN group_members m ON m.group_id = g.id"
                    " LEFT JOIN users u ON u.id = m.user_id ORDER BY g.id",
                "groups", group_row, &c, err, errlen);
}

void export_scan_marks(struct db *db, uint64_t *uid_hwm, uint64_t *gid_hwm)
{
    char buf[32];
    *uid_hwm = store_meta_get(db, "uid_hwm", buf, sizeof(buf)) == 1 ? strtoull(buf, NULL, 10) : 0;
    *gid_hwm = store_meta_get(db, "gid_hwm", buf, sizeof(buf)) == 1 ? strtoull(buf, NULL, 10) : 0;
}
