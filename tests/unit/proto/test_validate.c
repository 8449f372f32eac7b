/* SPDX-License-Identifier: MIT */
/* PUT/POST body validation and canonicalisation, projection and sorting. */
#include "proto_test_util.h"

#include <string.h>

#include "validate.h"

#define ENT SCIM_URN_ENTERPRISE_USER
#define LNX SCIM_URN_LINUX_USER
/* A real key: sshPublicKeys values must be plain public keys (ssh_key.h). */
#define ED_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN080GsNXQsWRjbanLGtuDSaXS06lcnlUtP7QA1zfFo2"

/* Validates `in` and compares with `want` (JSON text). */
static void validates_to(const struct scim_resource_type *rt, const char *in, const char *want)
{
    struct scim_error err = {0};
    json_t *res = jparse(in);

    if (scim_resource_validate(res, rt, SCIM_WRITE_CREATE, &err) != 0)
        print_error("validate failed: %s\n", err.detail);
    assert_int_equal(err.status, 0);
    assert_json(res, want);
    /* canonical output is a fixed point */
    json_t *again = json_deep_copy(res);
    assert_int_equal(scim_resource_validate(again, rt, SCIM_WRITE_REPLACE, &err), 0);
    assert_true(json_equal(again, res));
    json_decref(again);
    json_decref(res);
}

/* Validation of `in` fails with 400 scim_type and a detail containing `needle`; the
 * resource is left unchanged. */
static void refuses(const struct scim_resource_type *rt, const char *in, const char *scim_type,
                    const char *needle)
{
    struct scim_error err = {0};
    json_t *res = jparse(in), *before = json_deep_copy(res);

    if (scim_resource_validate(res, rt, SCIM_WRITE_CREATE, &err) != -1) {
        print_error("accepted: %s\n", in);
        fail();
    }
    assert_scim_error(&err, 400, scim_type);
    if (!strstr(err.detail, needle))
        print_error("detail '%s' lacks '%s'\n", err.detail, needle);
    assert_non_null(strstr(err.detail, needle));
    assert_true(json_equal(res, before));
    json_decref(res);
    json_decref(before);
}

static void test_entra_create_user(void **state)
{
    (void)state;
    struct scim_error err = {0};
    json_t *res = fixture("entra_create_user.json");
    assert_int_equal(scim_resource_validate(res, &scim_rt_user, SCIM_WRITE_CREATE, &err), 0);
    /* meta (readOnly) dropped, empty roles unassigned, the unused extension left out */
    assert_json(res, "{\"schemas\": [\"" SCIM_URN_USER "\"],"
                     " \"externalId\": \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\","
                     " \"userName\": \"Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1\","
                     " \"active\": true,"
                     " \"emails\": [{\"primary\": true, \"type\": \"work\", \"value\":"
                     "   \"Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com\"}],"
                     " \"name\": {\"formatted\": \"givenName familyName\","
                     "   \"familyName\": \"familyName\", \"givenName\": \"givenName\"}}");
    /* "schemas" comes first in what validate builds */
    const char *first = json_object_iter_key(json_object_iter(res));
    assert_string_equal(first, "schemas");
    json_decref(res);
}

static void test_okta_create_user(void **state)
{
    (void)state;
    struct scim_error err = {0};
    json_t *res = fixture("okta_create_user.json");
    assert_int_equal(scim_resource_validate(res, &scim_rt_user, SCIM_WRITE_CREATE, &err), 0);
    assert_null(json_object_get(res, "groups"));
    assert_string_equal(json_string_value(json_object_get(res, "password")), "1mz050nq");
    assert_string_equal(json_string_value(jget(res, "name.givenName")), "Test");
    assert_true(json_is_true(json_object_get(res, "active")));
    assert_json(json_object_get(res, "schemas"), "[\"" SCIM_URN_USER "\"]");
    json_decref(res);
}

static void test_entra_create_group(void **state)
{
    (void)state;
    struct scim_error err = {0};
    json_t *res = fixture("entra_create_group.json");
    assert_int_equal(scim_resource_validate(res, &scim_rt_group, SCIM_WRITE_CREATE, &err), 0);
    assert_json(res, "{\"schemas\": [\"" SCIM_URN_GROUP "\"],"
                     " \"externalId\": \"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159\","
                     " \"displayName\": \"displayName\"}");
    json_decref(res);
}

