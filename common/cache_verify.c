/* SPDX-License-Identifier: MIT */
/* Full consistency check of a cache: what the writer runs before publishing and what
 * `scimctl cache verify` runs. Unlike NSS lookups it reads every byte. */
#include "cache_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int check_section_crcs(const struct scim_cache *c, char *err, size_t errlen)
{
    const struct scim_cache_section *tab =
        (const struct scim_cache_section *)(c->base + sizeof(struct scim_cache_header));
    for (uint32_t i = 0; i < c->hdr->section_count; i++)
        if (scim_crc32c(c->base + tab[i].offset, tab[i].length) != tab[i].crc)
            return scim_cache_seterr(err, errlen, -EBADMSG,
                                     "section %u (type %u): checksum mismatch", i, tab[i].type);
    return 0;
}

/* Every slot points at a distinct record whose id/name hash matches the slot; with the
 * slot count equal to the record count, every record is indexed exactly once. */
static int check_index(const struct scim_cache_span *idx, uint32_t n_records, const char *what,
                       char *err, size_t errlen)
{
    const struct scim_cache_slot *slots = (const struct scim_cache_slot *)idx->data;
    uint8_t *seen = calloc(n_records ? n_records : 1, 1);
    uint32_t used = 0;
    int rc = 0;
    if (!seen)
        return scim_cache_seterr(err, errlen, -ENOMEM, "out of memory");
    for (uint32_t i = 0; i < idx->count; i++) {
        if (slots[i].idx_plus1 == 0)
            continue;
        uint32_t r = slots[i].idx_plus1 - 1;
        if (r >= n_records || seen[r]) {
            rc = scim_cache_seterr(err, errlen, -EBADMSG, "%s index: bad slot %u", what, i);
            goto out;
        }
        seen[r] = 1;
        used++;
    }
    if (used != n_records)
        rc = scim_cache_seterr(err, errlen, -EBADMSG, "%s index holds %u of %u records", what,
                               used, n_records);
out:
    free(seen);
    return rc;
}

static int count_member(void *ctx, const char *name, uint32_t len)
{
    (void)name;
    (void)len;
    (*(uint32_t *)ctx)++;
    return 0;
}

static int verify_nss(const struct scim_cache *c, char *err, size_t errlen)
{
    int rc;
    if ((rc = check_index(&c->user_name_idx, c->users.count, "user name", err, errlen)) < 0 ||
        (rc = check_index(&c->user_id_idx, c->users.count, "uid", err, errlen)) < 0 ||
        (rc = check_index(&c->group_name_idx, c->groups.count, "group name", err, errlen)) < 0 ||
        (rc = check_index(&c->group_id_idx, c->groups.count, "gid", err, errlen)) < 0)
        return rc;
    for (uint32_t i = 0; i < c->users.count; i++) {
        struct scim_cache_user_view u, byname, byid;
        if (scim_cache_user_at(c, i, &u) < 0)
            return scim_cache_seterr(err, errlen, -EBADMSG, "user record %u is corrupt", i);
        if (!scim_cache_user_ssh_keys_ok(&u))
            return scim_cache_seterr(err, errlen, -EBADMSG, "user %s: SSH key list is corrupt",
                                     u.name);
        if (scim_cache_user_by_name(c, u.name, &byname) < 0 || byname.index != i ||
            scim_cache_user_by_uid(c, u.uid, &byid) < 0 || byid.index != i)
            return scim_cache_seterr(err, errlen, -EBADMSG,
                                     "user %s (uid %u) is not reachable through its indexes",
                                     u.name, u.uid);
    }
    for (uint32_t i = 0; i < c->groups.count; i++) {
        struct scim_cache_group_view g, byname, byid;
        uint32_t n = 0;
        if (scim_cache_group_at(c, i, &g) < 0)
            return scim_cache_seterr(err, errlen, -EBADMSG, "group record %u is corrupt", i);
        if (scim_cache_group_by_name(c, g.name, &byname) < 0 || byname.index != i ||
            (g.kind != SCIM_GROUP_MAPPED_LOCAL &&
             (scim_cache_group_by_gid(c, g.gid, &byid) < 0 || byid.index != i)))
            return scim_cache_seterr(err, errlen, -EBADMSG,
                                     "group %s (gid %u) is not reachable through its indexes",
                                     g.name, g.gid);
        if (scim_cache_group_members(c, &g, count_member, &n) != 0 || n != g.n_members)
            return scim_cache_seterr(err, errlen, -EBADMSG, "group %s: member list is corrupt",
                                     g.name);
    }
    return 0;
}

