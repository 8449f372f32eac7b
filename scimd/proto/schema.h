/* SPDX-License-Identifier: MIT */
/* SCIM schemas (RFC 7643) as static tables, and lookups on them.
 * Everything here is immutable data or a pure function: safe from any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define SCIM_URN_USER "urn:ietf:params:scim:schemas:core:2.0:User"
#define SCIM_URN_GROUP "urn:ietf:params:scim:schemas:core:2.0:Group"
#define SCIM_URN_ENTERPRISE_USER "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define SCIM_URN_LINUX_USER "urn:scimd:params:scim:schemas:extension:linux:1.0:User"
#define SCIM_URN_PATCH_OP "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#define SCIM_URN_LIST_RESPONSE "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define SCIM_URN_ERROR "urn:ietf:params:scim:api:messages:2.0:Error"
#define SCIM_URN_SPC "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
#define SCIM_URN_RESOURCE_TYPE "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
#define SCIM_URN_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:Schema"

enum scim_type {
    SCIM_T_STRING,
    SCIM_T_BOOLEAN,
    SCIM_T_DECIMAL,
    SCIM_T_INTEGER,
    SCIM_T_DATETIME,
    SCIM_T_BINARY,
    SCIM_T_REFERENCE,
    SCIM_T_COMPLEX,
};

enum scim_mutability { SCIM_M_READ_WRITE, SCIM_M_READ_ONLY, SCIM_M_IMMUTABLE, SCIM_M_WRITE_ONLY };
enum scim_returned { SCIM_R_DEFAULT, SCIM_R_ALWAYS, SCIM_R_NEVER, SCIM_R_REQUEST };
enum scim_uniqueness { SCIM_U_NONE, SCIM_U_SERVER, SCIM_U_GLOBAL };

struct scim_attr {
    const char *name;
    enum scim_type type;
    bool multi_valued, required, case_exact;
    enum scim_mutability mutability;
    enum scim_returned returned;
    enum scim_uniqueness uniqueness;
    const char *description;
    const char *const *canonical_values;  /* NULL-terminated; advisory only */
    const char *const *reference_types;   /* NULL-terminated; SCIM_T_REFERENCE only */
    const struct scim_attr *sub;          /* SCIM_T_COMPLEX only */
    size_t n_sub;
};

struct scim_schema {
    const char *urn, *name, *description;
    const struct scim_attr *attrs;
    size_t n_attrs;
};

struct scim_resource_type {
    const char *id, *name, *endpoint, *description;
    const struct scim_schema *core;
    const struct scim_schema *const *extensions;
    size_t n_extensions;
};

extern const struct scim_resource_type scim_rt_user, scim_rt_group;
extern const struct scim_schema scim_schema_user, scim_schema_enterprise_user,
    scim_schema_linux_user, scim_schema_group;

/* Resolves an attribute path ("userName", "name.givenName", "emails.value",
 * "urn:...:enterprise:2.0:User:manager.value", "urn:...:core:2.0:User:userName")
 * case-insensitively. Returns the attribute (the sub-attribute if dotted) and optionally its
 * schema and parent (NULL for a top-level attribute); NULL if unknown. An unqualified name
 * that is not a core attribute resolves to an extension attribute when exactly one
 * extension defines it (clients such as Okta send "employeeNumber" bare). */
const struct scim_attr *scim_attr_resolve(const struct scim_resource_type *rt, const char *path,
                                          const struct scim_schema **schema_out,
                                          const struct scim_attr **parent_out);

/* Like scim_attr_resolve but over the first len bytes of path (not NUL-terminated). */
const struct scim_attr *scim_attr_resolve_n(const struct scim_resource_type *rt, const char *path,
                                            size_t len, const struct scim_schema **schema_out,
                                            const struct scim_attr **parent_out);

/* The schema (core or extension) of rt whose URN equals urn case-insensitively; NULL if none. */
const struct scim_schema *scim_schema_find(const struct scim_resource_type *rt, const char *urn);

/* A direct attribute (or sub-attribute when attrs is a complex attribute's sub table) by
 * case-insensitive name; NULL if unknown. */
const struct scim_attr *scim_attr_find(const struct scim_attr *attrs, size_t n, const char *name);
const struct scim_attr *scim_attr_find_n(const struct scim_attr *attrs, size_t n, const char *name,
                                         size_t len);

/* Resource type by endpoint ("/Users") or id ("User"), case-insensitive; NULL if none. */
const struct scim_resource_type *scim_resource_type_find(const char *name);

/* RFC 7643 §7 representation for /Schemas, with meta.location = location_base + "/Schemas/" +
 * urn. location_base is the service's base URL (e.g. "https://host/scim/v2"); may be "". */
json_t *scim_schema_to_json(const struct scim_schema *s, const char *location_base);
/* RFC 7643 §6 representation for /ResourceTypes. */
json_t *scim_resource_type_to_json(const struct scim_resource_type *rt, const char *location_base);

/* Names for the enums as RFC 7643 §7 spells them ("string", "readOnly", "always", ...). */
const char *scim_type_name(enum scim_type t);
const char *scim_mutability_name(enum scim_mutability m);
const char *scim_returned_name(enum scim_returned r);
const char *scim_uniqueness_name(enum scim_uniqueness u);
