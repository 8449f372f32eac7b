/* SPDX-License-Identifier: MIT */
/* scimctl host add|list|revoke: the fleet's host tokens (docs/architecture.md, fleet). */
#pragma once

#include "scimd_config.h"

/* argv: the words after "host". The exit status: 0, 1 on failure, 2 on a usage error (after
 * printing the host lines of the usage to stderr). */
int scimctl_host(const struct scimd_config *cfg, int argc, char **argv);
