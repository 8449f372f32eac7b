/* SPDX-License-Identifier: MIT */
/* Request body validation/canonicalisation and attribute projection (RFC 7643, RFC 7644). */
#pragma once

#include <jansson.h>

#include "scim_error.h"
#include "schema.h"

enum scim_write_mode { SCIM_WRITE_CREATE, SCIM_WRITE_REPLACE };

/* Validates and canonicalises a request body (POST/PUT) or a patched resource in place:
 * - attribute and sub-attribute names get their schema spelling;
 * - readOnly attributes and sub-attributes (id, meta, groups, manager.displayName) are
 *   dropped: RFC 7643 says clients' values for them are ignored. The caller re-adds id/meta;
 * - booleans accept true/false and the strings "True"/"False" (any case);
 * - integer/decimal/string/dateTime/binary/reference/complex/multi-valued shapes are checked;
 *   a single value where a multi-valued attribute is expected is wrapped; null and empty
 *   arrays mean unassigned (removed);
 * - at most one primary=true per multi-valued attribute;
 * - required attributes present and non-blank (userName / displayName);
 * - unknown schema URNs, unknown extension objects and unknown attributes are dropped;
 *   "urn:...:Attr" keys and bare extension attribute names ("employeeNumber" at top level)
 *   are placed where their schema says;
 * - "schemas" becomes the core URN plus the extensions actually present.
 * Both modes apply the same rules today (immutable attributes are sub-attributes of
 * members, which are compared by the caller per element). Errors (res unchanged) -> 400
 * invalidSyntax/invalidValue naming the attribute. */
int scim_resource_validate(json_t *res, const struct scim_resource_type *rt,
                           enum scim_write_mode mode, struct scim_error *err);

/* Rewrites res["schemas"] to the core URN plus each extension object present (non-empty),
 * dropping empty extension objects. Used after PATCH; scim_resource_validate does it too. */
int scim_resource_fix_schemas(json_t *res, const struct scim_resource_type *rt);

/* attributes / excludedAttributes projection (RFC 7644 §3.4.2.5, §3.9): returns a NEW object.
 * returned=always attributes (schemas, id, userName / displayName) are kept, returned=never
 * (password) always removed, meta kept unless excluded. Lists are comma-separated attribute
 * paths: sub-attributes ("name.givenName", "emails.value"), URN-qualified names and whole
 * extension URNs work, and so do value paths (emails[type eq "work"], ...].value), which name
 * their attribute; in `attributes` their filter also keeps only the values it matches.
 * Either list may be NULL (or empty). Unknown names are ignored.
 * Returns NULL only when out of memory or res is not an object. */
json_t *scim_resource_project(const json_t *res, const struct scim_resource_type *rt,
                              const char *attributes, const char *excluded_attributes);

/* Orders two resources by sort_by (an attribute path, RFC 7644 §3.4.2.3): strings by their
 * caseExact rule, numbers, booleans and dateTimes by value; multi-valued attributes by their
 * primary (else first) value. Resources without a value sort last. Returns <0, 0, >0 for
 * ascending order; an unknown sort_by compares equal. */
int scim_resource_compare(const json_t *a, const json_t *b, const struct scim_resource_type *rt,
                          const char *sort_by);
