/* SPDX-License-Identifier: MIT */
/* Secrets kept in files ([follow] token_file, [store] password_file): the first line of a
 * regular file owned by root that no one else may read or write. */
#pragma once

#include <stddef.h>

/* Reads path's first line (without its newline) into buf. 0, or -1 with err set, naming
 * what ("token_file") and path but never the content. */
int secret_file_read(const char *what, const char *path, char *buf, size_t buflen, char *err,
                     size_t errlen);
