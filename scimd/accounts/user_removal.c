/* SPDX-License-Identifier: MIT */
#include "accounts/user_removal.h"

#include "accounts/audit.h"
#include "accounts/audit_kernel.h"
#include "store/epoch_file.h"
#include "store/groups_repo.h"
#include "accounts/identity.h"
#include "accounts/sessions.h"
#include "store/users_repo.h"

int user_removal_apply(struct db *db, const char *id, struct scim_error *err)
{
    if (groups_touch_for_user(db, id, err) < 0 || users_repo_delete(db, id, err) < 0 ||
        identity_release(db, id, err) < 0)
        return -1;
    return 0;
}

void user_removal_done(const struct scimd_config *cfg, const char *actor, const char *id,
                       const char *login, uint32_t uid)
{
    audit_log(actor, "delete", "User", id, login, "");
    const struct audit_kernel_subject subject = { login, uid, id, actor };
    audit_kernel_record(AUDIT_KERNEL_USER_DELETE, &subject, NULL);
    if (cfg->terminate_on_deactivate)
        sessions_terminate(uid, login, NULL);
}

char *user_removal_epoch_path_new(const char *db_path)
{
    return epoch_file_path_new(db_path, ".users-epoch");
}

int user_removal_touch_epoch(const char *db_path)
{
    return epoch_file_touch(db_path, ".users-epoch");
}
