/* SPDX-License-Identifier: MIT */
/* shadow: getspnam_r and enumeration, from shadow.cache (0640 root:shadow). */
#include <errno.h>

#include "nss_buffer.h"
#include "nss_entry.h"
#include "nss_scim.h"
#include "nss_source.h"

static long field(int32_t v)
{
    return v < 0 ? -1 : (long)v;
}

static enum nss_status fill_spwd(const struct scim_cache_shadow_view *s, struct spwd *sp,
                                 char *buffer, size_t buflen, int *errnop)
{
    struct nss_buf b = {buffer, buflen};
    char *name = nss_buf_str(&b, s->name, s->name_len);
    char *pw = nss_buf_str(&b, s->passwd, s->passwd_len);
    if (!name || !pw)
        return nss_erange(errnop);
    sp->sp_namp = name;
    sp->sp_pwdp = pw;
    sp->sp_lstchg = field(s->lstchg);
    sp->sp_min = field(s->min);
    sp->sp_max = field(s->max);
    sp->sp_warn = field(s->warn);
    sp->sp_inact = field(s->inact);
    sp->sp_expire = field(s->expire);
    sp->sp_flag = ~0ul;
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_scim_getspnam_r(const char *name, struct spwd *sp, char *buf, size_t buflen,
                                     int *errnop)
{
    struct nss_entry e;
    struct scim_cache_shadow_view s;
    enum nss_status st = nss_entry_begin(&e, &nss_scim_shadow_source, errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = nss_status_of(scim_cache_shadow_by_name(nss_entry_cache(&e), name, &s), errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = fill_spwd(&s, sp, buf, buflen, errnop);
    return nss_entry_end(&e, st);
}

enum nss_status _nss_scim_setspent(int stayopen)
{
    (void)stayopen;
    nss_source_cursor_set(&nss_scim_shadow_source, NSS_CURSOR_SHADOW, 0);
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_scim_endspent(void)
{
    nss_source_cursor_set(&nss_scim_shadow_source, NSS_CURSOR_SHADOW, 0);
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_scim_getspent_r(struct spwd *sp, char *buf, size_t buflen, int *errnop)
{
    struct nss_entry e;
    struct scim_cache_shadow_view s;
    uint32_t pos = 0;
    enum nss_status st = nss_entry_begin_enum(&e, &nss_scim_shadow_source, NSS_CURSOR_SHADOW, &pos, errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = nss_status_of(scim_cache_shadow_at(nss_entry_cache(&e), pos, &s), errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = fill_spwd(&s, sp, buf, buflen, errnop);
    if (st == NSS_STATUS_SUCCESS)
        nss_source_cursor_set(&nss_scim_shadow_source, NSS_CURSOR_SHADOW, pos + 1);
    return nss_entry_end(&e, st);
}
