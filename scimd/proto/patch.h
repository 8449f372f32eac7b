/* SPDX-License-Identifier: MIT */
/* SCIM PATCH (RFC 7644 §3.5.2) with the dialects Microsoft Entra ID and Okta send. */
#pragma once

#include <jansson.h>

#include "scim_error.h"
#include "schema.h"

/* Applies a PATCH request (the whole parsed body: "schemas": [PatchOp URN] and "Operations")
 * to res in place. Atomic: on error res is left untouched. Supports add/replace/remove with
 * and without path; op names in any case; no-path values with plain, dotted
 * ("name.givenName"), value-path ("emails[type eq \"work\"].value"), URN-qualified and
 * URN-keyed extension members (readOnly and unknown members such as Okta's "id" are ignored
 * there); string booleans; value-path filters
 * (emails[type eq "work"].value, roles[primary eq "True"].value, members[value eq "id"]).
 * add/replace of `attr[filter].sub` where no element matches creates one from the filter's
 * eq comparisons (so does add of `attr[filter]`); add appends to multi-valued attributes
 * (merging an element equal in value/type, and a new primary=true clears the others);
 * replace of a multi-valued attribute replaces the set; replace of a complex attribute merges
 * its sub-attributes; remove with a filter removes the matching elements; remove of a
 * multi-valued attribute with a value array removes those elements (Entra's member removal).
 * Errors: remove without path -> noTarget; readOnly target, changed immutable value or removed
 * required attribute -> mutability; unknown path -> invalidPath; bad filter in a path ->
 * invalidFilter; filter matching nothing (outside the creating cases) -> noTarget; missing or
 * empty Operations, wrong schemas, unknown op, missing value -> invalidSyntax; value of the
 * wrong type or a required attribute left blank -> invalidValue. "schemas" of the result is
 * rewritten to the core URN plus the extensions present. */
int scim_patch_apply(json_t *res, const json_t *request, const struct scim_resource_type *rt,
                     struct scim_error *err);
