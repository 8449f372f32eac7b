/* SPDX-License-Identifier: MIT */
/* Which table already holds a Linux name: the lookups behind accounts/linux_names.c's one
 * namespace (role groups: store/role_groups_repo.h). Each is 1 taken, 0 free, -1 on error. */
#pragma once

#include "store/db.h"

#include "proto/scim_error.h"

/* A user's login (and so its private group's name). */
int name_owners_login(struct db *db, const char *name, struct scim_error *err);

/* A SCIM group's Linux name, other than the group self_group_id (NULL: any group). */
int name_owners_scim_group(struct db *db, const char *name, const char *self_group_id,
                           struct scim_error *err);
