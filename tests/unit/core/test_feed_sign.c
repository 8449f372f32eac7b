/* SPDX-License-Identifier: MIT */
/* Feed signatures (fleet/feed_sign.c, fleet/feed_key.c): what a follower accepts and what it
 * refuses, and the hub's key file — written 0600, refused when anyone else could read it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <nettle/sha2.h>
#include <sodium.h>

#include "core_fixture.h"
#include "fleet/feed_sign.h"

static const char BODY[] = "{\"feed\":\"00112233445566778899aabbccddeeff\",\"from\":0,\"to\":7}";

struct fx {
    char *dir;
    struct feed_key k1, k2;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char err[256];
    assert_non_null(f);
    f->dir = core_mkdtemp();
    assert_int_equal(feed_key_generate(&f->k1, err, sizeof(err)), 0);
    assert_int_equal(feed_key_generate(&f->k2, err, sizeof(err)), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    core_rmdir(f->dir);
    feed_key_clear(&f->k1);
    feed_key_clear(&f->k2);
    free(f);
    return 0;
}

static void sign(const struct feed_key *k, const char *body, char hdr[FEED_SIG_HDR_MAX])
{
    assert_int_equal(feed_sign(k, body, strlen(body), hdr, FEED_SIG_HDR_MAX), 0);
}

/* feed_verify on body against the given pinned keys; err copied out for the caller. */
static int verify(const char *k1, const char *k2, const char *hdr, const char *body, char *err)
{
    const char *keys[2] = { k1, k2 };
    err[0] = '\0';
    return feed_verify(keys, k2 ? 2 : 1, hdr, body, strlen(body), err, 256);
}

static void test_roundtrip_and_wire_format(void **state)
{
    struct fx *f = *state;
    char hdr[FEED_SIG_HDR_MAX], err[256], id[FEED_KEY_ID_LEN + 1];
    unsigned char digest[SHA256_DIGEST_SIZE], sig[64], *msg;
    struct sha256_ctx sha;
    size_t clen = strlen("scimd-feed-v1\n"), blen = strlen(BODY);
    char *b64;

    sign(&f->k1, BODY, hdr);
    assert_int_equal(verify(f->k1.pk_b64, NULL, hdr, BODY, err), 0);

    /* The key id is the first 16 hex digits of SHA-256(public key), computed here with nettle
     * rather than by the code under test. */
    sha256_init(&sha);
    sha256_update(&sha, sizeof(f->k1.pk), f->k1.pk);
    sha256_digest(&sha, sizeof(digest), digest);
    for (int i = 0; i < 8; i++)
        snprintf(id + 2 * i, 3, "%02x", digest[i]);
    assert_string_equal(f->k1.key_id, id);
    assert_int_equal(strncmp(hdr, "ed25519 ", 8), 0);
    assert_memory_equal(hdr + 8, id, 16);
    assert_int_equal(hdr[24], ' ');
    assert_int_equal(strlen(hdr), 8 + 16 + 1 + 88);

    /* The signature is plain Ed25519 over "scimd-feed-v1\n" || body: what any libsodium (or
     * other Ed25519) verifier checks, not only ours. */
    b64 = hdr + 25;
    size_t got = 0;
    assert_int_equal(sodium_base642bin(sig, sizeof(sig), b64, strlen(b64), NULL, &got, NULL,
                                       sodium_base64_VARIANT_ORIGINAL), 0);
    assert_int_equal(got, 64);
    msg = malloc(clen + blen);
    assert_non_null(msg);
    memcpy(msg, "scimd-feed-v1\n", clen);
    memcpy(msg + clen, BODY, blen);
    assert_int_equal(crypto_sign_verify_detached(sig, msg, clen + blen, f->k1.pk), 0);
    /* ... and not over the body alone */
    assert_int_not_equal(crypto_sign_verify_detached(sig, msg + clen, blen, f->k1.pk), 0);
    free(msg);

    /* The public key prints as base64 of its 32 bytes. */
    assert_int_equal(strlen(f->k1.pk_b64), 44);

    /* An empty body is signable too (the header is for the bytes, whatever they are). */
    sign(&f->k1, "", hdr);
    assert_int_equal(verify(f->k1.pk_b64, NULL, hdr, "", err), 0);

    /* A header buffer too small is an error, not a cut header. */
    assert_int_equal(feed_sign(&f->k1, BODY, blen, hdr, 100), -1);
}

