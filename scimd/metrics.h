/* SPDX-License-Identifier: MIT */
/* Prometheus metrics for GET /metrics: request counts by route and status, a latency
 * histogram, auth failures, cache export state, and users/groups counts. Lock-free counters. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum metrics_route {
    ROUTE_OTHER,
    ROUTE_USERS,
    ROUTE_USER,
    ROUTE_GROUPS,
    ROUTE_GROUP,
    ROUTE_DISCOVERY,
    ROUTE_HEALTHZ,
    ROUTE_METRICS,
    ROUTE_COUNT
};

struct scimd_server;

void metrics_request(enum metrics_route route, int status, double seconds);
/* A request authenticated with token_id answered with status: a 2xx on an identity
 * provider's route (Users, Groups, discovery) is that token's latest success. */
void metrics_token_request(const char *token_id, enum metrics_route route, int status);
void metrics_auth_failure(void);
/* One group commit of n changes that took seconds (fsync included). */
void metrics_commit(size_t n, double seconds);
void metrics_export_done(uint64_t generation, double seconds, bool ok);
/* A role (is_role) or SCIM group kept out of the Linux groups; reason: enum name_skip_reason. */
void metrics_not_materialized(bool is_role, unsigned reason);

/* The exposition text (malloc'd). */
char *metrics_render(struct scimd_server *srv);
