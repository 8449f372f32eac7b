/* SPDX-License-Identifier: MIT */
/* The users [accounts] remove_deactivated_after may remove: deactivated before a cutoff,
 * oldest first. Read inside the write that removes them (accounts/retention.c). */
#pragma once

#include "store/db.h"
#include <stddef.h>
#include <stdint.h>

#include "proto/scim_error.h"

typedef void (*deactivated_user_fn)(const char *id, const char *login, uint32_t uid, void *arg);

/* Calls fn for at most limit users whose deactivated_at is before cutoff (store_timestamp's
 * form, which sorts as text), oldest first. 0, or -1 with err set (fn may have been called). */
int deactivated_users_before(struct db *db, const char *cutoff, size_t limit,
                             deactivated_user_fn fn, void *arg, struct scim_error *err);
