/* SPDX-License-Identifier: MIT */
/* Type checking and canonicalisation of attribute values (internal to the library). */
#pragma once

#include <jansson.h>

#include "scim_error.h"
#include "schema.h"

/* Canonicalises v as a value of attribute a. *out gets a new reference, or NULL when the
 * value means "unassigned" (null, empty array, empty complex value). Multi-valued: a single
 * value is wrapped in an array, null elements are skipped, at most one element may have
 * primary=true. Complex: sub-attribute names get their schema spelling, unknown and readOnly
 * sub-attributes are dropped, a bare scalar becomes {"value": scalar} when the attribute has
 * a "value" sub-attribute (Entra sends manager as a plain id). Booleans accept "True"/"False".
 * A single-valued simple attribute accepts Entra's older [{"value": x}] wrapping.
 * name is used in error details. Errors -> 400 invalidValue (invalidSyntax for duplicates). */
int scim_value_canon(const struct scim_attr *a, const json_t *v, const char *name, json_t **out,
                     struct scim_error *err);

/* Same, for one value of a (one element when a is multi-valued: never wrapped). */
int scim_value_canon_single(const struct scim_attr *a, const json_t *v, const char *name,
                            json_t **out, struct scim_error *err);

/* Is v (a canonical element of a multi-valued attribute) marked primary? */
int scim_value_is_primary(const json_t *element);
