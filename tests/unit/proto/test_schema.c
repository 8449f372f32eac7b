/* SPDX-License-Identifier: MIT */
/* Attribute resolution and the /Schemas and /ResourceTypes representations. */
#include "proto_test_util.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "schema.h"

static void resolves(const struct scim_resource_type *rt, const char *path,
                     const char *want_name, const struct scim_schema *want_schema,
                     const char *want_parent)
{
    const struct scim_schema *s = NULL;
    const struct scim_attr *parent = (const struct scim_attr *)1;
    const struct scim_attr *a = scim_attr_resolve(rt, path, &s, &parent);

    if (!a)
        print_error("'%s' did not resolve\n", path);
    assert_non_null(a);
    assert_string_equal(a->name, want_name);
    assert_ptr_equal(s, want_schema);
    if (want_parent) {
        assert_non_null(parent);
        assert_string_equal(parent->name, want_parent);
    } else {
        assert_null(parent);
    }
}

static void test_resolve_core(void **state)
{
    (void)state;
    resolves(&scim_rt_user, "userName", "userName", &scim_schema_user, NULL);
    resolves(&scim_rt_user, "USERNAME", "userName", &scim_schema_user, NULL);
    resolves(&scim_rt_user, "name.givenName", "givenName", &scim_schema_user, "name");
    resolves(&scim_rt_user, "Name.GivenName", "givenName", &scim_schema_user, "name");
    resolves(&scim_rt_user, "emails.value", "value", &scim_schema_user, "emails");
    resolves(&scim_rt_user, "emails", "emails", &scim_schema_user, NULL);
    resolves(&scim_rt_user, "meta.lastModified", "lastModified", &scim_schema_user, "meta");
    resolves(&scim_rt_user, "groups.$ref", "$ref", &scim_schema_user, "groups");
    resolves(&scim_rt_user, "id", "id", &scim_schema_user, NULL);
    resolves(&scim_rt_user, "externalId", "externalId", &scim_schema_user, NULL);
    resolves(&scim_rt_group, "members.value", "value", &scim_schema_group, "members");
    resolves(&scim_rt_group, "DISPLAYNAME", "displayName", &scim_schema_group, NULL);
}

static void test_resolve_urn(void **state)
{
    (void)state;
    resolves(&scim_rt_user, SCIM_URN_USER ":userName", "userName", &scim_schema_user, NULL);
    resolves(&scim_rt_user, "URN:IETF:params:scim:schemas:core:2.0:user:name.familyName",
             "familyName", &scim_schema_user, "name");
    resolves(&scim_rt_user, SCIM_URN_ENTERPRISE_USER ":manager.value", "value",
             &scim_schema_enterprise_user, "manager");
    resolves(&scim_rt_user, SCIM_URN_ENTERPRISE_USER ":employeeNumber", "employeeNumber",
             &scim_schema_enterprise_user, NULL);
    resolves(&scim_rt_user, SCIM_URN_LINUX_USER ":sshPublicKeys.value", "value",
             &scim_schema_linux_user, "sshPublicKeys");
    resolves(&scim_rt_user, SCIM_URN_LINUX_USER ":uidNumber", "uidNumber",
             &scim_schema_linux_user, NULL);
    resolves(&scim_rt_group, SCIM_URN_GROUP ":members", "members", &scim_schema_group, NULL);
}

static void test_resolve_bare_extension_names(void **state)
{
    (void)state;
    /* Okta sends enterprise attributes unqualified. */
    resolves(&scim_rt_user, "employeeNumber", "employeeNumber", &scim_schema_enterprise_user,
             NULL);
    resolves(&scim_rt_user, "manager.value", "value", &scim_schema_enterprise_user, "manager");
    resolves(&scim_rt_user, "gidNumber", "gidNumber", &scim_schema_linux_user, NULL);
}

static void test_resolve_unknown(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "nope", "name.nope", "userName.x", "name.", ".givenName", "emails.value.x",
        "urn:bogus:thing", SCIM_URN_ENTERPRISE_USER, SCIM_URN_ENTERPRISE_USER ":",
        SCIM_URN_ENTERPRISE_USER ":nope", SCIM_URN_USER ":employeeNumber", "name..givenName",
        "members",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (scim_attr_resolve(&scim_rt_user, bad[i], NULL, NULL))
            print_error("'%s' resolved but should not\n", bad[i]);
        assert_null(scim_attr_resolve(&scim_rt_user, bad[i], NULL, NULL));
    }
    assert_null(scim_attr_resolve(&scim_rt_group, "userName", NULL, NULL));
    assert_null(scim_attr_resolve(&scim_rt_group, "employeeNumber", NULL, NULL));
    assert_null(scim_attr_resolve(&scim_rt_user, NULL, NULL, NULL));
}

