/* SPDX-License-Identifier: MIT */
/* The id ledger table: every uid and gid ever handed out, with its owner and name; rows are
 * never deleted (released ones are the tombstones that keep an id from being reused). The
 * rules for choosing an id live in accounts/identity.c; this file holds only their SQL. */
#pragma once

#include "store/db.h"
#include <stdint.h>

#include "proto/scim_error.h"

/* The highest id in the ledger within lo..hi, or -1 when there is none (or on error: the
 * caller then starts at lo and the insert's primary key still refuses a used id). */
int64_t id_ledger_max_in(struct db *db, uint32_t lo, uint32_t hi);

/* Records id for owner. kind is "user" or "group"; what names the ledger in an error. */
int id_ledger_insert(struct db *db, int64_t id, const char *kind, const char *owner,
                     const char *name, const char *what, struct scim_error *err);

/* The same for an id the IdP chose, on a statement prepared for the one call. */
int id_ledger_insert_claimed(struct db *db, uint32_t id, const char *owner, const char *name,
                             struct scim_error *err);

/* How many ledger rows hold id; 1 when the store cannot say (a claim then fails closed). */
int64_t id_ledger_uses(struct db *db, uint32_t id);

/* Marks owner's live entry released now (the id stays reserved forever). */
int id_ledger_release(struct db *db, const char *owner, struct scim_error *err);

/* Renames owner's live entry (a login change keeps the uid). */
int id_ledger_rename(struct db *db, const char *owner, const char *name, struct scim_error *err);
