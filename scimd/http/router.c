#include "http/router.h"

#include "api/handlers.h"
#include "log.h"
#include "metrics.h"
#include "http/auth.h"
#include "http/ratelimit.h"
#include "server.h"

#include <microhttpd.h>
#include <string.h>
#include <strings.h>

static bool method_is(const struct http_exchange *req, const char *m)
{
    return strcmp(req->api.method, m) == 0;
}

static void method_not_allowed(struct api_response *resp, const char *allow, const char *method)
{
    api_error(resp, 405, NULL, "method %s is not allowed here (allowed: %s)", method, allow);
    resp->allow = allow;
}

/* Endpoint names match in any case, as attribute names do: clients send /users and
 * /serviceproviderconfig, and other SCIM servers accept them. Ids after them stay exact. */
static void canonical_collection(char *coll)
{
    static const char *const names[] = { "Users", "Groups", "ServiceProviderConfig",
                                         "ResourceTypes", "Schemas", "Bulk" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(coll, names[i]) == 0) {
            strcpy(coll, names[i]); /* same length as what it replaces */
            return;
        }
    }
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

static void serve_metrics(struct scimd_server *srv, struct api_response *resp)
{
    resp->status = 200;
    resp->text = metrics_render(srv);
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    if (!resp->text)
        api_error(resp, 500, NULL, "cannot render metrics");
}

/* 0 when the request may go on; otherwise resp holds the 401 or 429. */
static int authenticate(struct scimd_server *srv, struct http_exchange *req,
                        struct api_response *resp)
{
    const char *why = NULL;
    if (auth_verify(srv->auth, api_header(&req->api, MHD_HTTP_HEADER_AUTHORIZATION),
                    req->api.token_id,
                    &why) == 0) {
        req->authenticated = true;
        return 0;
    }
    metrics_auth_failure();
    unsigned banned = ratelimit_banned(srv->ratelimit, req->client);
    if (!banned) {
        banned = ratelimit_fail(srv->ratelimit, req->client);
        if (banned)
            log_warn("auth: too many failed attempts from one address; refusing its "
                     "unauthenticated requests for %u s", banned);
    }
    if (banned) {
        api_error(resp, 429, NULL, "too many failed authentication attempts; retry in %u s",
                   banned);
        resp->retry_after = banned;
        return -1;
    }
    log_warn("auth: refused %s %s: %s", req->api.method, req->url, why);
    api_error(resp, 401, NULL, "authentication required: %s", why);
    resp->www_authenticate = true;
    return -1;
}

void router_dispatch(struct scimd_server *srv, struct http_exchange *req,
                     struct api_response *resp)
{
    if (strcmp(req->url, "/healthz") == 0) {
        req->route = ROUTE_HEALTHZ;
        if (!method_is(req, "GET") && !method_is(req, "HEAD"))
            return method_not_allowed(resp, "GET, HEAD", req->api.method);
        resp->status = 200;
        resp->json = json_pack("{s:s}", "status", "ok");
        return;
    }
    if (strcmp(req->url, "/metrics") == 0) {
        req->route = ROUTE_METRICS;
        if (!method_is(req, "GET"))
            return method_not_allowed(resp, "GET", req->api.method);
        if (srv->cfg->metrics_auth && authenticate(srv, req, resp) < 0)
            return;
        return serve_metrics(srv, resp);
    }
    if (!req->path)
        return api_error(resp, 404, NULL, "no such endpoint: the SCIM API is under %s",
                          srv->cfg->base_path[0] ? srv->cfg->base_path : "/");
    char coll[32];
    const char *item = NULL;
    bool routable = split_path(req->path, coll, sizeof(coll), &item);
    if (routable)
        canonical_collection(coll);
    if (routable && strcmp(coll, "Users") == 0)
        req->route = item ? ROUTE_USER : ROUTE_USERS;
    else if (routable && strcmp(coll, "Groups") == 0)
        req->route = item ? ROUTE_GROUP : ROUTE_GROUPS;
    else if (routable && (strcmp(coll, "ServiceProviderConfig") == 0 ||
                          strcmp(coll, "ResourceTypes") == 0 || strcmp(coll, "Schemas") == 0))
        req->route = ROUTE_DISCOVERY;
    /* Authenticate before saying whether a route exists. */
    if (authenticate(srv, req, resp) < 0)
        return;
    if (!routable)
        return api_error(resp, 404, NULL, "no such endpoint");

    if (strcmp(coll, "Users") == 0) {
        if (!item) {
            if (!method_is(req, "GET") && !method_is(req, "POST"))
                return method_not_allowed(resp, "GET, POST", req->api.method);
            return users_collection(srv, &req->api, resp);
        }
        if (!method_is(req, "GET") && !method_is(req, "PUT") && !method_is(req, "PATCH") &&
            !method_is(req, "DELETE"))
            return method_not_allowed(resp, "GET, PUT, PATCH, DELETE", req->api.method);
        return users_item(srv, &req->api, item, resp);
    }
    if (strcmp(coll, "Groups") == 0) {
        if (!item) {
            if (!method_is(req, "GET") && !method_is(req, "POST"))
                return method_not_allowed(resp, "GET, POST", req->api.method);
            return groups_collection(srv, &req->api, resp);
        }
        if (!method_is(req, "GET") && !method_is(req, "PUT") && !method_is(req, "PATCH") &&
            !method_is(req, "DELETE"))
            return method_not_allowed(resp, "GET, PUT, PATCH, DELETE", req->api.method);
        return groups_item(srv, &req->api, item, resp);
    }
    if (strcmp(coll, "ServiceProviderConfig") == 0 && !item) {
        if (!method_is(req, "GET"))
            return method_not_allowed(resp, "GET", req->api.method);
        return discovery_service_provider_config(srv, &req->api, resp);
    }
    if (strcmp(coll, "ResourceTypes") == 0) {
        if (!method_is(req, "GET"))
            return method_not_allowed(resp, "GET", req->api.method);
        return discovery_resource_types(srv, &req->api, item, resp);
    }
    if (strcmp(coll, "Schemas") == 0) {
        if (!method_is(req, "GET"))
            return method_not_allowed(resp, "GET", req->api.method);
        return discovery_schemas(srv, &req->api, item, resp);
    }
    if (strcmp(coll, "Bulk") == 0)
        return api_error(resp, 501, NULL, "bulk operations are not supported "
                                           "(see /ServiceProviderConfig)");
    api_error(resp, 404, NULL, "no such endpoint");
}
