/* SPDX-License-Identifier: MIT */
/* scimctl fleet wait SEQ [--timeout S]: what an admin runs after an urgent offboarding. */
#pragma once

#include "scimd_config.h"

/* argv: the words after "wait". Polls the store until every host not revoked and seen in the
 * last 10 minutes has reached SEQ: 0; 1 at the timeout (default 60 s), naming the hosts
 * still behind, or on an error; 2 on a usage error. */
int scimctl_fleet_wait(const struct scimd_config *cfg, int argc, char **argv);
