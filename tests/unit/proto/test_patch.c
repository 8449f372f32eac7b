/* SPDX-License-Identifier: MIT */
/* PATCH: every RFC 7644 §3.5.2 form, the Entra and Okta dialects, and each error. */
#include "proto_test_util.h"

#include <stdio.h>
#include <string.h>

#include "patch.h"
#include "validate.h"

#define ENT SCIM_URN_ENTERPRISE_USER
#define LNX SCIM_URN_LINUX_USER
/* A real key: sshPublicKeys values must be plain public keys (ssh_key.h). */
#define ED_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN080GsNXQsWRjbanLGtuDSaXS06lcnlUtP7QA1zfFo2"
#define OPS(...) "{\"schemas\": [\"" SCIM_URN_PATCH_OP "\"], \"Operations\": [" __VA_ARGS__ "]}"

static json_t *load(const char *fixture_or_json)
{
    if (fixture_or_json[0] == '{' || fixture_or_json[0] == '[')
        return jparse(fixture_or_json);
    return fixture(fixture_or_json);
}

/* Applies body (JSON text or a fixture name) and returns the patched resource. */
static json_t *patch_ok(const struct scim_resource_type *rt, const char *resource,
                        const char *body)
{
    struct scim_error err = {0};
    json_t *res = load(resource), *req = load(body);

    if (scim_patch_apply(res, req, rt, &err) != 0) {
        print_error("PATCH %s failed: %d %s: %s\n", body, err.status,
                    err.scim_type ? err.scim_type : "-", err.detail);
        fail();
    }
    json_decref(req);
    return res;
}

/* The PATCH fails with status/scim_type, a detail containing needle, and res unchanged. */
static void patch_fails(const struct scim_resource_type *rt, const char *resource,
                        const char *body, int status, const char *scim_type, const char *needle)
{
    struct scim_error err = {0};
    json_t *res = load(resource), *req = load(body), *before = json_deep_copy(res);

    if (scim_patch_apply(res, req, rt, &err) == 0) {
        print_error("PATCH %s succeeded but should fail\n", body);
        fail();
    }
    assert_scim_error(&err, status, scim_type);
    if (needle && !strstr(err.detail, needle)) {
        print_error("detail '%s' lacks '%s'\n", err.detail, needle);
        fail();
    }
    assert_true(json_equal(res, before));
    json_decref(before);
    json_decref(req);
    json_decref(res);
}

static json_t *valid_user(const char *name)
{
    struct scim_error err = {0};
    json_t *u = fixture(name);
    assert_int_equal(scim_resource_validate(u, &scim_rt_user, SCIM_WRITE_CREATE, &err), 0);
    return u;
}

static json_t *apply_to(json_t *res, const struct scim_resource_type *rt, const char *body)
{
    struct scim_error err = {0};
    json_t *req = load(body);
    if (scim_patch_apply(res, req, rt, &err) != 0) {
        print_error("PATCH %s failed: %s\n", body, err.detail);
        fail();
    }
    json_decref(req);
    return res;
}

/* ---- RFC 7644 forms ---- */

static void test_rfc_add(void **state)
{
    (void)state;
    json_t *u = patch_ok(&scim_rt_user, "user_full.json",
                         OPS("{\"op\": \"add\", \"value\": {\"emails\": [{\"value\": "
                             "\"babs@jensen.org\", \"type\": \"home\"}], \"nickName\": \"Barbie\"}}"));
    /* the home email already existed: merged, not duplicated */
    assert_int_equal(json_array_size(json_object_get(u, "emails")), 2);
    assert_string_equal(json_string_value(json_object_get(u, "nickName")), "Barbie");
    json_decref(u);

    u = patch_ok(&scim_rt_user, "user_full.json",
                 OPS("{\"op\": \"add\", \"path\": \"emails\", \"value\": [{\"value\": "
                     "\"new@example.com\", \"type\": \"other\"}]},"
                     "{\"op\": \"add\", \"path\": \"title\", \"value\": \"Chief\"},"
                     "{\"op\": \"add\", \"path\": \"name.middleName\", \"value\": \"J\"}"));
    assert_int_equal(json_array_size(json_object_get(u, "emails")), 3);
    assert_json(json_array_get(json_object_get(u, "emails"), 2),
                "{\"value\": \"new@example.com\", \"type\": \"other\"}");
    assert_string_equal(json_string_value(json_object_get(u, "title")), "Chief");
    assert_string_equal(json_string_value(jget(u, "name.middleName")), "J");
    assert_string_equal(json_string_value(jget(u, "name.givenName")), "Barbara");
    json_decref(u);

    /* add of a single object to a multi-valued attribute, and to an absent attribute */
    u = patch_ok(&scim_rt_user, "{\"userName\": \"a\"}",
                 OPS("{\"op\": \"add\", \"path\": \"phoneNumbers\", \"value\": "
                     "{\"value\": \"555\", \"type\": \"work\"}}"));
    assert_json(json_object_get(u, "phoneNumbers"), "[{\"value\": \"555\", \"type\": \"work\"}]");
    json_decref(u);
}

