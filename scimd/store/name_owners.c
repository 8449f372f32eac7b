/* SPDX-License-Identifier: MIT */
#include "store/name_owners.h"

#include "store/store.h"

int name_owners_login(struct db *db, const char *name, struct scim_error *err)
{
    return store_row_exists(db, "SELECT 1 FROM users WHERE login = ?", name, NULL, err);
}

int name_owners_scim_group(struct db *db, const char *name, const char *self_group_id,
                           struct scim_error *err)
{
    return store_row_exists(db, "SELECT 1 FROM groups WHERE name = ?1 AND id <> ?2", name,
                            self_group_id ? self_group_id : "", err);
}
