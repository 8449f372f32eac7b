/* SPDX-License-Identifier: MIT */
/* Shared pieces of the static schema tables (internal to the library). */
#pragma once

#include "schema.h"

#define SCIM_N(arr) (sizeof(arr) / sizeof((arr)[0]))
#define SCIM_SUB(arr) .type = SCIM_T_COMPLEX, .sub = (arr), .n_sub = SCIM_N(arr)

/* "id", "externalId" and "meta" (RFC 7643 §3.1), shared by every resource type. */
#define SCIM_COMMON_ATTRS                                                                       \
    { .name = "id", .case_exact = true, .mutability = SCIM_M_READ_ONLY,                         \
      .returned = SCIM_R_ALWAYS, .uniqueness = SCIM_U_SERVER,                                    \
      .description = "Unique identifier assigned by the service provider." },                   \
    { .name = "externalId", .case_exact = true,                                                  \
      .description = "Identifier of the resource as defined by the provisioning client." },     \
    { .name = "meta", SCIM_SUB(scim_meta_sub), .mutability = SCIM_M_READ_ONLY,                  \
      .description = "Resource metadata maintained by the service provider." }

extern const struct scim_attr scim_meta_sub[5];
extern const char *const scim_ref_user_group[];
extern const char *const scim_ref_user[];
extern const char *const scim_ref_external[];
extern const char *const scim_ref_uri[];
