/* SPDX-License-Identifier: MIT */
/* pam_scim.so through real libpam: pam_start_confdir() with service files naming the
 * module by absolute path, against caches written by scim_cache_write. */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pam_test_env.h"

#define MSG_DEACTIVATED \
    "E:account deactivated by your identity provider; contact your administrator\n"

/* All the user sees when pam_scim stayed out: the marker module's own info message. */
#define PAM_DEBUG_ONLY "I:acct=service_err\n"

/* <PRI> of an authpriv line: facility LOG_AUTHPRIV (10) * 8 + severity. */
#define AUTHPRIV_ERR "<83>"
#define AUTHPRIV_WARNING "<84>"
#define AUTHPRIV_NOTICE "<85>"
#define AUTHPRIV_INFO "<86>"

#define REQUIRE_ENV()                 \
    do {                              \
        if (!env.ready)               \
            skip();                   \
    } while (0)

static void assert_logged(const char *needle)
{
    if (!strstr(env.log, needle))
        fail_msg("syslog lacks \"%s\"; got:\n%s", needle, env.log);
}

static void assert_not_logged(const char *needle)
{
    if (strstr(env.log, needle))
        fail_msg("syslog should not contain \"%s\"; got:\n%s", needle, env.log);
}

/* The line holding `needle` starts with the given <PRI>. */
static void assert_logged_at(const char *pri, const char *needle)
{
    const char *hit = strstr(env.log, needle);
    if (!hit)
        fail_msg("syslog lacks \"%s\"; got:\n%s", needle, env.log);
    const char *line = hit;
    while (line > env.log && line[-1] != '\n')
        line--;
    if (strncmp(line, pri, strlen(pri)) != 0)
        fail_msg("\"%s\" logged with the wrong facility/priority (want %s): %.*s", needle, pri,
                 (int)(strchr(hit, '\n') ? strchr(hit, '\n') - line : 200), line);
}

static int acct(const char *service, const char *user, struct conv_log *cl)
{
    memset(cl, 0, sizeof(*cl));
    return run_account(service, user, 0, cl);
}

/* ------------------------------------------------------------------ account phase */

static void test_active_user_passes(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct", "account", NULL);
    assert_int_equal(acct("acct", "alice", &cl), PAM_SUCCESS);
    assert_string_equal(cl.messages, "");
    assert_logged_at(AUTHPRIV_INFO, "granted alice (uid 2000001): active SCIM user");
}

static void test_quiet_silences_info_lines(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct-quiet", "account", "quiet");
    assert_int_equal(acct("acct-quiet", "alice", &cl), PAM_SUCCESS);
    assert_string_equal(env.log, "");
}

static void test_deactivated_user_expired_with_message(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct", "account", NULL);
    assert_int_equal(acct("acct", "bob", &cl), PAM_ACCT_EXPIRED);
    assert_string_equal(cl.messages, MSG_DEACTIVATED);
    assert_logged_at(AUTHPRIV_NOTICE, "denied bob (uid 2000002): account deactivated by the "
                                      "identity provider");
}

static void test_quiet_still_shows_and_logs_deactivation(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct-quiet", "account", "quiet");
    assert_int_equal(acct("acct-quiet", "bob", &cl), PAM_ACCT_EXPIRED);
    assert_string_equal(cl.messages, MSG_DEACTIVATED);
    assert_logged("denied bob");
}

static void test_pam_silent_hides_message_not_verdict(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct", "account", NULL);
    memset(&cl, 0, sizeof(cl));
    assert_int_equal(run_account("acct", "bob", PAM_SILENT, &cl), PAM_ACCT_EXPIRED);
    assert_string_equal(cl.messages, "");
    assert_logged("denied bob");
}

static void test_local_user_ignored(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct", "account", NULL);
    assert_int_equal(acct("acct", "root", &cl), T_IGNORED);
    assert_int_equal(acct("acct", "nosuchuser", &cl), T_IGNORED);
    assert_int_equal(acct("acct", "Alice", &cl), T_IGNORED); /* names are case-sensitive */
    assert_string_equal(cl.messages, PAM_DEBUG_ONLY);
}

