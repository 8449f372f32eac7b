/* SPDX-License-Identifier: MIT */
/* Record access: index probes, bounds checks and per-record checksums. No allocation,
 * no system calls: this is the NSS hot path. */
#include "cache_internal.h"

#include <errno.h>
#include <string.h>

static int get_str(const struct scim_cache *c, struct scim_cache_strref r, const char **p)
{
    if (r.off >= c->strings.length || r.len >= c->strings.length - r.off ||
        c->strings.data[r.off + r.len] != '\0')
        return -EBADMSG;
    *p = (const char *)c->strings.data + r.off;
    return 0;
}

static bool slice_ok(uint32_t first, uint32_t count, uint32_t total)
{
    return first <= total && count <= total - first;
}

static int load_user(const struct scim_cache *c, uint32_t index, struct scim_cache_user_view *u)
{
    struct scim_cache_user_rec rec;
    if (index >= c->users.count)
        return -ENOENT;
    memcpy(&rec, c->users.data + (size_t)index * sizeof(rec), sizeof(rec));
    if (get_str(c, rec.name, &u->name) < 0 || get_str(c, rec.gecos, &u->gecos) < 0 ||
        get_str(c, rec.home, &u->home) < 0 || get_str(c, rec.shell, &u->shell) < 0 ||
        get_str(c, rec.ssh_keys, &u->ssh_keys) < 0 ||
        !slice_ok(rec.gids_first, rec.gids_count, c->gidlists.count))
        return -EBADMSG;
    u->gids = (const uint32_t *)c->gidlists.data + rec.gids_first;
    uint32_t crc = scim_crc32c(&rec, offsetof(struct scim_cache_user_rec, crc));
    crc = scim_crc32c_update(crc, u->name, rec.name.len);
    crc = scim_crc32c_update(crc, u->gecos, rec.gecos.len);
    crc = scim_crc32c_update(crc, u->home, rec.home.len);
    crc = scim_crc32c_update(crc, u->shell, rec.shell.len);
    /* SSH keys (often hundreds of bytes) have their own checksum, checked only when
     * they are read: getpwnam should not pay for them. */
    crc = scim_crc32c_update(crc, u->gids, (size_t)rec.gids_count * sizeof(uint32_t));
    if (crc != rec.crc)
        return -EBADMSG;
    if (!scim_cache_id_allowed(rec.uid) || !scim_cache_id_allowed(rec.gid) || rec.name.len == 0)
        return -EBADMSG;
    for (uint32_t i = 0; i < rec.gids_count; i++)
        if (u->gids[i] == 0)
            return -EBADMSG;
    u->name_len = rec.name.len;
    u->gecos_len = rec.gecos.len;
    u->home_len = rec.home.len;
    u->shell_len = rec.shell.len;
    u->ssh_keys_len = rec.ssh_keys.len;
    u->ssh_keys_crc = rec.ssh_keys_crc;
    u->uid = rec.uid;
    u->gid = rec.gid;
    u->active = (rec.flags & SCIM_USER_F_ACTIVE) != 0;
    u->n_gids = rec.gids_count;
    u->index = index;
    return 0;
}

static int load_group(const struct scim_cache *c, uint32_t index, struct scim_cache_group_view *g)
{
    struct scim_cache_group_rec rec;
    if (index >= c->groups.count)
        return -ENOENT;
    memcpy(&rec, c->groups.data + (size_t)index * sizeof(rec), sizeof(rec));
    if (get_str(c, rec.name, &g->name) < 0 ||
        !slice_ok(rec.members_first, rec.members_count, c->members.count))
        return -EBADMSG;
    uint32_t crc = scim_crc32c(&rec, offsetof(struct scim_cache_group_rec, crc));
    crc = scim_crc32c_update(crc, g->name, rec.name.len);
    if (crc != rec.crc || rec.name.len == 0)
        return -EBADMSG;
    if (rec.kind < SCIM_GROUP_ROLE || rec.kind > SCIM_GROUP_PRIVATE)
        return -EBADMSG;
    if (rec.kind == SCIM_GROUP_MAPPED_LOCAL ? rec.gid == 0 : !scim_cache_id_allowed(rec.gid))
        return -EBADMSG;
    g->name_len = rec.name.len;
    g->gid = rec.gid;
    g->kind = (enum scim_group_kind)rec.kind;
    g->n_members = rec.members_count;
    g->index = index;
    g->members_first = rec.members_first;
    g->members_crc = rec.members_crc;
    return 0;
}

