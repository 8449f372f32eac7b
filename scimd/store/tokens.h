/* SPDX-License-Identifier: MIT */
/* Access tokens (architecture.md): an access id plus a random 256-bit key; only an HMAC-SHA-256 of
 * the key, under a per-installation secret, is stored. */
#pragma once

#include "store/db.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

#define TOKEN_ID_LEN 16

/* What authenticating a SCIM or a host token returns when the token tables could not be
 * read (a database restart or failover): answer 503, which says nothing about the
 * credential. Here, below both http/ and fleet/, which authenticate. */
#define AUTH_UNAVAILABLE (-2)
#define TOKEN_KEY_LEN 43   /* base64url of 32 random bytes, unpadded */
#define TOKEN_HMAC_LEN 32

struct token_secret {
    char id[TOKEN_ID_LEN + 1];
    char key[TOKEN_KEY_LEN + 1];
    char bearer[128];      /* base64(id:key), as Sumo Logic's docs describe */
};

/* A fresh access id, random key and their bearer (not stored): what every credential of the
 * store looks like (SCIM tokens here, fleet host tokens in hosts_repo.c). 0, or -1 with err. */
int tokens_new_secret(struct token_secret *out, char *err, size_t errlen);
int tokens_create(struct store *st, const char *name, struct token_secret *out, char *err,
                  size_t errlen);
/* 1 revoked now, 0 no such (or already revoked) token, -1 error. */
int tokens_revoke(struct store *st, const char *id, char *err, size_t errlen);

/* Reads the installation's HMAC secret (creating it inside a write if asked). */
int tokens_hmac_key(struct db *db, unsigned char key[32], bool create);
void tokens_hmac(const unsigned char secret[32], const char *key, size_t keylen,
                 unsigned char out[TOKEN_HMAC_LEN]);
/* An access id and the HMAC of its key: what checking a credential needs. */
struct token_mac {
    char id[TOKEN_ID_LEN + 1];
    unsigned char mac[TOKEN_HMAC_LEN];
};

/* PRAGMA data_version of db: changes whenever another connection commits to the store;
 * -1 on error. */
int64_t tokens_data_version(struct db *db);
/* The tokens not revoked, as a new array (*out, *n; free it); rows of the wrong shape are
 * skipped. 0 or -1. */
int tokens_load_active(struct db *db, struct token_mac **out, size_t *n);

/* Bumps the token_epoch row (a record of token changes; scimd notices any commit to the store
 * through PRAGMA data_version, whatever wrote it). */
int tokens_bump_epoch(struct db *db);

/* The file scimctl replaces after each committed token change (next to the database), so a
 * running scimd notices at the next request with a stat(2) instead of within a second. */
char *tokens_epoch_path_new(const char *db_path);
/* Decodes a bearer value, base64(id:key), into buf (NUL-terminated); returns the position of
 * the ':' in buf, or NULL when it is not such a pair (bad base64, too long, an embedded NUL).
 * SCIM tokens and host tokens share the form. */
char *tokens_decode_pair(const char *b64, char *buf, size_t buflen);
int tokens_touch_epoch_file(const char *db_path);
