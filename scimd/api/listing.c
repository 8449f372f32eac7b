#include "api/listing.h"

#include <errno.h>
#include <stdlib.h>

#include "proto/schema.h"
#include "proto/validate.h"

static int parse_int(const char *name, const char *value, int64_t *out, struct scim_error *err)
{
    errno = 0;
    char *end = NULL;
    long long v = strtoll(value, &end, 10);
    if (errno == ERANGE) {
        *out = v < 0 ? INT32_MIN : INT32_MAX; /* saturate: huge values mean "all" or "past end" */
        return 0;
    }
    if (end == value || *end != '\0')
        return scim_error_set(err, 400, "invalidValue", "%s must be an integer, got '%.64s'",
                              name, value);
    *out = v;
    return 0;
}

int listing_parse(const struct http_request *req, struct listing *out, struct scim_error *err)
{
    const char *v;
    out->start_index = 1;
    out->count = LISTING_MAX_RESULTS;
    if ((v = http_query(req, "startIndex")) && parse_int("startIndex", v, &out->start_index, err) < 0)
        return -1;
    if ((v = http_query(req, "count")) && parse_int("count", v, &out->count, err) < 0)
        return -1;
    /* RFC 7644 §3.4.2.4: startIndex < 1 is 1; a negative count is 0; we cap at maxResults. */
    if (out->start_index < 1)
        out->start_index = 1;
    if (out->count < 0)
        out->count = 0;
    if (out->count > LISTING_MAX_RESULTS)
        out->count = LISTING_MAX_RESULTS;
    out->filter = http_query(req, "filter");
    out->attributes = http_query(req, "attributes");
    out->excluded_attributes = http_query(req, "excludedAttributes");
    return 0;
}

json_t *listing_project(json_t *res, const struct scim_resource_type *rt, const char *attributes,
                        const char *excluded_attributes)
{
    if (!attributes && !excluded_attributes)
        return json_incref(res);
    return scim_resource_project(res, rt, attributes, excluded_attributes);
}

void listing_add(const struct listing *l, const struct scim_resource_type *rt, json_t *page,
                 int64_t *total, json_t *res)
{
    (*total)++;
    if (*total >= l->start_index && (int64_t)json_array_size(page) < l->count) {
        json_t *p = listing_project(res, rt, l->attributes, l->excluded_attributes);
        if (p)
            json_array_append_new(page, p);
    }
    json_decref(res);
}

json_t *listing_response(json_t *page, int64_t total, int64_t start_index)
{
    return json_pack("{s:[s], s:I, s:I, s:I, s:o}", "schemas", SCIM_URN_LIST_RESPONSE,
                     "totalResults", (json_int_t)total, "itemsPerPage",
                     (json_int_t)json_array_size(page), "startIndex", (json_int_t)start_index,
                     "Resources", page);
}
