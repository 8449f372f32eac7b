/* SPDX-License-Identifier: MIT */
/* Local wins by id, for one hub user or group in a fleet batch (docs/fleet.md, "Same uids
 * everywhere, and local accounts win"): a uid or gid this host already gives to an account or
 * group of its own keeps the hub's entity off this host, as a standalone scimd never hands out
 * or accepts an id the host resolves (accounts/identity.c). A user is checked by its uid and
 * its private group's gid (the same number), a group by its gid.
 *
 * An entity this host already holds (its id live in the id ledger, under its own SCIM id) was
 * here before the local entry: it stays and keeps following the hub, a deactivation or
 * deletion included, and the clash is only reported. Removing it would take a live account
 * away over a local edit, and freezing it would keep the hub's offboarding from reaching it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/local_names.h"
#include "store/db.h"

enum local_id_verdict {
    LOCAL_ID_FREE,   /* no local holder: apply */
    LOCAL_ID_TAKEN,  /* a local holder: keep the entity off this host; reason says who */
    LOCAL_ID_SHARED, /* held here first, a local entry came later: apply, report reason */
};

/* The verdict for hub entity owner (its SCIM id) named name with id number, user or group,
 * inside the batch's write (db: the follower's store, for its id ledger); -1 when the host or
 * the store cannot tell (the batch is then not applied). reason is filled for TAKEN and
 * SHARED: "uid N is taken locally by 'bob'". */
int local_ids_check(struct local_names *v, struct db *db, bool user, const char *owner,
                    const char *name, uint32_t number, char *reason, size_t reasonlen);
