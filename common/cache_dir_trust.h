/* SPDX-License-Identifier: MIT */
/* Trust in where a cache file lives, not only in the file: whoever may rename entries in one
 * of its directories can park an old root-owned export and rename it back later. */
#pragma once

#include <stddef.h>

/* 0 when every directory from the one holding path up to / (symlinks resolved) is owned by
 * root and not writable by group or others, except with the sticky bit (which stops others
 * from renaming root's files, as in /tmp). Otherwise -EPERM (or -errno when a directory
 * cannot be examined) and err names the directory and why. Checks, like OpenSSH's
 * safe_path, the directories as they are now: callers check when they (re)map a file. */
int scim_cache_dirs_trusted(const char *path, char *err, size_t errlen);
