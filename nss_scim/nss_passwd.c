/* SPDX-License-Identifier: MIT */
/* passwd: getpwnam_r, getpwuid_r and enumeration. */
#include <errno.h>

#include "nss_buffer.h"
#include "nss_entry.h"
#include "nss_scim.h"
#include "nss_source.h"

static enum nss_status fill_passwd(const struct scim_cache_user_view *u, struct passwd *pw,
                                   char *buffer, size_t buflen, int *errnop)
{
    struct nss_buf b = {buffer, buflen};
    char *name = nss_buf_str(&b, u->name, u->name_len);
    char *passwd = nss_buf_str(&b, "x", 1);
    char *gecos = nss_buf_str(&b, u->gecos, u->gecos_len);
    char *home = nss_buf_str(&b, u->home, u->home_len);
    char *shell = nss_buf_str(&b, u->shell, u->shell_len);
    if (!name || !passwd || !gecos || !home || !shell)
        return nss_erange(errnop);
    pw->pw_name = name;
    pw->pw_passwd = passwd;
    pw->pw_uid = u->uid;
    pw->pw_gid = u->gid;
    pw->pw_gecos = gecos;
    pw->pw_dir = home;
    pw->pw_shell = shell;
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_scim_getpwnam_r(const char *name, struct passwd *pw, char *buf,
                                     size_t buflen, int *errnop)
{
    struct nss_entry e;
    struct scim_cache_user_view u;
    enum nss_status st = nss_entry_begin(&e, &nss_scim_nss_source, errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = nss_status_of(scim_cache_user_by_name(nss_entry_cache(&e), name, &u), errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = fill_passwd(&u, pw, buf, buflen, errnop);
    return nss_entry_end(&e, st);
}

enum nss_status _nss_scim_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
                                     int *errnop)
{
    struct nss_entry e;
    struct scim_cache_user_view u;
    enum nss_status st = nss_entry_begin(&e, &nss_scim_nss_source, errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = nss_status_of(scim_cache_user_by_uid(nss_entry_cache(&e), uid, &u), errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = fill_passwd(&u, pw, buf, buflen, errnop);
    return nss_entry_end(&e, st);
}

enum nss_status _nss_scim_setpwent(int stayopen)
{
    (void)stayopen;
    nss_source_cursor_set(&nss_scim_nss_source, NSS_CURSOR_PASSWD, 0);
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_scim_endpwent(void)
{
    nss_source_cursor_set(&nss_scim_nss_source, NSS_CURSOR_PASSWD, 0);
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_scim_getpwent_r(struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
    struct nss_entry e;
    struct scim_cache_user_view u;
    uint32_t pos = 0;
    enum nss_status st = nss_entry_begin_enum(&e, &nss_scim_nss_source, NSS_CURSOR_PASSWD, &pos, errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = nss_status_of(scim_cache_user_at(nss_entry_cache(&e), pos, &u), errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = fill_passwd(&u, pw, buf, buflen, errnop);
    /* On ERANGE the caller retries the same entry with a bigger buffer. */
    if (st == NSS_STATUS_SUCCESS)
        nss_source_cursor_set(&nss_scim_nss_source, NSS_CURSOR_PASSWD, pos + 1);
    return nss_entry_end(&e, st);
}
