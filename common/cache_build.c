/* SPDX-License-Identifier: MIT */
/* Builds nss.cache and shadow.cache images in memory from a validated snapshot. */
#include "cache_internal.h"
#include "cache_image.h"
#include "cache_strtab.h"
#include "cache_validate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- nss.cache */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The sections point into the image being built; only the strings and scratch are owned. */
struct nss_parts {
    struct strtab st;
    struct scim_cache_user_rec *users;
    struct scim_cache_group_rec *groups;
    uint32_t *gidlists;
    struct scim_cache_strref *members;
    struct scim_cache_slot *uname, *uid, *gname, *gid;
    uint32_t *gid_fill; /* per-user fill cursor while distributing gids */
    char *keys;         /* scratch: joined ssh keys */
};

static void nss_parts_free(struct nss_parts *p)
{
    cache_strtab_free(&p->st);
    free(p->gid_fill);
    free(p->keys);
}

/* Distributes each group's gid to its members' lists: count, prefix-sum, fill, sort. */
static int build_gidlists(const struct scim_cache_snapshot *snap, struct nss_parts *p)
{
    size_t total = 0;
    p->gid_fill = calloc(snap->n_users + 1, sizeof(uint32_t));
    if (!p->gid_fill)
        return -ENOMEM;
    for (size_t g = 0; g < snap->n_groups; g++)
        for (size_t m = 0; m < snap->groups[g].n_members; m++)
            p->users[snap->groups[g].member_user_idx[m]].gids_count++;
    for (size_t u = 0; u < snap->n_users; u++) {
        p->users[u].gids_first = (uint32_t)total;
        p->gid_fill[u] = (uint32_t)total;
        total += p->users[u].gids_count;
    }
    for (size_t g = 0; g < snap->n_groups; g++)
        for (size_t m = 0; m < snap->groups[g].n_members; m++)
            p->gidlists[p->gid_fill[snap->groups[g].member_user_idx[m]]++] = snap->groups[g].gid;
    for (size_t u = 0; u < snap->n_users; u++)
        qsort(p->gidlists + p->users[u].gids_first, p->users[u].gids_count, sizeof(uint32_t),
              cmp_u32);
    return 0;
}

/* Per-field previous values: repeats (one shell for everyone, homes without %u, no keys)
 * cost one memcmp instead of a copy. */
struct user_fields_prev {
    struct scim_cache_strref gecos, home, shell, keys;
};

static int join_keys(const struct scim_cache_user *u, struct nss_parts *p, size_t *cap,
                     struct user_fields_prev *prev, struct scim_cache_strref *ref)
{
    size_t need = 1;
    for (size_t k = 0; k < u->n_ssh_keys; k++)
        need += strlen(u->ssh_keys[k]) + 1;
    if (need > *cap) {
        char *k = realloc(p->keys, need);
        if (!k)
            return -ENOMEM;
        p->keys = k;
        *cap = need;
    }
    size_t len = 0;
    for (size_t k = 0; k < u->n_ssh_keys; k++) {
        size_t l = strlen(u->ssh_keys[k]);
        if (k > 0)
            p->keys[len++] = '\n';
        memcpy(p->keys + len, u->ssh_keys[k], l);
        len += l;
    }
    return cache_strtab_add_repeat(&p->st, p->keys, len, &prev->keys, ref);
}

static int add_field(struct strtab *st, const char *s, struct scim_cache_strref *prev,
                     struct scim_cache_strref *ref)
{
    return cache_strtab_add_repeat(st, s ? s : "", s ? strlen(s) : 0, prev, ref);
}

