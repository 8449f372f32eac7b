/* SPDX-License-Identifier: MIT */
/* group: getgrnam_r, getgrgid_r and enumeration. Member names are copied straight from
 * the group's member list (no per-member record lookups), so a 10k-member group costs one
 * pass over its names. */
#include <errno.h>

#include "nss_buffer.h"
#include "nss_entry.h"
#include "nss_scim.h"
#include "nss_source.h"

struct member_fill {
    struct nss_buf *b;
    char **mem;
    uint32_t n;
};

static int add_member(void *ctx, const char *name, uint32_t len)
{
    struct member_fill *f = ctx;
    char *s = nss_buf_str(f->b, name, len);
    if (!s)
        return -ERANGE;
    f->mem[f->n++] = s;
    return 0;
}

static enum nss_status fill_group(const struct scim_cache *c, const struct scim_cache_group_view *g,
                                  struct group *gr, char *buffer, size_t buflen, int *errnop)
{
    struct nss_buf b = {buffer, buflen};
    char **mem = nss_buf_ptrs(&b, (size_t)g->n_members + 1);
    char *name = mem ? nss_buf_str(&b, g->name, g->name_len) : NULL;
    char *passwd = name ? nss_buf_str(&b, "x", 1) : NULL;
    if (!passwd)
        return nss_erange(errnop);
    struct member_fill f = {&b, mem, 0};
    int rc = scim_cache_group_members(c, g, add_member, &f);
    if (rc == -ERANGE)
        return nss_erange(errnop);
    if (rc != 0) {
        *errnop = -rc; /* a corrupt member list */
        return NSS_STATUS_UNAVAIL;
    }
    mem[f.n] = NULL;
    gr->gr_name = name;
    gr->gr_passwd = passwd;
    gr->gr_gid = g->gid;
    gr->gr_mem = mem;
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_scim_getgrnam_r(const char *name, struct group *gr, char *buf,
                                     size_t buflen, int *errnop)
{
    struct nss_entry e;
    struct scim_cache_group_view g;
    enum nss_status st = nss_entry_begin(&e, &nss_scim_nss_source, errnop);
    /* Mapped local groups are answered by name too: with "group: files [SUCCESS=merge]
     * scim" glibc merges their SCIM members into the local group. */
    if (st == NSS_STATUS_SUCCESS)
        st = nss_status_of(scim_cache_group_by_name(nss_entry_cache(&e), name, &g), errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = fill_group(nss_entry_cache(&e), &g, gr, buf, buflen, errnop);
    return nss_entry_end(&e, st);
}

enum nss_status _nss_scim_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t buflen,
                                     int *errnop)
{
    struct nss_entry e;
    struct scim_cache_group_view g;
    enum nss_status st = nss_entry_begin(&e, &nss_scim_nss_source, errnop);
    /* Never a mapped local gid: the reader refuses those by gid. */
    if (st == NSS_STATUS_SUCCESS)
        st = nss_status_of(scim_cache_group_by_gid(nss_entry_cache(&e), gid, &g), errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = fill_group(nss_entry_cache(&e), &g, gr, buf, buflen, errnop);
    return nss_entry_end(&e, st);
}

enum nss_status _nss_scim_setgrent(int stayopen)
{
    (void)stayopen;
    nss_source_cursor_set(&nss_scim_nss_source, NSS_CURSOR_GROUP, 0);
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_scim_endgrent(void)
{
    nss_source_cursor_set(&nss_scim_nss_source, NSS_CURSOR_GROUP, 0);
    return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_scim_getgrent_r(struct group *gr, char *buf, size_t buflen, int *errnop)
{
    struct nss_entry e;
    struct scim_cache_group_view g;
    uint32_t pos = 0;
    int rc;
    enum nss_status st =
        nss_entry_begin_enum(&e, &nss_scim_nss_source, NSS_CURSOR_GROUP, &pos, errnop);
    /* Enumeration lists SCIM's own groups only: mapped local groups belong to files. */
    if (st == NSS_STATUS_SUCCESS) {
        while ((rc = scim_cache_group_at(nss_entry_cache(&e), pos, &g)) == 0 &&
               g.kind == SCIM_GROUP_MAPPED_LOCAL)
            pos++;
        st = nss_status_of(rc, errnop);
    }
    if (st == NSS_STATUS_SUCCESS)
        st = fill_group(nss_entry_cache(&e), &g, gr, buf, buflen, errnop);
    if (st == NSS_STATUS_SUCCESS)
        nss_source_cursor_set(&nss_scim_nss_source, NSS_CURSOR_GROUP, pos + 1);
    return nss_entry_end(&e, st);
}
