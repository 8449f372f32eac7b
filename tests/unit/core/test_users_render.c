/* SPDX-License-Identifier: MIT */
/* Rendering a stored user (user_row_to_resource) shares the document's attribute values
 * instead of deep-copying them: the exact text a client gets, and a stored document that no
 * rendering changes, with our extension present, absent or malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/users_repo.h"
#include "api/render_resource.h"

#define ID "5a5463e8-0644-4def-965d-e7f725c09a73"
#define BASE "https://scim.example.com/scim/v2"
#define CORE "\"urn:ietf:params:scim:schemas:core:2.0:User\""
#define LINUX "\"urn:scimd:params:scim:schemas:extension:linux:1.0:User\""
#define META                                                                                  \
    "\"meta\":{\"resourceType\":\"User\",\"created\":\"2026-11-24T01:02:03.004Z\","           \
    "\"lastModified\":\"2026-11-24T05:06:07.008Z\",\"location\":\"" BASE "/Users/" ID "\","  \
    "\"version\":\"W/\\\"7\\\"\"}"

static void fill_row(struct user_row *row, const char *doc)
{
    memset(row, 0, sizeof(*row));
    snprintf(row->id, sizeof(row->id), "%s", ID);
    row->uid = 1879048200u;
    row->version = 7;
    snprintf(row->created, sizeof(row->created), "2026-11-24T01:02:03.004Z");
    snprintf(row->modified, sizeof(row->modified), "2026-11-24T05:06:07.008Z");
    json_error_t jerr;
    row->doc = json_loads(doc, JSON_REJECT_DUPLICATES, &jerr);
    if (!row->doc)
        fail_msg("bad test doc: %s", jerr.text);
}

/* Renders doc and checks the text, that the stored document is unchanged, and that changing
 * the rendering (top level) leaves it alone too. */
static void expect_rendering(const char *doc, const char *want)
{
    struct user_row row;
    fill_row(&row, doc);
    json_t *res = user_row_to_resource(&row, BASE);
    assert_non_null(res);
    char *got = json_dumps(res, JSON_COMPACT);
    assert_string_equal(got, want);
    free(got);
    char *stored = json_dumps(row.doc, JSON_COMPACT);
    assert_string_equal(stored, doc);
    free(stored);
    json_object_set_new(res, "userName", json_string("changed"));
    json_object_del(res, "schemas");
    stored = json_dumps(row.doc, JSON_COMPACT);
    assert_string_equal(stored, doc);
    free(stored);
    json_decref(res);
    user_row_clear(&row);
}

static void test_extension_absent(void **state)
{
    (void)state;
    /* Our extension is added, and named in schemas, in the rendering only. */
    expect_rendering("{\"schemas\":[" CORE "],\"userName\":\"alice\",\"name\":{\"givenName\":\"A\"}}",
                     "{\"schemas\":[" CORE "," LINUX "],\"userName\":\"alice\",\"name\":{"
                     "\"givenName\":\"A\"},\"id\":\"" ID "\"," LINUX ":{\"uidNumber\":1879048200,"
                     "\"gidNumber\":1879048200}," META "}");
}

static void test_extension_present(void **state)
{
    (void)state;
    /* The stored extension keeps its place and attributes; the real ids are ours, whatever
     * the document claims. */
    expect_rendering("{\"schemas\":[" CORE "," LINUX "]," LINUX ":{\"loginShell\":\"/bin/zsh\","
                     "\"uidNumber\":5},\"userName\":\"alice\"}",
                     "{\"schemas\":[" CORE "," LINUX "]," LINUX ":{\"loginShell\":\"/bin/zsh\","
                     "\"uidNumber\":1879048200,\"gidNumber\":1879048200},\"userName\":\"alice\","
                     "\"id\":\"" ID "\"," META "}");
}

static void test_malformed_parts_left_alone(void **state)
{
    (void)state;
    /* Neither a non-object extension nor a non-array schemas is rewritten or crashes. */
    expect_rendering("{\"schemas\":\"x\"," LINUX ":\"text\"}",
                     "{\"schemas\":\"x\"," LINUX ":\"text\",\"id\":\"" ID "\"," META "}");
    expect_rendering("{\"schemas\":\"x\"}",
                     "{\"schemas\":\"x\",\"id\":\"" ID "\"," LINUX ":{\"uidNumber\":1879048200,"
                     "\"gidNumber\":1879048200}," META "}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extension_absent),
        cmocka_unit_test(test_extension_present),
        cmocka_unit_test(test_malformed_parts_left_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
