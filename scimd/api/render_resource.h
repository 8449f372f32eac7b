/* SPDX-License-Identifier: MIT */
/* Stored rows as SCIM resources: id, meta (location, ETag version) and the references between
 * users and groups. The store hands back rows and version numbers; the wire form is made here. */
#pragma once

#include <jansson.h>
#include "store/db.h"
#include <stdbool.h>

#include "store/groups_repo.h"
#include "store/users_repo.h"

/* The SCIM resource: doc + id + meta (location under base_url). New reference; it shares
 * the doc's attribute values (not its top level), so change those only on row->doc or on
 * copies. */
json_t *user_row_to_resource(const struct user_row *row, const char *base_url);

/* Adds the read-only "groups" attribute to a rendered user (omitted when empty). */
int users_attach_groups(struct db *db, json_t *user, const char *user_id, const char *base_url);

/* The SCIM resource. with_members: add members (value, $ref, display, type). */
json_t *group_row_to_resource(struct db *db, const struct group_row *row, const char *base_url,
                              bool with_members);