static void test_attribute_properties(void **state)
{
    (void)state;
    const struct scim_attr *a = scim_attr_resolve(&scim_rt_user, "userName", NULL, NULL);
    assert_true(a->required);
    assert_false(a->case_exact);
    assert_int_equal(a->uniqueness, SCIM_U_SERVER);
    assert_int_equal(a->returned, SCIM_R_ALWAYS);

    a = scim_attr_resolve(&scim_rt_user, "password", NULL, NULL);
    assert_int_equal(a->mutability, SCIM_M_WRITE_ONLY);
    assert_int_equal(a->returned, SCIM_R_NEVER);

    a = scim_attr_resolve(&scim_rt_user, "id", NULL, NULL);
    assert_int_equal(a->mutability, SCIM_M_READ_ONLY);
    assert_int_equal(a->returned, SCIM_R_ALWAYS);
    assert_true(a->case_exact);

    a = scim_attr_resolve(&scim_rt_user, "externalId", NULL, NULL);
    assert_true(a->case_exact);

    a = scim_attr_resolve(&scim_rt_user, "groups", NULL, NULL);
    assert_int_equal(a->mutability, SCIM_M_READ_ONLY);
    assert_true(a->multi_valued);

    a = scim_attr_resolve(&scim_rt_user, "active", NULL, NULL);
    assert_int_equal(a->type, SCIM_T_BOOLEAN);

    a = scim_attr_resolve(&scim_rt_user, "uidNumber", NULL, NULL);
    assert_int_equal(a->type, SCIM_T_INTEGER);

    a = scim_attr_resolve(&scim_rt_user, "sshPublicKeys.value", NULL, NULL);
    assert_true(a->required);
    assert_true(a->case_exact);

    a = scim_attr_resolve(&scim_rt_user, "x509Certificates.value", NULL, NULL);
    assert_int_equal(a->type, SCIM_T_BINARY);

    a = scim_attr_resolve(&scim_rt_group, "members.value", NULL, NULL);
    assert_int_equal(a->mutability, SCIM_M_IMMUTABLE);

    a = scim_attr_resolve(&scim_rt_group, "displayName", NULL, NULL);
    assert_true(a->required);

    static const char *const addr[] = {"formatted", "streetAddress", "locality", "region",
                                       "postalCode", "country", "type", "primary"};
    for (size_t i = 0; i < sizeof(addr) / sizeof(addr[0]); i++) {
        char p[64];
        snprintf(p, sizeof(p), "addresses.%s", addr[i]);
        assert_non_null(scim_attr_resolve(&scim_rt_user, p, NULL, NULL));
    }
    static const char *const plural[] = {"emails", "phoneNumbers", "ims", "photos",
                                         "entitlements", "roles", "x509Certificates"};
    for (size_t i = 0; i < sizeof(plural) / sizeof(plural[0]); i++) {
        static const char *const subs[] = {"value", "display", "type", "primary"};
        for (size_t j = 0; j < 4; j++) {
            char p[64];
            snprintf(p, sizeof(p), "%s.%s", plural[i], subs[j]);
            if (!scim_attr_resolve(&scim_rt_user, p, NULL, NULL))
                print_error("%s missing\n", p);
            assert_non_null(scim_attr_resolve(&scim_rt_user, p, NULL, NULL));
        }
    }
}

/* Every attribute in every table is well-formed: described, complex ones have
 * sub-attributes, references name their types. */
static void check_attrs(const struct scim_attr *attrs, size_t n, bool nested)
{
    for (size_t i = 0; i < n; i++) {
        const struct scim_attr *a = &attrs[i];
        assert_non_null(a->name);
        assert_non_null(a->description);
        assert_true(strlen(a->description) > 0);
        if (a->type == SCIM_T_COMPLEX) {
            assert_false(nested);
            assert_non_null(a->sub);
            assert_true(a->n_sub > 0 && a->n_sub <= 64);
            check_attrs(a->sub, a->n_sub, true);
        } else {
            assert_null(a->sub);
        }
        if (a->type == SCIM_T_REFERENCE)
            assert_non_null(a->reference_types);
        for (size_t j = 0; j < i; j++)
            assert_true(strcasecmp(attrs[j].name, a->name) != 0);
    }
}

static void test_tables_well_formed(void **state)
{
    (void)state;
    const struct scim_schema *all[] = {&scim_schema_user, &scim_schema_enterprise_user,
                                       &scim_schema_linux_user, &scim_schema_group};
    for (size_t i = 0; i < 4; i++)
        check_attrs(all[i]->attrs, all[i]->n_attrs, false);
    assert_ptr_equal(scim_resource_type_find("/Users"), &scim_rt_user);
    assert_ptr_equal(scim_resource_type_find("group"), &scim_rt_group);
    assert_ptr_equal(scim_resource_type_find("Groups"), &scim_rt_group);
    assert_null(scim_resource_type_find("Widgets"));
    assert_ptr_equal(scim_schema_find(&scim_rt_user, "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:"
                                                     "ENTERPRISE:2.0:USER"),
                     &scim_schema_enterprise_user);
    assert_null(scim_schema_find(&scim_rt_group, SCIM_URN_ENTERPRISE_USER));
}

