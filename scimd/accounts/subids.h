/* SPDX-License-Identifier: MIT */
/* [accounts] subids: every SCIM user gets a slice of SUBID_SLICE subordinate ids (for
 * newuidmap/newgidmap, rootless podman), served by libsubid_scim.so from the cache
 * (docs/operations.md, "Rootless containers"). Slices are recorded in the store
 * (store/subid_ledger.h), stable, and never handed out again. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "proto/scim_error.h"
#include "scim_cache.h"
#include "scimd_config.h"
#include "store/db.h"
#include "store/store.h"

/* Inside the write that creates user owner: records its slice. 0 when subids are off. */
int subids_assign(struct db *db, const struct scimd_config *cfg, const char *owner,
                  struct scim_error *err);

/* Inside the write that deletes owner: its slice stays reserved. Harmless when it has none. */
int subids_release(struct db *db, const char *owner, struct scim_error *err);

/* At start, when subids are on: a slice for every user stored without one (subids switched
 * on later), in uid order. 0, or -1 with err. */
int subids_pin_existing(const struct scimd_config *cfg, struct store *st, char *err,
                        size_t errlen);

/* At start, when subids are on: refuses a store that is behind the cache, i.e. the cache
 * holds a slice ending above both the store's highest slice and subid_min (a restored or
 * replaced database would hand those ids out again). 0, or -1 with err. */
int subids_check_restore(const struct scimd_config *cfg, struct store *st, char *err,
                         size_t errlen);

/* Refuses, when subids are on, a range that is too small, holds 65534/65535, overlaps the
 * uid or gid range, a follower ([follow]: the fleet's feed does not carry slices yet), and,
 * on a host with logins, a range in /etc/subuid or /etc/subgid or login.defs' pool that
 * useradd hands local users' subordinate ids from. root_dir prefixes the paths (tests);
 * NULL = "/". 0, or -1 with err. */
int subids_check_ranges(const struct scimd_config *cfg, const char *root_dir, char *err,
                        size_t errlen);

/* The export: sets subid_start/subid_count of users (sorted by uid) from the store, in the
 * export's read transaction. 0 when subids are off; -1 with err. */
int subids_export(const struct scimd_config *cfg, struct db *db, struct scim_cache_user *users,
                  size_t n_users, char *err, size_t errlen);
