/* SPDX-License-Identifier: MIT */
/* Is scimd up? What scimctl status asks systemd, /proc and the listen address. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "scimd_config.h"

struct scimd_probe {
    char unit_state[32]; /* systemd's ActiveState of scimd.service; "" when not asked */
    pid_t pid;           /* a scimd process running this configuration; 0: none found */
    char listen[300];    /* the address connected to; "" when the port is chosen at start */
    bool accepting;      /* a TCP connection to it succeeded */
    bool up;
};

/* config_path: the file scimctl read (scimd.service runs the default one: systemd is asked
 * only then). */
void scimd_probe_run(const struct scimd_config *cfg, const char *config_path,
                     struct scimd_probe *out);
