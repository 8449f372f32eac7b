/* SPDX-License-Identifier: MIT */
#include "store/tokens_used.h"

#include "store/store.h"

int tokens_used_write(struct db *db, void *id, struct scim_error *err)
{
    char now[32];
    struct db_stmt *s = NULL;
    store_timestamp(now);
    int rc = db_prepare(db, "UPDATE tokens SET last_used = ? WHERE id = ?", &s);
    if (rc == DB_OK) {
        db_bind_text(s, 1, now);
        db_bind_text(s, 2, id);
        rc = db_step(s);
    }
    db_finalize(s);
    if (rc != DB_DONE)
        return store_db_error(db, rc, err, "recording the token's last use");
    return 0;
}
