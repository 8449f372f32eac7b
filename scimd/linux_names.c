#include "linux_names.h"

#include "store.h"

int linux_name_taken(sqlite3 *db, const char *name, const char *self_group_id, const char **what,
                     struct scim_error *err)
{
    int r = store_row_exists(db, "SELECT 1 FROM users WHERE login = ?", name, NULL, err);
    if (r != 0) {
        *what = "a user's login name and private group";
        return r;
    }
    r = store_row_exists(db, "SELECT 1 FROM role_groups WHERE name = ?", name, NULL, err);
    if (r != 0) {
        *what = "a role group";
        return r;
    }
    r = store_row_exists(db, "SELECT 1 FROM groups WHERE name = ?1 AND id IS NOT ?2", name,
               self_group_id ? self_group_id : "", err);
    if (r != 0)
        *what = "another SCIM group";
    return r;
}
