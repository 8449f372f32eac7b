/* SPDX-License-Identifier: MIT */
/* The Group resource type: RFC 7643 §4.2. */
#include "schema_tables.h"

static const char *const member_types[] = {"User", "Group", NULL};

static const struct scim_attr members_sub[] = {
    /* Required here (not in the RFC): a member without an id cannot be resolved to anyone. */
    {.name = "value", .required = true, .case_exact = true, .mutability = SCIM_M_IMMUTABLE,
     .description = "The id of a member User or Group."},
    {.name = "$ref", .type = SCIM_T_REFERENCE, .mutability = SCIM_M_IMMUTABLE,
     .reference_types = scim_ref_user_group, .description = "URI of the member resource."},
    {.name = "display", .description = "Display name of the member."},
    {.name = "type", .mutability = SCIM_M_IMMUTABLE, .canonical_values = member_types,
     .description = "Whether the member is a User or a Group."},
};

static const struct scim_attr group_attrs[] = {
    SCIM_COMMON_ATTRS,
    {.name = "displayName", .required = true, .returned = SCIM_R_ALWAYS,
     .description = "Name of the group; the Linux group name derives from it."},
    {.name = "members", .multi_valued = true, SCIM_SUB(members_sub),
     .description = "Members of the group."},
};

const struct scim_schema scim_schema_group = {
    .urn = SCIM_URN_GROUP,
    .name = "Group",
    .description = "Group",
    .attrs = group_attrs,
    .n_attrs = SCIM_N(group_attrs),
};

const struct scim_resource_type scim_rt_group = {
    .id = "Group",
    .name = "Group",
    .endpoint = "/Groups",
    .description = "Group",
    .core = &scim_schema_group,
    .extensions = NULL,
    .n_extensions = 0,
};