static void test_rfc_group_members(void **state)
{
    (void)state;
    json_t *g = patch_ok(&scim_rt_group, "group_sample.json",
                         OPS("{\"op\": \"add\", \"path\": \"members\", \"value\": [{\"display\": "
                             "\"Babs Jensen\", \"$ref\": \"https://example.com/v2/Users/2819c223-"
                             "7f76-453a-919d-413861904646\", \"value\": \"2819c223-7f76-453a-919d-"
                             "413861904646\"}]}"));
    assert_int_equal(json_array_size(json_object_get(g, "members")), 2);
    json_decref(g);

    g = patch_ok(&scim_rt_group, "group_sample.json",
                 OPS("{\"op\": \"remove\", \"path\": \"members\"}"));
    assert_null(json_object_get(g, "members"));
    assert_string_equal(json_string_value(json_object_get(g, "displayName")), "Tour Guides");
    json_decref(g);

    g = patch_ok(&scim_rt_group, "group_sample.json",
                 OPS("{\"op\": \"remove\", \"path\": \"members[value eq \\\"2819c223-7f76-453a-"
                     "919d-413861904646\\\"]\"}"));
    assert_json(json_object_get(g, "members"),
                "[{\"value\": \"902c246b-6245-4190-8e05-00816be7344a\","
                " \"display\": \"Mandy Pepperidge\", \"type\": \"User\"}]");
    json_decref(g);

    /* removing the last member drops the attribute */
    g = patch_ok(&scim_rt_group, "group_sample.json",
                 OPS("{\"op\": \"remove\", \"path\": \"members[type eq \\\"User\\\"]\"}"));
    assert_null(json_object_get(g, "members"));
    json_decref(g);
}

static void test_rfc_replace(void **state)
{
    (void)state;
    json_t *u = patch_ok(&scim_rt_user, "user_full.json",
                         OPS("{\"op\": \"replace\", \"value\": {\"emails\": [{\"value\": "
                             "\"only@example.com\", \"type\": \"work\", \"primary\": true}],"
                             " \"nickName\": \"Babs\"}}"));
    assert_json(json_object_get(u, "emails"),
                "[{\"value\": \"only@example.com\", \"type\": \"work\", \"primary\": true}]");
    json_decref(u);

    u = patch_ok(&scim_rt_user, "user_full.json",
                 OPS("{\"op\": \"replace\", \"path\": \"addresses[type eq \\\"work\\\"]\","
                     " \"value\": {\"type\": \"work\", \"streetAddress\": \"911 Universal City "
                     "Plaza\", \"postalCode\": \"91608\"}},"
                     "{\"op\": \"replace\", \"path\": \"addresses[type eq \\\"work\\\"].locality\","
                     " \"value\": \"Burbank\"}"));
    const json_t *addr = json_array_get(json_object_get(u, "addresses"), 0);
    assert_string_equal(json_string_value(json_object_get(addr, "streetAddress")),
                        "911 Universal City Plaza");
    assert_string_equal(json_string_value(json_object_get(addr, "locality")), "Burbank");
    assert_string_equal(json_string_value(json_object_get(addr, "region")), "CA");
    json_decref(u);

    /* replace of a complex attribute merges its sub-attributes */
    u = patch_ok(&scim_rt_user, "user_full.json",
                 OPS("{\"op\": \"replace\", \"path\": \"name\", \"value\": {\"givenName\": \"Barb\"}}"));
    assert_string_equal(json_string_value(jget(u, "name.givenName")), "Barb");
    assert_string_equal(json_string_value(jget(u, "name.familyName")), "Jensen");
    json_decref(u);

    /* replace with null unassigns */
    u = patch_ok(&scim_rt_user, "user_full.json",
                 OPS("{\"op\": \"replace\", \"path\": \"nickName\", \"value\": null},"
                     "{\"op\": \"replace\", \"path\": \"emails\", \"value\": []}"));
    assert_null(json_object_get(u, "nickName"));
    assert_null(json_object_get(u, "emails"));
    json_decref(u);
}

