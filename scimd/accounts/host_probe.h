/* SPDX-License-Identifier: MIT */
/* What the host's NSS (files, sssd, LDAP, ...) says about a name or an id, through the one
 * rule of common/host_nss.c: "cannot tell" is never "free", so callers fail closed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scimd_config.h"
#include "proto/scim_error.h"

/* The one switch for "this host has accounts of its own to protect", set once at start before
 * any thread runs: true on a standalone scimd, a follower and a hub that is also a login host;
 * false on a hub-only install ([fleet] login_host = false), whose accounts are checked on each
 * follower instead. Off, every probe below answers "free / not local" without asking NSS, the
 * start-up range check is skipped, the exporter writes no cache (only the high-water guard)
 * and sessions are not terminated. Reserved names and the store's uniqueness stay enforced. */
void host_probe_set_host_checks(bool on);
bool host_probe_host_checks(void);

/* Refuses (409 uniqueness) a login name the host already resolves to an account or group that
 * is not ours (an id outside our ranges): a SCIM push must never shadow a local account. */
int identity_check_host(const struct scimd_config *cfg, const char *login, struct scim_error *err);

/* A group's gid by name through the host's NSS, growing the buffer on ERANGE: 1 found,
 * 0 not found, -1 when NSS failed (callers fail closed). */
int identity_host_group_gid(const char *name, uint32_t *gid);

/* Whether name is a local group of the host (a gid outside ours), which a SCIM or role group
 * must not shadow: 1 yes ("is a local group (gid N) on this host" in why), 0 no, -1 when the
 * host's NSS cannot tell (err: 503, retry later; never taken as "no"). */
int host_probe_local_group(const struct scimd_config *cfg, const char *name, char *why,
                           size_t whylen, struct scim_error *err);

/* 1 when the host resolves id as a user or a group, 0 when both lookups positively say
 * "not found", -1 when NSS failed (callers fail closed: "could not ask" is never "free"). */
int host_probe_id_state(uint32_t id);
