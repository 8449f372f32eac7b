/* SPDX-License-Identifier: MIT */
/* How far the fleet's hosts are (docs/fleet.md): for `scimctl fleet wait` and the
 * scimd_fleet_hosts / scimd_fleet_seq gauges. A host not revoked is current when it was seen
 * in the last FLEET_SILENT_AFTER seconds and has reached the target sequence, lagging when
 * seen but behind, silent when not seen that recently (or never). */
#pragma once

#include "store/db.h"
#include <stdint.h>
#include <time.h>

#include "store/hosts_repo.h"

#define FLEET_SILENT_AFTER 600

struct fleet_status {
    int64_t seq; /* the target: the feed's highest sequence unless one was given */
    long long current, lagging, silent;
};

/* Classifies every live host against target (< 0: the feed's highest sequence) at now.
 * lagging(arg, host) is called for each lagging host when not NULL. 0, or -1. */
int fleet_status_read(struct db *db, time_t now, int64_t target, struct fleet_status *out,
                      void (*lagging)(void *arg, const struct host_row *h), void *arg);
