/* Query parameters and the ListResponse shared by collection endpoints (RFC 7644 §3.4.2). */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "http/http.h"

#define LISTING_MAX_RESULTS 1000

struct listing {
    int64_t start_index; /* 1-based, >= 1 */
    int64_t count;       /* 0..LISTING_MAX_RESULTS */
    const char *filter;
    const char *attributes;
    const char *excluded_attributes;
};

/* Reads startIndex, count, filter, attributes, excludedAttributes; 400 on a non-integer. */
int listing_parse(const struct http_request *req, struct listing *out, struct scim_error *err);

struct scim_resource_type;

/* res projected per attributes/excludedAttributes (a new reference). Without either there is
 * nothing to drop (stored docs hold no password): res itself, no copy, on the hot paths. */
json_t *listing_project(json_t *res, const struct scim_resource_type *rt, const char *attributes,
                        const char *excluded_attributes);

/* Counts one matching resource (stolen) and, when it falls in the requested page, appends
 * its projection to page. */
void listing_add(const struct listing *l, const struct scim_resource_type *rt, json_t *page,
                 int64_t *total, json_t *res);

/* Wraps page (stolen) in a ListResponse. */
json_t *listing_response(json_t *page, int64_t total, int64_t start_index);
