/* SPDX-License-Identifier: MIT */
/* The hub's signing key file: made by `scimctl fleet init`, read by scimd (feed_sign.h). It
 * is the one secret a follower's trust rests on, so the loader refuses any file another user
 * could have read or replaced instead of warning about it. */
#include "fleet/feed_sign.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void feed_key_clear(struct feed_key *k)
{
    sodium_memzero(k, sizeof(*k));
}

/* Fills the derived fields from k->sk after checking its public half is the one its seed
 * makes (a file with a damaged half would otherwise sign with a key no follower pins). */
static int key_complete(struct feed_key *k, char *err, size_t errlen)
{
    unsigned char seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    int rc = -1;

    crypto_sign_ed25519_sk_to_seed(seed, k->sk);
    if (crypto_sign_seed_keypair(pk, sk, seed) != 0 || sodium_memcmp(sk, k->sk, sizeof(sk)) != 0) {
        snprintf(err, errlen, "the public half of the key does not match its secret half");
        goto out;
    }
    memcpy(k->pk, pk, sizeof(pk));
    if (feed_key_id(k->pk, k->key_id) != 0) {
        snprintf(err, errlen, "libsodium failed to initialize");
        goto out;
    }
    sodium_bin2base64(k->pk_b64, sizeof(k->pk_b64), k->pk, sizeof(k->pk),
                      sodium_base64_VARIANT_ORIGINAL);
    rc = 0;
out:
    sodium_memzero(seed, sizeof(seed));
    sodium_memzero(sk, sizeof(sk));
    return rc;
}

int feed_key_load(const char *path, struct feed_key *out, char *err, size_t errlen)
{
    char buf[FEED_SECKEY_B64_LEN + 3];
    struct stat st;
    const char *end = NULL;
    size_t got = 0, len = 0;
    ssize_t r;
    int fd = -1, rc = -1;

    memset(out, 0, sizeof(*out));
    if (feed_sodium_init() < 0) {
        snprintf(err, errlen, "libsodium failed to initialize");
        goto out;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        goto out;
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s: owned by uid %u, not root; refusing the signing key", path,
                 (unsigned)st.st_uid);
        goto out;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "%s: mode %04o lets group or others at the signing key; "
                 "chmod 0600 it (and consider the key leaked)", path,
                 (unsigned)(st.st_mode & 07777));
        goto out;
    }
    while (len < sizeof(buf)) {
        r = read(fd, buf + len, sizeof(buf) - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (len == FEED_SECKEY_B64_LEN + 1 && buf[FEED_SECKEY_B64_LEN] == '\n')
        len--;
    if (len != FEED_SECKEY_B64_LEN ||
        sodium_base642bin(out->sk, sizeof(out->sk), buf, len, NULL, &got, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != buf + len || got != sizeof(out->sk)) {
        snprintf(err, errlen, "%s: not one line of base64 of a 64-byte Ed25519 secret key",
                 path);
        goto out;
    }
    if (key_complete(out, err, errlen) != 0)
        goto out;
    rc = 0;
out:
    sodium_memzero(buf, sizeof(buf));
    if (rc != 0)
        feed_key_clear(out);
    if (fd >= 0)
        close(fd);
    return rc;
}

int feed_key_generate(struct feed_key *out, char *err, size_t errlen)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];

    memset(out, 0, sizeof(*out));
    if (feed_sodium_init() < 0) {
        snprintf(err, errlen, "libsodium failed to initialize");
        return -1;
    }
    crypto_sign_keypair(pk, out->sk);
    return key_complete(out, err, errlen);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* fsyncs the directory holding path so a rename or a new name survives a crash. */
static void sync_parent(const char *path)
{
    char *copy = strdup(path);
    int dfd = -1;

    if (!copy)
        return;
    dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(copy);
}

int feed_key_save(const char *path, const struct feed_key *k, bool overwrite, char *err,
                  size_t errlen)
{
    char line[FEED_SECKEY_B64_LEN + 2];
    char *tmp = NULL;
    const char *target = path;
    int fd = -1, rc = -1, created = 0;

    if (overwrite) {
        if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
            tmp = NULL;
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        fd = mkostemp(tmp, O_CLOEXEC); /* 0600 */
        target = tmp;
    } else {
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    if (fd < 0) {
        if (!overwrite && errno == EEXIST)
            snprintf(err, errlen, "%s exists; refusing to replace the signing key "
                     "(--force replaces it, and every follower must then pin the new key)",
                     path);
        else
            snprintf(err, errlen, "%s: %s", target, strerror(errno));
        goto out;
    }
    created = 1;
    sodium_bin2base64(line, sizeof(line), k->sk, sizeof(k->sk), sodium_base64_VARIANT_ORIGINAL);
    line[FEED_SECKEY_B64_LEN] = '\n';
    /* 0600 whatever the umask: feed_key_load refuses a key group or others can read */
    if (fchmod(fd, 0600) != 0 ||
        write_all(fd, line, FEED_SECKEY_B64_LEN + 1) != 0 || fsync(fd) != 0) {
        snprintf(err, errlen, "%s: %s", target, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        snprintf(err, errlen, "%s: %s", target, strerror(errno));
        goto out;
    }
    fd = -1;
    if (overwrite && rename(tmp, path) != 0) {
        snprintf(err, errlen, "rename %s to %s: %s", tmp, path, strerror(errno));
        goto out;
    }
    sync_parent(path);
    rc = 0;
out:
    sodium_memzero(line, sizeof(line));
    if (fd >= 0)
        close(fd);
    if (rc != 0 && created)
        unlink(target);
    free(tmp);
    return rc;
}
