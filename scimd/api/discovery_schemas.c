/* SPDX-License-Identifier: MIT */
/* The schemas of the discovery resources themselves (RFC 7643 §8.7.2), served by /Schemas so
 * that every schema a response names can be looked up. */
#include "api/discovery_schemas.h"

#define N(arr) (sizeof(arr) / sizeof((arr)[0]))
#define RO .mutability = SCIM_M_READ_ONLY
#define SUB(arr) .type = SCIM_T_COMPLEX, .sub = (arr), .n_sub = N(arr)
#define BOOL_RO(n, d) { .name = n, .type = SCIM_T_BOOLEAN, .required = true, RO, .description = d }
#define INT_RO(n, d) { .name = n, .type = SCIM_T_INTEGER, RO, .description = d }
#define STR_RO(n, d) { .name = n, .type = SCIM_T_STRING, RO, .description = d }

static const struct scim_attr supported_only[] = {
    BOOL_RO("supported", "Whether the operation is supported."),
};
static const struct scim_attr bulk_sub[] = {
    BOOL_RO("supported", "Whether bulk is supported."),
    INT_RO("maxOperations", "Maximum number of operations."),
    INT_RO("maxPayloadSize", "Maximum payload size in bytes."),
};
static const struct scim_attr filter_sub[] = {
    BOOL_RO("supported", "Whether filtering is supported."),
    INT_RO("maxResults", "Maximum number of resources returned."),
};
static const struct scim_attr auth_sub[] = {
    STR_RO("type", "The authentication scheme."),
    STR_RO("name", "The common name of the scheme."),
    STR_RO("description", "A description of the scheme."),
    { .name = "specUri", .type = SCIM_T_REFERENCE, RO, .description = "The scheme's specification." },
    { .name = "documentationUri", .type = SCIM_T_REFERENCE, RO, .description = "Help for the scheme." },
    { .name = "primary", .type = SCIM_T_BOOLEAN, RO, .description = "The preferred scheme." },
};
static const struct scim_attr spc_attrs[] = {
    { .name = "documentationUri", .type = SCIM_T_REFERENCE, RO, .description = "Help for the service." },
    { .name = "patch", SUB(supported_only), .required = true, RO, .description = "PATCH support." },
    { .name = "bulk", SUB(bulk_sub), .required = true, RO, .description = "Bulk support." },
    { .name = "filter", SUB(filter_sub), .required = true, RO, .description = "Filter support." },
    { .name = "changePassword", SUB(supported_only), .required = true, RO,
      .description = "Password change support." },
    { .name = "sort", SUB(supported_only), .required = true, RO, .description = "Sort support." },
    { .name = "etag", SUB(supported_only), .required = true, RO, .description = "ETag support." },
    { .name = "authenticationSchemes", SUB(auth_sub), .multi_valued = true, .required = true, RO,
      .description = "Supported authentication schemes." },
};
const struct scim_schema discovery_schema_spc = {
    .urn = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
    .name = "Service Provider Configuration",
    .description = "Schema for representing the service provider's configuration",
    .attrs = spc_attrs,
    .n_attrs = N(spc_attrs),
};

static const struct scim_attr ext_sub[] = {
    { .name = "schema", .type = SCIM_T_REFERENCE, .required = true, .case_exact = true, RO,
      .description = "The URI of an extended schema." },
    { .name = "required", .type = SCIM_T_BOOLEAN, .required = true, RO,
      .description = "Whether resources must include the extension." },
};
static const struct scim_attr rt_attrs[] = {
    STR_RO("id", "The resource type's server unique id."),
    { .name = "name", .type = SCIM_T_STRING, .required = true, RO, .description = "The resource type name." },
    STR_RO("description", "The resource type's human-readable description."),
    { .name = "endpoint", .type = SCIM_T_REFERENCE, .required = true, RO,
      .description = "The resource type's HTTP-addressable endpoint." },
    { .name = "schema", .type = SCIM_T_REFERENCE, .required = true, .case_exact = true, RO,
      .description = "The resource type's primary schema URI." },
    { .name = "schemaExtensions", SUB(ext_sub), .multi_valued = true, RO,
      .description = "Schema extensions of the resource type." },
};
const struct scim_schema discovery_schema_resource_type = {
    .urn = "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
    .name = "ResourceType",
    .description = "Specifies the schema that describes a SCIM resource type",
    .attrs = rt_attrs,
    .n_attrs = N(rt_attrs),
};

static const struct scim_attr attr_sub[] = {
    { .name = "name", .type = SCIM_T_STRING, .required = true, .case_exact = true, RO,
      .description = "The attribute's name." },
    { .name = "type", .type = SCIM_T_STRING, .required = true, RO, .description = "The attribute's data type." },
    { .name = "multiValued", .type = SCIM_T_BOOLEAN, .required = true, RO,
      .description = "Whether the attribute is multi-valued." },
    STR_RO("description", "The attribute's description."),
    { .name = "required", .type = SCIM_T_BOOLEAN, RO, .description = "Whether the attribute is required." },
    { .name = "canonicalValues", .type = SCIM_T_STRING, .multi_valued = true, RO,
      .description = "Suggested values." },
    { .name = "caseExact", .type = SCIM_T_BOOLEAN, RO, .description = "Whether comparisons are case-sensitive." },
    STR_RO("mutability", "Whether and how the attribute can be written."),
    STR_RO("returned", "When the attribute is returned."),
    STR_RO("uniqueness", "How the attribute's values must be unique."),
    { .name = "referenceTypes", .type = SCIM_T_STRING, .multi_valued = true, RO,
      .description = "The resource types a reference may point to." },
    /* subAttributes has the same shape as attributes; one level is described here. */
    { .name = "subAttributes", .type = SCIM_T_COMPLEX, .multi_valued = true, RO,
      .description = "The sub-attributes of a complex attribute (same shape as attributes)." },
};
static const struct scim_attr schema_attrs[] = {
    { .name = "id", .type = SCIM_T_STRING, .required = true, .case_exact = true, RO,
      .description = "The unique URI of the schema." },
    STR_RO("name", "The schema's name."),
    STR_RO("description", "The schema's description."),
    { .name = "attributes", SUB(attr_sub), .multi_valued = true, .required = true, RO,
      .description = "The schema's attributes." },
};
const struct scim_schema discovery_schema_schema = {
    .urn = "urn:ietf:params:scim:schemas:core:2.0:Schema",
    .name = "Schema",
    .description = "Specifies the schema attributes of a SCIM resource",
    .attrs = schema_attrs,
    .n_attrs = N(schema_attrs),
};