static void test_canonical_names(void **state)
{
    (void)state;
    validates_to(&scim_rt_user,
                 "{\"USERNAME\": \"alice\", \"Name\": {\"GIVENNAME\": \"Alice\"},"
                 " \"EMAILS\": [{\"VALUE\": \"a@b.c\", \"Primary\": \"True\", \"TYPE\": \"work\"}],"
                 " \"urn:IETF:params:scim:schemas:extension:enterprise:2.0:user\":"
                 "   {\"EmployeeNumber\": \"1\", \"MANAGER\": {\"Value\": \"m1\"}},"
                 " \"id\": \"client-chosen\", \"meta\": {\"created\": \"x\"},"
                 " \"groups\": [{\"value\": \"g\"}], \"Schemas\": [\"" SCIM_URN_USER "\"]}",
                 "{\"schemas\": [\"" SCIM_URN_USER "\", \"" ENT "\"], \"userName\": \"alice\","
                 " \"name\": {\"givenName\": \"Alice\"},"
                 " \"emails\": [{\"value\": \"a@b.c\", \"primary\": true, \"type\": \"work\"}],"
                 " \"" ENT "\": {\"employeeNumber\": \"1\", \"manager\": {\"value\": \"m1\"}}}");
}

static void test_boolean_coercion(void **state)
{
    (void)state;
    validates_to(&scim_rt_user, "{\"userName\": \"a\", \"active\": \"False\"}",
                 "{\"schemas\": [\"" SCIM_URN_USER "\"], \"userName\": \"a\", \"active\": false}");
    validates_to(&scim_rt_user, "{\"userName\": \"a\", \"active\": \"TRUE\"}",
                 "{\"schemas\": [\"" SCIM_URN_USER "\"], \"userName\": \"a\", \"active\": true}");
    validates_to(&scim_rt_user,
                 "{\"userName\": \"a\", \"roles\": [{\"value\": \"r\", \"primary\": \"true\"}]}",
                 "{\"schemas\": [\"" SCIM_URN_USER "\"], \"userName\": \"a\","
                 " \"roles\": [{\"value\": \"r\", \"primary\": true}]}");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"active\": \"yes\"}", "invalidValue",
            "'active'");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"active\": 1}", "invalidValue", "boolean");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"emails\": [{\"value\": \"x\", \"primary\": 0}]}",
            "invalidValue", "'emails.primary'");
}