static void test_rfc_remove(void **state)
{
    (void)state;
    json_t *u = patch_ok(&scim_rt_user, "user_full.json",
                         OPS("{\"op\": \"remove\", \"path\": \"name.givenName\"},"
                             "{\"op\": \"remove\", \"path\": \"emails[type eq \\\"home\\\"]\"},"
                             "{\"op\": \"remove\", \"path\": \"phoneNumbers[type eq \\\"work\\\"].type\"},"
                             "{\"op\": \"remove\", \"path\": \"x509Certificates\"},"
                             "{\"op\": \"remove\", \"path\": \"ims.type\"},"
                             "{\"op\": \"remove\", \"path\": \"" ENT ":manager\"}"));
    assert_null(jget(u, "name.givenName"));
    assert_string_equal(json_string_value(jget(u, "name.familyName")), "Jensen");
    assert_json(json_object_get(u, "emails"),
                "[{\"value\": \"bjensen@example.com\", \"type\": \"work\", \"primary\": true}]");
    assert_json(json_object_get(u, "phoneNumbers"),
                "[{\"value\": \"555-555-5555\"}, {\"value\": \"555-555-4444\", \"type\": \"mobile\"}]");
    assert_json(json_object_get(u, "ims"), "[{\"value\": \"someaimhandle\"}]");
    assert_null(json_object_get(json_object_get(u, ENT), "manager"));
    assert_non_null(json_object_get(json_object_get(u, ENT), "department"));
    json_decref(u);

    /* removing every sub-attribute of name removes name */
    u = patch_ok(&scim_rt_user, "{\"userName\": \"a\", \"name\": {\"givenName\": \"A\"}}",
                 OPS("{\"op\": \"remove\", \"path\": \"name.givenName\"}"));
    assert_json(u, "{\"schemas\": [\"" SCIM_URN_USER "\"], \"userName\": \"a\"}");
    json_decref(u);

    /* unassigning a sub-attribute of an absent multi-valued attribute leaves nothing behind */
    u = patch_ok(&scim_rt_user, "{\"userName\": \"a\"}",
                 OPS("{\"op\": \"replace\", \"path\": \"emails.value\", \"value\": null},"
                     "{\"op\": \"replace\", \"path\": \"name.givenName\", \"value\": null}"));
    assert_json(u, "{\"schemas\": [\"" SCIM_URN_USER "\"], \"userName\": \"a\"}");
    json_decref(u);

    /* a filter on a single complex attribute selects it or nothing */
    u = patch_ok(&scim_rt_user, "user_full.json",
                 OPS("{\"op\": \"replace\", \"path\": \"name[givenName eq \\\"barbara\\\"].middleName\","
                     " \"value\": \"x\"}"));
    assert_string_equal(json_string_value(jget(u, "name.middleName")), "x");
    assert_string_equal(json_string_value(jget(u, "name.familyName")), "Jensen");
    json_decref(u);
}

/* ---- Microsoft Entra ID ---- */

static void test_entra_user_updates(void **state)
{
    (void)state;
    json_t *u = valid_user("entra_create_user.json");
    apply_to(u, &scim_rt_user, "entra_patch_user_multi.json");
    assert_json(json_object_get(u, "emails"),
                "[{\"primary\": true, \"type\": \"work\", \"value\": \"updatedEmail@microsoft.com\"}]");
    assert_string_equal(json_string_value(jget(u, "name.familyName")), "updatedFamilyName");

    apply_to(u, &scim_rt_user, "entra_patch_user_single.json");
    assert_string_equal(json_string_value(json_object_get(u, "userName")),
                        "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com");

    apply_to(u, &scim_rt_user, "entra_patch_disable.json");
    assert_true(json_is_false(json_object_get(u, "active")));
    apply_to(u, &scim_rt_user, OPS("{\"op\": \"Replace\", \"path\": \"active\", \"value\": \"True\"}"));
    assert_true(json_is_true(json_object_get(u, "active")));
    json_decref(u);
}

static void test_entra_creates_missing_elements(void **state)
{
    (void)state;
    /* a user with neither roles nor emails: the filtered paths create the elements */
    json_t *u = patch_ok(&scim_rt_user, "{\"userName\": \"joe\"}", "entra_patch_role.json");
    assert_json(u, "{\"schemas\": [\"" SCIM_URN_USER "\"], \"userName\": \"joe\","
                   " \"roles\": [{\"primary\": true, \"value\": \"Administrator\"}],"
                   " \"emails\": [{\"type\": \"work\", \"value\": \"joe@contoso.com\"}],"
                   " \"title\": \"tester\"}");
    /* sent again, the same paths now update the existing elements */
    apply_to(u, &scim_rt_user,
             OPS("{\"op\": \"Replace\", \"path\": \"roles[primary eq \\\"True\\\"].value\","
                 " \"value\": \"Reader\"},"
                 "{\"op\": \"Add\", \"path\": \"emails[type eq \\\"work\\\"].value\","
                 " \"value\": \"joe2@contoso.com\"}"));
    assert_json(json_object_get(u, "roles"), "[{\"primary\": true, \"value\": \"Reader\"}]");
    assert_json(json_object_get(u, "emails"), "[{\"type\": \"work\", \"value\": \"joe2@contoso.com\"}]");
    json_decref(u);

    /* a user with a home email only gets a second, work, element */
    u = patch_ok(&scim_rt_user, "{\"userName\": \"a\", \"emails\": [{\"type\": \"home\","
                                " \"value\": \"h@x\"}]}",
                 OPS("{\"op\": \"replace\", \"path\": \"EMAILS[TYPE EQ \\\"work\\\"].VALUE\","
                     " \"value\": \"w@x\"}"));
    assert_json(json_object_get(u, "emails"),
                "[{\"type\": \"home\", \"value\": \"h@x\"}, {\"type\": \"work\", \"value\": \"w@x\"}]");
    json_decref(u);

    /* creating a primary element clears the other primaries */
    u = patch_ok(&scim_rt_user, "{\"userName\": \"a\", \"roles\": [{\"value\": \"old\","
                                " \"primary\": true, \"type\": \"x\"}]}",
                 OPS("{\"op\": \"add\", \"path\": \"roles[type eq \\\"y\\\" and primary eq true]"
                     ".value\", \"value\": \"new\"}"));
    assert_json(json_object_get(u, "roles"),
                "[{\"value\": \"old\", \"primary\": false, \"type\": \"x\"},"
                " {\"type\": \"y\", \"primary\": true, \"value\": \"new\"}]");
    json_decref(u);
}

