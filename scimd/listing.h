/* Query parameters and the ListResponse shared by collection endpoints (RFC 7644 §3.4.2). */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "http.h"

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

/* Wraps page (stolen) in a ListResponse. */
json_t *listing_response(json_t *page, int64_t total, int64_t start_index);
