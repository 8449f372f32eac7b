/* SPDX-License-Identifier: MIT */
#include "api/search.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server.h"

static const char *const members[] = {
    "schemas", "attributes", "excludedAttributes", "filter", "sortBy", "sortOrder",
    "startIndex", "count",
};

/* The body's member name, in any case (attribute names are case-insensitive, RFC 7643
 * §2.1); NULL for one that is not a SearchRequest's. */
static const char *member_name(const char *key)
{
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
        if (strcasecmp(key, members[i]) == 0)
            return members[i];
    return NULL;
}

static int check_schemas(json_t *v, struct scim_error *err)
{
    size_t i;
    json_t *urn;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return scim_error_set(err, 400, "invalidSyntax",
                              "schemas must be [\"" SCIM_URN_SEARCH_REQUEST "\"]");
    json_array_foreach(v, i, urn) {
        if (!json_is_string(urn) || strcasecmp(json_string_value(urn), SCIM_URN_SEARCH_REQUEST))
            return scim_error_set(err, 400, "invalidSyntax",
                                  "schemas must be [\"" SCIM_URN_SEARCH_REQUEST "\"]");
    }
    return 0;
}

/* An array of attribute names -> "a,b,c" (what a GET's attributes parameter carries), or
 * NULL in *out for an empty array. */
static int join_names(const char *name, json_t *v, char **out, struct scim_error *err)
{
    size_t i, len = 0;
    json_t *e;
    *out = NULL;
    if (!json_is_array(v))
        return scim_error_set(err, 400, "invalidValue", "%s must be an array of attribute "
                              "names", name);
    json_array_foreach(v, i, e) {
        const char *s = json_string_value(e);
        /* A comma would split one name into two once joined. */
        if (!s || !*s || strchr(s, ','))
            return scim_error_set(err, 400, "invalidValue", "%s[%zu] must be an attribute "
                                  "name", name, i);
        len += strlen(s) + 1;
    }
    if (len == 0)
        return 0;
    char *joined = malloc(len);
    if (!joined)
        return scim_error_set(err, 500, NULL, "out of memory");
    joined[0] = '\0';
    json_array_foreach(v, i, e) {
        if (i)
            strcat(joined, ",");
        strcat(joined, json_string_value(e));
    }
    *out = joined;
    return 0;
}

static int read_int(const char *name, json_t *v, int64_t *out, struct scim_error *err)
{
    if (!json_is_integer(v))
        return scim_error_set(err, 400, "invalidValue", "%s must be an integer", name);
    *out = json_integer_value(v);
    return 0;
}

static int read_member(const char *name, json_t *v, struct search_request *sr,
                       struct scim_error *err)
{
    if (strcmp(name, "schemas") == 0)
        return check_schemas(v, err);
    if (strcmp(name, "attributes") == 0)
        return join_names(name, v, &sr->attributes, err);
    if (strcmp(name, "excludedAttributes") == 0)
        return join_names(name, v, &sr->excluded_attributes, err);
    if (strcmp(name, "startIndex") == 0)
        return read_int(name, v, &sr->query.start_index, err);
    if (strcmp(name, "count") == 0)
        return read_int(name, v, &sr->query.count, err);
    if (!json_is_string(v))
        return scim_error_set(err, 400, "invalidValue", "%s must be a string", name);
    if (strcmp(name, "filter") == 0)
        sr->query.filter = json_string_value(v);
    else if (strcmp(name, "sortOrder") == 0 &&
             strcasecmp(json_string_value(v), "ascending") != 0 &&
             strcasecmp(json_string_value(v), "descending") != 0)
        return scim_error_set(err, 400, "invalidValue",
                              "sortOrder must be \"ascending\" or \"descending\"");
    return 0;
}

int search_request_read(json_t *body, struct search_request *out, struct scim_error *err)
{
    const char *key;
    json_t *v;
    bool schemas = false;
    int ret = -1;
    memset(out, 0, sizeof(*out));
    out->query.start_index = 1;
    out->query.count = LISTING_MAX_RESULTS;
    if (!json_is_object(body)) {
        scim_error_set(err, 400, "invalidSyntax", "request body must be a JSON object");
        goto out;
    }
    json_object_foreach(body, key, v) {
        const char *name = member_name(key);
        if (!name) {
            scim_error_set(err, 400, "invalidSyntax", "'%.64s' is not a SearchRequest "
                           "attribute", key);
            goto out;
        }
        if (read_member(name, v, out, err) < 0)
            goto out;
        schemas |= strcmp(name, "schemas") == 0;
    }
    if (!schemas) {
        scim_error_set(err, 400, "invalidSyntax",
                       "schemas must be [\"" SCIM_URN_SEARCH_REQUEST "\"]");
        goto out;
    }
    listing_bound(&out->query);
    out->query.attributes = out->attributes;
    out->query.excluded_attributes = out->excluded_attributes;
    ret = 0;
out:
    if (ret < 0)
        search_request_clear(out);
    return ret;
}

void search_request_clear(struct search_request *sr)
{
    free(sr->attributes);
    free(sr->excluded_attributes);
    memset(sr, 0, sizeof(*sr));
}

void search_respond(struct scimd_server *srv, struct api_request *req,
                    const struct listing_source *src, struct api_response *resp)
{
    struct scim_error err;
    struct search_request sr = { 0 };
    json_t *list = NULL;
    scim_error_clear(&err);
    json_t *body = api_json_body(req, &err);
    if (body && search_request_read(body, &sr, &err) == 0)
        list = listing_query_list(srv->store, &sr.query, req->base_url, src, &err);
    if (list) {
        resp->status = 200;
        resp->json = list;
    } else {
        api_error_from(resp, &err);
    }
    search_request_clear(&sr);
    json_decref(body);
}