static void test_shapes_and_unassigned(void **state)
{
    (void)state;
    /* single value for a multi-valued attribute is wrapped; a bare scalar becomes "value" */
    validates_to(&scim_rt_user, "{\"userName\": \"a\", \"emails\": {\"value\": \"a@b\"},"
                                " \"phoneNumbers\": \"555\"}",
                 "{\"schemas\": [\"" SCIM_URN_USER "\"], \"userName\": \"a\","
                 " \"emails\": [{\"value\": \"a@b\"}], \"phoneNumbers\": [{\"value\": \"555\"}]}");
    /* null, empty arrays and empty objects mean unassigned */
    validates_to(&scim_rt_user,
                 "{\"userName\": \"a\", \"displayName\": null, \"emails\": null, \"roles\": [],"
                 " \"name\": {\"givenName\": null}, \"ims\": [null, {}],"
                 " \"" ENT "\": {}, \"" LNX "\": null}",
                 "{\"schemas\": [\"" SCIM_URN_USER "\"], \"userName\": \"a\"}");
    /* Entra's older single-value wrapping */
    validates_to(&scim_rt_user, "{\"userName\": \"a\", \"nickName\": [{\"value\": \"Babs\"}],"
                                " \"title\": [\"Boss\"]}",
                 "{\"schemas\": [\"" SCIM_URN_USER "\"], \"userName\": \"a\","
                 " \"nickName\": \"Babs\", \"title\": \"Boss\"}");
    /* Entra sends the manager as a plain id; its displayName is readOnly */
    validates_to(&scim_rt_user, "{\"userName\": \"a\", \"" ENT "\": {\"manager\": \"m-1\"}}",
                 "{\"schemas\": [\"" SCIM_URN_USER "\", \"" ENT "\"], \"userName\": \"a\","
                 " \"" ENT "\": {\"manager\": {\"value\": \"m-1\"}}}");
    validates_to(&scim_rt_user,
                 "{\"userName\": \"a\", \"" ENT "\": {\"manager\": {\"value\": \"m\","
                 " \"displayName\": \"Boss\", \"$ref\": \"../Users/m\"}}}",
                 "{\"schemas\": [\"" SCIM_URN_USER "\", \"" ENT "\"], \"userName\": \"a\","
                 " \"" ENT "\": {\"manager\": {\"value\": \"m\", \"$ref\": \"../Users/m\"}}}");
    /* unknown attributes, sub-attributes, extensions and schema URNs are dropped */
    validates_to(&scim_rt_user,
                 "{\"schemas\": [\"" SCIM_URN_USER "\", \"urn:foo:bar\"], \"userName\": \"a\","
                 " \"favouriteColour\": \"green\", \"name\": {\"givenName\": \"A\", \"x\": 1},"
                 " \"urn:foo:bar\": {\"thing\": 1}, \"urn:foo:bar:thing\": 2}",
                 "{\"schemas\": [\"" SCIM_URN_USER "\"], \"userName\": \"a\","
                 " \"name\": {\"givenName\": \"A\"}}");
    /* URN-qualified keys go where their schema says */
    validates_to(&scim_rt_user,
                 "{\"" SCIM_URN_USER ":userName\": \"a\", \"" ENT ":department\": \"Ops\","
                 " \"" LNX ":uidNumber\": 1879048200}",
                 "{\"schemas\": [\"" SCIM_URN_USER "\", \"" ENT "\", \"" LNX "\"],"
                 " \"userName\": \"a\", \"" ENT "\": {\"department\": \"Ops\"},"
                 " \"" LNX "\": {\"uidNumber\": 1879048200}}");
    validates_to(&scim_rt_user,
                 "{\"userName\": \"a\", \"employeeNumber\": \"7\", \"uidNumber\": 1879048201,"
                 " \"name.givenName\": \"dotted keys are not a body form\"}",
                 "{\"schemas\": [\"" SCIM_URN_USER "\", \"" ENT "\", \"" LNX "\"],"
                 " \"userName\": \"a\", \"" ENT "\": {\"employeeNumber\": \"7\"},"
                 " \"" LNX "\": {\"uidNumber\": 1879048201}}");
    validates_to(&scim_rt_user,
                 "{\"userName\": \"a\", \"" LNX "\": {\"sshPublicKeys\": [{\"value\": "
                 "\"" ED_KEY " k\", \"primary\": \"True\"}], \"gidNumber\": 5000},"
                 " \"x509Certificates\": [{\"value\": \"MIIDQzCCAqygAwIBAgICEAAw\\nDQYJ==\"}]}",
                 "{\"schemas\": [\"" SCIM_URN_USER "\", \"" LNX "\"], \"userName\": \"a\","
                 " \"" LNX "\": {\"sshPublicKeys\": [{\"value\": \"" ED_KEY " k\","
                 " \"primary\": true}], \"gidNumber\": 5000},"
                 " \"x509Certificates\": [{\"value\": \"MIIDQzCCAqygAwIBAgICEAAw\\nDQYJ==\"}]}");
}

static void test_bad_types(void **state)
{
    (void)state;
    refuses(&scim_rt_user, "{\"userName\": 5}", "invalidValue", "'userName'");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"displayName\": {\"x\": 1}}", "invalidValue",
            "'displayName'");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"displayName\": [\"x\", \"y\"]}",
            "invalidValue", "single-valued");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"name\": \"Alice\"}", "invalidValue",
            "'name'");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"name\": [{\"givenName\": \"A\"}]}",
            "invalidValue", "'name'");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"emails\": [[{\"value\": \"x\"}]]}",
            "invalidValue", "'emails'");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"emails\": [{\"value\": 5}]}",
            "invalidValue", "'emails.value'");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"" LNX "\": {\"uidNumber\": \"1001\"}}",
            "invalidValue", "uidNumber");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"" LNX "\": {\"uidNumber\": 1.5}}",
            "invalidValue", "an integer");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"x509Certificates\": [{\"value\": \"not "
                           "base64!\"}]}", "invalidValue", "x509Certificates.value");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"profileUrl\": false}", "invalidValue",
            "'profileUrl'");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"" ENT "\": \"x\"}", "invalidSyntax", ENT);
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"" ENT "\": [{}]}", "invalidSyntax", ENT);
    refuses(&scim_rt_user, "{\"schemas\": \"" SCIM_URN_USER "\", \"userName\": \"a\"}",
            "invalidSyntax", "schemas");
    refuses(&scim_rt_user, "{\"schemas\": [5], \"userName\": \"a\"}", "invalidSyntax", "schemas");
    refuses(&scim_rt_user, "[]", "invalidSyntax", "object");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"USERNAME\": \"b\"}", "invalidSyntax",
            "twice");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"name\": {\"givenName\": \"x\","
                           " \"GivenName\": \"y\"}}", "invalidSyntax", "name.givenName");
}