static void test_scim_uid_missing_from_cache_denied(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct", "account", NULL);
    /* "inrange" resolves through /etc/passwd to a uid in the SCIM range but is not in the
     * cache: a deleted SCIM user still served by a stale name service cache. */
    assert_int_equal(acct("acct", "inrange", &cl), PAM_PERM_DENIED);
    assert_string_equal(cl.messages, "E:account no longer provisioned by your identity "
                                     "provider; contact your administrator\n");
    assert_logged_at(AUTHPRIV_ERR, "denying inrange (uid 2000500, in the SCIM range");
}

static void check_fail_closed(const char *service, const char *why)
{
    struct conv_log cl;
    /* SCIM users: unknown to NSS here (files only), so they cannot be told apart from
     * other unresolvable names: refused. */
    assert_int_equal(acct(service, "alice", &cl), PAM_PERM_DENIED);
    assert_non_null(strstr(cl.messages, "E:login unavailable"));
    assert_logged_at(AUTHPRIV_ERR, "denying alice (name not resolvable");
    assert_logged(why);
    assert_int_equal(acct(service, "bob", &cl), PAM_PERM_DENIED);
    /* A local name with a uid in the SCIM range: refused, with its uid in the log. */
    assert_int_equal(acct(service, "inrange", &cl), PAM_PERM_DENIED);
    assert_logged("denying inrange (uid 2000500, in the SCIM range 2000000-2099999)");
    /* Local users outside the range: untouched, but the log says the cache is broken. */
    assert_int_equal(acct(service, "root", &cl), T_IGNORED);
    assert_string_equal(cl.messages, PAM_DEBUG_ONLY);
    assert_logged_at(AUTHPRIV_WARNING, "ignoring root (uid 0, outside the SCIM range");
}

static void test_missing_cache_fails_closed(void **state)
{
    char args[400];
    REQUIRE_ENV();
    snprintf(args, sizeof(args), "cache=%s", env.missing_nss);
    env_service("acct-missing", "account", args);
    check_fail_closed("acct-missing", "No such file or directory");
}

static void test_garbage_cache_fails_closed(void **state)
{
    char args[400];
    REQUIRE_ENV();
    snprintf(args, sizeof(args), "cache=%s", env.garbage_nss);
    env_service("acct-garbage", "account", args);
    check_fail_closed("acct-garbage", env.garbage_nss);
}

static void test_untrusted_cache_fails_closed(void **state)
{
    char args[400];
    REQUIRE_ENV();
    snprintf(args, sizeof(args), "cache=%s", env.untrusted_nss);
    env_service("acct-untrusted", "account", args);
    check_fail_closed("acct-untrusted", "not trusted");
}

static void test_corrupt_record_fails_closed(void **state)
{
    char args[400];
    struct conv_log cl;
    REQUIRE_ENV();
    snprintf(args, sizeof(args), "cache=%s", env.corrupt_nss);
    env_service("acct-corrupt", "account", args);
    assert_int_equal(acct("acct-corrupt", "alice", &cl), PAM_PERM_DENIED);
    assert_logged("record of user alice is corrupt");
    /* The intact records of the same file still decide. */
    assert_int_equal(acct("acct-corrupt", "carol", &cl), PAM_SUCCESS);
    assert_int_equal(acct("acct-corrupt", "bob", &cl), PAM_ACCT_EXPIRED);
    assert_int_equal(acct("acct-corrupt", "root", &cl), T_IGNORED);
}

