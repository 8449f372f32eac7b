/* SPDX-License-Identifier: MIT */
#include "store/tokens_query.h"

#include <stddef.h>

int tokens_each(struct db *db, tokens_row_fn fn, void *arg)
{
    struct db_stmt *s = NULL;
    int ret = -1, rc;
    if (db_prepare(db, "SELECT id, name, created, last_used, revoked FROM tokens "
                       "ORDER BY created, id", &s) != DB_OK)
        goto out;
    while ((rc = db_step(s)) == DB_ROW) {
        const struct token_row t = {
            .id = db_column_text(s, 0),
            .name = db_column_text(s, 1),
            .created = db_column_text(s, 2),
            .last_used = db_column_text(s, 3),
            .revoked = db_column_text(s, 4),
        };
        int r = fn(arg, &t);
        if (r != 0) {
            ret = r;
            goto out;
        }
    }
    if (rc == DB_DONE)
        ret = 0;
out:
    db_finalize(s);
    return ret;
}
