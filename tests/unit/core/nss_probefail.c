/* SPDX-License-Identifier: MIT */
/* libnss_probefail.so.2: an NSS service that cannot answer, for test_preprobe.c and the
 * accounts integration tests. Lookups of the ids in $PROBEFAIL_IDS ("LO-HI", default
 * 1700000050-1700000059) and of the name "probefail" fail the way an unreachable LDAP or sssd
 * does: UNAVAIL with errno EIO by default; $PROBEFAIL_ERRNO=ENOENT gives UNAVAIL with ENOENT
 * (what libnss-ldapd answers while nslcd is down), =EAGAIN gives TRYAGAIN with EAGAIN.
 * The name "probelocal" is a local account (uid 4242) and group (gid 4243) that only this
 * service knows, by name and by id, and that it never lists (it has no getpwent): a source
 * that cannot enumerate, like sssd without enumerate = true. Everything else is "not found",
 * so the services before it in nsswitch.conf decide. */
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum nss_status _nss_probefail_getpwuid_r(uid_t, struct passwd *, char *, size_t, int *);
enum nss_status _nss_probefail_getgrgid_r(gid_t, struct group *, char *, size_t, int *);
enum nss_status _nss_probefail_getpwnam_r(const char *, struct passwd *, char *, size_t, int *);
enum nss_status _nss_probefail_getgrnam_r(const char *, struct group *, char *, size_t, int *);

static bool failing_id(unsigned long id)
{
    unsigned long lo = 1700000050ul, hi = 1700000059ul;
    const char *range = getenv("PROBEFAIL_IDS");
    if (range && sscanf(range, "%lu-%lu", &lo, &hi) != 2)
        return false;
    return id >= lo && id <= hi;
}

static enum nss_status answer(int fail, int *errnop)
{
    if (!fail)
        return NSS_STATUS_NOTFOUND;
    const char *how = getenv("PROBEFAIL_ERRNO");
    if (how && strcmp(how, "EAGAIN") == 0) {
        *errnop = EAGAIN;
        return NSS_STATUS_TRYAGAIN;
    }
    *errnop = how && strcmp(how, "ENOENT") == 0 ? ENOENT : EIO;
    return NSS_STATUS_UNAVAIL;
}

#define LOCAL_NAME "probelocal"
#define LOCAL_UID 4242
#define LOCAL_GID 4243

enum nss_status _nss_probefail_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len,
                                          int *errnop)
{
    if (uid == LOCAL_UID)
        return _nss_probefail_getpwnam_r(LOCAL_NAME, pw, buf, len, errnop);
    return answer(failing_id(uid), errnop);
}

enum nss_status _nss_probefail_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len,
                                          int *errnop)
{
    if (gid == LOCAL_GID)
        return _nss_probefail_getgrnam_r(LOCAL_NAME, gr, buf, len, errnop);
    return answer(failing_id(gid), errnop);
}

/* "probelocal"'s strings in buf, or NULL (ERANGE in *errnop) when buf is too small. */
static char *local_strings(char *buf, size_t len, int *errnop)
{
    if (len < sizeof(LOCAL_NAME) + 2 + 2 * sizeof(char *)) {
        *errnop = ERANGE;
        return NULL;
    }
    memcpy(buf, LOCAL_NAME, sizeof(LOCAL_NAME));
    buf[sizeof(LOCAL_NAME)] = 'x';
    buf[sizeof(LOCAL_NAME) + 1] = '\0';
    return buf;
}

enum nss_status _nss_probefail_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                                          size_t len, int *errnop)
{
    if (strcmp(name, LOCAL_NAME) == 0) {
        char *s = local_strings(buf, len, errnop);
        if (!s)
            return NSS_STATUS_TRYAGAIN;
        *pw = (struct passwd){ .pw_name = s, .pw_passwd = s + sizeof(LOCAL_NAME),
                               .pw_uid = LOCAL_UID, .pw_gid = LOCAL_GID,
                               .pw_gecos = s + sizeof(LOCAL_NAME) + 1,
                               .pw_dir = (char *)"/", .pw_shell = (char *)"/bin/sh" };
        return NSS_STATUS_SUCCESS;
    }
    return answer(strcmp(name, "probefail") == 0, errnop);
}

enum nss_status _nss_probefail_getgrnam_r(const char *name, struct group *gr, char *buf,
                                          size_t len, int *errnop)
{
    if (strcmp(name, LOCAL_NAME) == 0) {
        char *s = local_strings(buf, len, errnop);
        if (!s)
            return NSS_STATUS_TRYAGAIN;
        char **members = (char **)(buf + len - sizeof(char *));
        members = (char **)((uintptr_t)members & ~(uintptr_t)(sizeof(char *) - 1));
        *members = NULL;
        *gr = (struct group){ .gr_name = s, .gr_passwd = s + sizeof(LOCAL_NAME),
                              .gr_gid = LOCAL_GID, .gr_mem = members };
        return NSS_STATUS_SUCCESS;
    }
    return answer(strcmp(name, "probefail") == 0, errnop);
}
