/* SPDX-License-Identifier: MIT */
/* The HTTP side: libmicrohttpd glue. It screens each request, assembles its body, and hands
 * the router an api_request (api/request.h) whose header and query lookups it supplies. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "api/request.h"
#include "api/response.h"
#include "metrics.h"

struct scimd_server;
struct fleet_poll;

/* libmicrohttpd's memory per connection is [server] max_request_head plus this: the parsed
 * header and query entries (56 bytes each) and the response's header block live beside the
 * head. */
#define HTTP_POOL_MARGIN 4096

/* One request on its way through the router: what the resources see, plus what only the
 * front door needs. */
struct http_exchange {
    struct api_request api;
    const char *url;        /* full path as received (decoded by MHD, no query) */
    const char *path;       /* url below base_path: "/Users/abc"; NULL if outside it */
    bool authenticated;     /* set by the router when the request carried a valid token */
    enum metrics_route route;
    const struct sockaddr *client;
    struct fleet_poll *poll; /* a changes long-poll's state across its turns (fleet/feed_api.h) */
};

/* Starts libmicrohttpd per the config (or on listen_fd when >= 0, socket activation). */
int http_start(struct scimd_server *srv, int listen_fd, char *err, size_t errlen);
void http_stop(struct scimd_server *srv);
/* Client connections open now (0 before http_start). */
unsigned http_connections(struct scimd_server *srv);
