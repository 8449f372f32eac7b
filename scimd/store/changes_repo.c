/* SPDX-License-Identifier: MIT */
#include "store/changes_repo.h"

#include "store/store.h"

int changes_record(struct db *db, const char *kind, const char *entity, struct scim_error *err)
{
    char now[32];
    store_timestamp(now);
    /* Every SCIM write runs this in the writer: kept prepared. */
    struct db_stmt *s = store_stmt(db, "INSERT INTO changes(kind, entity, at) VALUES(?, ?, ?)");
    int rc = s ? DB_OK : db_errcode(db);
    if (s) {
        db_bind_text(s, 1, kind);
        db_bind_text(s, 2, entity);
        db_bind_text(s, 3, now);
        rc = db_step(s);
        store_stmt_done(s);
    }
    if (rc != DB_DONE)
        return store_db_error(db, rc, err, "change log");
    return 0;
}
