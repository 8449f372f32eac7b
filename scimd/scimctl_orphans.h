/* SPDX-License-Identifier: MIT */
/* scimctl orphans PATH... [--all-filesystems] [--json]. */
#pragma once

#include "scimd_config.h"

/* argv: the words after "orphans". 0, 1 on failure, 2 on a usage error. */
int scimctl_orphans(const struct scimd_config *cfg, int argc, char **argv);
