/* SPDX-License-Identifier: MIT */
/* The answer to a request, filled by a handler (or by http/ for what it refuses itself) and
 * sent by http/: status, JSON or text body, and the headers SCIM uses. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/request.h"
#include "proto/etag.h"
#include "proto/scim_error.h"

struct api_response {
    int status;
    json_t *json;           /* owned; NULL for an empty body (204) */
    char *text;             /* owned; a non-JSON body (metrics), used when json is NULL */
    char *raw;              /* owned; raw_len bytes sent as they are (the fleet feed, which
                             * is signed byte for byte), used when json and text are NULL */
    size_t raw_len;
    const char *content_encoding; /* "gzip" when raw is compressed, else NULL */
    const char *cache_control;    /* NULL: no-store */
    char *signature;        /* owned; the fleet feed's Scimd-Signature header, or NULL */
    const char *content_type;
    char *location;         /* owned */
    char *etag;             /* owned */
    char allow[48];         /* the Allow header of a 405, "" for none */
    bool www_authenticate;
    unsigned retry_after;
};

/* Answers with a rendered resource (stolen): body, ETag, 304 instead of the body for a GET
 * whose If-None-Match names the version, and Location base_url/endpoint/id on 201. */
void api_respond_resource(const struct api_request *req, struct api_response *resp, int status,
                          json_t *res, int64_t version, const char *endpoint, const char *id);

/* Replaces resp with an RFC 7644 §3.12 error. */
void api_error(struct api_response *resp, int status, const char *scim_type, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));
void api_error_from(struct api_response *resp, const struct scim_error *err);
void api_response_reset(struct api_response *resp);
