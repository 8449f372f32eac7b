/* SPDX-License-Identifier: MIT */
/* The daemon's shared state, handed to every request handler. */
#pragma once

#include <stdint.h>

#include "scimd_config.h"
#include "store/store.h"

struct MHD_Daemon;
struct auth;
struct exporter;
struct ratelimit;
struct conn_watchdog;
struct render_cache;
struct fleet_hub;
struct http_front;

struct scimd_server {
    const struct scimd_config *cfg;
    struct store *store;
    struct auth *auth;
    struct exporter *exporter;
    struct ratelimit *ratelimit;
    struct render_cache *render_cache;
    struct conn_watchdog *watchdog;
    struct fleet_hub *fleet; /* the hub's side of the fleet feed (fleet/feed_api.h) */
    struct MHD_Daemon *mhd;
    struct http_front *http; /* http/http.c: the request workers */
    uint16_t port;
    bool tls;
};
