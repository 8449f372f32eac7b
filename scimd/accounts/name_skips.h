/* SPDX-License-Identifier: MIT */
/* Roles and SCIM groups whose Linux name the host cannot take (architecture.md "Identity rules")
 * stay in the SCIM data and never block a request; this says so once per name in the log and
 * every time in the metrics. */
#pragma once

#include <stdbool.h>

enum name_skip_reason {
    NAME_SKIP_RESERVED, /* a system or package name, _*, systemd-*, [accounts] reserved_names */
    NAME_SKIP_LOCAL,    /* a group the host already has (files, sssd, LDAP, ...) */
    NAME_SKIP_TAKEN,    /* a name scimd already gave to a user or a SCIM group */
    NAME_SKIP_CAP,      /* [accounts] max_role_groups reached */
    NAME_SKIP_INVALID,  /* the value gives no valid Linux group name at all */
    NAME_SKIP_COUNT
};

/* is_role: a roles[].value (else a /Groups displayName). name: its Linux form, "" when it
 * gives none (NAME_SKIP_INVALID). why: the reason in words. */
void name_skip_report(bool is_role, const char *value, const char *name,
                      enum name_skip_reason reason, const char *why);

/* Tests: how many log lines name_skip_report has written. */
unsigned long name_skip_logged(void);