static const json_t *find_by_name(const json_t *arr, const char *name)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) {
        if (strcmp(json_string_value(json_object_get(x, "name")), name) == 0)
            return x;
    }
    return NULL;
}

static void test_schema_json(void **state)
{
    (void)state;
    json_t *j = scim_schema_to_json(&scim_schema_user, "https://h/scim/v2");
    assert_non_null(j);
    assert_json(json_object_get(j, "schemas"), "[\"" SCIM_URN_SCHEMA "\"]");
    assert_string_equal(json_string_value(json_object_get(j, "id")), SCIM_URN_USER);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "User");
    assert_json(json_object_get(j, "meta"),
                "{\"resourceType\": \"Schema\", \"location\": "
                "\"https://h/scim/v2/Schemas/" SCIM_URN_USER "\"}");
    const json_t *attrs = json_object_get(j, "attributes");
    assert_null(find_by_name(attrs, "id")); /* common attributes are not schema attributes */
    assert_null(find_by_name(attrs, "meta"));
    const json_t *un = find_by_name(attrs, "userName");
    assert_non_null(un);
    assert_json(un, "{\"name\": \"userName\", \"type\": \"string\", \"multiValued\": false,"
                    " \"description\": \"Unique identifier the user signs in with; the Linux "
                    "login name derives from it.\", \"required\": true, \"caseExact\": false,"
                    " \"mutability\": \"readWrite\", \"returned\": \"always\","
                    " \"uniqueness\": \"server\"}");
    const json_t *pw = find_by_name(attrs, "password");
    assert_string_equal(json_string_value(json_object_get(pw, "mutability")), "writeOnly");
    assert_string_equal(json_string_value(json_object_get(pw, "returned")), "never");
    const json_t *emails = find_by_name(attrs, "emails");
    assert_true(json_is_true(json_object_get(emails, "multiValued")));
    assert_string_equal(json_string_value(json_object_get(emails, "type")), "complex");
    const json_t *type = find_by_name(json_object_get(emails, "subAttributes"), "type");
    assert_json(json_object_get(type, "canonicalValues"), "[\"work\", \"home\", \"other\"]");
    const json_t *photos = find_by_name(attrs, "photos");
    const json_t *pv = find_by_name(json_object_get(photos, "subAttributes"), "value");
    assert_json(json_object_get(pv, "referenceTypes"), "[\"external\"]");
    json_decref(j);

    j = scim_schema_to_json(&scim_schema_linux_user, "");
    assert_string_equal(json_string_value(jget(j, "meta.location")),
                        "/Schemas/" SCIM_URN_LINUX_USER);
    const json_t *keys = find_by_name(json_object_get(j, "attributes"), "sshPublicKeys");
    const json_t *kv = find_by_name(json_object_get(keys, "subAttributes"), "value");
    assert_true(json_is_true(json_object_get(kv, "required")));
    assert_true(json_is_true(json_object_get(kv, "caseExact")));
    assert_non_null(find_by_name(json_object_get(j, "attributes"), "uidNumber"));
    json_decref(j);
}

static void test_resource_type_json(void **state)
{
    (void)state;
    json_t *j = scim_resource_type_to_json(&scim_rt_user, "https://h/scim/v2");
    assert_json(j, "{\"schemas\": [\"" SCIM_URN_RESOURCE_TYPE "\"], \"id\": \"User\","
                   " \"name\": \"User\", \"endpoint\": \"/Users\","
                   " \"description\": \"User Account\", \"schema\": \"" SCIM_URN_USER "\","
                   " \"schemaExtensions\": ["
                   "  {\"schema\": \"" SCIM_URN_ENTERPRISE_USER "\", \"required\": false},"
                   "  {\"schema\": \"" SCIM_URN_LINUX_USER "\", \"required\": false}],"
                   " \"meta\": {\"resourceType\": \"ResourceType\","
                   "  \"location\": \"https://h/scim/v2/ResourceTypes/User\"}}");
    json_decref(j);
    j = scim_resource_type_to_json(&scim_rt_group, "");
    assert_json(json_object_get(j, "schemaExtensions"), "[]");
    assert_string_equal(json_string_value(json_object_get(j, "endpoint")), "/Groups");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_core),
        cmocka_unit_test(test_resolve_urn),
        cmocka_unit_test(test_resolve_bare_extension_names),
        cmocka_unit_test(test_resolve_unknown),
        cmocka_unit_test(test_attribute_properties),
        cmocka_unit_test(test_tables_well_formed),
        cmocka_unit_test(test_schema_json),
        cmocka_unit_test(test_resource_type_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
