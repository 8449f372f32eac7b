/* SPDX-License-Identifier: MIT */
/* A SCIM request as the resources see it, free of the HTTP library: method, body, the base
 * URL for meta.location, the authenticated access id, and header and query lookups that the
 * transport (http/) supplies. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "proto/scim_error.h"
#include "store/tokens.h"

enum api_value_kind { API_HEADER, API_QUERY };

/* The transport's lookup of a request header or (percent-decoded) query parameter; NULL when
 * absent. */
typedef const char *(*api_lookup_fn)(void *transport, enum api_value_kind kind, const char *name);

struct api_request {
    const char *method;     /* HEAD arrives as "GET" */
    const char *body;       /* body_len bytes, not NUL-terminated */
    size_t body_len;
    char base_url[512];     /* scheme://host[:port]base_path, for meta.location */
    char token_id[TOKEN_ID_LEN + 1]; /* who asked, for the audit line */
    api_lookup_fn lookup;   /* NULL: no headers and no query */
    void *transport;        /* passed to lookup */
};

const char *api_query(const struct api_request *req, const char *name);
const char *api_header(const struct api_request *req, const char *name);

/* The request body as a JSON object (duplicate keys refused); 400 invalidSyntax otherwise. */
json_t *api_json_body(const struct api_request *req, struct scim_error *err);
