/* SPDX-License-Identifier: MIT */
/* libnss_probefail.so.2: an NSS service that cannot answer, for test_preprobe.c and the
 * accounts integration tests. Lookups of the ids in $PROBEFAIL_IDS ("LO-HI", default
 * 1700000050-1700000059) and of the name "probefail" fail the way an unreachable LDAP or sssd
 * does: UNAVAIL with errno EIO by default; $PROBEFAIL_ERRNO=ENOENT gives UNAVAIL with ENOENT
 * (what libnss-ldapd answers while nslcd is down), =EAGAIN gives TRYAGAIN with EAGAIN.
 * Everything else is "not found", so the services before it in nsswitch.conf decide. */
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>
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

enum nss_status _nss_probefail_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len,
                                          int *errnop)
{
    (void)pw, (void)buf, (void)len;
    return answer(failing_id(uid), errnop);
}

enum nss_status _nss_probefail_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len,
                                          int *errnop)
{
    (void)gr, (void)buf, (void)len;
    return answer(failing_id(gid), errnop);
}

enum nss_status _nss_probefail_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                                          size_t len, int *errnop)
{
    (void)pw, (void)buf, (void)len;
    return answer(strcmp(name, "probefail") == 0, errnop);
}

enum nss_status _nss_probefail_getgrnam_r(const char *name, struct group *gr, char *buf,
                                          size_t len, int *errnop)
{
    (void)gr, (void)buf, (void)len;
    return answer(strcmp(name, "probefail") == 0, errnop);
}
