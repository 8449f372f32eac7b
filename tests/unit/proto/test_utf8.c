/* SPDX-License-Identifier: MIT */
/* UTF-8 checks for client text (utf8.h): what the URL screening refuses and how an error
 * detail cut at a byte count is repaired. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

static bool valid(const char *s)
{
    return scim_utf8_valid((const unsigned char *)s, strlen(s));
}

static void test_valid(void **state)
{
    (void)state;
    assert_true(valid(""));
    assert_true(valid("/Users/alice"));
    assert_true(valid("caf\xc3\xa9"));                 /* U+00E9 */
    assert_true(valid("\xe7\xae\xa1\xe7\x90\x86"));    /* 管理 */
    assert_true(valid("\xf0\x9f\x98\x80"));            /* U+1F600 */
    assert_true(valid("\xf4\x8f\xbf\xbf"));            /* U+10FFFF */
    assert_false(valid("\xc0\x80"));                   /* overlong NUL */
    assert_false(valid("\xe0\x80\xaf"));               /* overlong '/' */
    assert_false(valid("\xed\xa0\x80"));               /* surrogate U+D800 */
    assert_false(valid("\xf4\x90\x80\x80"));           /* past U+10FFFF */
    assert_false(valid("caf\xc3"));                    /* cut short */
    assert_false(valid("\xa9"));                       /* lone continuation byte */
    assert_false(valid("\xff"));
    /* Only n bytes count: a NUL inside is a byte like any other. */
    assert_true(scim_utf8_valid((const unsigned char *)"a\0b", 3));
}

static void test_repair(void **state)
{
    (void)state;
    char cut[] = "userName 'aaa\xc3";                   /* "é" cut after its first byte */
    scim_utf8_repair(cut);
    assert_string_equal(cut, "userName 'aaa?");
    char mixed[] = "\xff ok \xc3\xa9 \xed\xa0\x80";
    scim_utf8_repair(mixed);
    assert_string_equal(mixed, "? ok \xc3\xa9 ???");
    assert_true(valid(mixed));
    char clean[] = "caf\xc3\xa9";
    scim_utf8_repair(clean);
    assert_string_equal(clean, "caf\xc3\xa9");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_repair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
