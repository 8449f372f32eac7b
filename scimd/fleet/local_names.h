/* SPDX-License-Identifier: MIT */
/* The host's own accounts and groups, by name and by id, asked once per fleet batch rather
 * than once per hub user (a follower joining a 100,000-user fleet would otherwise make 200,000
 * NSS lookups, each through every source of nsswitch.conf; nss_systemd alone costs ~0.3 ms a
 * lookup).
 *
 * The view reads nsswitch.conf's passwd and group lines and answers for each source as glibc
 * would with the default actions: the first source that finds the name (or id) decides, else
 * the last source's status ("cannot tell" when it failed). Sources whose enumeration is
 * complete are listed once: files (/etc/passwd, /etc/group) and systemd (its userdb, unless a
 * varlink service that may refuse to enumerate runs). Every other source (sss, ldap, winbind,
 * compat, ...) is asked per name or id through its own module, skipping the others. scim is
 * never asked: what it serves is ours, which never wins over a hub account. A line it does not
 * fully understand (action items, no line, a module that will not load or lacks a lookup)
 * makes the whole view ask glibc per name or id, as identity_check_host always did. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scimd_config.h"

struct local_names;

/* Builds the view (reads nsswitch.conf and enumerates what it can); NULL only when out of
 * memory. cfg must outlive the view. */
struct local_names *local_names_open(const struct scimd_config *cfg);

/* identity_check_host's question: 1 when the host resolves name to an account or a group
 * outside our id ranges (a local one: it wins), 0 when not, -1 when a source failed and the
 * host cannot tell (never taken as "free"). */
int local_names_check(struct local_names *v, const char *name);

/* Local wins by id: 1 when the host resolves uid id (group: gid id) and who gets the name it
 * resolves to, 0 when not, -1 when a source failed and the host cannot tell. The same rules
 * and sources as by name, listed sources from the same listing (no lookup per id), and scim
 * never asked, so whatever is found is not ours, in our ranges or not. When the view asks
 * glibc (local_names_direct false), glibc's answer may be our own cache's: the caller tells
 * those apart (fleet/local_ids.h). */
int local_names_id_holder(struct local_names *v, bool group, uint32_t id, char *who,
                          size_t wholen);

void local_names_close(struct local_names *v);

/* Tests: true when the view answers from its own sources, false when it asks glibc per name. */
bool local_names_direct(const struct local_names *v);

/* Tests: how many names or ids the view asked a source's module for (a per-name or per-id
 * probe) since start. */
unsigned long local_names_probes(void);
