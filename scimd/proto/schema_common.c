/* SPDX-License-Identifier: MIT */
#include "schema_tables.h"

const char *const scim_ref_user_group[] = {"User", "Group", NULL};
const char *const scim_ref_user[] = {"User", NULL};
const char *const scim_ref_external[] = {"external", NULL};
const char *const scim_ref_uri[] = {"uri", NULL};

const struct scim_attr scim_meta_sub[5] = {
    {.name = "resourceType", .case_exact = true, .mutability = SCIM_M_READ_ONLY,
     .description = "Name of the resource type of the resource."},
    {.name = "created", .type = SCIM_T_DATETIME, .mutability = SCIM_M_READ_ONLY,
     .description = "When the resource was added to the service provider."},
    {.name = "lastModified", .type = SCIM_T_DATETIME, .mutability = SCIM_M_READ_ONLY,
     .description = "When the resource was last changed."},
    {.name = "location", .type = SCIM_T_REFERENCE, .case_exact = true,
     .mutability = SCIM_M_READ_ONLY, .reference_types = scim_ref_uri,
     .description = "URI of the resource."},
    {.name = "version", .case_exact = true, .mutability = SCIM_M_READ_ONLY,
     .description = "Version (entity tag) of the resource."},
};
