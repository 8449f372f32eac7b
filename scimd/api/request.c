/* SPDX-License-Identifier: MIT */
#include "api/request.h"

static const char *lookup(const struct api_request *req, enum api_value_kind kind,
                          const char *name)
{
    return req->lookup ? req->lookup(req->transport, kind, name) : NULL;
}

const char *api_query(const struct api_request *req, const char *name)
{
    return lookup(req, API_QUERY, name);
}

const char *api_header(const struct api_request *req, const char *name)
{
    return lookup(req, API_HEADER, name);
}

json_t *api_json_body(const struct api_request *req, struct scim_error *err)
{
    json_error_t jerr;
    if (req->body_len == 0) {
        scim_error_set(err, 400, "invalidSyntax", "request body is empty");
        return NULL;
    }
    json_t *body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!body) {
        scim_error_set(err, 400, "invalidSyntax", "invalid JSON at line %d, column %d: %s",
                       jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        scim_error_set(err, 400, "invalidSyntax", "request body must be a JSON object");
        return NULL;
    }
    return body;
}
