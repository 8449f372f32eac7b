/* SPDX-License-Identifier: MIT */
/* subid_ledger: each SCIM user's subordinate id slice ([accounts] subids), stable and never
 * handed out again once its user is deleted (docs/architecture.md, "Identity rules"). The
 * rules (when a user gets one) are accounts/subids.c's; this is the SQL. */
#pragma once

#include "store/db.h"
#include <stddef.h>
#include <stdint.h>

#include "proto/scim_error.h"

#define SUBID_SLICE 65536u

/* Inside a write: owner's slice, allocated from [lo, hi] above every slice ever recorded
 * there when owner has none. 0 with *start set; -1 with err (500 when the range is used up,
 * nothing written). */
int subid_ledger_assign(struct db *db, const char *owner, uint32_t lo, uint32_t hi,
                        uint32_t *start, struct scim_error *err);

/* Inside a write: marks owner's slice released (the row stays). */
int subid_ledger_release(struct db *db, const char *owner, struct scim_error *err);

/* The end (last id + 1) of the highest slice ever recorded, 0 when none; -1 on error. */
int64_t subid_ledger_end(struct db *db);

/* A live user's slice; the strings are valid only during the callback. */
struct subid_row {
    const char *owner; /* SCIM id */
    uint32_t uid;
    uint32_t start, count;
};
typedef int (*subid_row_fn)(const struct subid_row *row, void *arg);

/* Every live user with a slice, in uid order (the export's read). 0, or -1 with err. */
int subid_ledger_scan(struct db *db, subid_row_fn fn, void *arg, char *err, size_t errlen);

/* The SCIM ids of users without a slice, in uid order (subids switched on for users that
 * existed before). fn may not write through db. 0, or -1 with err. */
typedef int (*subid_owner_fn)(const char *owner, void *arg);
int subid_ledger_missing(struct db *db, subid_owner_fn fn, void *arg, char *err, size_t errlen);
