/* SPDX-License-Identifier: MIT */
/* Login and group name rules against the names tenants really send and hostile ones. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "scim_names.h"

struct login_case {
    const char *in;
    enum scim_login_rule rule;
    const char *out; /* NULL: refused */
};

static const struct login_case login_cases[] = {
    {"alice", SCIM_LOGIN_USERNAME, "alice"},
    {"Alice", SCIM_LOGIN_USERNAME, "alice"},
    {"alice@contoso.com", SCIM_LOGIN_USERNAME, "alice@contoso.com"},
    {"alice@contoso.com", SCIM_LOGIN_LOCALPART, "alice"},
    {"Test_User_0f8fad5b-d9cb-469f-a165-70867728950e@contoso.com", SCIM_LOGIN_USERNAME,
     "test_user_0f8fad5b-d9cb-469f-a165-70867728950e@contoso.com"},
    {"Test_User_0f8fad5b-d9cb-469f-a165-70867728950e@contoso.com", SCIM_LOGIN_LOCALPART,
     "test_user_0f8fad5b-d9cb-469f-a165-70867728950e"},
    {"first.last+tag@example.com", SCIM_LOGIN_USERNAME, "first.last+tag@example.com"},
    {"first.last+tag@example.com", SCIM_LOGIN_LOCALPART, "first.last+tag"},
    {"ALICE@CONTOSO.ONMICROSOFT.COM", SCIM_LOGIN_LOCALPART, "alice"},
    {"a", SCIM_LOGIN_USERNAME, "a"},
    {"_svc", SCIM_LOGIN_USERNAME, "_svc"},
    {"u1", SCIM_LOGIN_USERNAME, "u1"},
    {"1a", SCIM_LOGIN_USERNAME, "1a"},
    {"x@y@z", SCIM_LOGIN_LOCALPART, "x@y"},
    /* hostile */
    {"", SCIM_LOGIN_USERNAME, NULL},
    {"@contoso.com", SCIM_LOGIN_LOCALPART, NULL},
    {"12345", SCIM_LOGIN_USERNAME, NULL},
    {"0", SCIM_LOGIN_USERNAME, NULL},
    {"12345@contoso.com", SCIM_LOGIN_LOCALPART, NULL},
    {"-alice", SCIM_LOGIN_USERNAME, NULL},
    {"+alice", SCIM_LOGIN_USERNAME, NULL},
    {".alice", SCIM_LOGIN_USERNAME, NULL},
    {"@alice", SCIM_LOGIN_USERNAME, NULL},
    {"..", SCIM_LOGIN_USERNAME, NULL},
    {".", SCIM_LOGIN_USERNAME, NULL},
    {"../etc/passwd", SCIM_LOGIN_USERNAME, NULL},
    {"a/b", SCIM_LOGIN_USERNAME, NULL},
    {"root:x:0:0", SCIM_LOGIN_USERNAME, NULL},
    {"alice\n", SCIM_LOGIN_USERNAME, NULL},
    {"alice\nroot", SCIM_LOGIN_USERNAME, NULL},
    {"al ice", SCIM_LOGIN_USERNAME, NULL},
    {" alice", SCIM_LOGIN_USERNAME, NULL},
    {"alice\t", SCIM_LOGIN_USERNAME, NULL},
    {"al,ice", SCIM_LOGIN_USERNAME, NULL},
    {"al*ice", SCIM_LOGIN_USERNAME, NULL},
    {"al$ice", SCIM_LOGIN_USERNAME, NULL},
    {"alice\\", SCIM_LOGIN_USERNAME, NULL},
    {"ålice", SCIM_LOGIN_USERNAME, NULL},
    {"аlice", SCIM_LOGIN_USERNAME, NULL}, /* Cyrillic a: a root-lookalike trick */
    {"rооt", SCIM_LOGIN_USERNAME, NULL},  /* Cyrillic o */
    {"root\xc2\xa0", SCIM_LOGIN_USERNAME, NULL},
    {"\xff\xfe", SCIM_LOGIN_USERNAME, NULL},
    {"alice@", SCIM_LOGIN_USERNAME, "alice@"},
};

