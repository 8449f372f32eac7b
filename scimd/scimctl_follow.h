/* SPDX-License-Identifier: MIT */
/* scimctl follow resync: on a follower, forget the hub sequence this host holds, so that it
 * takes the hub's snapshot at its next request (docs/fleet.md, "Restoring a hub from
 * backup"): the admin's override for a hub that answers 409 because it keeps no sequence
 * reservation. */
#pragma once

#include "scimd_config.h"

/* argv: the words after "follow". The exit status: 0, 1 on failure, 2 on a usage error
 * (after printing the follow lines of the usage). */
int scimctl_follow(const struct scimd_config *cfg, int argc, char **argv);
