/* The HTTP side: libmicrohttpd glue, request/response objects and SCIM-shaped errors. */
#pragma once

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "metrics.h"
#include "proto/scim_error.h"
#include "store/tokens.h"

struct scimd_server;

struct http_request {
    struct MHD_Connection *conn;
    const char *method;
    const char *url;        /* full path as received (decoded by MHD, no query) */
    const char *path;       /* url below base_path: "/Users/abc"; NULL if outside it */
    const char *body;
    size_t body_len;
    char token_id[TOKEN_ID_LEN + 1];
    bool authenticated;     /* set by the router when the request carried a valid token */
    char base_url[512];     /* scheme://host[:port]base_path, for meta.location */
    enum metrics_route route;
    const struct sockaddr *client;
};

struct http_response {
    int status;
    json_t *json;           /* owned; NULL for an empty body (204) */
    char *text;             /* owned; a non-JSON body (metrics), used when json is NULL */
    const char *content_type;
    char *location;         /* owned */
    char *etag;             /* owned */
    const char *allow;
    bool www_authenticate;
    unsigned retry_after;
};

const char *http_query(const struct http_request *req, const char *name);
const char *http_header(const struct http_request *req, const char *name);

/* W/"version": the ETag and meta.version of a resource. */
void http_etag_format(int64_t version, char buf[32]);

/* Answers with a rendered resource (stolen): body, ETag, 304 instead of the body for a GET
 * whose If-None-Match names the version, and Location base_url/endpoint/id on 201. */
void http_respond_resource(const struct http_request *req, struct http_response *resp, int status,
                           json_t *res, int64_t version, const char *endpoint, const char *id);

/* Whether an If-Match / If-None-Match value names version: "*", W/"n" or "n", in a
 * comma-separated list. NULL never matches. */
bool http_etag_matches(const char *header, int64_t version);

/* The request body as a JSON object (duplicate keys refused); 400 invalidSyntax otherwise. */
json_t *http_json_body(const struct http_request *req, struct scim_error *err);

/* Replaces resp with an RFC 7644 §3.12 error. */
void http_error(struct http_response *resp, int status, const char *scim_type, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));
void http_error_from(struct http_response *resp, const struct scim_error *err);
void http_response_reset(struct http_response *resp);

/* Starts libmicrohttpd per the config (or on listen_fd when >= 0, socket activation). */
int http_start(struct scimd_server *srv, int listen_fd, char *err, size_t errlen);
void http_stop(struct scimd_server *srv);