static void test_tampered_body(void **state)
{
    struct fx *f = *state;
    char hdr[FEED_SIG_HDR_MAX], err[256], body[sizeof(BODY)];

    sign(&f->k1, BODY, hdr);
    for (size_t i = 0; i < strlen(BODY); i++) {
        memcpy(body, BODY, sizeof(BODY));
        body[i] ^= 0x01;
        assert_int_equal(verify(f->k1.pk_b64, NULL, hdr, body, err), -1);
        assert_non_null(strstr(err, "does not match the body"));
    }
    /* one byte cut off, one byte added */
    memcpy(body, BODY, sizeof(BODY));
    body[strlen(BODY) - 1] = '\0';
    assert_int_equal(verify(f->k1.pk_b64, NULL, hdr, body, err), -1);
    assert_int_equal(verify(f->k1.pk_b64, NULL, hdr,
                            "{\"feed\":\"00112233445566778899aabbccddeeff\",\"from\":0,\"to\":7} ",
                            err), -1);
}

static void test_tampered_header(void **state)
{
    struct fx *f = *state;
    char hdr[FEED_SIG_HDR_MAX], bad[FEED_SIG_HDR_MAX], err[256];

    sign(&f->k1, BODY, hdr);
    /* Every signature character replaced by another base64 character: still well-formed
     * (except where the last character's spare bits would be set), never valid. */
    for (size_t i = 25; i < strlen(hdr) && hdr[i] != '='; i++) {
        memcpy(bad, hdr, sizeof(bad));
        bad[i] = hdr[i] == 'A' ? 'B' : 'A';
        assert_int_equal(verify(f->k1.pk_b64, NULL, bad, BODY, err), -1);
    }
    /* A changed key id names a key that is not pinned. */
    memcpy(bad, hdr, sizeof(bad));
    bad[8] = bad[8] == '0' ? '1' : '0';
    assert_int_equal(verify(f->k1.pk_b64, NULL, bad, BODY, err), -1);
    assert_non_null(strstr(err, "not a pinned hub key"));
    /* k2's key id in front of k1's signature: the id picks k2, whose check fails */
    memcpy(bad, hdr, sizeof(bad));
    memcpy(bad + 8, f->k2.key_id, 16);
    assert_int_equal(verify(f->k1.pk_b64, f->k2.pk_b64, bad, BODY, err), -1);
    assert_non_null(strstr(err, "does not match the body"));
}

static void test_other_key_and_rotation(void **state)
{
    struct fx *f = *state;
    char h1[FEED_SIG_HDR_MAX], h2[FEED_SIG_HDR_MAX], err[256];

    sign(&f->k1, BODY, h1);
    sign(&f->k2, BODY, h2);
    /* signed by a key the follower does not pin */
    assert_int_equal(verify(f->k1.pk_b64, NULL, h2, BODY, err), -1);
    assert_non_null(strstr(err, f->k2.key_id));
    assert_non_null(strstr(err, "not a pinned hub key"));
    /* rotation: both pinned, either signs; the new key may be first or second */
    assert_int_equal(verify(f->k1.pk_b64, f->k2.pk_b64, h1, BODY, err), 0);
    assert_int_equal(verify(f->k1.pk_b64, f->k2.pk_b64, h2, BODY, err), 0);
    assert_int_equal(verify(f->k2.pk_b64, f->k1.pk_b64, h1, BODY, err), 0);
    /* after the rotation ends (old key unpinned) the old key's signatures are refused */
    assert_int_equal(verify(f->k2.pk_b64, NULL, h1, BODY, err), -1);
}