static int cmp_start(const void *a, const void *b)
{
    const struct scim_cache_subid_view *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Every slice readable, in strictly increasing user order (readers binary-search it), and
 * no two slices sharing an id. */
static int verify_subids(const struct scim_cache *c, char *err, size_t errlen)
{
    uint32_t n = c->subids.count;
    struct scim_cache_subid_view *v = malloc(((size_t)n + 1) * sizeof(*v));
    int rc = 0;
    if (!v)
        return scim_cache_seterr(err, errlen, -ENOMEM, "out of memory");
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        if (scim_cache_subid_at(c, i, &v[i]) < 0)
            rc = scim_cache_seterr(err, errlen, -EBADMSG, "subid record %u is corrupt", i);
        else if (i > 0 && v[i].user_index <= v[i - 1].user_index)
            rc = scim_cache_seterr(err, errlen, -EBADMSG,
                                   "subid record %u is out of user order", i);
    }
    if (rc == 0) {
        qsort(v, n, sizeof(*v), cmp_start);
        for (uint32_t i = 1; i < n && rc == 0; i++)
            if ((uint64_t)v[i - 1].start + v[i - 1].count > v[i].start)
                rc = scim_cache_seterr(err, errlen, -EBADMSG,
                                       "subordinate ids %u+%u and %u+%u overlap", v[i - 1].start,
                                       v[i - 1].count, v[i].start, v[i].count);
    }
    free(v);
    return rc;
}

static int verify_shadow(const struct scim_cache *c, char *err, size_t errlen)
{
    int rc = check_index(&c->shadow_name_idx, c->shadow.count, "shadow name", err, errlen);
    if (rc < 0)
        return rc;
    for (uint32_t i = 0; i < c->shadow.count; i++) {
        struct scim_cache_shadow_view s, byname;
        if (scim_cache_shadow_at(c, i, &s) < 0)
            return scim_cache_seterr(err, errlen, -EBADMSG, "shadow record %u is corrupt", i);
        if (scim_cache_shadow_by_name(c, s.name, &byname) < 0 || byname.name != s.name)
            return scim_cache_seterr(err, errlen, -EBADMSG,
                                     "shadow entry %s is not reachable through its index", s.name);
    }
    return 0;
}

int scim_cache_verify_mapped(const struct scim_cache *c, char *err, size_t errlen)
{
    int rc = check_section_crcs(c, err, errlen);
    if (rc < 0)
        return rc;
    if (c->kind == SCIM_CACHE_FILE_NSS && (rc = verify_nss(c, err, errlen)) == 0)
        rc = verify_subids(c, err, errlen);
    return c->kind == SCIM_CACHE_FILE_NSS ? rc : verify_shadow(c, err, errlen);
}

int scim_cache_verify(const char *path, char *err, size_t errlen)
{
    struct scim_cache c;
    enum scim_cache_file kind;
    int rc = scim_cache_detect_kind(path, &kind, err, errlen);
    if (rc < 0)
        return rc;
    rc = scim_cache_open(&c, path, kind, 0, err, errlen);
    if (rc < 0)
        return rc;
    rc = scim_cache_verify_mapped(&c, err, errlen);
    scim_cache_close(&c);
    return rc;
}
