/* SPDX-License-Identifier: MIT */
#include "store/role_groups_repo.h"

#include "store/changes_repo.h"
#include "store/store.h"

int role_groups_repo_exists(struct db *db, const char *name, struct scim_error *err)
{
    return store_row_exists(db, "SELECT 1 FROM role_groups WHERE name = ?", name, NULL, err);
}

uint32_t role_groups_repo_gid(struct db *db, const char *name)
{
    struct db_stmt *s = NULL;
    uint32_t gid = 0;
    if (db_prepare(db, "SELECT gid FROM role_groups WHERE name = ?", &s) ==
        DB_OK) {
        db_bind_text(s, 1, name);
        if (db_step(s) == DB_ROW)
            gid = (uint32_t)db_column_int64(s, 0);
    }
    db_finalize(s);
    return gid;
}

long long role_groups_repo_count(struct db *db, struct scim_error *err)
{
    struct db_stmt *s = NULL;
    long long n = -1;
    int rc = db_prepare(db, "SELECT COUNT(*) FROM role_groups", &s);
    if (rc == DB_OK && (rc = db_step(s)) == DB_ROW)
        n = db_column_int64(s, 0);
    db_finalize(s);
    if (n < 0)
        return store_db_error(db, rc, err, "role groups");
    return n;
}

int role_groups_repo_insert(struct db *db, const char *name, uint32_t gid, struct scim_error *err)
{
    if (store_exec_bind(db, "role group", err, "INSERT INTO role_groups(name, gid) VALUES(?, ?)",
                        "ti", name, (int64_t)gid) < 0)
        return -1;
    return changes_record(db, "role", name, err);
}
