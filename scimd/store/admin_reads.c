/* SPDX-License-Identifier: MIT */
#include "store/admin_reads.h"

#include <stdio.h>

#include "store/store.h"

struct role_group_walk {
    int (*fn)(void *arg, const char *name, uint32_t gid);
    void *arg;
};

static int read_role_group(struct db_stmt *s, void *arg)
{
    const struct role_group_walk *w = arg;
    return w->fn(w->arg, db_column_text(s, 0), (uint32_t)db_column_int64(s, 1));
}

int admin_role_groups_each(struct db *db, int (*fn)(void *arg, const char *name, uint32_t gid),
                           void *arg)
{
    struct role_group_walk w = { .fn = fn, .arg = arg };
    struct db_stmt *s = NULL;
    int rc = db_prepare(db, "SELECT name, gid FROM role_groups ORDER BY name", &s);
    int ret = store_stmt_walk(rc, s, read_role_group, &w);
    db_finalize(s);
    return ret;
}

int admin_last_change(struct db *db, char at[32])
{
    struct db_stmt *s = NULL;
    int ret = -1;
    /* By seq, the primary key: the newest row without a scan of the log. */
    if (db_prepare(db, "SELECT at FROM changes ORDER BY seq DESC LIMIT 1", &s) != DB_OK)
        goto out;
    int rc = db_step(s);
    if (rc == DB_ROW) {
        snprintf(at, 32, "%s", db_column_text(s, 0));
        ret = 1;
    } else if (rc == DB_DONE) {
        ret = 0;
    }
out:
    db_finalize(s);
    return ret;
}
