/* Identity mapping at the SCIM door (DESIGN.md): login names and the uid ledger. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "scimd_config.h"
#include "proto/scim_error.h"

#define LOGIN_NAME_BUF 256

/* userName -> login name per [accounts] login_name; refuses invalid and reserved names
 * (400 invalidValue, the detail says why). */
int identity_login_name(const struct scimd_config *cfg, const char *user_name,
                        char out[LOGIN_NAME_BUF], struct scim_error *err);

/* Refuses (409 uniqueness) a login name the host already resolves to an account or group that
 * is not ours (an id outside our ranges): a SCIM push must never shadow a local account. */
int identity_check_host(const struct scimd_config *cfg, const char *login, struct scim_error *err);

/* Allocates the next never-used uid for the SCIM resource `owner` inside the current write,
 * skipping ids any NSS service resolves; records it in the ledger and the high-water mark.
 * Uses a fresh verdict of identity_preprobe_uid for the id it picks, else asks NSS itself;
 * 503 (nothing written) when NSS fails. */
int identity_allocate_uid(sqlite3 *db, const struct scimd_config *cfg, const char *owner,
                          const char *login, uint32_t *uid_out, struct scim_error *err);

/* On a request thread, before queueing a write that allocates a uid: asks the host's NSS
 * about one id just above the last allocated uid and keeps the verdict (for about a second)
 * so the writer need not. Does nothing before the first allocation of the process or when
 * enough ids ahead are known; a failed lookup leaves no verdict. */
void identity_preprobe_uid(const struct scimd_config *cfg);

/* Tests: how long a pre-probed verdict counts (default 1000 ms), and how many ids the
 * allocator had to probe itself since start. */
void identity_preprobe_set_ttl_ms(unsigned ms);
uint64_t identity_inline_probes(void);

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
