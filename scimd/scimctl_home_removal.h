/* SPDX-License-Identifier: MIT */
/* Removing (or archiving, then removing) a purged user's home directory, which scimd itself
 * never does. Every check is made before anything changes, and the removal then works on
 * file descriptors opened without following symbolic links, re-checking what it opened, so
 * a path swapped between the check and the removal is refused rather than followed. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct home_removal {
    /* In: */
    const char *login;
    const char *home;        /* the recorded home, or the template's for older rows */
    const uint32_t *uids;    /* whose it may be: the user's uid, or the login's tombstones */
    size_t nuids;
    bool all_filesystems;    /* a home that is a mount point is allowed (emptied, left) */
    /* Out, from home_removal_check: */
    char path[PATH_MAX];     /* the home with every symbolic link above it resolved */
    uid_t owner;
    dev_t dev;
    ino_t ino;
    uint64_t files;          /* entries below the home, the home itself excluded */
    bool mount_point;        /* the home is a file system's root: emptied, not removed */
};

/* Whether h->home may be removed: an existing directory, not a symbolic link, not /, owned
 * by one of h->uids, neither holding nor inside any of others (the other users' homes),
 * holding no mount point (no rmdir could remove one), not one itself unless
 * all_filesystems, and not holding archive_dir (NULL: none). Fills the out fields. 0, or -1
 * with err saying why (nothing changed). */
int home_removal_check(struct home_removal *h, char *const *others, size_t nothers,
                       const char *archive_dir, char *err, size_t errlen);

/* A gzip'd tar of the checked home in dir, named LOGIN-UID-YYYYMMDD.tar.gz (UTC), 0600,
 * never replacing a file; the name goes into out. 0, or -1 with err set and no archive. */
int home_removal_archive(const struct home_removal *h, const char *dir, char *out,
                         size_t outlen, char *err, size_t errlen);

/* Removes the checked home and everything in it (a mount point is only emptied). 0, or -1
 * with err set (what was removed before the failure stays removed). */
int home_removal_remove(const struct home_removal *h, char *err, size_t errlen);
