/* SPDX-License-Identifier: MIT */
/* Paths that break a host silently: a cache the NSS module never reads, and state on a file
 * system that systemd's ProtectSystem=strict made read-only. */
#pragma once

#include <stddef.h>

#include "scimd_config.h"

/* nss_scim and pam_scim read only the compiled-in cache paths (tests point them elsewhere
 * through SCIM_NSS_CACHE/SCIM_SHADOW_CACHE or pam_scim's cache=/shadow=): any other [cache]
 * path is refused unless [cache] nonstandard_path_ok says every reader was pointed at it. */
int cache_paths_check(const struct scimd_config *cfg, char *err, size_t errlen);

/* When path's directory is on a read-only file system, writes into buf the fix (a drop-in
 * with ReadWritePaths=) and returns buf; otherwise returns "". */
const char *cache_paths_readonly_hint(const char *path, char *buf, size_t buflen);