static void test_unfit_user_names_refused_unlogged(void **state)
{
    char long_name[300];
    struct conv_log cl = {0};
    REQUIRE_ENV();
    env_service("acct", "account", NULL);
    assert_int_equal(acct("acct", "root\ninjected: granted root", &cl), PAM_USER_UNKNOWN);
    assert_logged("refusing a user name that is not fit to look up or log (control "
                  "characters)");
    assert_not_logged("injected");
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_int_equal(acct("acct", long_name, &cl), PAM_USER_UNKNOWN);
    assert_logged("(longer than 256 bytes)");
    assert_not_logged("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    env_service("auth", "auth", NULL);
    memset(&cl, 0, sizeof(cl));
    assert_int_equal(run_auth("auth", "alice\x7f", T_PASSWORD, &cl, NULL), PAM_USER_UNKNOWN);
    assert_int_equal(cl.prompts, 0);
}

/* ------------------------------------------------------------------ require_group */

static void test_require_group_role(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct-ops", "account", "require_group=ops");
    assert_int_equal(acct("acct-ops", "alice", &cl), PAM_SUCCESS);
    assert_logged("granted alice (uid 2000001): active SCIM user, member of ops");
    assert_int_equal(acct("acct-ops", "carol", &cl), PAM_SUCCESS);
    assert_int_equal(acct("acct-ops", "dave", &cl), PAM_PERM_DENIED);
    assert_string_equal(cl.messages, "E:access to this host requires membership in group ops; "
                                     "contact your administrator\n");
    assert_logged_at(AUTHPRIV_NOTICE, "denied dave (uid 2000004): require_group: not a member "
                                      "of ops");
    /* Deactivation still wins over membership; local users are not restricted. */
    assert_int_equal(acct("acct-ops", "bob", &cl), PAM_ACCT_EXPIRED);
    assert_int_equal(acct("acct-ops", "root", &cl), T_IGNORED);
}

static void test_require_group_mapped_local_and_private(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct-sudo", "account", "require_group=sudo");
    assert_int_equal(acct("acct-sudo", "alice", &cl), PAM_SUCCESS);
    assert_int_equal(acct("acct-sudo", "carol", &cl), PAM_PERM_DENIED);
    env_service("acct-priv", "account", "require_group=carol");
    assert_int_equal(acct("acct-priv", "carol", &cl), PAM_SUCCESS);
    assert_int_equal(acct("acct-priv", "alice", &cl), PAM_PERM_DENIED);
}

static void test_require_group_local_group_via_nss(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct-local", "account", "require_group=localgrp");
    assert_int_equal(acct("acct-local", "dave", &cl), PAM_SUCCESS);
    assert_int_equal(acct("acct-local", "alice", &cl), PAM_PERM_DENIED);
}

static void test_require_group_any_of_several(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct-two", "account", "require_group=ops require_group=localgrp");
    assert_int_equal(acct("acct-two", "dave", &cl), PAM_SUCCESS);
    assert_int_equal(acct("acct-two", "alice", &cl), PAM_SUCCESS);
    env_service("acct-two-miss", "account", "require_group=sudo require_group=localgrp");
    assert_int_equal(acct("acct-two-miss", "carol", &cl), PAM_PERM_DENIED);
    assert_string_equal(cl.messages, "E:access to this host requires membership in group one "
                                     "of sudo, localgrp; contact your administrator\n");
    assert_logged("denied carol (uid 2000003): require_group: not a member of sudo, localgrp");
}

static void test_require_group_unknown_group_denies(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct-nogroup", "account", "require_group=nosuchgroup");
    assert_int_equal(acct("acct-nogroup", "alice", &cl), PAM_PERM_DENIED);
    assert_logged("require_group=nosuchgroup: no such group");
    assert_int_equal(acct("acct-nogroup", "root", &cl), T_IGNORED);
}

/* ------------------------------------------------------------------ options */

static void test_unknown_and_bad_options_logged_and_ignored(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct-odd", "account",
                "frobnicate uid_min=abc uid_max=12 cache=relative/path require_group=");
    assert_int_equal(acct("acct-odd", "alice", &cl), PAM_SUCCESS);
    assert_logged_at(AUTHPRIV_ERR, "unknown option 'frobnicate' ignored");
    assert_logged("option 'uid_min=abc' ignored");
    assert_logged("option 'uid_max=12' ignored");
    assert_logged("option 'cache=relative/path' ignored: the path must be absolute");
    assert_logged("option 'require_group=' ignored: empty group name");
    assert_int_equal(acct("acct-odd", "bob", &cl), PAM_ACCT_EXPIRED);
}

