/* SPDX-License-Identifier: MIT */
/* libFuzzer target: request body -> User/Group validation and projection, as POST and PUT
 * do. The first input byte picks the projection lists; the rest is the JSON body. A body
 * that fails validation must leave the value untouched (the server then answers 400).
 * The names a valid body carries (userName, displayName, roles[].value) then go through
 * the Linux name rules, whose every accepted output must be a safe passwd/group name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "scim_names.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const projections[][2] = {
    {NULL, NULL},
    {"userName,displayName", NULL},
    {NULL, "emails,name.familyName"},
    {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "meta"},
    {"members.value,externalId", "members.display"},
    {"emails.value,roles", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"},
    {",,, ,", ","},
    {"name.", ".value"},
};

/* What docs/architecture.md promises of every name that reaches passwd/group. */
static void assert_safe_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > SCIM_NAME_MAX_DEFAULT || strchr("-+.@", name[0]) ||
        strspn(name, "0123456789") == n ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.@+-") != n)
        abort();
    if (scim_name_validate(name, 0, NULL) != 0)
        abort(); /* the rule's output fails the rule's own check */
}

static void check_names(const json_t *res)
{
    char out[SCIM_NAME_MAX_LIMIT + 1];
    const char *why = NULL;
    const char *user_name = json_string_value(json_object_get(res, "userName"));
    if (user_name) {
        if (scim_name_login_from_username(user_name, SCIM_LOGIN_LOCALPART, 0, out, sizeof(out),
                                          &why) == 0)
            assert_safe_name(out);
        if (scim_name_login_from_username(user_name, SCIM_LOGIN_USERNAME, 0, out, sizeof(out),
                                          &why) == 0)
            assert_safe_name(out);
    }
    const char *display = json_string_value(json_object_get(res, "displayName"));
    if (display && scim_name_group_from_display(display, 0, out, sizeof(out), &why) == 0)
        assert_safe_name(out);
    size_t i;
    json_t *role;
    json_array_foreach(json_object_get(res, "roles"), i, role) {
        const char *v = json_string_value(json_object_get(role, "value"));
        if (v && scim_name_group_from_display(v, 0, out, sizeof(out), &why) == 0)
            assert_safe_name(out);
    }
}

static void check(const json_t *body, const struct scim_resource_type *rt,
                  enum scim_write_mode mode, unsigned pick)
{
    json_t *res = json_deep_copy(body);
    if (!res)
        return;
    struct scim_error err;
    scim_error_clear(&err);
    if (scim_resource_validate(res, rt, mode, &err) != 0) {
        if (!json_equal(res, body))
            abort(); /* a refused body was modified */
        if (err.status != 400 || err.detail[0] == '\0')
            abort();
        goto out;
    }
    /* canonical output validates again to the same value (idempotent) */
    json_t *again = json_deep_copy(res);
    if (again) {
        if (scim_resource_validate(again, rt, mode, &err) != 0)
            abort();
        json_decref(again);
    }
    check_names(res);
    const char *const *p = projections[pick % (sizeof(projections) / sizeof(projections[0]))];
    json_t *projected = scim_resource_project(res, rt, p[0], p[1]);
    if (!projected)
        abort(); /* only NULL for non-objects or out of memory */
    json_decref(projected);
out:
    json_decref(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned pick = data[0];
    json_t *body = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    if (!body)
        return 0;
    if (json_is_object(body)) {
        check(body, &scim_rt_user, SCIM_WRITE_CREATE, pick);
        check(body, &scim_rt_user, SCIM_WRITE_REPLACE, pick);
        check(body, &scim_rt_group, SCIM_WRITE_CREATE, pick);
    }
    json_decref(body);
    return 0;
}
