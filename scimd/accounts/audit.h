/* SPDX-License-Identifier: MIT */
/* The audit trail: one log line per provisioning change, naming who (token id), what resource
 * and which attributes changed — never any value, so no secret can leak into it. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Writes into buf a comma-separated list of top-level attributes (extension URNs count as one
 * attribute each) that differ between old and new (either may be NULL). */
void audit_changed_attributes(const json_t *old_doc, const json_t *new_doc, bool password,
                              char *buf, size_t buflen);

void audit_log(const char *token_id, const char *action, const char *resource_type,
               const char *id, const char *name, const char *changed);
