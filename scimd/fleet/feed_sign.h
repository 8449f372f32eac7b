/* SPDX-License-Identifier: MIT */
/* Ed25519 signatures over fleet feed bodies (docs/fleet.md, "Signature"):
 *   Scimd-Signature: ed25519 <key_id> <base64 signature>
 * key_id = the first 16 hex digits of SHA-256(public key); the signature is libsodium's
 * crypto_sign_detached over "scimd-feed-v1\n" || body (the uncompressed body). The key file
 * holds the 64-byte libsodium secret key in base64 on one line, mode 0600, owned by root. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define FEED_SIGN_ALG "ed25519"
#define FEED_SIGN_CONTEXT "scimd-feed-v1\n"
#define FEED_KEY_ID_LEN 16          /* hex digits */
#define FEED_PUBKEY_B64_LEN 44      /* base64 of 32 bytes, padded */
#define FEED_SECKEY_B64_LEN 88      /* base64 of 64 bytes, padded */
#define FEED_SIG_B64_LEN 88         /* base64 of 64 bytes, padded */
/* "ed25519 " + key id + " " + signature + NUL, with room to spare */
#define FEED_SIG_HDR_MAX 128
#define FEED_MAX_PINNED_KEYS 2      /* the current hub key and the next one (rotation) */

struct feed_key {
    unsigned char sk[64];            /* libsodium secret key: seed || public key */
    unsigned char pk[32];
    char key_id[FEED_KEY_ID_LEN + 1];
    char pk_b64[FEED_PUBKEY_B64_LEN + 1];
};

/* Reads a key file. Refuses a file that is not a regular file, is a symlink, is owned by
 * someone other than root or the caller, or is readable or writable by group or others, and
 * content that is not exactly one line of base64 of a consistent 64-byte secret key.
 * 0, or -1 with err saying why. */
int feed_key_load(const char *path, struct feed_key *out, char *err, size_t errlen);

/* A fresh random key pair. 0, or -1 with err set (libsodium failed to initialize). */
int feed_key_generate(struct feed_key *out, char *err, size_t errlen);

/* Writes k to path as feed_key_load reads it, mode 0600. Without overwrite an existing path
 * is refused (O_CREAT|O_EXCL); with it the key replaces the old one atomically (a temporary
 * file in the same directory, fsync'd, renamed over). 0, or -1 with err set. */
int feed_key_save(const char *path, const struct feed_key *k, bool overwrite, char *err,
                  size_t errlen);

/* Wipes the secret key from memory. */
void feed_key_clear(struct feed_key *k);

/* Writes the Scimd-Signature header value for body into hdr. 0, or -1 (hdrlen too small,
 * out of memory, libsodium failed). */
int feed_sign(const struct feed_key *k, const void *body, size_t len, char *hdr, size_t hdrlen);

/* Verifies hdr over body against up to FEED_MAX_PINNED_KEYS pinned base64 public keys (the
 * header's key id picks the key). 0 ok, -1 bad: err says why (a malformed or unknown header,
 * a malformed pinned key, a key id that is not pinned, a signature that does not match). */
int feed_verify(const char *const pubkeys_b64[], size_t n, const char *hdr, const void *body,
                size_t len, char *err, size_t errlen);

/* libsodium's sodium_init, run once per process whichever thread gets here first; every
 * function above calls it. 0, or -1 when libsodium cannot initialize (no entropy source). */
int feed_sodium_init(void);

/* The key id (FEED_KEY_ID_LEN hex digits + NUL) of a 32-byte public key. */
int feed_key_id(const unsigned char pk[32], char out[FEED_KEY_ID_LEN + 1]);
