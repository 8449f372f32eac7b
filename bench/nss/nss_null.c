/* SPDX-License-Identifier: MIT */
/* libnss_null.so.2: an NSS module that finds nothing, at once. Named in nsswitch.conf as
 * `null`, it measures glibc's own per-call cost (module dispatch, buffers, locking): the
 * floor no module can go below. */
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stddef.h>
#include <sys/types.h>

enum nss_status _nss_null_getpwnam_r(const char *, struct passwd *, char *, size_t, int *);
enum nss_status _nss_null_getpwuid_r(uid_t, struct passwd *, char *, size_t, int *);
enum nss_status _nss_null_getgrnam_r(const char *, struct group *, char *, size_t, int *);
enum nss_status _nss_null_getgrgid_r(gid_t, struct group *, char *, size_t, int *);
enum nss_status _nss_null_initgroups_dyn(const char *, gid_t, long *, long *, gid_t **, long,
                                         int *);
enum nss_status _nss_null_setpwent(int);
enum nss_status _nss_null_getpwent_r(struct passwd *, char *, size_t, int *);
enum nss_status _nss_null_endpwent(void);

enum nss_status _nss_null_getpwnam_r(const char *n, struct passwd *p, char *b, size_t l, int *e)
{
    return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_null_getpwuid_r(uid_t u, struct passwd *p, char *b, size_t l, int *e)
{
    return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_null_getgrnam_r(const char *n, struct group *g, char *b, size_t l, int *e)
{
    return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_null_getgrgid_r(gid_t i, struct group *g, char *b, size_t l, int *e)
{
    return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_null_initgroups_dyn(const char *u, gid_t g, long *s, long *z, gid_t **gs,
                                         long lim, int *e)
{
    return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_null_setpwent(int stayopen)
{
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_null_getpwent_r(struct passwd *p, char *b, size_t l, int *e)
{
    return NSS_STATUS_NOTFOUND;
}

enum nss_status _nss_null_endpwent(void)
{
    return NSS_STATUS_SUCCESS;
}
