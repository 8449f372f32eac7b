/* SPDX-License-Identifier: MIT */
/* scimctl store copy: moves a SQLite hub's store into a new PostgreSQL database
 * (docs/operations.md, "PostgreSQL store"). */
#pragma once

#include "scimd_config.h"

/* argv: the words after "store". The exit status: 0, 1 on failure, 2 on a usage error (after
 * printing the store lines of the usage to stderr). */
int scimctl_store(const struct scimd_config *cfg, int argc, char **argv);
