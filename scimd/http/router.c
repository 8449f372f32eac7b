/* SPDX-License-Identifier: MIT */
#include "http/router.h"

#include "api/handlers.h"
#include "fleet/feed_api.h"
#include "http/conn_watchdog.h"
#include "log.h"
#include "metrics.h"
#include "http/auth.h"
#include "http/ratelimit.h"
#include "server.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum method {
    M_GET = 1u << 0,
    M_HEAD = 1u << 1,
    M_POST = 1u << 2,
    M_PUT = 1u << 3,
    M_PATCH = 1u << 4,
    M_DELETE = 1u << 5,
};

/* In the order Allow lists them. */
static const struct {
    enum method bit;
    const char *name;
} methods[] = {
    { M_GET, "GET" },     { M_HEAD, "HEAD" },   { M_POST, "POST" },
    { M_PUT, "PUT" },     { M_PATCH, "PATCH" }, { M_DELETE, "DELETE" },
};

static unsigned method_bit(const char *name)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strcmp(name, methods[i].name) == 0)
            return methods[i].bit;
    return 0;
}

/* 0 when the route takes the request's method; otherwise resp holds the 405 and its Allow,
 * generated from the route's methods. */
static int check_method(const struct http_exchange *req, unsigned allowed,
                        struct api_response *resp)
{
    if (method_bit(req->api.method) & allowed)
        return 0;
    char allow[sizeof(resp->allow)] = "";
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (allowed & methods[i].bit)
            snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
                     allow[0] ? ", " : "", methods[i].name);
    api_error(resp, 405, NULL, "method %s is not allowed here (allowed: %s)", req->api.method,
              allow);
    memcpy(resp->allow, allow, sizeof(allow));
    return -1;
}

/* What follows the collection name in a path. */
enum shape {
    COLLECTION = 1u << 0, /* "/Users", "/Users/" */
    ITEM = 1u << 1,       /* "/Users/abc" */
    SEARCH = 1u << 2,     /* "/Users/.search" (RFC 7644 §3.4.3) */
};

typedef void (*handler_fn)(struct scimd_server *srv, struct api_request *req, const char *item,
                           struct api_response *resp);

static void users_coll(struct scimd_server *srv, struct api_request *req, const char *item,
                       struct api_response *resp)
{
    users_collection(srv, req, resp);
}

static void groups_coll(struct scimd_server *srv, struct api_request *req, const char *item,
                        struct api_response *resp)
{
    groups_collection(srv, req, resp);
}

static void users_find(struct scimd_server *srv, struct api_request *req, const char *item,
                       struct api_response *resp)
{
    users_search(srv, req, resp);
}

static void groups_find(struct scimd_server *srv, struct api_request *req, const char *item,
                        struct api_response *resp)
{
    groups_search(srv, req, resp);
}

/* RFC 7644 §3.4.3 lets a server search every resource type from its root; scimd does not,
 * and §3.12 answers an operation a server does not support with 501. */
static void root_search(struct scimd_server *srv, struct api_request *req, const char *item,
                        struct api_response *resp)
{
    api_error(resp, 501, NULL, "searching from the root is not supported: POST /Users/.search "
              "or /Groups/.search");
}

static void service_provider_config(struct scimd_server *srv, struct api_request *req,
                                    const char *item, struct api_response *resp)
{
    discovery_service_provider_config(srv, req, resp);
}

static void bulk(struct scimd_server *srv, struct api_request *req, const char *item,
                 struct api_response *resp)
{
    api_error(resp, 501, NULL, "bulk operations are not supported (see /ServiceProviderConfig)");
}

/* The SCIM endpoints under base_path. Collection names match in any case, as attribute names
 * do: clients send /users and /serviceproviderconfig, and other SCIM servers accept them. Ids
 * after them stay exact. The metric label of a known name is its first row's when the shape
 * does not match. */
