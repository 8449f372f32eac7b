/* SPDX-License-Identifier: MIT */
#include "store/changes_repo.h"

#include "store/store.h"

int changes_record(sqlite3 *db, const char *kind, const char *entity, struct scim_error *err)
{
    char now[32];
    store_timestamp(now);
    /* Every SCIM write runs this in the writer: kept prepared. */
    sqlite3_stmt *s = store_stmt(db, "INSERT INTO changes(kind, entity, at) VALUES(?, ?, ?)");
    int rc = s ? SQLITE_OK : sqlite3_errcode(db);
    if (s) {
        sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, entity, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        store_stmt_done(s);
    }
    if (rc != SQLITE_DONE)
        return store_sqlite_error(db, rc, err, "change log");
    return 0;
}
