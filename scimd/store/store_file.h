/* SPDX-License-Identifier: MIT */
/* Whether a SQLite store is there to be opened, for the commands that must not create one
 * (scimctl's reads and the writes that change what exists). */
#pragma once

#include <stddef.h>

/* 0 when path is a file this process may open for reading and writing (SQLite needs both,
 * its WAL too); else -1 with err saying what is wrong: no store there (nothing was created),
 * or "needs root" when permission is denied, rather than SQLite's "unable to open database
 * file". */
int store_file_check(const char *path, char *err, size_t errlen);