static void test_entra_members(void **state)
{
    (void)state;
    json_t *g = patch_ok(&scim_rt_group, "group_sample.json", "entra_patch_add_member.json");
    const json_t *members = json_object_get(g, "members");
    assert_int_equal(json_array_size(members), 3);
    assert_json(json_array_get(members, 2), "{\"value\": \"f648f8d5ea4e4cd38e9c\"}");
    apply_to(g, &scim_rt_group, "entra_patch_add_member.json"); /* again: no duplicate */
    assert_int_equal(json_array_size(json_object_get(g, "members")), 3);

    apply_to(g, &scim_rt_group, "entra_patch_remove_member.json");
    members = json_object_get(g, "members");
    assert_int_equal(json_array_size(members), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(members, 0), "value")),
                        "2819c223-7f76-453a-919d-413861904646");
    assert_string_equal(json_string_value(json_object_get(json_array_get(members, 1), "value")),
                        "f648f8d5ea4e4cd38e9c");
    /* removing members that are not there changes nothing and is not an error */
    apply_to(g, &scim_rt_group, "entra_patch_remove_member.json");
    assert_int_equal(json_array_size(json_object_get(g, "members")), 2);
    apply_to(g, &scim_rt_group,
             OPS("{\"op\": \"Remove\", \"path\": \"members\", \"value\": [{\"value\": "
                 "\"2819c223-7f76-453a-919d-413861904646\"}, {\"value\": \"f648f8d5ea4e4cd38e9c\"}]}"));
    assert_null(json_object_get(g, "members"));
    json_decref(g);

    /* the value may also be one object or a bare id; an empty list removes nothing */
    g = patch_ok(&scim_rt_group, "group_sample.json",
                 OPS("{\"op\": \"remove\", \"path\": \"members\", \"value\": {\"value\": "
                     "\"2819c223-7f76-453a-919d-413861904646\"}},"
                     "{\"op\": \"remove\", \"path\": \"members\", \"value\": []}"));
    assert_int_equal(json_array_size(json_object_get(g, "members")), 1);
    apply_to(g, &scim_rt_group,
             OPS("{\"op\": \"remove\", \"path\": \"members\", \"value\": "
                 "\"902c246b-6245-4190-8e05-00816be7344a\"}"));
    assert_null(json_object_get(g, "members"));
    json_decref(g);
}

static void test_entra_extension_and_dialects(void **state)
{
    (void)state;
    json_t *u = patch_ok(&scim_rt_user, "{\"userName\": \"a\", \"name\": {\"givenName\": \"A\","
                                        " \"familyName\": \"F\"}}",
                         "entra_patch_enterprise.json");
    assert_json(u, "{\"schemas\": [\"" SCIM_URN_USER "\", \"" ENT "\"], \"userName\": \"a\","
                   " \"name\": {\"givenName\": \"Barb\", \"familyName\": \"F\"},"
                   " \"nickName\": \"B\", \"" ENT "\": {\"department\": \"Finance\","
                   " \"manager\": {\"value\": \"26118915-6090-4610-87e4-49d8ca9f808d\"},"
                   " \"employeeNumber\": \"12345\"}}");
    json_decref(u);

    /* pre-2020 Entra: single values wrapped in [{"value": ...}] */
    u = patch_ok(&scim_rt_user, "{\"userName\": \"a\"}",
                 OPS("{\"op\": \"Add\", \"path\": \"nickName\", \"value\": [{\"value\": \"Babs\"}]},"
                     "{\"op\": \"Replace\", \"path\": \"active\", \"value\": [{\"value\": \"False\"}]}"));
    assert_string_equal(json_string_value(json_object_get(u, "nickName")), "Babs");
    assert_true(json_is_false(json_object_get(u, "active")));
    json_decref(u);

    /* value-path keys in a no-path value; unparseable ones are ignored like unknown names */
    u = patch_ok(&scim_rt_user, "{\"userName\": \"a\"}",
                 OPS("{\"op\": \"Replace\", \"value\": {\"emails[type eq \\\"work\\\"].value\":"
                     " \"w@x\", \"roles[primary eq \\\"True\\\"].value\": \"R\","
                     " \"groups[value eq \\\"g\\\"].display\": \"ignored\","
                     " \"emails[bogus\": \"ignored\"}}"));
    assert_json(u, "{\"schemas\": [\"" SCIM_URN_USER "\"], \"userName\": \"a\","
                   " \"emails\": [{\"type\": \"work\", \"value\": \"w@x\"}],"
                   " \"roles\": [{\"primary\": true, \"value\": \"R\"}]}");
    json_decref(u);

    /* op, key and attribute names in any case */
    u = patch_ok(&scim_rt_user, "{\"userName\": \"a\"}",
                 "{\"SCHEMAS\": [\"urn:ietf:params:scim:api:messages:2.0:patchop\"],"
                 " \"operations\": [{\"OP\": \"ADD\", \"Path\": \"DisplayName\", \"Value\": \"A\"},"
                 " {\"op\": \"rePlace\", \"value\": {\"TITLE\": \"T\", \"name.GIVENNAME\": \"G\"}}]}");
    assert_json(u, "{\"schemas\": [\"" SCIM_URN_USER "\"], \"userName\": \"a\","
                   " \"displayName\": \"A\", \"title\": \"T\", \"name\": {\"givenName\": \"G\"}}");
    json_decref(u);
}

