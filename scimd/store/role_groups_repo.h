/* SPDX-License-Identifier: MIT */
/* The role_groups table: one row per role that became a Linux group (name -> gid); rows are
 * never deleted, so a role's gid stays its own. The rules are in accounts/roles.c. */
#pragma once

#include "store/db.h"
#include <stdint.h>

#include "proto/scim_error.h"

/* 1 if name is a role group, 0 if not, -1 on error. */
int role_groups_repo_exists(struct db *db, const char *name, struct scim_error *err);

/* The role group's gid, 0 when there is none (or the store cannot say). */
uint32_t role_groups_repo_gid(struct db *db, const char *name);

/* How many role groups exist (>= 0), or -1 with err set. */
long long role_groups_repo_count(struct db *db, struct scim_error *err);

int role_groups_repo_insert(struct db *db, const char *name, uint32_t gid, struct scim_error *err);