static void test_inverted_range_falls_back_to_default(void **state)
{
    char args[400];
    struct conv_log cl;
    REQUIRE_ENV();
    /* Later options win: uid_min above uid_max is refused and the shipped range used,
     * which does not contain "inrange"'s uid. */
    snprintf(args, sizeof(args), "cache=%s uid_min=2099999 uid_max=2000000", env.missing_nss);
    env_service("acct-inverted", "account", args);
    assert_int_equal(acct("acct-inverted", "inrange", &cl), T_IGNORED);
    assert_logged("uid_min=2099999 is above uid_max=2000000: using the default range "
                  "1879048192-1880096767");
}

static void test_debug_logs_decisions(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct-debug", "account", "debug");
    assert_int_equal(acct("acct-debug", "alice", &cl), PAM_SUCCESS);
    assert_logged("<87>");
    assert_logged("alice: uid 2000001, active (cache");
    env_service("acct", "account", NULL);
    assert_int_equal(acct("acct", "alice", &cl), PAM_SUCCESS);
    assert_not_logged("<87>");
}

/* ------------------------------------------------------------------ auth phase */

static void test_auth_right_password(void **state)
{
    struct conv_log cl = {0};
    int cred = -1;
    REQUIRE_ENV();
    env_service("auth", "auth", NULL);
    assert_int_equal(run_auth("auth", "alice", T_PASSWORD, &cl, &cred), PAM_SUCCESS);
    assert_int_equal(cl.prompts, 1);
    assert_int_equal(cred, PAM_SUCCESS);
    assert_logged("authenticated alice (uid 2000001)");
}

static void test_auth_wrong_password(void **state)
{
    struct conv_log cl = {0};
    int cred = -1;
    REQUIRE_ENV();
    env_service("auth", "auth", NULL);
    assert_int_equal(run_auth("auth", "alice", "correct horse battery stapl", &cl, &cred),
                     PAM_AUTH_ERR);
    assert_int_equal(cl.prompts, 1);
    assert_int_not_equal(cred, PAM_SUCCESS);
    assert_logged_at(AUTHPRIV_NOTICE, "authentication failure for alice (uid 2000001): wrong "
                                      "password");
    memset(&cl, 0, sizeof(cl));
    assert_int_equal(run_auth("auth", "alice", "", &cl, NULL), PAM_AUTH_ERR);
}

static void test_auth_no_synced_password(void **state)
{
    struct conv_log cl = {0};
    REQUIRE_ENV();
    env_service("auth", "auth", NULL);
    assert_int_equal(run_auth("auth", "carol", T_PASSWORD, &cl, NULL), PAM_AUTHINFO_UNAVAIL);
    assert_int_equal(cl.prompts, 0);
}

static void test_auth_deactivated_never_succeeds(void **state)
{
    struct conv_log cl = {0};
    REQUIRE_ENV();
    env_service("auth", "auth", NULL);
    assert_int_equal(run_auth("auth", "bob", T_PASSWORD, &cl, NULL), PAM_AUTH_ERR);
    assert_int_equal(cl.prompts, 0);
    assert_logged("authentication of bob (uid 2000002) refused: account deactivated");
}

