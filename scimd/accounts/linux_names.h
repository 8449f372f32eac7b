/* One namespace for every Linux name scimd hands out: user logins (and their private groups),
 * role groups and SCIM groups. A name may belong to only one of them. */
#pragma once

#include <sqlite3.h>

#include "scimd_config.h"
#include "proto/scim_error.h"

/* Why the host can never take name (built-in system and package names, _* and systemd-*,
 * [accounts] reserved_names), as a static reason; NULL when it is not reserved. */
const char *linux_name_reserved(const struct scimd_config *cfg, const char *name);

/* 1 if taken (and *what says by what: "a user's login and private group", "a role group",
 * "a SCIM group"), 0 if free, -1 on error. self_group_id excludes one SCIM group (renames). */
int linux_name_taken(sqlite3 *db, const char *name, const char *self_group_id, const char **what,
                     struct scim_error *err);
