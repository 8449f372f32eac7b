/* SPDX-License-Identifier: MIT */
/* pam_scim when the host's name service fails (common/host_nss.c, shared with scimd): a
 * failing service is "cannot tell", whatever errno it leaves, never "no such user" or "no such
 * group". The private namespace of pam_test_env gets an nsswitch.conf naming
 * libnss_probefail.so.2 after files; that service fails for the name "probefail" (user and
 * group) with UNAVAIL/ENOENT (libnss-ldapd while nslcd is down) or TRYAGAIN/EAGAIN, switched
 * through PROBEFAIL_ERRNO. pam_scim must refuse, not step aside. Needs root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include <cmocka.h>

#include "pam_test_env.h"

#define MSG_UNAVAILABLE                                                                       \
    "E:login unavailable: the account data from your identity provider cannot be read; "     \
    "contact your administrator\n"
#define PAM_DEBUG_ONLY "I:acct=service_err\n"

static const char *const modes[] = { "ENOENT", "EAGAIN" };

static int setup(void **state)
{
    int r = env_setup(state);
    if (r != 0 || !env.ready)
        return r;
    char conf[300];
    snprintf(conf, sizeof(conf), "%s/nsswitch-probefail.conf", env.dir);
    FILE *f = fopen(conf, "w");
    if (!f || fputs("passwd: files probefail\ngroup: files probefail\nshadow: files\n", f) < 0 ||
        fclose(f) != 0 || mount(conf, "/etc/nsswitch.conf", NULL, MS_BIND, NULL) != 0) {
        fprintf(stderr, "cannot bind %s over /etc/nsswitch.conf: %s\n", conf, strerror(errno));
        env.ready = false;
    }
    return 0;
}

static int teardown(void **state)
{
    unsetenv("PROBEFAIL_ERRNO");
    umount2("/etc/nsswitch.conf", MNT_DETACH);
    return env_teardown(state);
}

#define REQUIRE_ENV()   \
    do {                \
        if (!env.ready) \
            skip();     \
    } while (0)

static void assert_logged(const char *mode, const char *needle)
{
    if (!strstr(env.log, needle))
        fail_msg("%s: syslog lacks \"%s\"; got:\n%s", mode, needle, env.log);
}

static int acct(const char *service, const char *user, struct conv_log *cl)
{
    memset(cl, 0, sizeof(*cl));
    return run_account(service, user, 0, cl);
}

/* The cache is fine and lacks the name; the host cannot tell whose it is (it may be a SCIM
 * uid a name service cache still holds): refused in both phases, never PAM_IGNORE. */
static void test_unknown_to_cache_nss_cannot_tell(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct", "account", NULL);
    env_service("auth", "auth", NULL);
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        setenv("PROBEFAIL_ERRNO", modes[m], 1);
        int r = acct("acct", "probefail", &cl);
        if (r != PAM_PERM_DENIED)
            fail_msg("%s: account phase returned %d, expected PAM_PERM_DENIED", modes[m], r);
        assert_string_equal(cl.messages, MSG_UNAVAILABLE);
        assert_logged(modes[m], "denying probefail: not in ");
        assert_logged(modes[m], "the host's name service cannot tell its uid (getpwnam failed: ");
        memset(&cl, 0, sizeof(cl));
        r = run_auth("auth", "probefail", "x", &cl, NULL);
        if (r != PAM_AUTH_ERR)
            fail_msg("%s: auth phase returned %d, expected PAM_AUTH_ERR", modes[m], r);
        /* Names files answers for are untouched. */
        assert_int_equal(acct("acct", "root", &cl), PAM_SERVICE_ERR);
        assert_string_equal(cl.messages, PAM_DEBUG_ONLY);
        assert_int_equal(acct("acct", "alice", &cl), PAM_SUCCESS);
    }
}

/* The cache is unusable and the host cannot tell: refused, and the log says why. */
static void test_no_cache_nss_cannot_tell(void **state)
{
    char args[400];
    struct conv_log cl;
    REQUIRE_ENV();
    snprintf(args, sizeof(args), "cache=%s", env.missing_nss);
    env_service("acct-missing", "account", args);
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        setenv("PROBEFAIL_ERRNO", modes[m], 1);
        assert_int_equal(acct("acct-missing", "probefail", &cl), PAM_PERM_DENIED);
        assert_string_equal(cl.messages, MSG_UNAVAILABLE);
        assert_logged(modes[m], "denying probefail (the host's name service cannot tell its uid");
    }
}

/* require_group naming a group the cache does not know, which the host cannot tell about:
 * undecided ("login unavailable"), not "no such group, so not a member". */
static void test_require_group_nss_cannot_tell(void **state)
{
    struct conv_log cl;
    REQUIRE_ENV();
    env_service("acct-group", "account", "require_group=probefail");
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        setenv("PROBEFAIL_ERRNO", modes[m], 1);
        assert_int_equal(acct("acct-group", "alice", &cl), PAM_PERM_DENIED);
        assert_string_equal(cl.messages, MSG_UNAVAILABLE);
        assert_logged(modes[m], "require_group=probefail: the host's name service cannot tell");
        assert_logged(modes[m], "require_group membership cannot be decided");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_to_cache_nss_cannot_tell),
        cmocka_unit_test(test_no_cache_nss_cannot_tell),
        cmocka_unit_test(test_require_group_nss_cannot_tell),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
