/* SPDX-License-Identifier: MIT */
/* PATCH "path" (RFC 7644 §3.5.2): attrPath / valuePath ["." subAttr]. Internal. */
#pragma once

#include <stddef.h>

#include "filter.h"

struct patch_path {
    const struct scim_schema *schema;
    const struct scim_attr *attr;  /* top-level attribute; NULL: the whole extension object */
    const struct scim_attr *sub;   /* sub-attribute, or NULL */
    struct scim_filter *filter;    /* element filter of attr, or NULL */
};

/* Parses path (len bytes). Errors -> 400 invalidPath, or invalidFilter for the brackets. */
int patch_path_parse(const char *path, size_t len, const struct scim_resource_type *rt,
                     struct patch_path *out, struct scim_error *err);
void patch_path_clear(struct patch_path *pp);
