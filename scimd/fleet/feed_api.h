/* SPDX-License-Identifier: MIT */
/* The hub's side of the fleet feed (docs/fleet.md): GET /fleet/v1/snapshot,
 * GET /fleet/v1/changes?since=N&wait=W (long-poll) and POST /fleet/v1/report, for requests
 * that carry a host token (store/hosts_repo.h). The router (http/router.c) authenticates
 * with fleet_authenticate and calls the handlers; main starts and stops the hub state and
 * points the store's batch observer at fleet_hub_committed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "api/request.h"
#include "api/response.h"
#include "fleet/feed_wait.h"
#include "store/hosts_repo.h"

struct scimd_server;
struct fleet_hub;

/* The most a changes request may hold its connection, seconds. */
#define FLEET_MAX_WAIT 300

/* Sets srv->fleet: the long-poll waiter and the signing key ([fleet] signing_key). A key
 * file that is absent or unreadable is not fatal — SCIM goes on, the feed answers 503 until
 * `scimctl fleet init` made one (it is looked for again then). 0, or -1 with err set. */
int fleet_hub_start(struct scimd_server *srv, char *err, size_t errlen);
/* After each store batch: long-polls learn the new sequence (feed_wait_committed). Any
 * thread; NULL is a no-op. */
void fleet_hub_committed(struct fleet_hub *hub);
/* Ends every long-poll now (SIGTERM): they answer 503 and the connections can close. */
void fleet_hub_shutdown(struct fleet_hub *hub);
void fleet_hub_free(struct fleet_hub *hub);

/* 0 and the host's id when authorization is "Bearer <host token>" of a host not revoked;
 * -1 with *why otherwise (SCIM tokens included); -2 (AUTH_UNAVAILABLE, store/tokens.h) when
 * the store cannot be read to tell. */
int fleet_authenticate(struct scimd_server *srv, const char *authorization,
                       char host_id[HOST_ID_LEN + 1], const char **why);

void fleet_snapshot(struct scimd_server *srv, const struct api_request *req, const char *host_id,
                    struct api_response *resp);
/* A changes request that holds no thread while it waits: the transport keeps it (inside its
 * own request state) from one turn of fleet_changes to the next. */
struct fleet_poll {
    struct feed_waiter waiter;     /* since and deadline; fire is the transport's */
    char host_id[HOST_ID_LEN + 1]; /* who asked, authenticated on the first turn */
    bool held;  /* out of fleet_changes: nothing to answer yet, resp left empty; park it */
    bool woken; /* set by the transport: this turn follows a park (waiter.result says why) */
};

/* GET /fleet/v1/changes. With poll NULL it blocks its thread until it can answer. With a poll
 * it never blocks: when nothing is after since yet it sets poll->held and returns; the
 * transport then calls fleet_poll_park and, once fired (or at once when that returns false),
 * calls fleet_changes again with poll->woken set and the same poll. */
void fleet_changes(struct scimd_server *srv, const struct api_request *req, const char *host_id,
                   struct fleet_poll *poll, struct api_response *resp);
/* Parks a held poll (feed_wait_park): true when poll->waiter.fire will be called later. */
bool fleet_poll_park(struct fleet_hub *hub, struct fleet_poll *poll);
void fleet_report(struct scimd_server *srv, const struct api_request *req, const char *host_id,
                  struct api_response *resp);