static void test_login_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(login_cases) / sizeof(login_cases[0]); i++) {
        const struct login_case *c = &login_cases[i];
        char out[SCIM_NAME_MAX_LIMIT + 1];
        const char *why = NULL;
        int rc = scim_name_login_from_username(c->in, c->rule, 0, out, sizeof(out), &why);
        if (c->out) {
            if (rc != 0)
                fail_msg("\"%s\" refused: %s", c->in, why);
            assert_string_equal(out, c->out);
        } else {
            if (rc != -EINVAL)
                fail_msg("\"%s\" accepted as \"%s\"", c->in, out);
            assert_non_null(why);
            assert_string_equal(out, "");
        }
    }
}

static void test_length_limits(void **state)
{
    (void)state;
    char name[300], out[300];
    const char *why;
    memset(name, 'a', sizeof(name));
    name[64] = '\0';
    assert_int_equal(scim_name_validate(name, 0, &why), 0);
    assert_int_equal(scim_name_login_from_username(name, SCIM_LOGIN_USERNAME, 0, out, sizeof(out), &why), 0);
    name[64] = 'a';
    name[65] = '\0'; /* 65 bytes */
    assert_int_equal(scim_name_validate(name, 0, &why), -EINVAL);
    assert_string_equal(why, "name is too long");
    assert_int_equal(scim_name_login_from_username(name, SCIM_LOGIN_USERNAME, 0, out, sizeof(out), &why), -EINVAL);
    assert_int_equal(scim_name_validate(name, 65, &why), 0);  /* configurable */
    assert_int_equal(scim_name_validate(name, 32, &why), -EINVAL);
    name[299] = '\0';
    memset(name, 'b', 299);
    assert_int_equal(scim_name_validate(name, 1000, &why), -EINVAL); /* hard ceiling 255 */
    /* output buffer too small is not "invalid" */
    assert_int_equal(scim_name_login_from_username("alice", SCIM_LOGIN_USERNAME, 0, out, 5, &why), -ERANGE);
    assert_int_equal(scim_name_login_from_username("alice", SCIM_LOGIN_USERNAME, 0, out, 6, &why), 0);
    assert_int_equal(scim_name_login_from_username(NULL, SCIM_LOGIN_USERNAME, 0, out, 6, &why), -EINVAL);
}

static void test_validate_reasons(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_int_equal(scim_name_validate("Alice", 0, &why), -EINVAL);
    assert_string_equal(why, "name contains upper-case letters");
    assert_int_equal(scim_name_validate("12", 0, &why), -EINVAL);
    assert_string_equal(why, "name is all digits");
    assert_int_equal(scim_name_validate("-x", 0, &why), -EINVAL);
    assert_string_equal(why, "name starts with '-', '+', '.' or '@'");
    assert_int_equal(scim_name_validate("a:b", 0, &why), -EINVAL);
    assert_string_equal(why, "name contains a character outside a-z 0-9 _ . @ + -");
    assert_int_equal(scim_name_validate("", 0, &why), -EINVAL);
    assert_string_equal(why, "name is empty");
    assert_int_equal(scim_name_validate(NULL, 0, NULL), -EINVAL);
}

struct group_case {
    const char *in, *out;
};

static const struct group_case group_cases[] = {
    {"Linux Admins", "linux-admins"},
    {"linux-admins", "linux-admins"},
    {"  Linux   Admins  ", "linux-admins"},
    {"Sales & Marketing (EMEA)", "sales-marketing-emea"},
    {"DB_Operators", "db_operators"},
    {"Équipe Paris", "quipe-paris"},
    {"ops/sre", "ops-sre"},
    {"ops:sre", "ops-sre"},
    {"ops\nsre", "ops-sre"},
    {"dev.team", "dev.team"},
    {"2024 Interns", "2024-interns"},
    {"Administrator", "administrator"},
    {"a+b@c", "a+b@c"},
    /* refused after normalisation */
    {"", NULL},
    {"   ", NULL},
    {"!!!", NULL},
    {"日本", NULL},
    {"2024", NULL},
    {"..", NULL},
    {".hidden group", NULL},
    {"@everyone", NULL},
    {"+plus", NULL},
};

