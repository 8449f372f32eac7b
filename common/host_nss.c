/* SPDX-License-Identifier: MIT */
#include "host_nss.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HOST_NSS_BUF_MAX (64u * 1024 * 1024)

static size_t initial_size = 16384;

void host_nss_set_initial_size(size_t size)
{
    initial_size = size > 0 ? size : 16384;
}

static int ask(enum host_nss_kind kind, const char *name, uint32_t id, struct host_nss_entry *e,
               size_t size, int *found)
{
    struct passwd *pwp = NULL;
    struct group *grp = NULL;
    int r;
    switch (kind) {
    case HOST_NSS_PWNAM:
        r = getpwnam_r(name, &e->pw, e->buf, size, &pwp);
        break;
    case HOST_NSS_PWUID:
        r = getpwuid_r((uid_t)id, &e->pw, e->buf, size, &pwp);
        break;
    case HOST_NSS_GRNAM:
        r = getgrnam_r(name, &e->gr, e->buf, size, &grp);
        break;
    default:
        r = getgrgid_r((gid_t)id, &e->gr, e->buf, size, &grp);
        break;
    }
    *found = pwp != NULL || grp != NULL;
    return r;
}

enum host_nss_answer host_nss_lookup(enum host_nss_kind kind, const char *name, uint32_t id,
                                     struct host_nss_entry *e, int *err)
{
    enum host_nss_answer ans = HOST_NSS_CANNOT_TELL;
    size_t size = initial_size;
    int dummy, found = 0, r;
    if (!err)
        err = &dummy;
    memset(e, 0, sizeof(*e));
    for (;;) {
        char *grown = realloc(e->buf, size);
        if (!grown) {
            *err = ENOMEM;
            goto out;
        }
        e->buf = grown;
        r = ask(kind, name, id, e, size, &found);
        if (r != ERANGE || size >= HOST_NSS_BUF_MAX)
            break;
        size = size * 4 < HOST_NSS_BUF_MAX ? size * 4 : HOST_NSS_BUF_MAX;
    }
    if (r != 0) {
        *err = r;
        goto out;
    }
    ans = found ? HOST_NSS_FOUND : HOST_NSS_NOT_FOUND;
out:
    if (ans != HOST_NSS_FOUND)
        host_nss_entry_free(e);
    return ans;
}

void host_nss_entry_free(struct host_nss_entry *e)
{
    free(e->buf);
    memset(e, 0, sizeof(*e));
}

enum host_nss_answer host_nss_id(enum host_nss_kind kind, const char *name, uint32_t id,
                                 uint32_t *id_out, int *err)
{
    struct host_nss_entry e;
    enum host_nss_answer ans = host_nss_lookup(kind, name, id, &e, err);
    if (ans == HOST_NSS_FOUND)
        *id_out = kind == HOST_NSS_PWNAM || kind == HOST_NSS_PWUID ? (uint32_t)e.pw.pw_uid
                                                                    : (uint32_t)e.gr.gr_gid;
    host_nss_entry_free(&e);
    return ans;
}
