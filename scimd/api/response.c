/* SPDX-License-Identifier: MIT */
#include "api/response.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/schema.h"
#include "proto/utf8.h"

void api_respond_resource(const struct api_request *req, struct api_response *resp, int status,
                          json_t *res, int64_t version, const char *endpoint, const char *id)
{
    char etag[SCIM_ETAG_BUF];
    scim_etag_format(version, etag);
    resp->status = status;
    resp->json = res;
    resp->etag = strdup(etag);
    if (status == 200 && strcmp(req->method, "GET") == 0 &&
        scim_etag_matches(api_header(req, "If-None-Match"), version)) {
        json_decref(resp->json); /* RFC 9110 §13.1.2: not modified, no body */
        resp->json = NULL;
        resp->status = 304;
    }
    if (status == 201) {
        char loc[700];
        snprintf(loc, sizeof(loc), "%s/%s/%s", req->base_url, endpoint, id);
        resp->location = strdup(loc);
    }
}

void api_response_reset(struct api_response *resp)
{
    json_decref(resp->json);
    free(resp->text);
    free(resp->raw);
    free(resp->signature);
    free(resp->location);
    free(resp->etag);
    memset(resp, 0, sizeof(*resp));
}

static void set_error(struct api_response *resp, int status, const char *scim_type,
                      const char *detail_in)
{
    char detail[1024];
    snprintf(detail, sizeof(detail), "%s", detail_in);
    /* A detail may quote client text cut at a byte count: keep it valid UTF-8 (json_pack
     * would refuse it and the error would go out without a body). */
    scim_utf8_repair(detail);
    api_response_reset(resp);
    char status_str[8];
    snprintf(status_str, sizeof(status_str), "%d", status);
    resp->status = status;
    resp->json = json_pack("{s:[s], s:s, s:s}", "schemas", SCIM_URN_ERROR, "status", status_str,
                           "detail", detail);
    if (resp->json && scim_type)
        json_object_set_new(resp->json, "scimType", json_string(scim_type));
}

void api_error(struct api_response *resp, int status, const char *scim_type, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    set_error(resp, status, scim_type, detail);
}

void api_error_from(struct api_response *resp, const struct scim_error *err)
{
    set_error(resp, err->status ? err->status : 500, err->scim_type,
              err->detail[0] ? err->detail : "internal error");
}
