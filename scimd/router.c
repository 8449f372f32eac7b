#include "router.h"

#include "handlers.h"
#include "log.h"
#include "server.h"

#include <string.h>

static bool method_is(const struct http_request *req, const char *m)
{
    return strcmp(req->method, m) == 0;
}

static void method_not_allowed(struct http_response *resp, const char *allow, const char *method)
{
    http_error(resp, 405, NULL, "method %s is not allowed here (allowed: %s)", method, allow);
    resp->allow = allow;
}

/* Splits "/Users/abc" into collection "Users" and item "abc" (no further segments). */
static bool split_path(const char *path, char *coll, size_t coll_len, const char **item)
{
    if (path[0] != '/')
        return false;
    const char *start = path + 1;
    const char *slash = strchr(start, '/');
    size_t n = slash ? (size_t)(slash - start) : strlen(start);
    if (n == 0 || n >= coll_len)
        return false;
    memcpy(coll, start, n);
    coll[n] = '\0';
    *item = NULL;
    if (slash) {
        if (slash[1] == '\0')
            return true; /* "/Users/" is the collection */
        if (strchr(slash + 1, '/'))
            return false;
        *item = slash + 1;
    }
    return true;
}

void router_dispatch(struct scimd_server *srv, struct http_request *req,
                     struct http_response *resp)
{
    if (strcmp(req->url, "/healthz") == 0) {
        if (!method_is(req, "GET") && !method_is(req, "HEAD"))
            return method_not_allowed(resp, "GET, HEAD", req->method);
        resp->status = 200;
        resp->json = json_pack("{s:s}", "status", "ok");
        return;
    }
    if (!req->path)
        return http_error(resp, 404, NULL, "no such endpoint: the SCIM API is under %s",
                          srv->cfg->base_path[0] ? srv->cfg->base_path : "/");

    const char *why = NULL;
    if (auth_verify(srv->auth, http_header(req, MHD_HTTP_HEADER_AUTHORIZATION), req->token_id,
                    &why) < 0) {
        http_error(resp, 401, NULL, "authentication required: %s", why);
        resp->www_authenticate = true;
        return;
    }

    char coll[32];
    const char *item = NULL;
    if (!split_path(req->path, coll, sizeof(coll), &item))
        return http_error(resp, 404, NULL, "no such endpoint");

    if (strcmp(coll, "Users") == 0) {
        if (!item) {
            if (!method_is(req, "GET") && !method_is(req, "POST"))
                return method_not_allowed(resp, "GET, POST", req->method);
            return users_collection(srv, req, resp);
        }
        if (!method_is(req, "GET") && !method_is(req, "PUT") && !method_is(req, "PATCH") &&
            !method_is(req, "DELETE"))
            return method_not_allowed(resp, "GET, PUT, PATCH, DELETE", req->method);
        return users_item(srv, req, item, resp);
    }
    if (strcmp(coll, "Groups") == 0) {
        if (!item) {
            if (!method_is(req, "GET") && !method_is(req, "POST"))
                return method_not_allowed(resp, "GET, POST", req->method);
            return groups_collection(srv, req, resp);
        }
        if (!method_is(req, "GET") && !method_is(req, "PUT") && !method_is(req, "PATCH") &&
            !method_is(req, "DELETE"))
            return method_not_allowed(resp, "GET, PUT, PATCH, DELETE", req->method);
        return groups_item(srv, req, item, resp);
    }
    if (strcmp(coll, "ServiceProviderConfig") == 0 && !item) {
        if (!method_is(req, "GET"))
            return method_not_allowed(resp, "GET", req->method);
        return discovery_service_provider_config(srv, req, resp);
    }
    if (strcmp(coll, "ResourceTypes") == 0) {
        if (!method_is(req, "GET"))
            return method_not_allowed(resp, "GET", req->method);
        return discovery_resource_types(srv, req, item, resp);
    }
    if (strcmp(coll, "Schemas") == 0) {
        if (!method_is(req, "GET"))
            return method_not_allowed(resp, "GET", req->method);
        return discovery_schemas(srv, req, item, resp);
    }
    if (strcmp(coll, "Bulk") == 0)
        return http_error(resp, 501, NULL, "bulk operations are not supported "
                                           "(see /ServiceProviderConfig)");
    http_error(resp, 404, NULL, "no such endpoint");
}
