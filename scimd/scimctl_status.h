/* SPDX-License-Identifier: MIT */
/* scimctl status [--json]: one screen answering "is provisioning working on this host?". */
#pragma once

#include "scimd_config.h"

/* argv: the words after "status"; config_path: the file read (see scimctl_probe.h).
 * 0 when scimd is up, 1 when it is down or the store cannot be read, 2 on a usage error. */
int scimctl_status(const struct scimd_config *cfg, const char *config_path, int argc,
                   char **argv);