static int load_shadow(const struct scim_cache *c, uint32_t index, struct scim_cache_shadow_view *s)
{
    struct scim_cache_shadow_rec rec;
    if (index >= c->shadow.count)
        return -ENOENT;
    memcpy(&rec, c->shadow.data + (size_t)index * sizeof(rec), sizeof(rec));
    if (get_str(c, rec.name, &s->name) < 0 || get_str(c, rec.passwd, &s->passwd) < 0)
        return -EBADMSG;
    uint32_t crc = scim_crc32c(&rec, offsetof(struct scim_cache_shadow_rec, crc));
    crc = scim_crc32c_update(crc, s->name, rec.name.len);
    crc = scim_crc32c_update(crc, s->passwd, rec.passwd.len);
    if (crc != rec.crc || rec.name.len == 0)
        return -EBADMSG;
    s->name_len = rec.name.len;
    s->passwd_len = rec.passwd.len;
    s->lstchg = rec.lstchg;
    s->min = rec.min;
    s->max = rec.max;
    s->warn = rec.warn;
    s->inact = rec.inact;
    s->expire = rec.expire;
    s->active = (rec.flags & SCIM_USER_F_ACTIVE) != 0;
    return 0;
}

/* Probes a name index. load() fills the view and returns its name for comparison. */
typedef int (*load_named_fn)(const struct scim_cache *c, uint32_t index, void *view,
                             const char **name, uint32_t *len);

static int probe_name(const struct scim_cache *c, const struct scim_cache_span *idx,
                      const char *name, load_named_fn load, void *view)
{
    if (!name)
        return -ENOENT;
    size_t len = strlen(name);
    uint64_t h = scim_hash_bytes(c->seed, name, len);
    uint32_t mask = idx->count - 1, tag = (uint32_t)(h >> 32);
    const struct scim_cache_slot *slots = (const struct scim_cache_slot *)idx->data;
    uint32_t b = (uint32_t)h & mask;
    for (uint32_t probes = 0; probes < idx->count; probes++, b = (b + 1) & mask) {
        struct scim_cache_slot s = slots[b];
        if (s.idx_plus1 == 0)
            return -ENOENT;
        if (s.tag != tag)
            continue;
        const char *rn;
        uint32_t rl;
        int rc = load(c, s.idx_plus1 - 1, view, &rn, &rl);
        if (rc < 0)
            return rc == -ENOENT ? -EBADMSG : rc; /* slot points past the table */
        if (rl == len && memcmp(rn, name, len) == 0)
            return 0;
    }
    return -ENOENT;
}

typedef int (*load_id_fn)(const struct scim_cache *c, uint32_t index, void *view, uint32_t *id);

static int probe_id(const struct scim_cache *c, const struct scim_cache_span *idx, uint32_t id,
                    load_id_fn load, void *view)
{
    uint32_t mask = idx->count - 1;
    const struct scim_cache_slot *slots = (const struct scim_cache_slot *)idx->data;
    uint32_t b = (uint32_t)scim_hash_u32(c->seed, id) & mask;
    for (uint32_t probes = 0; probes < idx->count; probes++, b = (b + 1) & mask) {
        struct scim_cache_slot s = slots[b];
        if (s.idx_plus1 == 0)
            return -ENOENT;
        if (s.tag != id)
            continue;
        uint32_t rid;
        int rc = load(c, s.idx_plus1 - 1, view, &rid);
        if (rc < 0)
            return rc == -ENOENT ? -EBADMSG : rc;
        if (rid == id)
            return 0;
        return -EBADMSG; /* the tag is the id: a mismatch means corruption */
    }
    return -ENOENT;
}

static int user_named(const struct scim_cache *c, uint32_t i, void *v, const char **n, uint32_t *l)
{
    struct scim_cache_user_view *u = v;
    int rc = load_user(c, i, u);
    *n = u->name;
    *l = u->name_len;
    return rc;
}

static int user_id(const struct scim_cache *c, uint32_t i, void *v, uint32_t *id)
{
    struct scim_cache_user_view *u = v;
    int rc = load_user(c, i, u);
    *id = u->uid;
    return rc;
}

static int group_named(const struct scim_cache *c, uint32_t i, void *v, const char **n, uint32_t *l)
{
    struct scim_cache_group_view *g = v;
    int rc = load_group(c, i, g);
    *n = g->name;
    *l = g->name_len;
    return rc;
}

static int group_id(const struct scim_cache *c, uint32_t i, void *v, uint32_t *id)
{
    struct scim_cache_group_view *g = v;
    int rc = load_group(c, i, g);
    *id = g->gid;
    return rc;
}

static int shadow_named(const struct scim_cache *c, uint32_t i, void *v, const char **n, uint32_t *l)
{
    struct scim_cache_shadow_view *s = v;
    int rc = load_shadow(c, i, s);
    *n = s->name;
    *l = s->name_len;
    return rc;
}

int scim_cache_user_by_name(const struct scim_cache *c, const char *name,
                            struct scim_cache_user_view *u)
{
    if (c->kind != SCIM_CACHE_FILE_NSS)
        return -EINVAL;
    return probe_name(c, &c->user_name_idx, name, user_named, u);
}

