/* SPDX-License-Identifier: MIT */
/* scimctl users list|show|delete|deactivate|activate. */
#pragma once

#include "scimd_config.h"

/* argv: the words after "users". 0, 1 on failure, 2 on a usage error. */
int scimctl_users(const struct scimd_config *cfg, int argc, char **argv);
