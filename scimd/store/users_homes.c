/* SPDX-License-Identifier: MIT */
#include "store/users_homes.h"

#include <stdlib.h>
#include <string.h>

#include "store/store.h"

/* The template is configuration the store does not see: read the logins, ask the caller for
 * each home, write it back, all in the caller's write transaction. */
int users_homes_pin(struct db *db, users_home_fn fn, void *arg, struct scim_error *err)
{
    struct db_stmt *sel = NULL, *upd = NULL;
    struct pin {
        char *id, *home;
    } *pins = NULL;
    size_t npins = 0, cap = 0;
    int ret = -1, n = 0, rc;
    rc = db_prepare(db, "SELECT id, login FROM users WHERE home IS NULL", &sel);
    if (rc == DB_OK)
        rc = db_prepare(db, "UPDATE users SET home = ?2 WHERE id = ?1", &upd);
    if (rc != DB_OK) {
        store_db_error(db, rc, err, "recording home directories");
        goto out;
    }
    /* Collected first: updating the table while a SELECT on it is open is not portable. */
    while ((rc = db_step(sel)) == DB_ROW) {
        if (npins == cap) {
            cap = cap ? cap * 2 : 64;
            struct pin *grown = realloc(pins, cap * sizeof(*pins));
            if (!grown)
                break;
            pins = grown;
        }
        pins[npins].id = strdup(db_column_text(sel, 0));
        pins[npins].home = fn(db_column_text(sel, 1), arg);
        npins++;
        if (!pins[npins - 1].id || !pins[npins - 1].home) {
            rc = DB_ERROR;
            break;
        }
    }
    if (rc != DB_DONE) {
        if (rc == DB_ROW || rc == DB_ERROR)
            scim_error_set(err, 500, NULL, "recording home directories: out of memory");
        else
            store_db_error(db, rc, err, "recording home directories");
        goto out;
    }
    for (size_t i = 0; i < npins; i++) {
        db_reset(upd);
        db_bind_text(upd, 1, pins[i].id);
        db_bind_text(upd, 2, pins[i].home);
        rc = db_step(upd);
        if (rc != DB_DONE) {
            store_db_error(db, rc, err, "recording home directories");
            goto out;
        }
        n++;
    }
    ret = n;
out:
    for (size_t i = 0; i < npins; i++) {
        free(pins[i].id);
        free(pins[i].home);
    }
    free(pins);
    db_finalize(sel);
    db_finalize(upd);
    return ret;
}