static void test_required_and_primary(void **state)
{
    (void)state;
    refuses(&scim_rt_user, "{\"displayName\": \"x\"}", "invalidValue", "'userName' is required");
    refuses(&scim_rt_user, "{\"userName\": \"\"}", "invalidValue", "userName");
    refuses(&scim_rt_user, "{\"userName\": \" \\t \"}", "invalidValue", "blank");
    refuses(&scim_rt_user, "{\"userName\": null}", "invalidValue", "userName");
    refuses(&scim_rt_group, "{\"members\": []}", "invalidValue", "'displayName' is required");
    refuses(&scim_rt_user,
            "{\"userName\": \"a\", \"emails\": [{\"value\": \"x\", \"primary\": true},"
            " {\"value\": \"y\", \"primary\": \"True\"}]}", "invalidValue", "'emails'");
    refuses(&scim_rt_user, "{\"userName\": \"a\", \"" LNX "\": {\"sshPublicKeys\": "
                           "[{\"display\": \"laptop\"}]}}", "invalidValue", "sshPublicKeys.value");
    refuses(&scim_rt_group, "{\"displayName\": \"g\", \"members\": [{\"display\": \"x\"}]}",
            "invalidValue", "'members.value' is required");
    /* one primary is fine, false ones do not count */
    validates_to(&scim_rt_user,
                 "{\"userName\": \"a\", \"emails\": [{\"value\": \"x\", \"primary\": true},"
                 " {\"value\": \"y\", \"primary\": \"False\"}]}",
                 "{\"schemas\": [\"" SCIM_URN_USER "\"], \"userName\": \"a\", \"emails\": ["
                 "{\"value\": \"x\", \"primary\": true}, {\"value\": \"y\", \"primary\": false}]}");
}

static void test_group_body(void **state)
{
    (void)state;
    validates_to(&scim_rt_group,
                 "{\"schemas\": [\"" SCIM_URN_GROUP "\"], \"displayName\": \"Ops\","
                 " \"Members\": [{\"value\": \"u1\", \"$ref\": null, \"Display\": \"Alice\"},"
                 " {\"value\": \"u2\", \"type\": \"User\"}], \"id\": \"x\","
                 " \"" ENT "\": {\"department\": \"x\"}}",
                 "{\"schemas\": [\"" SCIM_URN_GROUP "\"], \"displayName\": \"Ops\","
                 " \"members\": [{\"value\": \"u1\", \"display\": \"Alice\"},"
                 " {\"value\": \"u2\", \"type\": \"User\"}]}");
}