/* ---- Okta ---- */

static void test_okta(void **state)
{
    (void)state;
    json_t *u = valid_user("okta_create_user.json");
    apply_to(u, &scim_rt_user, "okta_patch_deactivate.json");
    assert_true(json_is_false(json_object_get(u, "active")));
    json_decref(u);

    json_t *g = patch_ok(&scim_rt_group, "group_sample.json", "okta_group_rename.json");
    assert_string_equal(json_string_value(json_object_get(g, "displayName")), "Test SCIMv2");
    assert_string_equal(json_string_value(json_object_get(g, "id")),
                        "e9e30dba-f08f-4109-8486-d5c6a331660a");
    json_decref(g);

    /* a different id in the body is ignored too: ids are the server's */
    g = patch_ok(&scim_rt_group, "group_sample.json",
                 OPS("{\"op\": \"replace\", \"value\": {\"id\": \"other\", \"displayName\": \"X\","
                     " \"meta\": {\"version\": \"1\"}}}"));
    assert_string_equal(json_string_value(json_object_get(g, "id")),
                        "e9e30dba-f08f-4109-8486-d5c6a331660a");
    json_decref(g);

    g = patch_ok(&scim_rt_group, "group_sample.json", "okta_group_add_members.json");
    assert_int_equal(json_array_size(json_object_get(g, "members")), 3);
    apply_to(g, &scim_rt_group, "okta_group_remove_member.json");
    assert_int_equal(json_array_size(json_object_get(g, "members")), 2);
    json_decref(g);

    /* re-adding a member with another type spelling neither duplicates nor fails; the
     * immutable type is kept, a missing $ref is filled in */
    g = patch_ok(&scim_rt_group, "group_sample.json",
                 OPS("{\"op\": \"add\", \"path\": \"members\", \"value\": [{\"value\": "
                     "\"902c246b-6245-4190-8e05-00816be7344a\", \"type\": \"user\", \"$ref\": "
                     "\"https://idp.example/Users/902c246b\", \"display\": \"Mandy P\"}]}"));
    assert_json(json_array_get(json_object_get(g, "members"), 1),
                "{\"value\": \"902c246b-6245-4190-8e05-00816be7344a\", \"display\": \"Mandy P\","
                " \"type\": \"User\", \"$ref\": \"https://idp.example/Users/902c246b\"}");
    assert_int_equal(json_array_size(json_object_get(g, "members")), 2);
    json_decref(g);

    g = patch_ok(&scim_rt_group, "group_sample.json", "okta_group_replace_members.json");
    assert_json(json_object_get(g, "members"),
                "[{\"value\": \"23a35c27-23d3-4c03-b4c5-6443c09e7173\", \"display\": "
                "\"test.user@okta.local\"}, {\"value\": \"89bb1940-b905-4575-9e7f-6f887cfb368e\","
                " \"display\": \"test.user2@okta.local\"}]");
    json_decref(g);

    g = patch_ok(&scim_rt_group, "group_sample.json", "okta_group_swap_members.json");
    assert_json(json_object_get(g, "members"),
                "[{\"value\": \"2819c223-7f76-453a-919d-413861904646\", \"display\": \"Babs Jensen\","
                " \"type\": \"User\"}, {\"value\": \"89bb1940-b905-4575-9e7f-6f887cfb368e\","
                " \"display\": \"test.user2@okta.local\"}]");
    json_decref(g);
}

/* ---- primary, extensions ---- */

static void test_primary(void **state)
{
    (void)state;
    json_t *u = patch_ok(&scim_rt_user, "user_full.json",
                         OPS("{\"op\": \"add\", \"path\": \"emails\", \"value\": [{\"value\": "
                             "\"new@example.com\", \"primary\": true}]}"));
    const json_t *emails = json_object_get(u, "emails");
    assert_true(json_is_false(json_object_get(json_array_get(emails, 0), "primary")));
    assert_true(json_is_true(json_object_get(json_array_get(emails, 2), "primary")));
    json_decref(u);

    u = patch_ok(&scim_rt_user, "user_full.json",
                 OPS("{\"op\": \"replace\", \"path\": \"emails[type eq \\\"home\\\"].primary\","
                     " \"value\": \"True\"}"));
    emails = json_object_get(u, "emails");
    assert_true(json_is_false(json_object_get(json_array_get(emails, 0), "primary")));
    assert_true(json_is_true(json_object_get(json_array_get(emails, 1), "primary")));
    json_decref(u);

    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"add\", \"path\": \"emails\", \"value\": [{\"value\": \"a\","
                    " \"primary\": true}, {\"value\": \"b\", \"primary\": true}]}"),
                400, "invalidValue", "primary");
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"replace\", \"path\": \"emails.primary\", \"value\": true}"),
                400, "invalidValue", "primary");
}

