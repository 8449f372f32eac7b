/* SPDX-License-Identifier: MIT */
/* The skeleton every lookup entry point shares (systemd's nss-systemd and nss-mdns do the
 * same with PROTECT_ERRNO / a status helper):
 *
 *     struct nss_entry e;
 *     enum nss_status st = nss_entry_begin(&e, &src, errnop);
 *     if (st == NSS_STATUS_SUCCESS)
 *         st = ...lookup in nss_entry_cache(&e)...;
 *     return nss_entry_end(&e, st);
 *
 * begin saves errno and takes a hold on the source's mapping; when that fails the call
 * answers NSS_STATUS_UNAVAIL with *errnop set to the reason (ENOENT for a missing file,
 * EPERM for an untrusted one, EBADMSG for a corrupt one, ESTALE for an older generation
 * put back...). end drops the hold and gives errno back unless a status that carries an
 * error code (TRYAGAIN, UNAVAIL) is returned: errnop is &errno in glibc. */
#ifndef NSS_SCIM_ENTRY_H
#define NSS_SCIM_ENTRY_H

#include <errno.h>
#include <nss.h>
#include <stdbool.h>
#include <stdint.h>

#include "nss_source.h"

struct nss_entry {
    int saved_errno;
    bool held;
    struct nss_ref ref;
};

static inline enum nss_status nss_entry_unavail(int neg_errno, int *errnop)
{
    *errnop = -neg_errno;
    return NSS_STATUS_UNAVAIL;
}

static inline enum nss_status nss_entry_acquire(struct nss_entry *e, struct nss_source *src,
                                                int *errnop)
{
    int rc = nss_source_acquire(src, &e->ref);
    if (rc < 0)
        return nss_entry_unavail(rc, errnop);
    e->held = true;
    return NSS_STATUS_SUCCESS;
}

static inline enum nss_status nss_entry_begin(struct nss_entry *e, struct nss_source *src,
                                              int *errnop)
{
    e->saved_errno = errno;
    e->held = false;
    return nss_entry_acquire(e, src, errnop);
}

/* For getXXent_r: also reads the enumeration cursor `which` into *pos first. */
static inline enum nss_status nss_entry_begin_enum(struct nss_entry *e, struct nss_source *src,
                                                   int which, uint32_t *pos, int *errnop)
{
    e->saved_errno = errno;
    e->held = false;
    int rc = nss_source_cursor_get(src, which, pos);
    if (rc < 0)
        return nss_entry_unavail(rc, errnop);
    return nss_entry_acquire(e, src, errnop);
}

static inline const struct scim_cache *nss_entry_cache(const struct nss_entry *e)
{
    return nss_ref_cache(&e->ref);
}

static inline enum nss_status nss_entry_end(struct nss_entry *e, enum nss_status st)
{
    int handed_back = errno; /* the code just put in *errnop when errnop is &errno */
    if (e->held)
        nss_source_release(&e->ref);
    e->held = false;
    errno = st == NSS_STATUS_SUCCESS || st == NSS_STATUS_NOTFOUND ? e->saved_errno : handed_back;
    return st;
}

#endif