static void test_malformed_headers(void **state)
{
    struct fx *f = *state;
    char hdr[FEED_SIG_HDR_MAX], bad[256], err[256];
    const char *sig, *id;

    sign(&f->k1, BODY, hdr);
    id = f->k1.key_id;
    sig = hdr + 25;
    struct { const char *fmt, *a, *b, *why; } cases[] = {
        { "", NULL, NULL, "unsigned" },
        { "ed25519", NULL, NULL, "not 'ed25519" },
        { "rsa %s %s", id, sig, "unknown algorithm 'rsa'" },
        { "Ed25519 %s %s", id, sig, "unknown algorithm" },
        { "ed25519-ph %s %s", id, sig, "unknown algorithm" },
        { " ed25519 %s %s", id, sig, "unknown algorithm" },
        { "ed25519  %s %s", id, sig, "key id" },
        { "ed25519 %s  %s", id, sig, "extra fields" },
        { "ed25519 %s %s ", id, sig, "extra fields" },
        { "ed25519 %s %s extra", id, sig, "extra fields" },
        { "ed25519\t%s %s", id, sig, "unknown algorithm" },
        { "ed25519 %.15s %s", id, sig, "key id" },
        { "ed25519 %s0 %s", id, sig, "key id" },
        { "ed25519 %.15sg %s", id, sig, "key id" },
        { "ed25519 %s", id, NULL, "key id" },
        { "ed25519 %s ", id, NULL, "not base64" },
        { "ed25519 %s %.86s", id, sig, "not base64" },        /* padding dropped */
        { "ed25519 %s %sAAAA", id, sig, "not base64" },       /* 67 bytes */
        { "ed25519 %s %s\n", id, sig, "not base64" },         /* a line end is not trimmed */
        { "ed25519 %s !%s", id, sig + 1, "not base64" },
        { "ed25519 %s %.84s", id, sig, "not base64" },        /* 63 bytes */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* the table of formats is the point of this test */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(bad, sizeof(bad), cases[i].fmt, cases[i].a, cases[i].b);
#pragma GCC diagnostic pop
        assert_int_equal(verify(f->k1.pk_b64, NULL, bad, BODY, err), -1);
        if (!strstr(err, cases[i].why))
            fail_msg("case %zu '%s': error '%s' lacks '%s'", i, bad, err, cases[i].why);
    }
    /* An uppercase key id is refused: the id is compared as text, one spelling only. */
    snprintf(bad, sizeof(bad), "ed25519 %s %s", id, sig);
    for (int i = 8; i < 24; i++)
        if (bad[i] >= 'a' && bad[i] <= 'f') {
            bad[i] = (char)(bad[i] - 'a' + 'A');
            assert_int_equal(verify(f->k1.pk_b64, NULL, bad, BODY, err), -1);
            assert_non_null(strstr(err, "key id"));
            break;
        }
    /* NULL header: unsigned data */
    const char *keys[1] = { f->k1.pk_b64 };
    assert_int_equal(feed_verify(keys, 1, NULL, BODY, strlen(BODY), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unsigned"));
}

static void test_malformed_pinned_keys(void **state)
{
    struct fx *f = *state;
    char hdr[FEED_SIG_HDR_MAX], err[256], k31[64];
    unsigned char raw[32] = { 0 };
    const char *three[3] = { f->k1.pk_b64, f->k2.pk_b64, f->k1.pk_b64 };

    sign(&f->k1, BODY, hdr);
    assert_int_equal(feed_verify(three, 0, hdr, BODY, strlen(BODY), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "0 hub keys"));
    assert_int_equal(feed_verify(three, 3, hdr, BODY, strlen(BODY), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "3 hub keys"));
    /* a bad second key is refused even though the first one would verify */
    assert_int_equal(verify(f->k1.pk_b64, "not base64!", hdr, BODY, err), -1);
    assert_non_null(strstr(err, "hub key 2"));
    sodium_bin2base64(k31, sizeof(k31), raw, 31, sodium_base64_VARIANT_ORIGINAL);
    assert_int_equal(verify(k31, NULL, hdr, BODY, err), -1);
    assert_non_null(strstr(err, "hub key 1"));
    assert_int_equal(verify("", NULL, hdr, BODY, err), -1);
    /* URL-safe alphabet or a trailing space: one spelling only */
    char alt[64];
    snprintf(alt, sizeof(alt), "%s ", f->k1.pk_b64);
    assert_int_equal(verify(alt, NULL, hdr, BODY, err), -1);
}

static char *key_path(struct fx *f, const char *name)
{
    char *p = core_path(f->dir, name);
    unlink(p);
    return p;
}

static void test_key_file_roundtrip(void **state)
{
    struct fx *f = *state;
    struct feed_key loaded;
    char err[256], hdr[FEED_SIG_HDR_MAX];
    char *p = key_path(f, "fleet.key");
    struct stat st;
    unsigned char *text;
    size_t len;

    assert_int_equal(feed_key_save(p, &f->k1, false, err, sizeof(err)), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_uid, geteuid());
    /* one line: base64 of the 64-byte secret key */
    text = core_read(p, &len);
    assert_int_equal(len, 89);
    assert_int_equal(text[88], '\n');
    free(text);

    assert_int_equal(feed_key_load(p, &loaded, err, sizeof(err)), 0);
    assert_memory_equal(loaded.sk, f->k1.sk, 64);
    assert_memory_equal(loaded.pk, f->k1.pk, 32);
    assert_string_equal(loaded.key_id, f->k1.key_id);
    assert_string_equal(loaded.pk_b64, f->k1.pk_b64);
    sign(&loaded, BODY, hdr);
    assert_int_equal(verify(f->k1.pk_b64, NULL, hdr, BODY, err), 0);
    feed_key_clear(&loaded);

    /* no overwrite without being asked; the old key stays */
    assert_int_equal(feed_key_save(p, &f->k2, false, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "exists"));
    assert_int_equal(feed_key_load(p, &loaded, err, sizeof(err)), 0);
    assert_memory_equal(loaded.pk, f->k1.pk, 32);
    /* with overwrite: replaced, still 0600, no temporary left behind */
    assert_int_equal(feed_key_save(p, &f->k2, true, err, sizeof(err)), 0);
    assert_int_equal(feed_key_load(p, &loaded, err, sizeof(err)), 0);
    assert_memory_equal(loaded.pk, f->k2.pk, 32);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    feed_key_clear(&loaded);
    free(p);

    /* without the trailing newline it loads too (an admin's editor may drop it) */
    char line[90];
    sodium_bin2base64(line, sizeof(line), f->k1.sk, 64, sodium_base64_VARIANT_ORIGINAL);
    p = core_write(f->dir, "nonl.key", line, 88);
    assert_int_equal(chmod(p, 0600), 0);
    assert_int_equal(feed_key_load(p, &loaded, err, sizeof(err)), 0);
    assert_memory_equal(loaded.pk, f->k1.pk, 32);
    feed_key_clear(&loaded);
    free(p);
}

static void expect_load_refused(struct fx *f, const char *name, const void *data, size_t len,
                                mode_t mode, const char *why)
{
    struct feed_key k;
    char err[256];
    char *p = core_write(f->dir, name, data, len);

    assert_int_equal(chmod(p, mode), 0);
    memset(&k, 0xAA, sizeof(k));
    assert_int_equal(feed_key_load(p, &k, err, sizeof(err)), -1);
    if (!strstr(err, why))
        fail_msg("%s: error '%s' lacks '%s'", name, err, why);
    /* nothing of a refused key is left in the caller's struct */
    for (size_t i = 0; i < sizeof(k.sk); i++)
        assert_int_equal(k.sk[i], 0);
    free(p);
}

static void test_key_file_refused(void **state)
{
    struct fx *f = *state;
    char good[90], buf[300];
    unsigned char sk[64];
    struct feed_key k;
    char err[256];

    sodium_bin2base64(good, sizeof(good), f->k1.sk, 64, sodium_base64_VARIANT_ORIGINAL);
    good[88] = '\n';

    /* group- or world-readable (or -writable) key files are refused at load */
    expect_load_refused(f, "g.key", good, 89, 0640, "mode 0640");
    expect_load_refused(f, "o.key", good, 89, 0604, "mode 0604");
    expect_load_refused(f, "gw.key", good, 89, 0620, "mode 0620");
    expect_load_refused(f, "a.key", good, 89, 0644, "chmod 0600");

    /* content: not exactly one line of base64 of 64 bytes */
    expect_load_refused(f, "empty.key", "", 0, 0600, "not one line");
    expect_load_refused(f, "short.key", good, 87, 0600, "not one line");
    snprintf(buf, sizeof(buf), "%.88s\n\n", good);
    expect_load_refused(f, "twolines.key", buf, 90, 0600, "not one line");
    snprintf(buf, sizeof(buf), " %.88s", good);
    expect_load_refused(f, "space.key", buf, 89, 0600, "not one line");
    snprintf(buf, sizeof(buf), "%.88s\r\n", good);
    expect_load_refused(f, "crlf.key", buf, 90, 0600, "not one line");
    memcpy(buf, good, 89);
    buf[10] = '*';
    expect_load_refused(f, "badchar.key", buf, 89, 0600, "not one line");
    /* the public key alone (44 characters) is not a secret key */
    snprintf(buf, sizeof(buf), "%s\n", f->k1.pk_b64);
    expect_load_refused(f, "pub.key", buf, strlen(buf), 0600, "not one line");

    /* a secret key whose public half was damaged */
    memcpy(sk, f->k1.sk, 64);
    sk[40] ^= 0x01;
    sodium_bin2base64(buf, sizeof(buf), sk, 64, sodium_base64_VARIANT_ORIGINAL);
    buf[88] = '\n';
    expect_load_refused(f, "damaged.key", buf, 89, 0600, "public half");

    /* a symlink to a good key file, a directory, a missing file */
    char *target = core_write(f->dir, "target.key", good, 89);
    assert_int_equal(chmod(target, 0600), 0);
    char *link = key_path(f, "link.key");
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(feed_key_load(link, &k, err, sizeof(err)), -1);
    assert_int_equal(feed_key_load(target, &k, err, sizeof(err)), 0);
    feed_key_clear(&k);
    assert_int_equal(feed_key_load(f->dir, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a regular file"));
    char *missing = key_path(f, "missing.key");
    assert_int_equal(feed_key_load(missing, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "No such file"));
    /* a new key is never written through a symlink either */
    assert_int_equal(feed_key_save(link, &f->k2, false, err, sizeof(err)), -1);
    assert_int_equal(feed_key_load(target, &k, err, sizeof(err)), 0);
    assert_memory_equal(k.pk, f->k1.pk, 32);
    feed_key_clear(&k);
    unlink(link);
    free(link);
    free(target);
    free(missing);
}

static void test_key_file_foreign_owner(void **state)
{
    struct fx *f = *state;
    char good[90], err[256];
    struct feed_key k;

    if (geteuid() != 0) {
        printf("# not root: a key file owned by another user goes unchecked\n");
        return;
    }
    sodium_bin2base64(good, sizeof(good), f->k1.sk, 64, sodium_base64_VARIANT_ORIGINAL);
    char *p = core_write(f->dir, "nobody.key", good, 88);
    assert_int_equal(chmod(p, 0600), 0);
    assert_int_equal(chown(p, 65534, 65534), 0);
    assert_int_equal(feed_key_load(p, &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "owned by uid 65534"));
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip_and_wire_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_key_and_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_pinned_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_file_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_file_foreign_owner, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
