/* SPDX-License-Identifier: MIT */
/* tokens.last_used: when each SCIM token last authenticated a request, so an administrator
 * can tell an IdP that stopped calling from one that calls and fails (scimctl status). */
#pragma once

#include "store/db.h"

#include "proto/scim_error.h"

/* A store_write body: sets the token's last_used to now. 0, or -1 with err set. */
int tokens_used_write(struct db *db, void *id, struct scim_error *err);