static const struct route {
    const char *collection;
    unsigned shapes;
    unsigned methods; /* 0: any method, even one unknown here */
    handler_fn handler;
    enum metrics_route label;
} routes[] = {
    { "Users", COLLECTION, M_GET | M_POST, users_coll, ROUTE_USERS },
    { "Users", SEARCH, M_POST, users_find, ROUTE_USERS },
    { "Users", ITEM, M_GET | M_PUT | M_PATCH | M_DELETE, users_item, ROUTE_USER },
    { "Groups", COLLECTION, M_GET | M_POST, groups_coll, ROUTE_GROUPS },
    { "Groups", SEARCH, M_POST, groups_find, ROUTE_GROUPS },
    { "Groups", ITEM, M_GET | M_PUT | M_PATCH | M_DELETE, groups_item, ROUTE_GROUP },
    { ".search", COLLECTION, M_POST, root_search, ROUTE_OTHER },
    { "ServiceProviderConfig", COLLECTION, M_GET, service_provider_config, ROUTE_DISCOVERY },
    { "ResourceTypes", COLLECTION | ITEM, M_GET, discovery_resource_types, ROUTE_DISCOVERY },
    { "Schemas", COLLECTION | ITEM, M_GET, discovery_schemas, ROUTE_DISCOVERY },
    /* The answer is 501 whatever was asked. */
    { "Bulk", COLLECTION | ITEM, 0, bulk, ROUTE_OTHER },
};

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

/* The route of a path below base_path; NULL for none. *label is the metric label of a known
 * collection name even when its shape has no route. */
static const struct route *classify(const char *path, const char **item,
                                    enum metrics_route *label)
{
    char coll[32];
    const struct route *named = NULL;
    if (!split_path(path, coll, sizeof(coll), item))
        return NULL;
    /* ".search" is no id: ids are hex and dashes (users_api.c, groups_api.c). */
    unsigned shape = !*item ? COLLECTION : strcmp(*item, ".search") == 0 ? SEARCH : ITEM;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcasecmp(coll, routes[i].collection) != 0)
            continue;
        if (!named)
            named = &routes[i];
        if (routes[i].shapes & shape) {
            *label = routes[i].label;
            return &routes[i];
        }
    }
    if (named)
        *label = named->label;
    return NULL;
}

static void serve_metrics(struct scimd_server *srv, struct api_response *resp)
{
    resp->status = 200;
    resp->text = metrics_render(srv);
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    if (!resp->text)
        api_error(resp, 500, NULL, "cannot render metrics");
}

