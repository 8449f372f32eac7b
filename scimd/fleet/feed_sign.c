/* SPDX-License-Identifier: MIT */
/* Signing and verifying feed bodies (feed_sign.h). The header is parsed strictly: one
 * algorithm, one key id, one signature, single spaces, nothing else — a follower refuses
 * anything it does not fully understand rather than guess. */
#include "fleet/feed_sign.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(crypto_sign_SECRETKEYBYTES == 64, "libsodium Ed25519 secret key size");
_Static_assert(crypto_sign_PUBLICKEYBYTES == 32, "libsodium Ed25519 public key size");
_Static_assert(crypto_sign_BYTES == 64, "libsodium Ed25519 signature size");

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status = -1;

static void sodium_start(void)
{
    sodium_status = sodium_init() < 0 ? -1 : 0;
}

int feed_sodium_init(void)
{
    pthread_once(&sodium_once, sodium_start);
    return sodium_status;
}

int feed_key_id(const unsigned char pk[32], char out[FEED_KEY_ID_LEN + 1])
{
    unsigned char digest[crypto_hash_sha256_BYTES];

    if (feed_sodium_init() < 0)
        return -1;
    crypto_hash_sha256(digest, pk, 32);
    sodium_bin2hex(out, FEED_KEY_ID_LEN + 1, digest, FEED_KEY_ID_LEN / 2);
    return 0;
}

/* The signed message: the context string, then the body. Ed25519 (not Ed25519ph) needs it
 * contiguous. Owned by the caller; NULL when out of memory. */
static unsigned char *message_new(const void *body, size_t len, size_t *mlen)
{
    size_t clen = sizeof(FEED_SIGN_CONTEXT) - 1;
    unsigned char *m = NULL;

    if (len > SIZE_MAX - clen)
        return NULL;
    m = malloc(clen + len + 1);
    if (!m)
        return NULL;
    memcpy(m, FEED_SIGN_CONTEXT, clen);
    if (len)
        memcpy(m + clen, body, len);
    *mlen = clen + len;
    return m;
}

int feed_sign(const struct feed_key *k, const void *body, size_t len, char *hdr, size_t hdrlen)
{
    unsigned char sig[crypto_sign_BYTES];
    char sig_b64[FEED_SIG_B64_LEN + 1];
    unsigned char *m = NULL;
    size_t mlen = 0;
    int rc = -1, n;

    if (feed_sodium_init() < 0)
        goto out;
    m = message_new(body, len, &mlen);
    if (!m)
        goto out;
    if (crypto_sign_detached(sig, NULL, m, mlen, k->sk) != 0)
        goto out;
    sodium_bin2base64(sig_b64, sizeof(sig_b64), sig, sizeof(sig),
                      sodium_base64_VARIANT_ORIGINAL);
    n = snprintf(hdr, hdrlen, "%s %s %s", FEED_SIGN_ALG, k->key_id, sig_b64);
    if (n < 0 || (size_t)n >= hdrlen)
        goto out;
    rc = 0;
out:
    free(m);
    return rc;
}