static void test_extensions(void **state)
{
    (void)state;
    json_t *u = patch_ok(&scim_rt_user, "user_full.json",
                         OPS("{\"op\": \"remove\", \"path\": \"" ENT "\"}"));
    assert_null(json_object_get(u, ENT));
    assert_json(json_object_get(u, "schemas"), "[\"" SCIM_URN_USER "\", \"" LNX "\"]");
    json_decref(u);

    u = patch_ok(&scim_rt_user, "{\"userName\": \"a\"}",
                 OPS("{\"op\": \"add\", \"path\": \"" ENT "\", \"value\": {\"department\": \"D\"}},"
                     "{\"op\": \"add\", \"path\": \"" LNX ":sshPublicKeys\", \"value\": "
                     "[{\"value\": \"" ED_KEY " a@b\"}]},"
                     "{\"op\": \"replace\", \"value\": {\"" LNX "\": {\"uidNumber\": 1879048300}}}"));
    assert_json(u, "{\"schemas\": [\"" SCIM_URN_USER "\", \"" ENT "\", \"" LNX "\"],"
                   " \"userName\": \"a\", \"" ENT "\": {\"department\": \"D\"},"
                   " \"" LNX "\": {\"sshPublicKeys\": [{\"value\": \"" ED_KEY " a@b\"}],"
                   " \"uidNumber\": 1879048300}}");
    /* removing the last attribute of an extension removes it from schemas too */
    apply_to(u, &scim_rt_user, OPS("{\"op\": \"remove\", \"path\": \"department\"}"));
    assert_null(json_object_get(u, ENT));
    assert_json(json_object_get(u, "schemas"), "[\"" SCIM_URN_USER "\", \"" LNX "\"]");
    json_decref(u);
}

/* ---- errors ---- */

static void test_structure_errors(void **state)
{
    (void)state;
    const char *u = "{\"userName\": \"a\"}";
    patch_fails(&scim_rt_user, u, "{\"schemas\": [\"" SCIM_URN_PATCH_OP "\"]}", 400,
                "invalidSyntax", "Operations");
    patch_fails(&scim_rt_user, u, OPS(), 400, "invalidSyntax", "Operations");
    patch_fails(&scim_rt_user, u,
                "{\"schemas\": [\"" SCIM_URN_PATCH_OP "\"], \"Operations\": {\"op\": \"add\"}}",
                400, "invalidSyntax", "Operations");
    patch_fails(&scim_rt_user, u, "{\"Operations\": [{\"op\": \"add\", \"path\": \"title\","
                                  " \"value\": \"x\"}]}", 400, "invalidSyntax", "schemas");
    patch_fails(&scim_rt_user, u, "{\"schemas\": [\"" SCIM_URN_USER "\"], \"Operations\": "
                                  "[{\"op\": \"add\", \"path\": \"title\", \"value\": \"x\"}]}",
                400, "invalidSyntax", "schemas");
    patch_fails(&scim_rt_user, u, "{\"schemas\": \"" SCIM_URN_PATCH_OP "\", \"Operations\": "
                                  "[{\"op\": \"add\", \"path\": \"title\", \"value\": \"x\"}]}",
                400, "invalidSyntax", "schemas");
    patch_fails(&scim_rt_user, u, "[]", 400, "invalidSyntax", NULL);
    patch_fails(&scim_rt_user, u, OPS("\"add\""), 400, "invalidSyntax", "Operations[0]");
    patch_fails(&scim_rt_user, u, OPS("{\"op\": \"move\", \"path\": \"title\"}"), 400,
                "invalidSyntax", "move");
    patch_fails(&scim_rt_user, u, OPS("{\"path\": \"title\", \"value\": \"x\"}"), 400,
                "invalidSyntax", "op");
    patch_fails(&scim_rt_user, u, OPS("{\"op\": 1, \"path\": \"title\", \"value\": \"x\"}"), 400,
                "invalidSyntax", "op");
    patch_fails(&scim_rt_user, u, OPS("{\"op\": \"add\", \"path\": \"title\"}"), 400,
                "invalidSyntax", "value");
    patch_fails(&scim_rt_user, u, OPS("{\"op\": \"replace\"}"), 400, "invalidSyntax", "value");
    patch_fails(&scim_rt_user, u, OPS("{\"op\": \"remove\"}"), 400, "noTarget", "path");
    patch_fails(&scim_rt_user, u, OPS("{\"op\": \"remove\", \"value\": {\"title\": \"x\"}}"), 400,
                "noTarget", NULL);
}

