/* SPDX-License-Identifier: MIT */
/* The audit trail (audit.c): which attributes changed, by name only, never a value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "accounts/audit.h"
#include "core_fixture.h"

static void changed(const char *old_json, const char *new_json, bool password, const char *want)
{
    json_t *o = old_json ? json_loads(old_json, 0, NULL) : NULL;
    json_t *n = new_json ? json_loads(new_json, 0, NULL) : NULL;
    char buf[256];
    memset(buf, 'Z', sizeof(buf));
    audit_changed_attributes(o, n, password, buf, sizeof(buf));
    assert_string_equal(buf, want);
    json_decref(o);
    json_decref(n);
}

static void test_changed_attributes(void **state)
{
    (void)state;
    changed("{\"userName\":\"a\",\"active\":true}", "{\"userName\":\"a\",\"active\":true}", false, "");
    changed("{\"userName\":\"a\",\"active\":true}", "{\"userName\":\"a\",\"active\":false}", false,
            "active");
    /* Nested changes count as their top-level attribute; removed ones are listed too. */
    changed("{\"name\":{\"givenName\":\"A\"},\"title\":\"x\",\"nickName\":\"n\"}",
            "{\"name\":{\"givenName\":\"B\"},\"title\":\"x\"}", false, "name,nickName");
    /* An extension is one attribute. */
    changed("{}",
            "{\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"department\":\"R\"}}",
            false, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
    /* A password change is named, its value never is. */
    changed("{\"userName\":\"a\"}", "{\"userName\":\"a\"}", true, "password");
    /* Create and delete: everything on one side. */
    changed(NULL, "{\"userName\":\"a\",\"active\":true}", false, "userName,active");
    changed("{\"userName\":\"a\"}", NULL, false, "userName");
    /* A small buffer gets a shorter list, never an overflow. */
    json_t *o = json_pack("{s:s}", "a", "1");
    json_t *n = json_pack("{s:s, s:s, s:s}", "a", "2", "averyveryverylongattributename", "x", "b",
                          "y");
    char small[12];
    memset(small, 'Z', sizeof(small));
    audit_changed_attributes(o, n, true, small, sizeof(small));
    assert_true(strlen(small) < sizeof(small));
    assert_int_equal(strncmp(small, "a", 1), 0);
    json_decref(o);
    json_decref(n);
}

static void write_two_records(void *arg)
{
    (void)arg;
    audit_log("abcdefghijkmnpqr", "patch", "User", "2819c223-7f76-453a-919d-413861904646", "alice",
              "active,password");
    audit_log(NULL, "create", "Group", "g1", NULL, NULL);
}

static void test_log_line(void **state)
{
    (void)state;
    size_t len = 0;
    char *s = core_capture_stderr(write_two_records, NULL, &len);
    assert_non_null(strstr(s, "audit: token=abcdefghijkmnpqr action=patch resource=User "
                              "id=2819c223-7f76-453a-919d-413861904646 name=alice "
                              "changed=[active,password]\n"));
    assert_non_null(strstr(s, "audit: token=- action=create resource=Group id=g1 name=- changed=[]\n"));
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changed_attributes),
        cmocka_unit_test(test_log_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
