/* SPDX-License-Identifier: MIT */
/* Request authentication: Basic id:key or Bearer base64(id:key), checked against an in-memory
 * copy of the token table that is reloaded when scimctl changes it (epoch file) and within a
 * second of any other change to a SQLite store; on a PostgreSQL store, which other instances
 * and hosts change, at every request (one indexed read of its data_version). */
#pragma once

#include <stddef.h>

#include "store/tokens.h"

struct auth;

struct store;

/* Keeps one of the store's read connections for its own use. */
int auth_open(struct auth **out, struct store *st, char *err, size_t errlen);
void auth_free(struct auth *a);

/* 0 and the access id on success; -1 for a missing, malformed, unknown, revoked or wrong
 * credential (the reason goes to why, never the key); AUTH_UNAVAILABLE when the store
 * cannot be read, which says nothing about the credential. */
int auth_verify(struct auth *a, const char *authorization, char id_out[TOKEN_ID_LEN + 1],
                const char **why);
