/* SPDX-License-Identifier: MIT */
/* [accounts] remove_deactivated_after: deletes users deactivated longer than that many days,
 * through the same path as a SCIM DELETE (user_removal.h), so their uids stay tombstoned.
 * The same thread notices users scimctl removed (PATH.users-epoch) and re-exports. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "scimd_config.h"
#include "store/store.h"

struct scimd_server;
struct retention;

struct retention_removed {
    char id[40];
    char login[256];
    uint32_t uid;
};

/* Called after each committed batch, once per user removed. */
typedef void (*retention_removed_fn)(const struct retention_removed *u, void *arg);

/* One sweep as of now (injectable for tests): removes every user whose deactivated_at is
 * before now - days, in writes of a bounded size so other writes are never held up for long.
 * Returns how many were removed, or -1 with err set (what was committed stays). */
long retention_sweep(struct store *st, unsigned days, time_t now, retention_removed_fn done,
                     void *arg, char *err, size_t errlen);

/* [fleet] retention_days: deletes the changes older than now - days from the fleet's change
 * log (feed_prune: the newest stays, changes_floor rises, hosts behind it take a snapshot).
 * How many were deleted, or -1 with err set. */
long long retention_prune_changes(struct store *st, unsigned days, time_t now, char *err,
                                  size_t errlen);

/* Starts the thread: a sweep at once and then every interval_s (when the policy is on), the
 * same for pruning the change log, and a check of the users epoch file every second. NULL on
 * failure (err set). */
/* Told when users leave the store other than through a SCIM request: the id of one removed
 * user, or NULL when any may have changed (scimctl). main points it at the render cache,
 * which lives in api/, a room accounts/ does not call. */
typedef void (*retention_forget_fn)(void *arg, const char *id);

struct retention *retention_start(struct scimd_server *srv, unsigned interval_s,
                                  retention_forget_fn forget, void *forget_arg, char *err,
                                  size_t errlen);
void retention_stop(struct retention *r);
