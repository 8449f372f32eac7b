/* SPDX-License-Identifier: MIT */
/* Copies a SQLite store into an empty PostgreSQL store, row for row: `scimctl store copy`
 * (docs/operations.md, "PostgreSQL store"). Ids, uids and gids, versions, timestamps,
 * password hashes, the id ledger's tombstones, token and host HMACs with the meta secret they
 * were made under, the change log and its sequence all arrive as they were, so the IdPs'
 * tokens keep working, no id is handed out twice and followers see the feed carry on. */
#pragma once

#include <stdint.h>

#include "proto/scim_error.h"

struct store;

struct store_copy_counts {
    int64_t users, groups, members, role_groups, ids, ids_released, tokens, hosts, changes,
        meta, subids;
    int64_t seq; /* the change log's sequence: the target's next change is seq + 1 */
};

/* Reads src (SQLite) in one read transaction, a consistent snapshot, and writes everything
 * into dst (PostgreSQL) in one of dst's write transactions, under its advisory lock; the
 * sequences behind changes.seq and the rowid columns are set past the copied rows. dst must
 * hold nothing but the schema its open created (else 409, nothing written). 0 with counts
 * filled, or -1 with err set; on -1 dst is as it was. */
int store_copy(struct store *src, struct store *dst, struct store_copy_counts *counts,
               struct scim_error *err);