static void test_project(void **state)
{
    (void)state;
    json_t *user = fixture("user_full.json");
    json_object_set_new(user, "password", json_string("t1meMa$heen"));
    json_t *p;

    p = scim_resource_project(user, &scim_rt_user, "userName", NULL);
    assert_json(p, "{\"schemas\": [\"" SCIM_URN_USER "\"],"
                   " \"id\": \"2819c223-7f76-453a-919d-413861904646\","
                   " \"userName\": \"bjensen@example.com\", \"meta\": {"
                   "  \"resourceType\": \"User\", \"created\": \"2010-01-23T04:56:22Z\","
                   "  \"lastModified\": \"2011-05-13T04:42:34Z\","
                   "  \"version\": \"W/\\\"3694e05e9dff591\\\"\", \"location\": "
                   "  \"https://example.com/scim/v2/Users/2819c223-7f76-453a-919d-413861904646\"}}");
    json_decref(p);

    p = scim_resource_project(user, &scim_rt_user, " name.givenName , EMAILS.value,bogus", NULL);
    assert_json(json_object_get(p, "name"), "{\"givenName\": \"Barbara\"}");
    assert_json(json_object_get(p, "emails"),
                "[{\"value\": \"bjensen@example.com\"}, {\"value\": \"babs@jensen.org\"}]");
    assert_null(json_object_get(p, "displayName"));
    assert_non_null(json_object_get(p, "userName"));
    assert_non_null(json_object_get(p, "id"));
    assert_null(json_object_get(p, ENT));
    json_decref(p);

    p = scim_resource_project(user, &scim_rt_user, ENT ":manager.value,uidNumber", NULL);
    assert_json(json_object_get(p, ENT),
                "{\"manager\": {\"value\": \"26118915-6090-4610-87e4-49d8ca9f808d\"}}");
    assert_json(json_object_get(p, LNX), "{\"uidNumber\": 1879048200}");
    assert_json(json_object_get(p, "schemas"),
                "[\"" SCIM_URN_USER "\", \"" ENT "\", \"" LNX "\"]");
    json_decref(p);

    p = scim_resource_project(user, &scim_rt_user, ENT, NULL);
    assert_true(json_equal(json_object_get(p, ENT), json_object_get(user, ENT)));
    assert_null(json_object_get(p, LNX));
    json_decref(p);

    /* password is never returned, even when asked for */
    p = scim_resource_project(user, &scim_rt_user, "password,userName", NULL);
    assert_null(json_object_get(p, "password"));
    json_decref(p);

    /* default: everything but password */
    p = scim_resource_project(user, &scim_rt_user, NULL, NULL);
    assert_null(json_object_get(p, "password"));
    json_object_del(user, "password");
    assert_true(json_equal(p, user));
    json_decref(p);
    p = scim_resource_project(user, &scim_rt_user, "", " ");
    assert_true(json_equal(p, user));
    json_decref(p);

    p = scim_resource_project(user, &scim_rt_user, NULL, "emails,name.givenName,meta," ENT);
    assert_null(json_object_get(p, "emails"));
    assert_null(json_object_get(p, "meta"));
    assert_null(json_object_get(p, ENT));
    assert_null(jget(p, "name.givenName"));
    assert_string_equal(json_string_value(jget(p, "name.familyName")), "Jensen");
    assert_json(json_object_get(p, "schemas"), "[\"" SCIM_URN_USER "\", \"" LNX "\"]");
    json_decref(p);

    /* returned=always attributes survive exclusion */
    p = scim_resource_project(user, &scim_rt_user, NULL, "userName,id,schemas,emails.value");
    assert_non_null(json_object_get(p, "userName"));
    assert_non_null(json_object_get(p, "id"));
    assert_non_null(json_object_get(p, "schemas"));
    assert_json(json_object_get(p, "emails"),
                "[{\"type\": \"work\", \"primary\": true}, {\"type\": \"home\"}]");
    json_decref(p);

    /* value paths name their attribute; in attributes their filter keeps matching values */
    p = scim_resource_project(user, &scim_rt_user, "emails[type eq \"work\"]", NULL);
    assert_json(json_object_get(p, "emails"),
                "[{\"value\": \"bjensen@example.com\", \"type\": \"work\", \"primary\": true}]");
    assert_null(json_object_get(p, "name"));
    json_decref(p);
    p = scim_resource_project(user, &scim_rt_user, " EMAILS[type eq \"work\"].value ,nickName",
                              NULL);
    assert_json(json_object_get(p, "emails"), "[{\"value\": \"bjensen@example.com\"}]");
    assert_string_equal(json_string_value(json_object_get(p, "nickName")), "Babs");
    json_decref(p);
    p = scim_resource_project(user, &scim_rt_user,
                              "emails[type eq home or primary eq true].type,name.givenName", NULL);
    assert_json(json_object_get(p, "emails"), "[{\"type\": \"work\"}, {\"type\": \"home\"}]");
    json_decref(p);
    /* a ',' or ']' inside the brackets' quoted strings does not end the item */
    p = scim_resource_project(user, &scim_rt_user, "emails[type eq \"a,]b\"],nickName", NULL);
    assert_null(json_object_get(p, "emails"));
    assert_non_null(json_object_get(p, "nickName"));
    json_decref(p);
    /* named plainly as well: every value */
    p = scim_resource_project(user, &scim_rt_user, "emails[type eq \"work\"],emails.type", NULL);
    assert_true(json_equal(json_object_get(p, "emails"), json_object_get(user, "emails")));
    json_decref(p);
    /* a filter that does not parse leaves the attribute whole; a broken path is ignored */
    p = scim_resource_project(user, &scim_rt_user, "emails[type eq],nickName", NULL);
    assert_true(json_equal(json_object_get(p, "emails"), json_object_get(user, "emails")));
    json_decref(p);
    p = scim_resource_project(user, &scim_rt_user, "emails[type eq \"work\",nickName", NULL);
    assert_null(json_object_get(p, "emails"));
    json_decref(p);
    p = scim_resource_project(user, &scim_rt_user, "emails[type eq \"work\"]x,nickName", NULL);
    assert_null(json_object_get(p, "emails"));
    assert_non_null(json_object_get(p, "nickName"));
    json_decref(p);
    p = scim_resource_project(user, &scim_rt_user, NULL, "emails[type eq \"work\"]");
    assert_null(json_object_get(p, "emails"));
    assert_non_null(json_object_get(p, "name"));
    json_decref(p);
    p = scim_resource_project(user, &scim_rt_user, NULL, "emails[type eq \"work\"].value");
    assert_json(json_object_get(p, "emails"),
                "[{\"type\": \"work\", \"primary\": true}, {\"type\": \"home\"}]");
    json_decref(p);
    json_decref(user);

    json_t *group = fixture("group_sample.json");
    p = scim_resource_project(group, &scim_rt_group, NULL, "members");
    assert_null(json_object_get(p, "members"));
    assert_string_equal(json_string_value(json_object_get(p, "displayName")), "Tour Guides");
    json_decref(p);
    p = scim_resource_project(group, &scim_rt_group, "members.display", NULL);
    assert_json(json_object_get(p, "members"),
                "[{\"display\": \"Babs Jensen\"}, {\"display\": \"Mandy Pepperidge\"}]");
    assert_non_null(json_object_get(p, "displayName"));
    json_decref(p);
    json_decref(group);

    assert_null(scim_resource_project(NULL, &scim_rt_user, NULL, NULL));
}

