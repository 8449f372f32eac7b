/* SPDX-License-Identifier: MIT */
#include "proto_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *fixture(const char *name)
{
    char path[1024];
    json_error_t jerr;

    snprintf(path, sizeof(path), "%s/%s", PROTO_TEST_DATA, name);
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        print_error("fixture %s: %s (line %d)\n", path, jerr.text, jerr.line);
    assert_non_null(j);
    return j;
}

json_t *jparse(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

    if (!j)
        print_error("bad test JSON: %s: %s\n", text, jerr.text);
    assert_non_null(j);
    return j;
}

void assert_json_text(const json_t *actual, const char *expected, const char *file, int line)
{
    json_t *e = jparse(expected);
    bool same = actual && json_equal(actual, e);

    if (!same) {
        char *a = actual ? json_dumps(actual, JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
        char *x = json_dumps(e, JSON_SORT_KEYS | JSON_ENCODE_ANY);
        print_error("%s:%d: JSON differs\n  actual:   %s\n  expected: %s\n", file, line,
                    a ? a : "(null)", x ? x : "(null)");
        free(a);
        free(x);
    }
    json_decref(e);
    if (!same)
        fail();
}

void assert_error_is(const struct scim_error *err, int status, const char *scim_type,
                     const char *file, int line)
{
    bool ok = err->status == status &&
              ((!scim_type && !err->scim_type) ||
               (scim_type && err->scim_type && strcmp(scim_type, err->scim_type) == 0));
    if (!ok) {
        print_error("%s:%d: expected error %d %s, got %d %s: %s\n", file, line, status,
                    scim_type ? scim_type : "(none)", err->status,
                    err->scim_type ? err->scim_type : "(none)", err->detail);
        fail();
    }
    if (err->detail[0] == '\0') {
        print_error("%s:%d: error without detail\n", file, line);
        fail();
    }
}

json_t *jget(const json_t *obj, const char *dotted)
{
    char buf[512];
    json_t *cur = (json_t *)obj;

    snprintf(buf, sizeof(buf), "%s", dotted);
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur;
         tok = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, tok);
    return cur;
}
