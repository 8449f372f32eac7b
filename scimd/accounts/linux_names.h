/* SPDX-License-Identifier: MIT */
/* One namespace for every Linux name scimd hands out: user logins (and their private groups),
 * role groups and SCIM groups. A name may belong to only one of them. */
#pragma once

#include "store/db.h"

#include "scimd_config.h"
#include "proto/scim_error.h"

/* Why the host can never take name (built-in system and package names, _* and systemd-*,
 * [accounts] reserved_names), as a static reason; NULL when it is not reserved. */
const char *linux_name_reserved(const struct scimd_config *cfg, const char *name);

/* Who already holds a Linux name. Decisions branch on this, never on the wording of
 * linux_name_owner_describe, so a message can change without changing a rule. */
enum linux_name_owner {
    LINUX_NAME_FREE = 0,
    LINUX_NAME_USER,       /* a user's login, which is also its private group's name */
    LINUX_NAME_ROLE_GROUP,
    LINUX_NAME_SCIM_GROUP, /* another SCIM group than the one being renamed */
};

/* The words for owner in an error or skip message ("a role group"): the one place they live. */
const char *linux_name_owner_describe(enum linux_name_owner owner);

/* 1 if taken (and *owner says by whom), 0 if free (*owner is LINUX_NAME_FREE), -1 on error.
 * self_group_id excludes one SCIM group (renames). */
int linux_name_taken_by(struct db *db, const char *name, const char *self_group_id,
                        enum linux_name_owner *owner, struct scim_error *err);