static void test_sort(void **state)
{
    (void)state;
    json_t *a = jparse("{\"userName\": \"alice\", \"meta\": {\"created\": \"2020-01-01T10:00:00+02:00\"},"
                       " \"emails\": [{\"value\": \"z@x\"}, {\"value\": \"b@x\", \"primary\": true}],"
                       " \"" LNX "\": {\"uidNumber\": 9}}");
    json_t *b = jparse("{\"userName\": \"Bob\", \"meta\": {\"created\": \"2020-01-01T09:00:00Z\"},"
                       " \"emails\": [{\"value\": \"c@x\"}], \"" LNX "\": {\"uidNumber\": 10},"
                       " \"title\": \"x\"}");
    assert_true(scim_resource_compare(a, b, &scim_rt_user, "userName") < 0);
    assert_true(scim_resource_compare(b, a, &scim_rt_user, "USERNAME") > 0);
    assert_true(scim_resource_compare(a, b, &scim_rt_user, "meta.created") < 0);
    assert_true(scim_resource_compare(a, b, &scim_rt_user, "emails") < 0);       /* b@x vs c@x */
    assert_true(scim_resource_compare(a, b, &scim_rt_user, "emails.value") < 0);
    assert_true(scim_resource_compare(a, b, &scim_rt_user, "uidNumber") < 0);    /* 9 < 10 */
    assert_true(scim_resource_compare(a, b, &scim_rt_user, "title") > 0);       /* missing last */
    assert_int_equal(scim_resource_compare(a, a, &scim_rt_user, "userName"), 0);
    assert_int_equal(scim_resource_compare(a, b, &scim_rt_user, "nope"), 0);
    json_decref(a);
    json_decref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entra_create_user),
        cmocka_unit_test(test_okta_create_user),
        cmocka_unit_test(test_entra_create_group),
        cmocka_unit_test(test_canonical_names),
        cmocka_unit_test(test_boolean_coercion),
        cmocka_unit_test(test_shapes_and_unassigned),
        cmocka_unit_test(test_bad_types),
        cmocka_unit_test(test_required_and_primary),
        cmocka_unit_test(test_group_body),
        cmocka_unit_test(test_project),
        cmocka_unit_test(test_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
