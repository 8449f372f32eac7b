/* SPDX-License-Identifier: MIT */
/* The ETag of a resource and the If-Match / If-None-Match test (etag.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "etag.h"

static void test_etag_format(void **state)
{
    (void)state;
    char buf[SCIM_ETAG_BUF];
    scim_etag_format(0, buf);
    assert_string_equal(buf, "W/\"0\"");
    scim_etag_format(1, buf);
    assert_string_equal(buf, "W/\"1\"");
    scim_etag_format(42, buf);
    assert_string_equal(buf, "W/\"42\"");
    scim_etag_format(INT64_MAX, buf);
    assert_string_equal(buf, "W/\"9223372036854775807\"");
}

static void test_etag_matches(void **state)
{
    (void)state;
    assert_true(scim_etag_matches("W/\"3\"", 3));
    assert_true(scim_etag_matches("\"3\"", 3));
    assert_true(scim_etag_matches("*", 3));
    assert_true(scim_etag_matches("W/\"1\", W/\"3\"", 3));
    assert_true(scim_etag_matches("W/\"1\",W/\"3\"", 3));
    assert_true(scim_etag_matches("  W/\"3\"  ", 3));
    assert_true(scim_etag_matches("W/\"9223372036854775807\"", INT64_MAX));
    assert_false(scim_etag_matches(NULL, 3));
    assert_false(scim_etag_matches("", 3));
    assert_false(scim_etag_matches("W/\"30\"", 3));
    assert_false(scim_etag_matches("W/\"3", 3));
    assert_false(scim_etag_matches("3", 3));
    assert_false(scim_etag_matches("W/\"4\", \"5\"", 3));
    assert_false(scim_etag_matches("**", 3));
    assert_false(scim_etag_matches("W/\"03\"", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_etag_format),
        cmocka_unit_test(test_etag_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
