/* SPDX-License-Identifier: MIT */
/* Ending a deactivated user's running sessions ([sessions] terminate_on_deactivate): logind's
 * TerminateUser where systemd-logind runs, else SIGKILL to every process of the uid (needs
 * CAP_KILL, which the unit grants only when the switch is on). */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* Returns the number of processes signalled (or 0 via logind), -1 on error. proc_root is
 * "/proc" (tests may pass another). */
int sessions_terminate(uint32_t uid, const char *login, const char *proc_root);
