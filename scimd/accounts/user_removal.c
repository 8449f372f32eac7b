/* SPDX-License-Identifier: MIT */
#include "accounts/user_removal.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "accounts/audit.h"
#include "store/groups_repo.h"
#include "accounts/identity.h"
#include "accounts/sessions.h"
#include "store/users_repo.h"

int user_removal_apply(sqlite3 *db, const char *id, struct scim_error *err)
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
    if (cfg->terminate_on_deactivate)
        sessions_terminate(uid, login, NULL);
}

char *user_removal_epoch_path_new(const char *db_path)
{
    char *path = NULL;
    if (asprintf(&path, "%s.users-epoch", db_path) < 0)
        return NULL;
    return path;
}

int user_removal_touch_epoch(const char *db_path)
{
    char *path = user_removal_epoch_path_new(db_path), *tmp = NULL;
    FILE *f = NULL;
    int ret = -1;
    struct timespec now;
    if (!path || asprintf(&tmp, "%s.tmp", path) < 0)
        goto out;
    /* The content differs at every touch, so the watcher's size/mtime/inode check sees it
     * even within one timestamp tick. */
    clock_gettime(CLOCK_REALTIME, &now);
    f = fopen(tmp, "we");
    if (!f || fprintf(f, "%lld.%09ld %d\n", (long long)now.tv_sec, now.tv_nsec, (int)getpid()) < 0)
        goto out;
    int rc = fclose(f);
    f = NULL;
    if (rc != 0)
        goto out;
    ret = rename(tmp, path);
out:
    if (f)
        fclose(f);
    if (ret < 0 && tmp)
        unlink(tmp);
    free(tmp);
    free(path);
    return ret;
}
