/* SPDX-License-Identifier: MIT */
/* Runs as sshd's unprivileged AuthorizedKeysCommandUser: reads only the world-readable cache,
 * prints nothing (and exits 0) for unknown or deactivated users. The name alone is not enough:
 * a local, sssd or LDAP account of the same name as a SCIM user (earlier in nsswitch.conf) is
 * someone else, so the keys are served only when the host's NSS resolves the name to the SCIM
 * uid, and, when sshd passes %U, that uid is the SCIM uid too. */
#include "authorized_keys.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_nss.h"
#include "scim_cache.h"

/* sshd's %U: a uid in decimal, nothing else. */
static bool parse_uid(const char *s, uint32_t *uid)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > UINT32_MAX)
        return false;
    *uid = (uint32_t)v;
    return true;
}

/* 0 when the host's NSS says `name` is uid `scim_uid`, else the exit status (0: not this
 * user here, no keys; 1: NSS cannot tell) with *serve false. */
static int host_agrees(const char *prog, const char *name, uint32_t scim_uid, bool *serve)
{
    uint32_t host_uid = 0;
    int nss_err = 0;
    *serve = false;
    enum host_nss_answer ans = host_nss_id(HOST_NSS_PWNAM, name, 0, &host_uid, &nss_err);
    if (ans == HOST_NSS_CANNOT_TELL) {
        fprintf(stderr, "%s: the host's name service cannot tell who %s is (getpwnam failed: "
                "%s): no keys\n", prog, name, strerror(nss_err));
        return 1;
    }
    if (ans == HOST_NSS_FOUND && host_uid != scim_uid)
        fprintf(stderr, "%s: %s resolves to uid %u on this host, not SCIM uid %u: no keys\n",
                prog, name, host_uid, scim_uid);
    else if (ans == HOST_NSS_NOT_FOUND)
        fprintf(stderr, "%s: %s does not resolve on this host (is scim in nsswitch.conf?): "
                "no keys\n", prog, name);
    else
        *serve = true;
    return 0;
}

int scim_authorized_keys(const char *prog, const char *cache_path, int argc, char **argv)
{
    struct scim_cache c;
    struct scim_cache_user_view u;
    char err[512];
    uint32_t want_uid = 0;
    bool serve = false;
    int ret = 0;
    if (argc < 1 || argc > 2) {
        fprintf(stderr, "%s: usage: USER [UID] (sshd's %%u %%U)\n", prog);
        return 2;
    }
    if (argc == 2 && !parse_uid(argv[1], &want_uid)) {
        fprintf(stderr, "%s: '%.64s' is not a uid (sshd's %%U)\n", prog, argv[1]);
        return 2;
    }
    if (scim_cache_open(&c, cache_path, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return 1;
    }
    int r = scim_cache_user_by_name(&c, argv[0], &u);
    if (r == -EBADMSG)
        ret = 1;
    if (r != 0 || !u.active)
        goto out;
    if (argc == 2 && want_uid != u.uid) {
        fprintf(stderr, "%s: %s is uid %u here, not SCIM uid %u: no keys\n", prog, argv[0],
                want_uid, u.uid);
        goto out;
    }
    ret = host_agrees(prog, argv[0], u.uid, &serve);
    if (!serve)
        goto out;
    uint32_t pos = 0, len;
    const char *key;
    while (scim_cache_ssh_key_next(&u, &pos, &key, &len))
        printf("%.*s\n", (int)len, key);
out:
    scim_cache_close(&c);
    return ret;
}
