/* SPDX-License-Identifier: MIT */
/* Carving results out of the caller's buffer: every returned string lives there. */
#ifndef NSS_SCIM_BUFFER_H
#define NSS_SCIM_BUFFER_H

#include <errno.h>
#include <nss.h>
#include <stdint.h>
#include <string.h>

#include "scim_cache.h"

struct nss_buf {
    char *p;
    size_t left;
};

/* Copies len bytes plus a NUL; NULL when the buffer is too small. */
static inline char *nss_buf_str(struct nss_buf *b, const char *s, size_t len)
{
    if (len >= b->left)
        return NULL;
    char *d = b->p;
    memcpy(d, s, len);
    d[len] = '\0';
    b->p += len + 1;
    b->left -= len + 1;
    return d;
}

/* An array of n pointers, aligned for char *. */
static inline char **nss_buf_ptrs(struct nss_buf *b, size_t n)
{
    uintptr_t addr = (uintptr_t)b->p;
    size_t pad = (sizeof(char *) - addr % sizeof(char *)) % sizeof(char *);
    if (pad > b->left || n > (b->left - pad) / sizeof(char *))
        return NULL;
    char **arr = (char **)(b->p + pad);
    b->p += pad + n * sizeof(char *);
    b->left -= pad + n * sizeof(char *);
    return arr;
}

/* Maps a reader result (0, -ENOENT, other -errno) onto an NSS status: -ENOENT is an unknown
 * name, any other error a corrupt record (UNAVAIL, the reader's errno handed back). */
static inline enum nss_status nss_status_of(int rc, int *errnop)
{
    if (rc == 0)
        return NSS_STATUS_SUCCESS;
    if (rc == -ENOENT)
        return NSS_STATUS_NOTFOUND;
    *errnop = -rc;
    return NSS_STATUS_UNAVAIL;
}

static inline enum nss_status nss_erange(int *errnop)
{
    *errnop = ERANGE;
    return NSS_STATUS_TRYAGAIN;
}

#endif
