/* SPDX-License-Identifier: MIT */
/* Checks that run before scimd serves anything: the id ranges are clear of local accounts
 * and subordinate ids, and the store is not behind the uid high-water mark. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "scimd_config.h"
#include "store/store.h"

/* Refuses ranges that overlap a local user or group id (/etc/passwd, /etc/group), a
 * range in /etc/subuid or /etc/subgid, or the pool useradd takes new subordinate ids from
 * (SUB_UID_MIN..SUB_UID_MAX, SUB_GID_MIN..SUB_GID_MAX in /etc/login.defs, shadow's
 * 100000..600100000 when unset). root_dir prefixes the paths (tests); NULL = "/". */
int startup_check_ranges(const struct scimd_config *cfg, const char *root_dir, char *err,
                         size_t errlen);

/* The pool useradd hands subordinate ids out of (login.defs(5)), shadow's defaults when
 * the file or a key is absent. */
struct subid_pool {
    const char *kind; /* "UID" or "GID" */
    unsigned long long min, max, count;
};
/* pools[0] UID, pools[1] GID from path (login.defs). 0, or -1 with err when unreadable. */
int read_login_defs(const char *path, struct subid_pool pools[2], char *err, size_t errlen);

/* Refuses cache paths in a directory that is not root's alone up to / (cache_dir_trust.h):
 * whoever may rename files there could put an old export back. */
int startup_check_cache_dirs(const struct scimd_config *cfg, char *err, size_t errlen);

/* The guard file next to the database: "uid_hwm N\ngid_hwm M\n". */
int hwm_file_path(const struct scimd_config *cfg, char *buf, size_t buflen);
int hwm_file_read(const char *path, uint64_t *uid_hwm, uint64_t *gid_hwm);
int hwm_file_write(const char *path, uint64_t uid_hwm, uint64_t gid_hwm);

/* Writes the store's current marks into the guard file (a hub-only host, which exports no
 * cache, keeps its guard this way). */
int hwm_file_refresh(const struct scimd_config *cfg, struct store *st, char *err, size_t errlen);

/* Refuses to start when the store's high-water marks are below the guard file's or the
 * cache header's (a restored or replaced database would hand out old uids again). */
int startup_check_hwm(const struct scimd_config *cfg, struct store *st, char *err, size_t errlen);

/* Raises the store's marks to the guard file's and the cache's (scimctl high-water adopt). */
int hwm_adopt(const struct scimd_config *cfg, struct store *st, uint64_t *uid_out,
              uint64_t *gid_out, char *err, size_t errlen);