static int build_users(const struct scim_cache_snapshot *snap, struct nss_parts *p)
{
    size_t keys_cap = 0;
    struct user_fields_prev prev = {0};
    int rc;
    for (size_t i = 0; i < snap->n_users; i++) {
        const struct scim_cache_user *u = &snap->users[i];
        struct scim_cache_user_rec *r = &p->users[i];
        /* Names are unique (validated), so de-duplicating them could only cost time. */
        if ((rc = cache_strtab_push(&p->st, u->name, strlen(u->name), &r->name)) < 0 ||
            (rc = add_field(&p->st, u->gecos, &prev.gecos, &r->gecos)) < 0 ||
            (rc = add_field(&p->st, u->home, &prev.home, &r->home)) < 0 ||
            (rc = add_field(&p->st, u->shell, &prev.shell, &r->shell)) < 0 ||
            (rc = join_keys(u, p, &keys_cap, &prev, &r->ssh_keys)) < 0)
            return rc;
        r->uid = u->uid;
        r->gid = u->gid;
        r->flags = u->active ? SCIM_USER_F_ACTIVE : 0;
    }
    return 0;
}

/* Checksums need the final string table, so they run after all strings are added. */
static void seal_users(size_t n, struct nss_parts *p)
{
    for (size_t i = 0; i < n; i++) {
        struct scim_cache_user_rec *r = &p->users[i];
        const char *s = p->st.data;
        r->ssh_keys_crc = scim_crc32c(s + r->ssh_keys.off, r->ssh_keys.len);
        uint32_t crc = scim_crc32c(r, offsetof(struct scim_cache_user_rec, crc));
        crc = scim_crc32c_update(crc, s + r->name.off, r->name.len);
        crc = scim_crc32c_update(crc, s + r->gecos.off, r->gecos.len);
        crc = scim_crc32c_update(crc, s + r->home.off, r->home.len);
        crc = scim_crc32c_update(crc, s + r->shell.off, r->shell.len);
        crc = scim_crc32c_update(crc, p->gidlists + r->gids_first,
                                 (size_t)r->gids_count * sizeof(uint32_t));
        r->crc = crc;
    }
}

static void seal_group(struct nss_parts *p, struct scim_cache_group_rec *r)
{
    const char *s = p->st.data;
    const struct scim_cache_strref *refs = p->members + r->members_first;
    uint32_t mcrc = scim_crc32c(refs, (size_t)r->members_count * sizeof(*refs));
    for (uint32_t m = 0; m < r->members_count; m++)
        mcrc = scim_crc32c_update(mcrc, s + refs[m].off, refs[m].len);
    r->members_crc = mcrc;
    uint32_t crc = scim_crc32c(r, offsetof(struct scim_cache_group_rec, crc));
    r->crc = scim_crc32c_update(crc, s + r->name.off, r->name.len);
}

static int build_groups(const struct scim_cache_snapshot *snap, struct nss_parts *p)
{
    size_t nu = snap->n_users;
    for (size_t i = 0; i < nu; i++) /* private groups first: group index == user index */
        p->groups[i] = (struct scim_cache_group_rec){.name = p->users[i].name,
                                                     .gid = p->users[i].gid,
                                                     .kind = SCIM_GROUP_PRIVATE};
    size_t fill = 0;
    for (size_t g = 0; g < snap->n_groups; g++) {
        const struct scim_cache_group *in = &snap->groups[g];
        struct scim_cache_group_rec *r = &p->groups[nu + g];
        int rc = cache_strtab_add_str(&p->st, in->name, &r->name);
        if (rc < 0)
            return rc;
        r->gid = in->gid;
        r->kind = in->kind;
        r->members_first = (uint32_t)fill;
        r->members_count = (uint32_t)in->n_members;
        /* Each group gets its own contiguous copy of its members' names: getgrnam of a
         * 10k-member group then streams through memory instead of missing cache on
         * every name. */
        for (size_t m = 0; m < in->n_members; m++) {
            struct scim_cache_strref name = p->users[in->member_user_idx[m]].name;
            if ((rc = cache_strtab_push(&p->st, p->st.data + name.off, name.len,
                                        &p->members[fill++])) < 0)
                return rc;
        }
    }
    return 0;
}

static size_t str_bound(const char *s)
{
    return (s ? strlen(s) : 0) + 1;
}

/* The most string bytes the NSS image can need: every string stored once, as if nothing
 * repeated. The strings are built in place in that room, then the image shrinks to fit. */
