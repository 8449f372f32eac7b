/* SPDX-License-Identifier: MIT */
/* Which drop-in files extend a configuration file: the *.conf files in FILE.d, in byte order, so a package
 * upgrade that changes the shipped FILE never meets an admin's edit (no conffile prompt). */
#pragma once

#include <stddef.h>

struct config_dropins {
    char *dir;    /* FILE.d */
    char **files; /* full paths, sorted by name (strcmp) */
    size_t n;
};

/* Lists config_path's drop-ins: names ending in ".conf" that do not start with '.' (dotfiles
 * and editor swap files); backups such as "x.conf~" or "x.conf.dpkg-old" never end in .conf.
 * A missing directory means none. 0, or -1 with err naming the directory or the file when
 * the directory cannot be read or an entry is not a regular file (symlinks are followed). */
int config_dropins_list(const char *config_path, struct config_dropins *out, char *err,
                        size_t errlen);

void config_dropins_free(struct config_dropins *d);
