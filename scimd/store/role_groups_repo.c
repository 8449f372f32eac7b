/* SPDX-License-Identifier: MIT */
#include "store/role_groups_repo.h"

#include "store/changes_repo.h"
#include "store/store.h"

int role_groups_repo_exists(sqlite3 *db, const char *name, struct scim_error *err)
{
    return store_row_exists(db, "SELECT 1 FROM role_groups WHERE name = ?", name, NULL, err);
}

uint32_t role_groups_repo_gid(sqlite3 *db, const char *name)
{
    sqlite3_stmt *s = NULL;
    uint32_t gid = 0;
    if (sqlite3_prepare_v2(db, "SELECT gid FROM role_groups WHERE name = ?", -1, &s, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            gid = (uint32_t)sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return gid;
}

long long role_groups_repo_count(sqlite3 *db, struct scim_error *err)
{
    sqlite3_stmt *s = NULL;
    long long n = -1;
    int rc = sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM role_groups", -1, &s, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (n < 0)
        return store_sqlite_error(db, rc, err, "role groups");
    return n;
}

int role_groups_repo_insert(sqlite3 *db, const char *name, uint32_t gid, struct scim_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, "INSERT INTO role_groups(name, gid) VALUES(?, ?)", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, gid);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(db, rc, err, "role group");
    return changes_record(db, "role", name, err);
}
