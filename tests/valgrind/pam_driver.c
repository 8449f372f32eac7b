/* SPDX-License-Identifier: MIT */
/* Runs pam_scim.so through real libpam for valgrind: a service file naming the module by
 * absolute path in a private PAM config dir (pam_start_confdir), then the account phase
 * for an active, a deactivated and an unknown user, the auth phase with the right and a
 * wrong password, and the account phase again with the cache gone (fail closed).
 *
 *   pam_driver MODULE_PATH DIR
 * Writes DIR/pam/scim-test and the caches DIR/nss.cache, DIR/shadow.cache. */
#include <crypt.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_fixture.h"

static const char *password;
static int failures;

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    (void)data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    if (!r)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++)
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF && password) {
            r[i].resp = strdup(password);
            if (!r[i].resp) {
                for (int j = 0; j < i; j++)
                    free(r[j].resp);
                free(r);
                return PAM_BUF_ERR;
            }
        }
    *resp = r;
    return PAM_SUCCESS;
}

static void expect(const char *confdir, const char *user, const char *pw, bool auth, int want)
{
    struct pam_conv c = {conv, NULL};
    pam_handle_t *pamh = NULL;
    password = pw;
    int rc = pam_start_confdir("scim-test", user, &c, confdir, &pamh);
    if (rc == PAM_SUCCESS)
        rc = auth ? pam_authenticate(pamh, 0) : pam_acct_mgmt(pamh, 0);
    if (rc != want) {
        fprintf(stderr, "pam_driver: %s %s: got %s, want %s\n", auth ? "auth" : "account",
                user, pam_strerror(pamh, rc), pam_strerror(pamh, want));
        failures++;
    }
    if (pamh)
        pam_end(pamh, rc);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: pam_driver MODULE_PATH DIR\n");
        return 2;
    }
    const char *module = argv[1], *dir = argv[2];
    char confdir[4096], service[4096 + 16], salt[CRYPT_GENSALT_OUTPUT_SIZE];
    snprintf(confdir, sizeof(confdir), "%s/pam", dir);
    snprintf(service, sizeof(service), "%s/scim-test", confdir);
    if (mkdir(confdir, 0755) != 0) {
        perror(confdir);
        return 1;
    }
    FILE *f = fopen(service, "w");
    if (!f) {
        perror(service);
        return 1;
    }
    fprintf(f,
            "auth required %s cache=%s/nss.cache shadow=%s/shadow.cache uid_min=2000000 uid_max=2099999\n"
            "account required %s cache=%s/nss.cache shadow=%s/shadow.cache uid_min=2000000 uid_max=2099999\n"
            /* so that pam_scim's PAM_IGNORE for a non-SCIM user shows as success */
            "account optional pam_permit.so\n",
            module, dir, dir, module, dir, dir);
    fclose(f);

    /* lowest yescrypt cost: valgrind makes hashing slow */
    if (!crypt_gensalt_rn("$y$", 1, NULL, 0, salt, sizeof(salt))) {
        perror("crypt_gensalt_rn");
        return 1;
    }
    const char *hash = crypt("correct horse", salt);
    if (!hash || hash[0] == '*')
        return 1;
    char *hash_copy = strdup(hash);
    if (!hash_copy || fixture_write(dir, 1, hash_copy) != 0)
        return 1;

    expect(confdir, "alice", NULL, false, PAM_SUCCESS);
    expect(confdir, "bob", NULL, false, PAM_ACCT_EXPIRED);
    expect(confdir, "someone-local", NULL, false, PAM_SUCCESS); /* ignored by pam_scim */
    expect(confdir, "alice", "correct horse", true, PAM_SUCCESS);
    expect(confdir, "alice", "wrong horse", true, PAM_AUTH_ERR);
    /* no password synced: documented as AUTHINFO_UNAVAIL, so key logins carry on */
    expect(confdir, "carol", "anything", true, PAM_AUTHINFO_UNAVAIL);

    /* the cache gone: SCIM users are refused, not waved through */
    char nss[4096];
    snprintf(nss, sizeof(nss), "%s/nss.cache", dir);
    unlink(nss);
    expect(confdir, "alice", NULL, false, PAM_PERM_DENIED);

    free(hash_copy);
    printf("pam_driver: %d failures\n", failures);
    return failures ? 1 : 0;
}
