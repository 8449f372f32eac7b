/* SPDX-License-Identifier: MIT */
/* An epoch file: DB_PATH + suffix next to the database, replaced by rename after a change
 * scimctl committed, so a running scimd notices it with one stat(2) (size, mtime, inode)
 * instead of polling the store. The token epoch and the users epoch are two of them. */
#pragma once

/* DB_PATH + suffix, as a new string (free it), or NULL when out of memory. */
char *epoch_file_path_new(const char *db_path, const char *suffix);

/* Replaces DB_PATH + suffix (written to a .tmp beside it, then renamed). 0, or -1 with
 * nothing left behind. */
int epoch_file_touch(const char *db_path, const char *suffix);
