/* SPDX-License-Identifier: MIT */
/* The uid/gid ledger rules (docs/architecture.md, "Identity rules"): which id a new user or
 * group gets, which id an IdP may choose, and what happens to the ledger on a rename or a
 * delete. The SQL is in store/id_ledger.c. */
#pragma once

#include "store/db.h"
#include <stdint.h>

#include "scimd_config.h"
#include "proto/scim_error.h"

/* Allocates the next never-used uid for the SCIM resource `owner` inside the current write,
 * skipping ids any NSS service resolves; records it in the ledger and the high-water mark.
 * Uses a fresh verdict of identity_preprobe_uid for the id it picks, else asks NSS itself;
 * 503 (nothing written) when NSS fails. */
int identity_allocate_uid(struct db *db, const struct scimd_config *cfg, const char *owner,
                          const char *login, uint32_t *uid_out, struct scim_error *err);

/* Takes a uid the IdP chose ([accounts] accept_idp_ids): refused if it was ever handed out or
 * the host resolves it. The caller checked the range. */
int identity_claim_uid(struct db *db, const struct scimd_config *cfg, const char *owner,
                       const char *login, uint32_t uid, struct scim_error *err);

/* The same for group ids (role groups, SCIM groups) from the gid range. */
int identity_allocate_gid(struct db *db, const struct scimd_config *cfg, const char *owner,
                          const char *name, uint32_t *gid_out, struct scim_error *err);

/* Marks the ledger entry of a deleted resource (the id stays reserved forever). */
int identity_release(struct db *db, const char *owner, struct scim_error *err);

/* Renames the ledger entry (login changes keep the uid). */
int identity_rename(struct db *db, const char *owner, const char *login, struct scim_error *err);
