/* SPDX-License-Identifier: MIT */
#include "accounts/linux_names.h"

#include <string.h>
#include <strings.h>

#include "scim_names.h"
#include "store/name_owners.h"
#include "store/role_groups_repo.h"

static bool in_config_list(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; p && *p;) {
        p += strspn(p, ", \t");
        size_t n = strcspn(p, ", \t");
        if (n == len && n > 0 && strncasecmp(p, name, n) == 0)
            return true;
        p += n;
    }
    return false;
}

const char *linux_name_reserved(const struct scimd_config *cfg, const char *name)
{
    if (scim_name_is_reserved(name))
        return SCIM_NAME_RESERVED_WHY;
    if (cfg && in_config_list(cfg->reserved_names, name))
        return "reserved by [accounts] reserved_names";
    return NULL;
}

const char *linux_name_owner_describe(enum linux_name_owner owner)
{
    switch (owner) {
    case LINUX_NAME_USER:
        return "a user's login name and private group";
    case LINUX_NAME_ROLE_GROUP:
        return "a role group";
    case LINUX_NAME_SCIM_GROUP:
        return "another SCIM group";
    case LINUX_NAME_FREE:
        break;
    }
    return "free";
}

int linux_name_taken_by(struct db *db, const char *name, const char *self_group_id,
                        enum linux_name_owner *owner, struct scim_error *err)
{
    *owner = LINUX_NAME_FREE;
    int r = name_owners_login(db, name, err);
    if (r != 0) {
        if (r == 1)
            *owner = LINUX_NAME_USER;
        return r;
    }
    r = role_groups_repo_exists(db, name, err);
    if (r != 0) {
        if (r == 1)
            *owner = LINUX_NAME_ROLE_GROUP;
        return r;
    }
    r = name_owners_scim_group(db, name, self_group_id, err);
    if (r == 1)
        *owner = LINUX_NAME_SCIM_GROUP;
    return r;
}
