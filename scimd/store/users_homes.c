/* SPDX-License-Identifier: MIT */
#include "store/users_homes.h"

#include <stdlib.h>

#include "store/store.h"

struct pin_fn {
    users_home_fn fn;
    void *arg;
};

static void sql_home(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const struct pin_fn *p = sqlite3_user_data(ctx);
    const char *login = (const char *)sqlite3_value_text(argv[0]);
    char *home = login ? p->fn(login, p->arg) : NULL;
    if (!home) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, home, -1, free);
}

int users_homes_pin(sqlite3 *db, users_home_fn fn, void *arg, struct scim_error *err)
{
    struct pin_fn p = { .fn = fn, .arg = arg };
    int ret = -1;
    /* A function only for this statement: the template lives in the config, not the store. */
    int rc = sqlite3_create_function(db, "scimd_home", 1, SQLITE_UTF8, &p, sql_home, NULL, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_error(db, rc, err, "recording home directories");
    rc = sqlite3_exec(db, "UPDATE users SET home = scimd_home(login) WHERE home IS NULL", NULL,
                      NULL, NULL);
    if (rc != SQLITE_OK) {
        store_sqlite_error(db, rc, err, "recording home directories");
        goto out;
    }
    ret = sqlite3_changes(db);
out:
    /* p lives on this stack frame: the function must not outlive it. */
    sqlite3_create_function(db, "scimd_home", 1, SQLITE_UTF8, NULL, NULL, NULL, NULL);
    return ret;
}
