/* SPDX-License-Identifier: MIT */
/* Reads for scimctl's groups and status commands that no repository had: every role group,
 * and when the store last changed. */
#pragma once

#include "store/db.h"
#include <stdint.h>

/* Calls fn for every role group, by name; a non-zero return stops and is returned.
 * 0, or -1 on a store error (db_errmsg says why). */
int admin_role_groups_each(struct db *db, int (*fn)(void *arg, const char *name, uint32_t gid),
                           void *arg);

/* The time of the newest entry of the change log (RFC 3339, as store_timestamp writes it):
 * 1 with at filled, 0 when the log is empty, -1 on a store error. */
int admin_last_change(struct db *db, char at[32]);