static void test_group_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(group_cases) / sizeof(group_cases[0]); i++) {
        const struct group_case *c = &group_cases[i];
        char out[SCIM_NAME_MAX_LIMIT + 1];
        const char *why = NULL;
        int rc = scim_name_group_from_display(c->in, 0, out, sizeof(out), &why);
        if (c->out) {
            if (rc != 0)
                fail_msg("\"%s\" refused: %s", c->in, why);
            assert_string_equal(out, c->out);
        } else {
            if (rc != -EINVAL)
                fail_msg("\"%s\" accepted as \"%s\"", c->in, out);
            assert_string_equal(out, "");
        }
    }
    char longname[100], out[200];
    const char *why;
    memset(longname, 'g', 70);
    longname[70] = '\0';
    assert_int_equal(scim_name_group_from_display(longname, 0, out, sizeof(out), &why), -EINVAL);
    assert_int_equal(scim_name_group_from_display(longname, 0, out, 10, &why), -ERANGE);
    assert_int_equal(scim_name_group_from_display(NULL, 0, out, sizeof(out), &why), -EINVAL);
}

static void test_reserved(void **state)
{
    (void)state;
    const char *reserved[] = {"root", "daemon", "bin", "sys", "nobody", "nogroup", "sudo",
                              "wheel", "adm", "shadow", "admin", "systemd-network",
                              "systemd-journal", "www-data", "sshd", "_apt"};
    const char *fine[] = {"alice", "roots", "rootkit-team", "sudoers-team", "admins", "ops",
                          "systemd", "wheels", ""};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (!scim_name_is_reserved(reserved[i]))
            fail_msg("%s should be reserved", reserved[i]);
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
        if (scim_name_is_reserved(fine[i]))
            fail_msg("%s should not be reserved", fine[i]);
    assert_false(scim_name_is_reserved(NULL));
}

/* Issue 11: names packages create later (a later `getent passwd mysql || adduser --system
 * mysql` would hand the package's files to an IdP-controlled login) and role groups that are
 * root-equivalent on container and virtualisation hosts. */
static void test_reserved_package_names(void **state)
{
    (void)state;
    const char *reserved[] = {"mysql", "redis", "nginx", "lxd", "sssd", "_rpc", "postfix",
                              "microk8s", "incus-admin", "incus", "libvirt", "libvirt-qemu", "kvm",
                              "docker", "podman", "postgres", "mariadb", "mongodb", "apache",
                              "prometheus", "grafana", "polkitd", "avahi", "colord", "geoclue",
                              "pulse", "rtkit", "chrony", "ntp", "tss", "dnsmasq", "_chrony",
                              "_x", "_", "systemd-timesync", "admin"};
    const char *fine[] = {"ops", "admins", "systemd", "mysqladmins", "redis-team", "alice",
                          "a_b", "x_"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (!scim_name_is_reserved(reserved[i]))
            fail_msg("%s should be reserved", reserved[i]);
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
        if (scim_name_is_reserved(fine[i]))
            fail_msg("%s should not be reserved", fine[i]);
}

/* One table, searched by bsearch: it must stay sorted (strcmp order) and unique, and each
 * entry must be a valid name (an entry that cannot be a name reserves nothing). */
static void test_reserved_table_sorted(void **state)
{
    (void)state;
    size_t n = 0;
    const char *const *t = scim_name_reserved_table(&n);
    assert_true(n > 200);
    for (size_t i = 0; i < n; i++) {
        const char *why = NULL;
        if (scim_name_validate(t[i], 0, &why) < 0)
            fail_msg("entry %zu '%s' is no valid name: %s", i, t[i], why);
        if (i > 0 && strcmp(t[i - 1], t[i]) >= 0)
            fail_msg("entries %zu '%s' and %zu '%s' are out of order or duplicated", i - 1,
                     t[i - 1], i, t[i]);
        if (!scim_name_is_reserved(t[i]))
            fail_msg("entry '%s' is not found by the lookup", t[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login_names),
        cmocka_unit_test(test_length_limits),
        cmocka_unit_test(test_validate_reasons),
        cmocka_unit_test(test_group_names),
        cmocka_unit_test(test_reserved),
        cmocka_unit_test(test_reserved_package_names),
        cmocka_unit_test(test_reserved_table_sorted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
