/* SPDX-License-Identifier: MIT */
/* Removing a user: the one path that SCIM DELETE, the retention sweep ([accounts]
 * remove_deactivated_after) and `scimctl users delete` share, so memberships, tombstones, the
 * audit line and session handling are the same whoever asked. */
#pragma once

#include "store/db.h"
#include <stdint.h>

#include "scimd_config.h"
#include "proto/scim_error.h"

/* In the writer's transaction: bumps the version of the user's groups, deletes the row (its
 * memberships go with it) and marks its uid released in the ledger, where it stays reserved
 * for ever (a tombstone: never handed out again). */
int user_removal_apply(struct db *db, const char *id, struct scim_error *err);

/* After the commit: the audit line and, with [sessions] terminate_on_deactivate, the end of
 * the user's sessions. actor is a token id, or who else removed it ("retention", "scimctl"). */
void user_removal_done(const struct scimd_config *cfg, const char *actor, const char *id,
                       const char *login, uint32_t uid);

/* A change scimctl made to users, for a running scimd to notice (it re-exports the cache and
 * drops its rendered users): PATH.users-epoch next to the database, replaced by rename. */
char *user_removal_epoch_path_new(const char *db_path);
int user_removal_touch_epoch(const char *db_path);
