/* SPDX-License-Identifier: MIT */
/* `scimctl fleet init` and `fleet show`: the hub's identity as followers pin it — the public
 * half of its signing key and its feed id (docs/fleet.md, "Signature"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "fleet/feed_sign.h"

struct store;

struct fleet_identity {
    char public_key[FEED_PUBKEY_B64_LEN + 1]; /* base64 of the 32-byte Ed25519 public key */
    char key_id[FEED_KEY_ID_LEN + 1];
    char feed_id[33];                         /* 32 lower-case hex digits */
};

/* Makes a new signing key at key_path (0600; an existing file is refused unless force, which
 * replaces it atomically) and the store's meta feed_id if it has none (an existing feed id is
 * kept: followers pin it). An existing key without force changes nothing, not even the store.
 * 0, or -1 with err set. */
int fleet_init(struct store *st, const char *key_path, bool force, struct fleet_identity *out,
               char *err, size_t errlen);

/* Reads the identity back: the key file (with feed_key_load's checks) and the feed id.
 * 0, or -1 with err set. */
int fleet_show(struct store *st, const char *key_path, struct fleet_identity *out, char *err,
               size_t errlen);