static size_t nss_strings_bound(const struct scim_cache_snapshot *snap)
{
    size_t n = 1;
    for (size_t i = 0; i < snap->n_users; i++) {
        const struct scim_cache_user *u = &snap->users[i];
        n += str_bound(u->name) + str_bound(u->gecos) + str_bound(u->home) +
             str_bound(u->shell) + 1;
        for (size_t k = 0; k < u->n_ssh_keys; k++)
            n += str_bound(u->ssh_keys[k]);
    }
    for (size_t g = 0; g < snap->n_groups; g++) {
        n += str_bound(snap->groups[g].name);
        for (size_t m = 0; m < snap->groups[g].n_members; m++)
            n += str_bound(snap->users[snap->groups[g].member_user_idx[m]].name);
    }
    return n;
}

enum { NSS_USERS, NSS_GROUPS, NSS_GIDLISTS, NSS_MEMBERS, NSS_UNAME, NSS_UID, NSS_GNAME,
       NSS_GID, NSS_FIXED_SECTIONS, NSS_SUBIDS = NSS_FIXED_SECTIONS };

static size_t count_subids(const struct scim_cache_snapshot *snap)
{
    size_t n = 0;
    for (size_t i = 0; i < snap->n_users; i++)
        n += snap->users[i].subid_count > 0;
    return n;
}

/* In user order (readers binary-search by user); sealed after the names are final. */
static void build_subids(const struct scim_cache_snapshot *snap, struct nss_parts *p,
                         struct scim_cache_subid_rec *out)
{
    size_t n = 0;
    for (size_t i = 0; i < snap->n_users; i++) {
        if (snap->users[i].subid_count == 0)
            continue;
        struct scim_cache_subid_rec *r = &out[n++];
        r->user = (uint32_t)i;
        r->start = snap->users[i].subid_start;
        r->count = snap->users[i].subid_count;
        uint32_t crc = scim_crc32c(r, offsetof(struct scim_cache_subid_rec, crc));
        const struct scim_cache_strref name = p->users[i].name;
        r->crc = scim_crc32c_update(crc, p->st.data + name.off, name.len);
    }
}

