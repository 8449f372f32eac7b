/* SPDX-License-Identifier: MIT */
/* The compact form of rendered bodies (render_body.c): lossless for any text, smaller for
 * renderings, refuses what it cannot encode and what does not decode into the room given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/render_body.h"

#define ID "5a5463e8-0644-4def-965d-e7f725c09a73"
#define BASE "https://scim.example.com/scim/v2"

static const struct render_body_ctx ctx = { ID, sizeof(ID) - 1, BASE, sizeof(BASE) - 1 };

/* Encodes and decodes s; returns the encoded length. */
static size_t round_trip(const struct render_body_ctx *c, const char *s)
{
    size_t len = strlen(s), enc_len = 0, dec_len = 0;
    char *enc = malloc(len + 1), *dec = malloc(len + 1);
    assert_non_null(enc);
    assert_non_null(dec);
    assert_true(render_body_encode(c, s, len, enc, &enc_len));
    assert_true(enc_len <= len);
    assert_true(render_body_decode(c, enc, enc_len, dec, len, &dec_len));
    assert_int_equal(dec_len, len);
    assert_memory_equal(dec, s, len);
    free(enc);
    free(dec);
    return enc_len;
}

static void test_rendering_shrinks(void **state)
{
    (void)state;
    const char *user =
        "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\","
        "\"urn:scimd:params:scim:schemas:extension:linux:1.0:User\"],\"userName\":"
        "\"user000004@bench.example\",\"active\":true,\"name\":{\"givenName\":\"Bench\","
        "\"familyName\":\"User 4\"},\"emails\":[{\"value\":\"user000004@bench.example\","
        "\"type\":\"work\",\"primary\":true}],\"roles\":[{\"value\":\"role22\"},{\"value\":"
        "\"role11\"}],\"id\":\"" ID "\",\"urn:scimd:params:scim:schemas:extension:linux:1.0:User\":"
        "{\"uidNumber\":1879048196,\"gidNumber\":1879048196},\"groups\":[{\"value\":\"g1\","
        "\"$ref\":\"" BASE "/Groups/g1\",\"display\":\"admins\",\"type\":\"direct\"}],"
        "\"meta\":{\"resourceType\":\"User\",\"created\":\"2026-11-24T05:28:04.354Z\","
        "\"lastModified\":\"2026-11-24T05:28:04.354Z\",\"location\":\"" BASE "/Users/" ID "\","
        "\"version\":\"W/\\\"1\\\"\"}}";
    size_t enc_len = round_trip(&ctx, user);
    /* The URNs, the id, the base URL and the names are one byte each: well under half. */
    assert_true(enc_len * 5 < strlen(user) * 2);
}

static void test_any_text_round_trips(void **state)
{
    (void)state;
    const char *texts[] = {
        "",
        "x",
        "{}",
        ID,
        BASE,
        ID ID BASE BASE,
        "\"",
        "\"userName\":",           /* a word's prefix, not the word */
        "\"userName\":\"",         /* exactly a word */
        "https://scim.example.com", /* a prefix of the base URL */
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 /Users/ /Groups/",
        "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"]}",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        round_trip(&ctx, texts[i]);
    /* Every printable byte, in every position relative to the words. */
    char all[200];
    for (int i = 0; i < 95; i++)
        all[i] = (char)(0x20 + i);
    all[95] = '\0';
    round_trip(&ctx, all);
    /* With a one-byte id or an empty base nothing is substituted for them. */
    struct render_body_ctx small = { "a", 1, "", 0 };
    assert_int_equal(round_trip(&small, "aaaa"), 4);
}

static void test_control_bytes_refused(void **state)
{
    (void)state;
    char out[64];
    size_t n = 99;
    assert_false(render_body_encode(&ctx, "{\n}", 3, out, &n));
    assert_false(render_body_encode(&ctx, "\x01", 1, out, &n));
    assert_false(render_body_encode(&ctx, "ab\x1f", 3, out, &n));
    assert_int_equal(n, 99); /* nothing reported on refusal */
    /* 0x7f and bytes above are text. */
    assert_true(render_body_encode(&ctx, "\x7f\x80", 2, out, &n));
    assert_int_equal(n, 2);
}

static void test_decode_checks_room(void **state)
{
    (void)state;
    char enc[256], dec[256];
    size_t enc_len, n;
    const char *s = "{\"id\":\"" ID "\",\"location\":\"" BASE "/Users/" ID "\"}";
    assert_true(render_body_encode(&ctx, s, strlen(s), enc, &enc_len));
    assert_false(render_body_decode(&ctx, enc, enc_len, dec, strlen(s) - 1, &n));
    assert_true(render_body_decode(&ctx, enc, enc_len, dec, strlen(s), &n));
    assert_int_equal(n, strlen(s));
    /* A NUL is no encoding. */
    assert_false(render_body_decode(&ctx, "a\0b", 3, dec, sizeof(dec), &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rendering_shrinks),
        cmocka_unit_test(test_any_text_round_trips),
        cmocka_unit_test(test_control_bytes_refused),
        cmocka_unit_test(test_decode_checks_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
