/* SPDX-License-Identifier: MIT */
/* Whether the id ledger holds an id live for an owner: a follower's local wins by id
 * (fleet/local_ids.h) asks it when a local entry holds a hub entity's id, to tell an entity
 * this host already gives the id to from one new here. */
#pragma once

#include "store/db.h"
#include <stdint.h>

/* 1 when the ledger holds id for owner and it is live (not released), 0 when not, -1 when
 * the store cannot say. Kept prepared on the connection (store_stmt): a follower may ask it
 * for many hub users of one batch. */
int id_ledger_held_by(struct db *db, uint32_t id, const char *owner);
