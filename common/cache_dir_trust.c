/* SPDX-License-Identifier: MIT */
/* The directory walk behind scim_cache_dirs_trusted (cache_dir_trust.h). libc only. */
#include "cache_dir_trust.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cache_internal.h"

static int check_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) < 0)
        return scim_cache_seterr(err, errlen, -errno, "directory %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return scim_cache_seterr(err, errlen, -EPERM, "%s is not a directory", dir);
    if (st.st_uid != 0)
        return scim_cache_seterr(err, errlen, -EPERM,
                                 "not trusted: directory %s is owned by uid %u, not root "
                                 "(its owner could swap the cache file)",
                                 dir, (unsigned)st.st_uid);
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
        return scim_cache_seterr(err, errlen, -EPERM,
                                 "not trusted: directory %s has mode %04o (writable by group or "
                                 "others without the sticky bit: anyone could rename an old "
                                 "cache file into place)",
                                 dir, (unsigned)(st.st_mode & 07777));
    return 0;
}

int scim_cache_dirs_trusted(const char *path, char *err, size_t errlen)
{
    char dir[PATH_MAX], real[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(dir))
        return scim_cache_seterr(err, errlen, -ENAMETOOLONG, "bad cache path");
    memcpy(dir, path, n + 1);
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if (!realpath(dir, real))
        return scim_cache_seterr(err, errlen, -errno, "directory %s: %s", dir, strerror(errno));
    for (;;) {
        int rc = check_dir(real, err, errlen);
        if (rc < 0)
            return rc;
        slash = strrchr(real, '/');
        if (!slash || real[1] == '\0')
            return 0; /* checked "/" */
        if (slash == real)
            real[1] = '\0';
        else
            *slash = '\0';
    }
}
