/* group: getgrnam_r, getgrgid_r and enumeration. Member names are copied straight from
 * the group's member list (no per-member record lookups), so a 10k-member group costs one
 * pass over its names. */
#include <errno.h>

#include "nss_buffer.h"
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
        *errnop = ENOENT;
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
    int saved = errno;
    struct nss_ref ref;
    struct scim_cache_group_view g;
    enum nss_status st;
    if (nss_source_acquire(&nss_scim_nss_source, &ref) < 0) {
        *errnop = ENOENT;
        st = NSS_STATUS_UNAVAIL;
        goto out;
    }
    /* Mapped local groups are answered by name too: with "group: files [SUCCESS=merge]
     * scim" glibc merges their SCIM members into the local group. */
    st = nss_status_of(scim_cache_group_by_name(nss_ref_cache(&ref), name, &g), errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = fill_group(nss_ref_cache(&ref), &g, gr, buf, buflen, errnop);
    nss_source_release(&ref);
out:
    /* errnop is &errno in glibc: restore only when no error code was handed back. */
    if (st == NSS_STATUS_SUCCESS || st == NSS_STATUS_NOTFOUND)
        errno = saved;
    return st;
}

enum nss_status _nss_scim_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t buflen,
                                     int *errnop)
{
    int saved = errno;
    struct nss_ref ref;
    struct scim_cache_group_view g;
    enum nss_status st;
    if (nss_source_acquire(&nss_scim_nss_source, &ref) < 0) {
        *errnop = ENOENT;
        st = NSS_STATUS_UNAVAIL;
        goto out;
    }
    /* Never a mapped local gid: the reader refuses those by gid. */
    st = nss_status_of(scim_cache_group_by_gid(nss_ref_cache(&ref), gid, &g), errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = fill_group(nss_ref_cache(&ref), &g, gr, buf, buflen, errnop);
    nss_source_release(&ref);
out:
    /* errnop is &errno in glibc: restore only when no error code was handed back. */
    if (st == NSS_STATUS_SUCCESS || st == NSS_STATUS_NOTFOUND)
        errno = saved;
    return st;
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
    int saved = errno;
    struct nss_ref ref;
    struct scim_cache_group_view g;
    uint32_t pos;
    int rc;
    enum nss_status st;
    if (!nss_source_cursor_get(&nss_scim_nss_source, NSS_CURSOR_GROUP, &pos) ||
        nss_source_acquire(&nss_scim_nss_source, &ref) < 0) {
        *errnop = ENOENT;
        st = NSS_STATUS_UNAVAIL;
        goto out;
    }
    /* Enumeration lists SCIM's own groups only: mapped local groups belong to files. */
    while ((rc = scim_cache_group_at(nss_ref_cache(&ref), pos, &g)) == 0 &&
           g.kind == SCIM_GROUP_MAPPED_LOCAL)
        pos++;
    st = nss_status_of(rc, errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = fill_group(nss_ref_cache(&ref), &g, gr, buf, buflen, errnop);
    if (st == NSS_STATUS_SUCCESS)
        nss_source_cursor_set(&nss_scim_nss_source, NSS_CURSOR_GROUP, pos + 1);
    nss_source_release(&ref);
out:
    /* errnop is &errno in glibc: restore only when no error code was handed back. */
    if (st == NSS_STATUS_SUCCESS || st == NSS_STATUS_NOTFOUND)
        errno = saved;
    return st;
}