static void test_path_errors(void **state)
{
    (void)state;
    static const char *const bad_paths[] = {
        "nope", "name.nope", "userName.x", "emails[type eq \\\"work\\\"].nope",
        "userName[type eq \\\"x\\\"]", "emails[type eq \\\"work\\\"", "emails[type eq \\\"work\\\"]x",
        "emails[type eq \\\"work\\\"].", "", "   ", "name.givenName[value eq \\\"x\\\"]",
        "urn:bogus:x", ENT ":nope", "emails.value[type eq \\\"x\\\"]",
    };
    for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
        char body[512];
        snprintf(body, sizeof(body),
                 OPS("{\"op\": \"replace\", \"path\": \"%s\", \"value\": \"x\"}"), bad_paths[i]);
        patch_fails(&scim_rt_user, "user_full.json", body, 400, "invalidPath", "path");
    }
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"replace\", \"path\": 5, \"value\": \"x\"}"), 400, "invalidPath",
                "path");
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"replace\", \"path\": \"title\\u0000x\", \"value\": \"x\"}"), 400,
                "invalidPath", "path");
    /* bad filters inside a path */
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"replace\", \"path\": \"emails[type eqq \\\"work\\\"].value\","
                    " \"value\": \"x\"}"), 400, "invalidFilter", "unknown operator");
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"remove\", \"path\": \"emails[nope eq \\\"x\\\"]\"}"), 400,
                "invalidFilter", "nope");
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"remove\", \"path\": \"emails[type eq \\\"x]\\\"\"}"), 400,
                "invalidPath", NULL);
    patch_fails(&scim_rt_group, "group_sample.json",
                OPS("{\"op\": \"add\", \"path\": \"userName\", \"value\": \"x\"}"), 400,
                "invalidPath", "userName");
}

static void test_mutability_errors(void **state)
{
    (void)state;
    static const char *const read_only[] = {"id", "meta", "meta.created", "groups",
                                            "groups[value eq \\\"x\\\"].display",
                                            ENT ":manager.displayName"};
    for (size_t i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++) {
        char body[512];
        static const char *const ops[] = {"add", "replace", "remove"};
        for (size_t j = 0; j < 3; j++) {
            snprintf(body, sizeof(body),
                     OPS("{\"op\": \"%s\", \"path\": \"%s\", \"value\": \"x\"}"), ops[j],
                     read_only[i]);
            patch_fails(&scim_rt_user, "user_full.json", body, 400, "mutability", "readOnly");
        }
    }
    /* required attributes cannot be removed */
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"remove\", \"path\": \"userName\"}"), 400, "mutability",
                "required");
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"replace\", \"path\": \"userName\", \"value\": null}"), 400,
                "mutability", "required");
    patch_fails(&scim_rt_group, "group_sample.json",
                OPS("{\"op\": \"remove\", \"path\": \"displayName\"}"), 400, "mutability",
                "required");
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"remove\", \"path\": \"sshPublicKeys[primary eq true].value\"}"),
                400, "mutability", "required");
    /* a member's value is immutable */
    patch_fails(&scim_rt_group, "group_sample.json",
                OPS("{\"op\": \"replace\", \"path\": \"members[value eq \\\"2819c223-7f76-453a-"
                    "919d-413861904646\\\"].value\", \"value\": \"someone-else\"}"),
                400, "mutability", "immutable");
    patch_fails(&scim_rt_group, "group_sample.json",
                OPS("{\"op\": \"replace\", \"path\": \"members[display eq \\\"Babs Jensen\\\"]\","
                    " \"value\": {\"value\": \"someone-else\"}}"),
                400, "mutability", "immutable");
    /* ...but its display name may change */
    json_t *g = patch_ok(&scim_rt_group, "group_sample.json",
                         OPS("{\"op\": \"replace\", \"path\": \"members[value eq \\\"2819c223-"
                             "7f76-453a-919d-413861904646\\\"].display\", \"value\": \"Barbara\"}"));
    assert_string_equal(json_string_value(jget(json_array_get(json_object_get(g, "members"), 0),
                                               "display")), "Barbara");
    json_decref(g);
}

static void test_no_target_and_value_errors(void **state)
{
    (void)state;
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"replace\", \"path\": \"emails[type eq \\\"other\\\"]\","
                    " \"value\": {\"value\": \"x\"}}"), 400, "noTarget", "emails");
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"remove\", \"path\": \"emails[type eq \\\"other\\\"]\"}"), 400,
                "noTarget", "emails");
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"remove\", \"path\": \"roles[value eq \\\"nope\\\"].display\"}"),
                400, "noTarget", NULL);
    /* a filter that does not describe one element cannot create it */
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"replace\", \"path\": \"emails[value co \\\"nobody\\\"].type\","
                    " \"value\": \"work\"}"), 400, "noTarget", NULL);
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"add\", \"path\": \"emails[type eq \\\"a\\\" or type eq \\\"b\\\"]"
                    ".value\", \"value\": \"x\"}"), 400, "noTarget", NULL);
    patch_fails(&scim_rt_group, "group_sample.json",
                OPS("{\"op\": \"remove\", \"path\": \"members[value eq \\\"ghost\\\"]\"}"), 400,
                "noTarget", "members");
    /* a single complex value that does not match is not overwritten */
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"add\", \"path\": \"name[givenName eq \\\"Bob\\\"].familyName\","
                    " \"value\": \"Smith\"}"), 400, "noTarget", "name");

    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"replace\", \"path\": \"active\", \"value\": \"maybe\"}"), 400,
                "invalidValue", "active");
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"replace\", \"path\": \"uidNumber\", \"value\": \"1\"}"), 400,
                "invalidValue", "uidNumber");
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"add\", \"path\": \"name.givenName\", \"value\": 5}"), 400,
                "invalidValue", "name.givenName");
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"add\", \"path\": \"emails[type eq \\\"work\\\"].value\","
                    " \"value\": [\"a\", \"b\"]}"), 400, "invalidValue", NULL);
    patch_fails(&scim_rt_user, "user_full.json", OPS("{\"op\": \"add\", \"value\": \"x\"}"),
                400, "invalidValue", "object");
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"add\", \"value\": {\"" ENT "\": \"x\"}}"), 400, "invalidValue",
                ENT);
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"replace\", \"value\": {\"active\": \"nope\"}}"), 400,
                "invalidValue", "active");
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"replace\", \"path\": \"userName\", \"value\": \"  \"}"), 400,
                "invalidValue", "userName");
    patch_fails(&scim_rt_user, "user_full.json",
                OPS("{\"op\": \"add\", \"path\": \"" LNX ":sshPublicKeys\", \"value\": "
                    "[{\"display\": \"no key\"}]}"), 400, "invalidValue", "sshPublicKeys.value");
}

