/* SPDX-License-Identifier: MIT */
#include "store/changes_repo.h"

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/db_sqlite.h"
#include "store/seq_reserve.h"
#include "store/store.h"

#define INSERT_CHANGE "INSERT INTO changes(kind, entity, at) VALUES(?, ?, ?)"

int changes_record(struct db *db, const char *kind, const char *entity, struct scim_error *err)
{
    char now[32];
    store_timestamp(now);
    /* The change's sequence, for the reservation: SQLite's last rowid (RETURNING needs
     * 3.35), PostgreSQL's RETURNING (lastval() would cost a round trip). */
    bool pg = db_backend(db) == DB_POSTGRESQL;
    int64_t seq = 0;
    /* Every SCIM write runs this in the writer: kept prepared. */
    struct db_stmt *s = store_stmt(db, pg ? INSERT_CHANGE " RETURNING seq" : INSERT_CHANGE);
    int rc = s ? DB_OK : db_errcode(db);
    if (s) {
        db_bind_text(s, 1, kind);
        db_bind_text(s, 2, entity);
        db_bind_text(s, 3, now);
        rc = db_step(s);
        if (rc == DB_ROW) {
            seq = db_column_int64(s, 0);
            rc = db_step(s);
        }
        store_stmt_done(s);
    }
    if (rc != DB_DONE)
        return store_db_error(db, rc, err, "change log");
    if (!pg)
        seq = sqlite3_last_insert_rowid(db_sqlite_handle(db));
    return seq_reserve_cover(seq, err);
}
