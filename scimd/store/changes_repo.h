/* SPDX-License-Identifier: MIT */
/* The hub's change log (docs/architecture.md, fleet): one row per store write that changes
 * what a follower materializes, written by the store repositories themselves (users_repo,
 * groups_repo, role_groups_repo) in the same transaction as the write. */
#pragma once

#include "store/db.h"

#include "proto/scim_error.h"

/* Appends (kind, entity, now) to changes; kind is "user", "group" or "role", entity the SCIM
 * id (users, groups) or the role group's name. 0, or -1 with err set. */
int changes_record(struct db *db, const char *kind, const char *entity, struct scim_error *err);
