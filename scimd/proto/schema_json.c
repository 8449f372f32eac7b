/* SPDX-License-Identifier: MIT */
/* RFC 7643 §6 and §7 representations of the static tables, for /ResourceTypes and /Schemas. */
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *scim_type_name(enum scim_type t)
{
    switch (t) {
    case SCIM_T_STRING: return "string";
    case SCIM_T_BOOLEAN: return "boolean";
    case SCIM_T_DECIMAL: return "decimal";
    case SCIM_T_INTEGER: return "integer";
    case SCIM_T_DATETIME: return "dateTime";
    case SCIM_T_BINARY: return "binary";
    case SCIM_T_REFERENCE: return "reference";
    case SCIM_T_COMPLEX: return "complex";
    }
    return "string";
}

const char *scim_mutability_name(enum scim_mutability m)
{
    switch (m) {
    case SCIM_M_READ_WRITE: return "readWrite";
    case SCIM_M_READ_ONLY: return "readOnly";
    case SCIM_M_IMMUTABLE: return "immutable";
    case SCIM_M_WRITE_ONLY: return "writeOnly";
    }
    return "readWrite";
}

const char *scim_returned_name(enum scim_returned r)
{
    switch (r) {
    case SCIM_R_DEFAULT: return "default";
    case SCIM_R_ALWAYS: return "always";
    case SCIM_R_NEVER: return "never";
    case SCIM_R_REQUEST: return "request";
    }
    return "default";
}

const char *scim_uniqueness_name(enum scim_uniqueness u)
{
    switch (u) {
    case SCIM_U_NONE: return "none";
    case SCIM_U_SERVER: return "server";
    case SCIM_U_GLOBAL: return "global";
    }
    return "none";
}

static json_t *string_list(const char *const *list)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr && list && list[i]; i++) {
        if (json_array_append_new(arr, json_string(list[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *attr_to_json(const struct scim_attr *a)
{
    json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:b, s:b, s:s, s:s, s:s}",
                          "name", a->name,
                          "type", scim_type_name(a->type),
                          "multiValued", a->multi_valued,
                          "description", a->description ? a->description : "",
                          "required", a->required,
                          "caseExact", a->case_exact,
                          "mutability", scim_mutability_name(a->mutability),
                          "returned", scim_returned_name(a->returned),
                          "uniqueness", scim_uniqueness_name(a->uniqueness));
    if (!o)
        return NULL;
    if (a->canonical_values &&
        json_object_set_new(o, "canonicalValues", string_list(a->canonical_values)) != 0)
        goto fail;
    if (a->type == SCIM_T_REFERENCE &&
        json_object_set_new(o, "referenceTypes", string_list(a->reference_types)) != 0)
        goto fail;
    if (a->type == SCIM_T_COMPLEX) {
        json_t *subs = json_array();
        if (json_object_set_new(o, "subAttributes", subs) != 0)
            goto fail;
        for (size_t i = 0; i < a->n_sub; i++) {
            if (json_array_append_new(subs, attr_to_json(&a->sub[i])) != 0)
                goto fail;
        }
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

/* id, externalId and meta are common attributes (RFC 7643 §3.1), not part of any schema. */
static bool is_common_attr(const struct scim_attr *a)
{
    return strcmp(a->name, "id") == 0 || strcmp(a->name, "externalId") == 0 ||
           strcmp(a->name, "meta") == 0;
}

static json_t *meta_new(const char *resource_type, const char *location_base, const char *kind,
                        const char *id)
{
    char *loc = NULL;
    json_t *meta = NULL;

    if (asprintf(&loc, "%s/%s/%s", location_base ? location_base : "", kind, id) < 0)
        return NULL;
    meta = json_pack("{s:s, s:s}", "resourceType", resource_type, "location", loc);
    free(loc);
    return meta;
}

json_t *scim_schema_to_json(const struct scim_schema *s, const char *location_base)
{
    json_t *o = json_pack("{s:[s], s:s, s:s, s:s, s:[], s:o*}",
                          "schemas", SCIM_URN_SCHEMA,
                          "id", s->urn,
                          "name", s->name,
                          "description", s->description ? s->description : "",
                          "attributes",
                          "meta", meta_new("Schema", location_base, "Schemas", s->urn));
    if (!o || !json_object_get(o, "meta"))
        goto fail;
    json_t *attrs = json_object_get(o, "attributes");
    for (size_t i = 0; i < s->n_attrs; i++) {
        if (is_common_attr(&s->attrs[i]))
            continue;
        if (json_array_append_new(attrs, attr_to_json(&s->attrs[i])) != 0)
            goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

json_t *scim_resource_type_to_json(const struct scim_resource_type *rt, const char *location_base)
{
    json_t *o = json_pack("{s:[s], s:s, s:s, s:s, s:s, s:s, s:[], s:o*}",
                          "schemas", SCIM_URN_RESOURCE_TYPE,
                          "id", rt->id,
                          "name", rt->name,
                          "endpoint", rt->endpoint,
                          "description", rt->description ? rt->description : "",
                          "schema", rt->core->urn,
                          "schemaExtensions",
                          "meta", meta_new("ResourceType", location_base, "ResourceTypes", rt->id));
    if (!o || !json_object_get(o, "meta"))
        goto fail;
    json_t *exts = json_object_get(o, "schemaExtensions");
    for (size_t i = 0; i < rt->n_extensions; i++) {
        if (json_array_append_new(exts, json_pack("{s:s, s:b}", "schema", rt->extensions[i]->urn,
                                                  "required", 0)) != 0)
            goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}
