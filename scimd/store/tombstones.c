/* SPDX-License-Identifier: MIT */
#include "store/tombstones.h"

#include <stddef.h>

#include "store/store.h"

struct tombstone_walk {
    tombstone_fn fn;
    void *arg;
};

static int read_tombstone(struct db_stmt *s, void *arg)
{
    const struct tombstone_walk *w = arg;
    const struct tombstone t = {
        .id = (uint32_t)db_column_int64(s, 0),
        .kind = db_column_text(s, 1),
        .name = db_column_text(s, 2),
        .released = db_column_text(s, 3),
    };
    return w->fn(w->arg, &t);
}

int tombstones_each(struct db *db, const char *login, tombstone_fn fn, void *arg)
{
    struct tombstone_walk w = { .fn = fn, .arg = arg };
    struct db_stmt *s = NULL;
    int rc = db_prepare(db, login ? "SELECT id, kind, name, released FROM id_ledger"
                                    " WHERE released IS NOT NULL AND kind = 'user' AND name = ?"
                                    " ORDER BY released DESC, id DESC"
                                  : "SELECT id, kind, name, released FROM id_ledger"
                                    " WHERE released IS NOT NULL ORDER BY id",
                        &s);
    if (rc == DB_OK && login)
        db_bind_text(s, 1, login);
    int ret = store_stmt_walk(rc, s, read_tombstone, &w);
    db_finalize(s);
    return ret;
}

struct live_home_walk {
    live_home_fn fn;
    void *arg;
};

static int read_live_home(struct db_stmt *s, void *arg)
{
    const struct live_home_walk *w = arg;
    const struct live_home u = {
        .id = db_column_text(s, 0),
        .login = db_column_text(s, 1),
        .uid = (uint32_t)db_column_int64(s, 2),
        .active = db_column_int64(s, 3) != 0,
        .home = db_column_is_null(s, 4) ? NULL : db_column_text(s, 4),
    };
    return w->fn(w->arg, &u);
}

int tombstones_live_homes(struct db *db, const char *login, live_home_fn fn, void *arg)
{
    struct live_home_walk w = { .fn = fn, .arg = arg };
    struct db_stmt *s = NULL;
    int rc = db_prepare(db, login ? "SELECT id, login, uid, active, home FROM users WHERE login = ?"
                                  : "SELECT id, login, uid, active, home FROM users ORDER BY uid",
                        &s);
    if (rc == DB_OK && login)
        db_bind_text(s, 1, login);
    int ret = store_stmt_walk(rc, s, read_live_home, &w);
    db_finalize(s);
    return ret;
}
