/* SPDX-License-Identifier: MIT */
/* The users reads of scimctl's `users list` and `users show`: the whole table in uid order,
 * and one user by id, userName or login (what an administrator types). */
#pragma once

#include "store/db.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/users_repo.h"

typedef void (*users_admin_fn)(const char *login, int64_t uid, bool active, const char *id,
                               const char *user_name, void *arg);

/* Calls fn for every user, in uid order. 0, or -1 with the store's message in err. */
int users_admin_list(struct db *db, users_admin_fn fn, void *arg, char *err, size_t errlen);

/* The user whose id, userName (case-insensitively) or login is `who`: 1 found (row filled,
 * user_row_clear it), 0 none, -1 a store error (its message in err), -2 the stored row cannot
 * be read. */
int users_admin_find(struct db *db, const char *who, struct user_row *row, char *err,
                     size_t errlen);
