/* Identity mapping at the SCIM door (DESIGN.md): login names and the uid ledger. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "scim_error.h"

#define LOGIN_NAME_BUF 256

/* userName -> login name per [accounts] login_name; refuses invalid and reserved names
 * (400 invalidValue, the detail says why). */
int identity_login_name(const struct scimd_config *cfg, const char *user_name,
                        char out[LOGIN_NAME_BUF], struct scim_error *err);

/* Refuses (409 uniqueness) a login name the host already resolves to an account or group that
 * is not ours (an id outside our ranges): a SCIM push must never shadow a local account. */
int identity_check_host(const struct scimd_config *cfg, const char *login, struct scim_error *err);

/* Allocates the next never-used uid for the SCIM resource `owner` inside the current write,
 * skipping ids any NSS service resolves; records it in the ledger and the high-water mark. */
int identity_allocate_uid(sqlite3 *db, const struct scimd_config *cfg, const char *owner,
                          const char *login, uint32_t *uid_out, struct scim_error *err);

/* Takes a uid the IdP chose ([accounts] accept_idp_ids): refused if it was ever handed out or
 * the host resolves it. The caller checked the range. */
int identity_claim_uid(sqlite3 *db, const struct scimd_config *cfg, const char *owner,
                       const char *login, uint32_t uid, struct scim_error *err);

/* The same for group ids (role groups, SCIM groups) from the gid range. */
int identity_allocate_gid(sqlite3 *db, const struct scimd_config *cfg, const char *owner,
                          const char *name, uint32_t *gid_out, struct scim_error *err);

/* A group's gid by name through the host's NSS, growing the buffer on ERANGE: 1 found,
 * 0 not found, -1 when NSS failed (callers fail closed). */
int identity_host_group_gid(const char *name, uint32_t *gid);

/* Marks the ledger entry of a deleted resource (the id stays reserved forever). */
int identity_release(sqlite3 *db, const char *owner, struct scim_error *err);

/* Renames the ledger entry (login changes keep the uid). */
int identity_rename(sqlite3 *db, const char *owner, const char *login, struct scim_error *err);