static int build_nss(const struct scim_cache_snapshot *snap, uint64_t seed, uint8_t **out,
                     size_t *out_len)
{
    struct nss_parts p = {0};
    struct cache_image im = {0};
    size_t nu = snap->n_users, ng = nu + snap->n_groups, n_memberships = 0;
    uint32_t su = cache_index_size(nu), sg = cache_index_size(ng);
    /* Every membership is one gid in its user's list and one name in its group's list. */
    for (size_t g = 0; g < snap->n_groups; g++)
        n_memberships += snap->groups[g].n_members;
    if (n_memberships > UINT32_MAX)
        return -E2BIG;
    size_t n_sub = count_subids(snap);
    /* The SUBIDS section only when there are slices: a cache without subids stays
     * byte-for-byte what older writers produced. */
    uint32_t n_sect = NSS_FIXED_SECTIONS + (n_sub > 0);
    const struct sect_in fixed[NSS_FIXED_SECTIONS + 1] = {
        [NSS_USERS] = {SCIM_SECT_USERS, sizeof(*p.users), (uint32_t)nu},
        [NSS_GROUPS] = {SCIM_SECT_GROUPS, sizeof(*p.groups), (uint32_t)ng},
        [NSS_GIDLISTS] = {SCIM_SECT_GIDLISTS, sizeof(uint32_t), (uint32_t)n_memberships},
        [NSS_MEMBERS] = {SCIM_SECT_MEMBERS, sizeof(*p.members), (uint32_t)n_memberships},
        [NSS_UNAME] = {SCIM_SECT_USER_NAME_INDEX, sizeof(*p.uname), su},
        [NSS_UID] = {SCIM_SECT_USER_ID_INDEX, sizeof(*p.uid), su},
        [NSS_GNAME] = {SCIM_SECT_GROUP_NAME_INDEX, sizeof(*p.gname), sg},
        [NSS_GID] = {SCIM_SECT_GROUP_ID_INDEX, sizeof(*p.gid), sg},
        [NSS_SUBIDS] = {SCIM_SECT_SUBIDS, sizeof(struct scim_cache_subid_rec), (uint32_t)n_sub},
    };
    size_t strings_cap = nss_strings_bound(snap);
    int rc = cache_image_begin(&im, fixed, n_sect, strings_cap);
    if (rc < 0 ||
        (rc = cache_strtab_init(&p.st, cache_image_at(&im, n_sect), strings_cap)) < 0)
        goto out;
    p.users = cache_image_at(&im, NSS_USERS);
    p.groups = cache_image_at(&im, NSS_GROUPS);
    p.gidlists = cache_image_at(&im, NSS_GIDLISTS);
    p.members = cache_image_at(&im, NSS_MEMBERS);
    p.uname = cache_image_at(&im, NSS_UNAME);
    p.uid = cache_image_at(&im, NSS_UID);
    p.gname = cache_image_at(&im, NSS_GNAME);
    p.gid = cache_image_at(&im, NSS_GID);
    if ((rc = build_users(snap, &p)) < 0 || (rc = build_gidlists(snap, &p)) < 0 ||
        (rc = build_groups(snap, &p)) < 0)
        goto out;
    seal_users(nu, &p);
    if (n_sub > 0)
        build_subids(snap, &p, cache_image_at(&im, NSS_SUBIDS));
    for (size_t g = 0; g < ng; g++)
        seal_group(&p, &p.groups[g]);
    for (size_t i = 0; i < nu; i++) {
        cache_index_put_name(p.uname, su, seed, snap->users[i].name, (uint32_t)i);
        cache_index_put_id(p.uid, su, seed, snap->users[i].uid, (uint32_t)i);
    }
    for (size_t g = 0; g < ng; g++) {
        cache_index_put_name(p.gname, sg, seed, p.st.data + p.groups[g].name.off, (uint32_t)g);
        cache_index_put_id(p.gid, sg, seed, p.groups[g].gid, (uint32_t)g);
    }
    if (p.st.len > UINT32_MAX) {
        rc = -E2BIG;
        goto out;
    }
    const struct sect_in strings = {SCIM_SECT_STRINGS, 1, (uint32_t)p.st.len};
    rc = cache_image_finish(&im, SCIM_CACHE_MAGIC_NSS, snap, seed, &strings, out, out_len);
out:
    nss_parts_free(&p); /* before the image: the strings live in it */
    cache_image_free(&im);
    return rc;
}

/* ---- shadow.cache */

static int shadow_passwd(const struct scim_cache_user *u, char **buf, size_t *cap,
                         const char **out)
{
    const char *hash = u->password_hash ? u->password_hash : "*";
    if (u->active) {
        *out = hash;
        return 0;
    }
    size_t need = strlen(hash) + 2;
    if (need > *cap) {
        char *b = realloc(*buf, need);
        if (!b)
            return -ENOMEM;
        *buf = b;
        *cap = need;
    }
    (*buf)[0] = '!';
    memcpy(*buf + 1, hash, need - 1);
    *out = *buf;
    return 0;
}

