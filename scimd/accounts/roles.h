/* SPDX-License-Identifier: MIT */
/* roles-as-groups (docs/architecture.md): each distinct roles[].value becomes a Linux group whose
 * members are the users holding it, unless [roles] maps it onto an existing local group. */
#pragma once

#include <jansson.h>
#include "store/db.h"
#include <stdbool.h>

#include "scimd_config.h"
#include "proto/scim_error.h"

struct role_target {
    const char *group_name; /* the role group, or the mapped local group */
    bool mapped_local;
};

/* Write path: validates every role of doc and gives each new role group a gid from the group
 * range (ledgered, never reused), while writing a user who holds it. 400 for more than
 * [accounts] max_roles_per_user roles; a role that gives no valid name or whose name the host
 * cannot take (reserved, a local group, a name scimd gave a user or SCIM group, past
 * [accounts] max_role_groups) stays in the doc, gets no group, and is reported (log, metrics). */
int roles_sync(struct db *db, const struct scimd_config *cfg, const json_t *doc,
               struct scim_error *err);

/* roles_sync, appending {"name", "gid"} to the array *created (made with the first) for each
 * role group it made, so the caller can record them once the write has committed. */
int roles_sync_noting(struct db *db, const struct scimd_config *cfg, const json_t *doc,
                      json_t **created, struct scim_error *err);

/* Export path: calls fn for each role in values (one role value per line, as the users
 * table's roles column holds them); invalid ones are skipped. */
int roles_for_export(const struct scimd_config *cfg, const char *values,
                     int (*fn)(void *ctx, const struct role_target *t), void *ctx);

/* For scimctl: what roles[].value becomes on this host, in words ("group ops (gid 70001)",
 * "not a Linux group: 'admin' is reserved ..."). 0, or -1 when the store or NSS failed. */
int roles_describe(struct db *db, const struct scimd_config *cfg, const char *value, char *out,
                   size_t len);

/* Whether a role group of this name was ever created (its name stays taken). */
int roles_name_taken(struct db *db, const char *name, struct scim_error *err);

/* gid of a role group; 0 if none. */
uint32_t roles_gid(struct db *db, const char *name);
