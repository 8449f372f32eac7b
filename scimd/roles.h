/* roles-as-groups (DESIGN.md): each distinct roles[].value becomes a Linux group whose
 * members are the users holding it, unless [roles] maps it onto an existing local group. */
#pragma once

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "config.h"
#include "scim_error.h"

struct role_target {
    const char *group_name; /* the role group, or the mapped local group */
    bool mapped_local;
};

/* Write path: validates every role of doc and gives each new role group a gid from the group
 * range (ledgered, never reused). 400 for a role that gives no valid name, 409 when the name
 * would shadow a local group or a user's private group. */
int roles_sync(sqlite3 *db, const struct scimd_config *cfg, const json_t *doc,
               struct scim_error *err);

/* Export path: calls fn for each role in values (one role value per line, as the users
 * table's roles column holds them); invalid ones are skipped. */
int roles_for_export(const struct scimd_config *cfg, const char *values,
                     int (*fn)(void *ctx, const struct role_target *t), void *ctx);

/* Whether a role group of this name was ever created (its name stays taken). */
int roles_name_taken(sqlite3 *db, const char *name, struct scim_error *err);

/* gid of a role group; 0 if none. */
uint32_t roles_gid(sqlite3 *db, const char *name);