static void test_atomic(void **state)
{
    (void)state;
    struct scim_error err = {0};
    json_t *u = fixture("user_full.json"), *before = json_deep_copy(u);
    json_t *req = jparse(OPS("{\"op\": \"replace\", \"path\": \"title\", \"value\": \"Boss\"},"
                             "{\"op\": \"remove\", \"path\": \"emails\"},"
                             "{\"op\": \"replace\", \"path\": \"id\", \"value\": \"x\"}"));
    assert_int_equal(scim_patch_apply(u, req, &scim_rt_user, &err), -1);
    assert_scim_error(&err, 400, "mutability");
    assert_true(strncmp(err.detail, "Operations[2]: ", 15) == 0);
    assert_true(json_equal(u, before));
    json_decref(req);

    /* a NULL error pointer is allowed */
    req = jparse(OPS("{\"op\": \"remove\"}"));
    assert_int_equal(scim_patch_apply(u, req, &scim_rt_user, NULL), -1);
    assert_true(json_equal(u, before));
    json_decref(req);

    /* same object identity kept on success: callers hold the pointer */
    req = jparse(OPS("{\"op\": \"replace\", \"path\": \"title\", \"value\": \"Boss\"}"));
    json_t *same = u;
    assert_int_equal(scim_patch_apply(u, req, &scim_rt_user, &err), 0);
    assert_ptr_equal(same, u);
    assert_string_equal(json_string_value(json_object_get(u, "title")), "Boss");
    json_decref(req);
    json_decref(before);
    json_decref(u);
}

/* Large groups: membership changes stay linear (a quadratic merge of 30,000 x 30,000
 * members would run for minutes and hit the test timeout). */
static void test_large_group(void **state)
{
    (void)state;
    enum { N = 30000 };
    struct scim_error err = {0};
    json_t *g = json_pack("{s:s, s:[]}", "displayName", "big", "members");
    json_t *members = json_object_get(g, "members");
    json_t *add = json_array(), *del = json_array();
    char id[32];

    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "user-%d", i);
        json_array_append_new(members, json_pack("{s:s}", "value", id));
        /* half of the additions are already members */
        snprintf(id, sizeof(id), "user-%d", i + N / 2);
        json_array_append_new(add, json_pack("{s:s}", "value", id));
        if (i % 2 == 0) {
            snprintf(id, sizeof(id), "user-%d", i);
            json_array_append_new(del, json_pack("{s:s}", "value", id));
        }
    }
    json_t *req = json_pack("{s:[s], s:[{s:s, s:s, s:o}, {s:s, s:s, s:o}]}", "schemas",
                            SCIM_URN_PATCH_OP, "Operations", "op", "add", "path", "members",
                            "value", add, "op", "remove", "path", "members", "value", del);
    assert_non_null(req);
    assert_int_equal(scim_patch_apply(g, req, &scim_rt_group, &err), 0);
    /* N + N/2 distinct after the add, minus the N/2 even ids below N */
    members = json_object_get(g, "members");
    assert_int_equal(json_array_size(members), N);
    assert_string_equal(json_string_value(json_object_get(json_array_get(members, 0), "value")),
                        "user-1");
    json_decref(req);
    json_decref(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_add),
        cmocka_unit_test(test_rfc_group_members),
        cmocka_unit_test(test_rfc_replace),
        cmocka_unit_test(test_rfc_remove),
        cmocka_unit_test(test_entra_user_updates),
        cmocka_unit_test(test_entra_creates_missing_elements),
        cmocka_unit_test(test_entra_members),
        cmocka_unit_test(test_entra_extension_and_dialects),
        cmocka_unit_test(test_okta),
        cmocka_unit_test(test_primary),
        cmocka_unit_test(test_extensions),
        cmocka_unit_test(test_structure_errors),
        cmocka_unit_test(test_path_errors),
        cmocka_unit_test(test_mutability_errors),
        cmocka_unit_test(test_no_target_and_value_errors),
        cmocka_unit_test(test_atomic),
        cmocka_unit_test(test_large_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