/* A failed authentication: resp holds the 401, or the 429 once the address is banned. */
static int refuse_auth(struct scimd_server *srv, struct http_exchange *req,
                       struct api_response *resp, const char *why)
{
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

/* The store could not be read to judge the credential (a database restart or failover):
 * 503, which IdPs and hosts retry, and nothing counts against the client's address. */
static int auth_unavailable(struct http_exchange *req, struct api_response *resp,
                            const char *why)
{
    log_warn("auth: %s %s: %s; answering 503", req->api.method, req->url, why);
    api_error(resp, 503, NULL, "the store is unavailable; retry");
    resp->retry_after = 1;
    return -1;
}

/* 0 when the request may go on; otherwise resp holds the 401, 429 or 503. */
static int authenticate(struct scimd_server *srv, struct http_exchange *req,
                        struct api_response *resp)
{
    const char *why = NULL;
    int rc = auth_verify(srv->auth, api_header(&req->api, MHD_HTTP_HEADER_AUTHORIZATION),
                         req->api.token_id, &why);
    if (rc == 0) {
        req->authenticated = true;
        return 0;
    }
    if (rc == AUTH_UNAVAILABLE)
        return auth_unavailable(req, resp, why);
    return refuse_auth(srv, req, resp, why);
}

typedef void (*fleet_fn)(struct scimd_server *srv, const struct http_exchange *req,
                         const char *host_id, struct api_response *resp);

static void snapshot_route(struct scimd_server *srv, const struct http_exchange *req,
                           const char *host_id, struct api_response *resp)
{
    fleet_snapshot(srv, &req->api, host_id, resp);
}

static void changes_route(struct scimd_server *srv, const struct http_exchange *req,
                          const char *host_id, struct api_response *resp)
{
    fleet_changes(srv, &req->api, host_id, req->poll, resp);
}

static void report_route(struct scimd_server *srv, const struct http_exchange *req,
                         const char *host_id, struct api_response *resp)
{
    fleet_report(srv, &req->api, host_id, resp);
}

/* The fleet feed, outside base_path; a host token, never a SCIM token (fleet/feed_api.h). */
static const struct {
    const char *path;
    unsigned methods;
    fleet_fn handler;
} fleet_routes[] = {
    { "/fleet/v1/snapshot", M_GET, snapshot_route },
    { "/fleet/v1/changes", M_GET, changes_route },
    { "/fleet/v1/report", M_POST, report_route },
};

static void fleet_dispatch(struct scimd_server *srv, struct http_exchange *req,
                           struct api_response *resp)
{
    char host_id[HOST_ID_LEN + 1];
    const char *why = NULL;
    req->route = ROUTE_OTHER;
    if (req->poll && req->poll->woken) {
        /* A held poll's next turn: it authenticated on its first. */
        req->authenticated = true;
        snprintf(req->api.token_id, sizeof(req->api.token_id), "%s", req->poll->host_id);
        fleet_changes(srv, &req->api, req->poll->host_id, req->poll, resp);
        return;
    }
    int rc = fleet_authenticate(srv, api_header(&req->api, MHD_HTTP_HEADER_AUTHORIZATION),
                                host_id, &why);
    if (rc == AUTH_UNAVAILABLE) {
        auth_unavailable(req, resp, why);
        return;
    }
    if (rc < 0) {
        refuse_auth(srv, req, resp, why);
        return;
    }
    req->authenticated = true;
    /* Before a long-poll is held: an authenticated connection is never closed to make room
     * for others. (A held poll's connection is suspended, which libmicrohttpd's idle timeout
     * does not count.) */
    conn_watchdog_trusted(srv->watchdog, req->api.transport);
    /* The access log's token= names the host (host ids and token ids are both 16 chars). */
    snprintf(req->api.token_id, sizeof(req->api.token_id), "%s", host_id);
    for (size_t i = 0; i < sizeof(fleet_routes) / sizeof(fleet_routes[0]); i++) {
        if (strcmp(req->url, fleet_routes[i].path) != 0)
            continue;
        if (check_method(req, fleet_routes[i].methods, resp) < 0)
            return;
        fleet_routes[i].handler(srv, req, host_id, resp);
        return;
    }
    api_error(resp, 404, NULL, "no such fleet endpoint");
}

void router_dispatch(struct scimd_server *srv, struct http_exchange *req,
                     struct api_response *resp)
{
    /* Outside base_path: a method that does not fit is refused before any authentication. */
    if (strcmp(req->url, "/healthz") == 0) {
        req->route = ROUTE_HEALTHZ;
        if (check_method(req, M_GET | M_HEAD, resp) < 0)
            return;
        resp->status = 200;
        resp->json = json_pack("{s:s}", "status", "ok");
        return;
    }
    if (strcmp(req->url, "/metrics") == 0) {
        req->route = ROUTE_METRICS;
        if (check_method(req, M_GET, resp) < 0)
            return;
        if (srv->cfg->metrics_auth && authenticate(srv, req, resp) < 0)
            return;
        serve_metrics(srv, resp);
        return;
    }
    if (strcmp(req->url, "/fleet") == 0 || strncmp(req->url, "/fleet/", 7) == 0) {
        fleet_dispatch(srv, req, resp);
        return;
    }
    if (!req->path) {
        api_error(resp, 404, NULL, "no such endpoint: the SCIM API is under %s",
                  srv->cfg->base_path[0] ? srv->cfg->base_path : "/");
        return;
    }
    const char *item = NULL;
    const struct route *r = classify(req->path, &item, &req->route);
    /* Authenticate before saying whether a route exists. */
    if (authenticate(srv, req, resp) < 0)
        return;
    if (!r) {
        api_error(resp, 404, NULL, "no such endpoint");
        return;
    }
    if (r->methods && check_method(req, r->methods, resp) < 0)
        return;
    r->handler(srv, &req->api, item, resp);
}
