/* SPDX-License-Identifier: MIT */
/* Fixture for the pam_scim unit tests: a private mount namespace with its own
 * /etc/passwd, /etc/group and nsswitch.conf (files only), a tmpfs /dev whose /dev/log is
 * a socket the tests read, cache files written by scim_cache_write, and PAM service files
 * in a private confdir naming the module by absolute path. Needs root. */
#ifndef PAM_TEST_ENV_H
#define PAM_TEST_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <security/pam_appl.h>

#define T_UID_MIN 2000000u
#define T_UID_MAX 2099999u
#define T_ALICE_UID 2000001u   /* active, password, member of ops and sudo (mapped) */
#define T_BOB_UID 2000002u     /* deactivated, password, member of ops */
#define T_CAROL_UID 2000003u   /* active, no password, member of ops */
#define T_DAVE_UID 2000004u    /* active, no password, in no SCIM group; in localgrp */
#define T_INRANGE_UID 2000500u /* local passwd entry in the SCIM range, not in the cache */
#define T_OPS_GID 2100001u
#define T_PASSWORD "correct horse battery staple"

/* What a PAM call showed the user and asked. */
struct conv_log {
    char messages[2048]; /* each message: "E:text\n" (error) or "I:text\n" (info) */
    unsigned prompts;    /* PAM_PROMPT_ECHO_OFF/ON questions */
    const char *answer;  /* reply to prompts (NULL: conversation error) */
};

struct test_env {
    bool ready;          /* false: not root / namespace failed; tests skip */
    char dir[256];
    char confdir[300];
    char good_nss[300], good_shadow[300];
    char missing_nss[300];
    char corrupt_nss[300];   /* one user record (alice) fails its checksum */
    char garbage_nss[300];   /* not a cache file at all */
    char untrusted_nss[300]; /* a good copy owned by nobody */
    int log_fd;              /* datagram socket bound at /dev/log */
    char log[16384];         /* syslog lines read by env_drain_log */
};

extern struct test_env env;

int env_setup(void **state);
int env_teardown(void **state);

/* Writes confdir/<service>: one "<type> <control> <module> <args>" line for pam_scim
 * (cache= and shadow= default to the good caches, uid range T_UID_MIN..T_UID_MAX), then
 * "<type> required pam_debug.so <marker>" so that PAM_IGNORE from pam_scim shows up as
 * PAM_SERVICE_ERR: pam_scim never returns that code itself. */
#define T_IGNORED PAM_SERVICE_ERR
void env_service(const char *service, const char *type, const char *args);

/* pam_start_confdir + pam_acct_mgmt / pam_authenticate (+ pam_setcred into *cred when
 * cred is not NULL) + pam_end; the log is drained before and after. */
int run_account(const char *service, const char *user, int flags, struct conv_log *cl);
int run_auth(const char *service, const char *user, const char *password,
             struct conv_log *cl, int *cred);

/* pam_setcred alone, as sshd calls it on a handle whose authentication ran elsewhere. */
int run_setcred_only(const char *service, const char *user);

/* Reads every pending syslog datagram into env.log (replacing its content). */
void env_drain_log(void);

#endif
