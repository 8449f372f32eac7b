/* SPDX-License-Identifier: MIT */
/* scimctl groups list|show: the Linux groups scimd serves (SCIM groups, role groups) and the
 * local groups [groups] and [roles] map SCIM names onto. */
#pragma once

#include "scimd_config.h"

/* argv: the words after "groups". 0, 1 on failure, 2 on a usage error. */
int scimctl_groups(const struct scimd_config *cfg, int argc, char **argv);
