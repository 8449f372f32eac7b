/* SPDX-License-Identifier: MIT */
/* A configuration that loads and passes its checks but is unsafe or will not do what it
 * says: scimd --check-config prints these and scimd logs them at start; neither refuses. */
#pragma once

#include <stddef.h>

#include "scimd_config.h"

typedef void (*config_warn_fn)(void *arg, const char *message);

/* Calls warn once per finding and returns how many there were:
 * - the configuration file or a drop-in (or the directories holding them) writable by a
 *   group or others, or owned by someone else than root (or the running user): scimd runs
 *   as root, and whoever can change the file maps a role onto sudo;
 * - [server] tls_key readable by a group or others (or that cannot be examined);
 * - a [roles] or [groups] mapping onto a local group this host does not have (the export
 *   leaves it out), unless this is a hub-only host ([fleet] login_host = false). */
size_t config_warnings(const struct scimd_config *cfg, config_warn_fn warn, void *arg);
