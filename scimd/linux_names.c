#include "linux_names.h"

#include "store.h"

static int exists(sqlite3 *db, const char *sql, const char *a, const char *b,
                  struct scim_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
        if (b)
            sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return store_sqlite_error(db, rc, err, "name lookup");
}

int linux_name_taken(sqlite3 *db, const char *name, const char *self_group_id, const char **what,
                     struct scim_error *err)
{
    int r = exists(db, "SELECT 1 FROM users WHERE login = ?", name, NULL, err);
    if (r != 0) {
        *what = "a user's login name and private group";
        return r;
    }
    r = exists(db, "SELECT 1 FROM role_groups WHERE name = ?", name, NULL, err);
    if (r != 0) {
        *what = "a role group";
        return r;
    }
    r = exists(db, "SELECT 1 FROM groups WHERE name = ?1 AND id IS NOT ?2", name,
               self_group_id ? self_group_id : "", err);
    if (r != 0)
        *what = "another SCIM group";
    return r;
}
