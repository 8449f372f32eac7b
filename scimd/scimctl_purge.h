/* SPDX-License-Identifier: MIT */
/* scimctl users purge LOGIN [--remove-home | --archive-home DIR] [--all-filesystems]. */
#pragma once

#include "scimd_config.h"

/* argv: the words after "purge". 0, 1 on failure or refusal, 2 on a usage error. */
int scimctl_purge(const struct scimd_config *cfg, int argc, char **argv);