/* Decodes exactly want bytes of padded standard base64 spanning all of s[0..slen). */
static int b64_exact(const char *s, size_t slen, unsigned char *bin, size_t want)
{
    const char *end = NULL;
    size_t got = 0;

    if (slen == 0 || slen != 4 * ((want + 2) / 3))
        return -1;
    if (sodium_base642bin(bin, want, s, slen, NULL, &got, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
        return -1;
    return (end == s + slen && got == want) ? 0 : -1;
}

static int is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Splits "ed25519 <key_id> <sig>" into its key id and signature bytes. 0, or -1 with err. */
static int parse_header(const char *hdr, char key_id[FEED_KEY_ID_LEN + 1],
                        unsigned char sig[crypto_sign_BYTES], char *err, size_t errlen)
{
    const char *p = hdr, *sp = NULL;
    size_t alg_len = sizeof(FEED_SIGN_ALG) - 1;

    if (!hdr || !*hdr) {
        snprintf(err, errlen, "no Scimd-Signature (unsigned data)");
        return -1;
    }
    sp = strchr(p, ' ');
    if (!sp) {
        snprintf(err, errlen, "Scimd-Signature is not 'ed25519 <key id> <signature>'");
        return -1;
    }
    if ((size_t)(sp - p) != alg_len || memcmp(p, FEED_SIGN_ALG, alg_len) != 0) {
        snprintf(err, errlen, "Scimd-Signature: unknown algorithm '%.*s' (only ed25519)",
                 (int)((sp - p) > 32 ? 32 : (sp - p)), p);
        return -1;
    }
    p = sp + 1;
    sp = strchr(p, ' ');
    if (!sp || (size_t)(sp - p) != FEED_KEY_ID_LEN || !is_lower_hex(p, FEED_KEY_ID_LEN)) {
        snprintf(err, errlen, "Scimd-Signature: the key id is not %d lowercase hex digits "
                 "followed by one space", FEED_KEY_ID_LEN);
        return -1;
    }
    memcpy(key_id, p, FEED_KEY_ID_LEN);
    key_id[FEED_KEY_ID_LEN] = '\0';
    p = sp + 1;
    if (strchr(p, ' ')) {
        snprintf(err, errlen, "Scimd-Signature: extra fields after the signature");
        return -1;
    }
    if (b64_exact(p, strlen(p), sig, crypto_sign_BYTES) != 0) {
        snprintf(err, errlen, "Scimd-Signature: the signature is not base64 of %d bytes",
                 crypto_sign_BYTES);
        return -1;
    }
    return 0;
}

int feed_verify(const char *const pubkeys_b64[], size_t n, const char *hdr, const void *body,
                size_t len, char *err, size_t errlen)
{
    unsigned char pks[FEED_MAX_PINNED_KEYS][crypto_sign_PUBLICKEYBYTES];
    unsigned char sig[crypto_sign_BYTES];
    char want_id[FEED_KEY_ID_LEN + 1], id[FEED_KEY_ID_LEN + 1];
    unsigned char *m = NULL;
    size_t mlen = 0, i;
    int rc = -1, match = -1;

    if (feed_sodium_init() < 0) {
        snprintf(err, errlen, "libsodium failed to initialize");
        goto out;
    }
    if (n == 0 || n > FEED_MAX_PINNED_KEYS) {
        snprintf(err, errlen, "%zu hub keys pinned; 1 or %d are allowed", n,
                 FEED_MAX_PINNED_KEYS);
        goto out;
    }
    for (i = 0; i < n; i++) {
        const char *k = pubkeys_b64[i];
        if (!k || b64_exact(k, strlen(k), pks[i], crypto_sign_PUBLICKEYBYTES) != 0) {
            snprintf(err, errlen, "hub key %zu is not base64 of a %d-byte Ed25519 public key",
                     i + 1, crypto_sign_PUBLICKEYBYTES);
            goto out;
        }
    }
    if (parse_header(hdr, want_id, sig, err, errlen) != 0)
        goto out;
    for (i = 0; i < n && match < 0; i++) {
        if (feed_key_id(pks[i], id) != 0) {
            snprintf(err, errlen, "libsodium failed to initialize");
            goto out;
        }
        if (strcmp(id, want_id) == 0)
            match = (int)i;
    }
    if (match < 0) {
        snprintf(err, errlen, "signed by key %s, which is not a pinned hub key", want_id);
        goto out;
    }
    m = message_new(body, len, &mlen);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (crypto_sign_verify_detached(sig, m, mlen, pks[match]) != 0) {
        snprintf(err, errlen, "the signature by key %s does not match the body", want_id);
        goto out;
    }
    rc = 0;
out:
    free(m);
    return rc;
}