static int build_shadow(const struct scim_cache_snapshot *snap, uint64_t seed, uint8_t **out,
                        size_t *out_len)
{
    struct strtab st = {0};
    struct cache_image im = {0};
    size_t nu = snap->n_users, cap = 0;
    uint32_t size = cache_index_size(nu);
    struct scim_cache_shadow_rec *recs;
    struct scim_cache_slot *idx;
    char *locked = NULL;
    const struct sect_in fixed[] = {
        {SCIM_SECT_SHADOW, sizeof(*recs), (uint32_t)nu},
        {SCIM_SECT_SHADOW_NAME_INDEX, sizeof(*idx), size},
    };
    /* Room for every name and password once, plus the '!' of a locked one. */
    size_t strings_cap = 1;
    for (size_t i = 0; i < nu; i++)
        strings_cap += str_bound(snap->users[i].name) +
                       str_bound(snap->users[i].password_hash ? snap->users[i].password_hash
                                                              : "*") + 1;
    int rc = cache_image_begin(&im, fixed, 2, strings_cap);
    if (rc < 0 || (rc = cache_strtab_init(&st, cache_image_at(&im, 2), strings_cap)) < 0)
        goto out;
    recs = cache_image_at(&im, 0);
    idx = cache_image_at(&im, 1);
    struct scim_cache_strref prev_pw = {0};
    for (size_t i = 0; i < nu; i++) {
        const struct scim_cache_user *u = &snap->users[i];
        struct scim_cache_shadow_rec *r = &recs[i];
        const char *pw;
        /* Hashes never repeat, but "*" (no synced password) usually does, user after user. */
        if ((rc = shadow_passwd(u, &locked, &cap, &pw)) < 0 ||
            (rc = cache_strtab_push(&st, u->name, strlen(u->name), &r->name)) < 0 ||
            (rc = cache_strtab_add_repeat(&st, pw, strlen(pw), &prev_pw, &r->passwd)) < 0)
            goto out;
        r->lstchg = (int32_t)u->last_change_day;
        r->min = r->max = r->warn = r->inact = -1;
        r->expire = u->active ? -1 : 1;
        r->flags = u->active ? SCIM_USER_F_ACTIVE : 0;
        cache_index_put_name(idx, size, seed, u->name, (uint32_t)i);
    }
    for (size_t i = 0; i < nu; i++) {
        struct scim_cache_shadow_rec *r = &recs[i];
        uint32_t crc = scim_crc32c(r, offsetof(struct scim_cache_shadow_rec, crc));
        crc = scim_crc32c_update(crc, st.data + r->name.off, r->name.len);
        r->crc = scim_crc32c_update(crc, st.data + r->passwd.off, r->passwd.len);
    }
    if (st.len > UINT32_MAX) {
        rc = -E2BIG;
        goto out;
    }
    const struct sect_in strings = {SCIM_SECT_STRINGS, 1, (uint32_t)st.len};
    rc = cache_image_finish(&im, SCIM_CACHE_MAGIC_SHADOW, snap, seed, &strings, out, out_len);
out:
    cache_strtab_free(&st); /* before the image: the strings live in it */
    cache_image_free(&im);
    free(locked);
    return rc;
}

int cache_build_image(const struct scim_cache_snapshot *snap, enum scim_cache_file kind,
                      uint8_t **out, size_t *out_len, char *errbuf, size_t errlen)
{
    bool nss = kind == SCIM_CACHE_FILE_NSS;
    int rc = nss ? build_nss(snap, cache_new_seed(), out, out_len)
                 : build_shadow(snap, cache_new_seed(), out, out_len);
    if (rc < 0)
        scim_cache_seterr(errbuf, errlen, rc, "building %s cache: %s", nss ? "nss" : "shadow",
                          strerror(-rc));
    return rc;
}

int scim_cache_build(const struct scim_cache_snapshot *snap, uint8_t **nss_out,
                     size_t *nss_len, uint8_t **shadow_out, size_t *shadow_len,
                     char *errbuf, size_t errlen)
{
    uint8_t *nss = NULL, *shadow = NULL;
    size_t nl = 0, sl = 0;
    int rc = scim_cache_validate_snapshot(snap, errbuf, errlen);
    if (rc < 0)
        goto out;
    if (nss_out &&
        (rc = cache_build_image(snap, SCIM_CACHE_FILE_NSS, &nss, &nl, errbuf, errlen)) < 0)
        goto out;
    if (shadow_out &&
        (rc = cache_build_image(snap, SCIM_CACHE_FILE_SHADOW, &shadow, &sl, errbuf, errlen)) < 0)
        goto out;
    if (nss_out) {
        *nss_out = nss;
        *nss_len = nl;
        nss = NULL;
    }
    if (shadow_out) {
        *shadow_out = shadow;
        *shadow_len = sl;
        shadow = NULL;
    }
out:
    free(nss);
    free(shadow);
    return rc;
}