int scim_cache_user_by_uid(const struct scim_cache *c, uint32_t uid, struct scim_cache_user_view *u)
{
    if (c->kind != SCIM_CACHE_FILE_NSS)
        return -EINVAL;
    return probe_id(c, &c->user_id_idx, uid, user_id, u);
}

int scim_cache_user_at(const struct scim_cache *c, uint32_t index, struct scim_cache_user_view *u)
{
    if (c->kind != SCIM_CACHE_FILE_NSS)
        return -EINVAL;
    return load_user(c, index, u);
}

uint32_t scim_cache_user_count(const struct scim_cache *c)
{
    return c->kind == SCIM_CACHE_FILE_NSS ? c->users.count : 0;
}

bool scim_cache_has_user(const struct scim_cache *c, const char *name)
{
    struct scim_cache_user_view u;
    return scim_cache_user_by_name(c, name, &u) == 0;
}

bool scim_cache_has_uid(const struct scim_cache *c, uint32_t uid)
{
    struct scim_cache_user_view u;
    return scim_cache_user_by_uid(c, uid, &u) == 0;
}

bool scim_cache_user_ssh_keys_ok(const struct scim_cache_user_view *u)
{
    return scim_crc32c(u->ssh_keys, u->ssh_keys_len) == u->ssh_keys_crc;
}

bool scim_cache_ssh_key_next(const struct scim_cache_user_view *u, uint32_t *pos,
                             const char **key, uint32_t *len)
{
    if (*pos == 0 && !scim_cache_user_ssh_keys_ok(u))
        return false; /* a damaged key list yields no keys */
    while (*pos < u->ssh_keys_len) {
        const char *start = u->ssh_keys + *pos;
        const char *nl = memchr(start, '\n', u->ssh_keys_len - *pos);
        uint32_t l = nl ? (uint32_t)(nl - start) : u->ssh_keys_len - *pos;
        *pos += l + (nl ? 1 : 0);
        if (l == 0)
            continue;
        *key = start;
        *len = l;
        return true;
    }
    return false;
}

int scim_cache_group_by_name(const struct scim_cache *c, const char *name,
                             struct scim_cache_group_view *g)
{
    if (c->kind != SCIM_CACHE_FILE_NSS)
        return -EINVAL;
    return probe_name(c, &c->group_name_idx, name, group_named, g);
}

int scim_cache_group_by_gid(const struct scim_cache *c, uint32_t gid,
                            struct scim_cache_group_view *g)
{
    if (c->kind != SCIM_CACHE_FILE_NSS)
        return -EINVAL;
    int rc = probe_id(c, &c->group_id_idx, gid, group_id, g);
    if (rc == 0 && g->kind == SCIM_GROUP_MAPPED_LOCAL)
        rc = -ENOENT;
    return rc;
}

int scim_cache_group_at(const struct scim_cache *c, uint32_t index, struct scim_cache_group_view *g)
{
    if (c->kind != SCIM_CACHE_FILE_NSS)
        return -EINVAL;
    return load_group(c, index, g);
}

uint32_t scim_cache_group_count(const struct scim_cache *c)
{
    return c->kind == SCIM_CACHE_FILE_NSS ? c->groups.count : 0;
}

int scim_cache_group_members(const struct scim_cache *c, const struct scim_cache_group_view *g,
                             scim_cache_member_fn fn, void *ctx)
{
    if (!slice_ok(g->members_first, g->n_members, c->members.count))
        return -EBADMSG;
    const struct scim_cache_strref *refs =
        (const struct scim_cache_strref *)c->members.data + g->members_first;
    uint32_t crc = scim_crc32c(refs, (size_t)g->n_members * sizeof(*refs));
    for (uint32_t i = 0; i < g->n_members; i++) {
        const char *name;
        if (get_str(c, refs[i], &name) < 0)
            return -EBADMSG;
        crc = scim_crc32c_update(crc, name, refs[i].len);
        int rc = fn(ctx, name, refs[i].len);
        if (rc != 0)
            return rc;
    }
    return crc == g->members_crc ? 0 : -EBADMSG;
}

int scim_cache_shadow_by_name(const struct scim_cache *c, const char *name,
                              struct scim_cache_shadow_view *s)
{
    if (c->kind != SCIM_CACHE_FILE_SHADOW)
        return -EINVAL;
    return probe_name(c, &c->shadow_name_idx, name, shadow_named, s);
}

int scim_cache_shadow_at(const struct scim_cache *c, uint32_t index, struct scim_cache_shadow_view *s)
{
    if (c->kind != SCIM_CACHE_FILE_SHADOW)
        return -EINVAL;
    return load_shadow(c, index, s);
}

uint32_t scim_cache_shadow_count(const struct scim_cache *c)
{
    return c->kind == SCIM_CACHE_FILE_SHADOW ? c->shadow.count : 0;
}
