/* SPDX-License-Identifier: MIT */
#include "accounts/cache_paths.h"

#include "config.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

static int check_one(const char *key, const char *path, const char *fixed, const char *env,
                     char *err, size_t errlen)
{
    if (strcmp(path, fixed) == 0)
        return 0;
    snprintf(err, errlen,
             "[cache] %s = %s: nss_scim and pam_scim read only %s, so users exported to %s "
             "would vanish from getent, login and sshd. Remove the key, or, if every reader "
             "is pointed at this file (%s for test processes, pam_scim's %s option), set "
             "[cache] nonstandard_path_ok = true",
             key, path, fixed, path, env, strcmp(key, "path") == 0 ? "cache=" : "shadow=");
    return -1;
}

int cache_paths_check(const struct scimd_config *cfg, char *err, size_t errlen)
{
    if (cfg->cache_nonstandard_path_ok)
        return 0;
    if (check_one("path", cfg->cache_path, SCIMD_NSS_CACHE_PATH, "SCIM_NSS_CACHE", err,
                  errlen) < 0 ||
        check_one("shadow_path", cfg->shadow_path, SCIMD_SHADOW_CACHE_PATH, "SCIM_SHADOW_CACHE",
                  err, errlen) < 0)
        return -1;
    return 0;
}

const char *cache_paths_readonly_hint(const char *path, char *buf, size_t buflen)
{
    char *copy = strdup(path);
    struct statvfs vfs;
    buf[0] = '\0';
    if (!copy)
        return buf;
    const char *dir = dirname(copy);
    /* ProtectSystem=strict mounts everything read-only but the unit's state directory. */
    if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
        snprintf(buf, buflen,
                 " (%s is on a read-only file system: under scimd.service's "
                 "ProtectSystem=strict only /var/lib/scimd is writable; add a drop-in with "
                 "`systemctl edit scimd`: [Service] ReadWritePaths=%s)",
                 dir, dir);
    free(copy);
    return buf;
}