static void test_auth_unmanaged_and_broken_cache(void **state)
{
    char args[400];
    struct conv_log cl = {0};
    int cred = -1;
    REQUIRE_ENV();
    env_service("auth", "auth", NULL);
    assert_int_equal(run_auth("auth", "root", "x", &cl, &cred), T_IGNORED);
    assert_int_equal(cl.prompts, 0);
    assert_int_equal(cred, T_IGNORED);

    snprintf(args, sizeof(args), "cache=%s", env.garbage_nss);
    env_service("auth-garbage", "auth", args);
    memset(&cl, 0, sizeof(cl));
    assert_int_equal(run_auth("auth-garbage", "alice", T_PASSWORD, &cl, NULL), PAM_AUTH_ERR);
    assert_int_equal(cl.prompts, 0);
    assert_int_equal(run_auth("auth-garbage", "root", "x", &cl, NULL), T_IGNORED);

    /* nss.cache fine, shadow.cache missing: a SCIM user is refused, not waved through. */
    snprintf(args, sizeof(args), "shadow=%s", env.missing_nss);
    env_service("auth-noshadow", "auth", args);
    memset(&cl, 0, sizeof(cl));
    assert_int_equal(run_auth("auth-noshadow", "alice", T_PASSWORD, &cl, NULL), PAM_AUTH_ERR);
    assert_logged("shadow cache unusable");
}

static void test_setcred_without_authenticate_succeeds(void **state)
{
    REQUIRE_ENV();
    /* sshd's keyboard-interactive authenticates in a child process: the handle that calls
     * pam_setcred carries no record from pam_scim, and must not fail the login. */
    env_service("auth", "auth", NULL);
    assert_int_equal(run_setcred_only("auth", "alice"), PAM_SUCCESS);
}

/* ------------------------------------------------------------------ ABI */

static void test_exports_only_pam_entry_points(void **state)
{
    static const char *const exported[] = {"pam_sm_acct_mgmt", "pam_sm_authenticate",
                                           "pam_sm_setcred"};
    static const char *const internal[] = {
        "pam_scim_lookup", "pam_scim_options_parse", "pam_scim_group_check",
        "pam_scim_password_matches", "pam_scim_tell_user", "scim_cache_open",
        "scim_cache_user_by_name", "scim_cache_write", "scim_crc32c"};
    (void)state;
    void *h = dlopen(PAM_SCIM_MODULE, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        fail_msg("dlopen %s: %s", PAM_SCIM_MODULE, dlerror());
    for (size_t i = 0; i < sizeof(exported) / sizeof(exported[0]); i++)
        if (!dlsym(h, exported[i]))
            fail_msg("%s is not exported", exported[i]);
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
        if (dlsym(h, internal[i]))
            fail_msg("internal symbol %s is exported", internal[i]);
    dlclose(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_active_user_passes),
        cmocka_unit_test(test_quiet_silences_info_lines),
        cmocka_unit_test(test_deactivated_user_expired_with_message),
        cmocka_unit_test(test_quiet_still_shows_and_logs_deactivation),
        cmocka_unit_test(test_pam_silent_hides_message_not_verdict),
        cmocka_unit_test(test_local_user_ignored),
        cmocka_unit_test(test_scim_uid_missing_from_cache_denied),
        cmocka_unit_test(test_missing_cache_fails_closed),
        cmocka_unit_test(test_garbage_cache_fails_closed),
        cmocka_unit_test(test_untrusted_cache_fails_closed),
        cmocka_unit_test(test_corrupt_record_fails_closed),
        cmocka_unit_test(test_unfit_user_names_refused_unlogged),
        cmocka_unit_test(test_require_group_role),
        cmocka_unit_test(test_require_group_mapped_local_and_private),
        cmocka_unit_test(test_require_group_local_group_via_nss),
        cmocka_unit_test(test_require_group_any_of_several),
        cmocka_unit_test(test_require_group_unknown_group_denies),
        cmocka_unit_test(test_unknown_and_bad_options_logged_and_ignored),
        cmocka_unit_test(test_inverted_range_falls_back_to_default),
        cmocka_unit_test(test_debug_logs_decisions),
        cmocka_unit_test(test_auth_right_password),
        cmocka_unit_test(test_auth_wrong_password),
        cmocka_unit_test(test_auth_no_synced_password),
        cmocka_unit_test(test_auth_deactivated_never_succeeds),
        cmocka_unit_test(test_auth_unmanaged_and_broken_cache),
        cmocka_unit_test(test_setcred_without_authenticate_succeeds),
        cmocka_unit_test(test_exports_only_pam_entry_points),
    };
    return cmocka_run_group_tests(tests, env_setup, env_teardown);
}
