/* SPDX-License-Identifier: MIT */
/* Writer-side identity rules: the cache refuses what NSS must never serve, even if the
 * daemon's own checks missed it. Duplicates are found with hash sets, in one pass. */
#include "cache_validate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache_internal.h"
#include "scim_hash.h"
#include "scim_names.h"

static bool field_ok(const char *s, const char *forbidden)
{
    return s == NULL || strpbrk(s, forbidden) == NULL;
}

static bool path_ok(const char *s)
{
    return s != NULL && s[0] == '/' && field_ok(s, ":\n\r");
}

static int check_name(const char *what, size_t i, const char *name, size_t max, bool mapped,
                      char *err, size_t errlen)
{
    const char *why = NULL;
    if (scim_name_validate(name, max, &why) < 0)
        return scim_cache_seterr(err, errlen, -EINVAL, "%s %zu (%s): %s", what, i,
                                 name ? name : "(null)", why);
    if (!mapped && scim_name_is_reserved(name))
        return scim_cache_seterr(err, errlen, -EINVAL, "%s %zu (%s): reserved system name", what,
                                 i, name);
    return 0;
}

static int check_user(const struct scim_cache_user *u, size_t i, size_t max, char *err,
                      size_t errlen)
{
    int rc = check_name("user", i, u->name, max, false, err, errlen);
    if (rc < 0)
        return rc;
    if (!scim_cache_id_allowed(u->uid))
        return scim_cache_seterr(err, errlen, -EINVAL,
                                 "user %s: uid %u is reserved (below 1000 or 65534/65535/-1)",
                                 u->name, u->uid);
    if (u->gid != u->uid)
        return scim_cache_seterr(err, errlen, -EINVAL,
                                 "user %s: gid %u differs from uid %u (private group rule)",
                                 u->name, u->gid, u->uid);
    if (!field_ok(u->gecos, ":\n\r"))
        return scim_cache_seterr(err, errlen, -EINVAL, "user %s: gecos contains ':' or a newline",
                                 u->name);
    if (!path_ok(u->home) || !path_ok(u->shell))
        return scim_cache_seterr(err, errlen, -EINVAL,
                                 "user %s: home and shell must be absolute, without ':' or newline",
                                 u->name);
    if (!field_ok(u->password_hash, ":\n\r") ||
        (u->password_hash && u->password_hash[0] == '\0'))
        return scim_cache_seterr(err, errlen, -EINVAL,
                                 "user %s: password hash is empty or contains ':' or a newline",
                                 u->name);
    if (u->last_change_day < 1 || u->last_change_day > INT32_MAX)
        return scim_cache_seterr(err, errlen, -EINVAL,
                                 "user %s: last_change_day %lld out of range (must be >= 1)",
                                 u->name, (long long)u->last_change_day);
    if (u->n_ssh_keys > 0 && !u->ssh_keys)
        return scim_cache_seterr(err, errlen, -EINVAL, "user %s: ssh_keys is NULL", u->name);
    for (size_t k = 0; k < u->n_ssh_keys; k++)
        if (!u->ssh_keys[k] || u->ssh_keys[k][0] == '\0' || !field_ok(u->ssh_keys[k], "\n\r"))
            return scim_cache_seterr(err, errlen, -EINVAL,
                                     "user %s: ssh key %zu is empty or contains a newline",
                                     u->name, k);
    if (u->subid_count > 0 && !scim_cache_subid_slice_ok(u->subid_start, u->subid_count))
        return scim_cache_seterr(err, errlen, -EINVAL,
                                 "user %s: subordinate ids %u+%u are below 1000 or past "
                                 "4294967294", u->name, u->subid_start, u->subid_count);
    return 0;
}

static int cmp_slice(const void *a, const void *b)
{
    const struct scim_cache_user *x = *(const struct scim_cache_user *const *)a;
    const struct scim_cache_user *y = *(const struct scim_cache_user *const *)b;
    return x->subid_start < y->subid_start ? -1 : x->subid_start > y->subid_start;
}

/* Two users sharing subordinate ids could enter each other's user namespaces' files. */
static int check_subid_overlaps(const struct scim_cache_snapshot *snap, char *err, size_t errlen)
{
    const struct scim_cache_user **with = malloc((snap->n_users + 1) * sizeof(*with));
    size_t n = 0;
    int rc = 0;
    if (!with)
        return scim_cache_seterr(err, errlen, -ENOMEM, "out of memory");
    for (size_t i = 0; i < snap->n_users; i++)
        if (snap->users[i].subid_count > 0)
            with[n++] = &snap->users[i];
    qsort(with, n, sizeof(*with), cmp_slice);
    for (size_t i = 1; i < n; i++)
        if ((uint64_t)with[i - 1]->subid_start + with[i - 1]->subid_count >
            with[i]->subid_start) {
            rc = scim_cache_seterr(err, errlen, -EINVAL,
                                   "users %s and %s have overlapping subordinate ids",
                                   with[i - 1]->name, with[i]->name);
            break;
        }
    free(with);
    return rc;
}

static int check_group(const struct scim_cache_group *g, size_t i, size_t n_users, size_t max,
                       char *err, size_t errlen)
{
    bool mapped = g->kind == SCIM_GROUP_MAPPED_LOCAL;
    if (g->kind != SCIM_GROUP_ROLE && g->kind != SCIM_GROUP_SCIM && !mapped)
        return scim_cache_seterr(err, errlen, -EINVAL,
                                 "group %zu: kind %d is not role, scim or mapped-local", i,
                                 (int)g->kind);
    int rc = check_name("group", i, g->name, max, mapped, err, errlen);
    if (rc < 0)
        return rc;
    if (mapped ? g->gid == 0 : !scim_cache_id_allowed(g->gid))
        return scim_cache_seterr(err, errlen, -EINVAL, "group %s: gid %u is not allowed", g->name,
                                 g->gid);
    if (g->n_members > 0 && !g->member_user_idx)
        return scim_cache_seterr(err, errlen, -EINVAL, "group %s: member list is NULL", g->name);
    for (size_t m = 0; m < g->n_members; m++)
        if (g->member_user_idx[m] >= n_users)
            return scim_cache_seterr(err, errlen, -EINVAL,
                                     "group %s: member %zu refers to user %u of %zu", g->name, m,
                                     g->member_user_idx[m], n_users);
    return 0;
}

/* Open-addressing sets of record numbers, keyed by name or id: one pass, no sorting. A slot
 * holds record + 1; records are users first (0..n_users-1), then groups. */
struct uniq_set {
    uint32_t *slots;
    size_t mask;
};

static int uniq_init(struct uniq_set *set, size_t n)
{
    size_t size = 16;
    while (size < n * 2)
        size *= 2;
    set->slots = calloc(size, sizeof(*set->slots));
    set->mask = size - 1;
    return set->slots ? 0 : -ENOMEM;
}

static const char *record_name(const struct scim_cache_snapshot *snap, uint32_t r)
{
    return r < snap->n_users ? snap->users[r].name : snap->groups[r - snap->n_users].name;
}

static uint32_t record_id(const struct scim_cache_snapshot *snap, uint32_t r)
{
    return r < snap->n_users ? snap->users[r].uid : snap->groups[r - snap->n_users].gid;
}

/* Inserts record r; returns the record already holding the same key, or UINT32_MAX. */
static uint32_t uniq_insert(struct uniq_set *set, const struct scim_cache_snapshot *snap,
                            uint32_t r, bool by_name)
{
    const char *name = by_name ? record_name(snap, r) : NULL;
    uint32_t id = by_name ? 0 : record_id(snap, r);
    uint64_t h = by_name ? scim_hash_bytes(0, name, strlen(name)) : scim_hash_u32(0, id);
    for (size_t b = h & set->mask;; b = (b + 1) & set->mask) {
        uint32_t other = set->slots[b];
        if (other == 0) {
            set->slots[b] = r + 1;
            return UINT32_MAX;
        }
        other--;
        if (by_name ? strcmp(record_name(snap, other), name) == 0
                    : record_id(snap, other) == id)
            return other;
    }
}

/* Users' private groups share the group namespace, so user names and gids count as groups. */
static int check_unique_keys(const struct scim_cache_snapshot *snap, bool by_name, char *err,
                             size_t errlen)
{
    struct uniq_set set;
    size_t n = snap->n_users + snap->n_groups;
    int rc = 0;
    if (uniq_init(&set, n) < 0)
        return scim_cache_seterr(err, errlen, -ENOMEM, "out of memory");
    for (uint32_t r = 0; r < n; r++) {
        if (uniq_insert(&set, snap, r, by_name) == UINT32_MAX)
            continue;
        if (r < snap->n_users)
            rc = by_name ? scim_cache_seterr(err, errlen, -EINVAL, "duplicate user name %s",
                                             record_name(snap, r))
                         : scim_cache_seterr(err, errlen, -EINVAL, "duplicate uid %u",
                                             record_id(snap, r));
        else
            rc = by_name ? scim_cache_seterr(err, errlen, -EINVAL,
                                             "duplicate group name %s (groups and users' "
                                             "private groups share one namespace)",
                                             record_name(snap, r))
                         : scim_cache_seterr(err, errlen, -EINVAL,
                                             "duplicate gid %u (groups and users' private "
                                             "groups)",
                                             record_id(snap, r));
        break;
    }
    free(set.slots);
    return rc;
}

static int check_unique(const struct scim_cache_snapshot *snap, char *err, size_t errlen)
{
    int rc = check_unique_keys(snap, true, err, errlen);
    if (rc < 0 || (rc = check_unique_keys(snap, false, err, errlen)) < 0)
        return rc;
    /* One mark per user, cleared after each group: O(members) for all groups together. */
    uint8_t *seen = calloc(snap->n_users ? snap->n_users : 1, 1);
    if (!seen)
        return scim_cache_seterr(err, errlen, -ENOMEM, "out of memory");
    for (size_t i = 0; i < snap->n_groups && rc == 0; i++) {
        const struct scim_cache_group *g = &snap->groups[i];
        size_t m = 0;
        for (; m < g->n_members; m++) {
            uint32_t u = g->member_user_idx[m];
            if (seen[u]) {
                rc = scim_cache_seterr(err, errlen, -EINVAL, "group %s lists user %s twice",
                                       g->name, snap->users[u].name);
                break;
            }
            seen[u] = 1;
        }
        for (size_t k = 0; k < m; k++)
            seen[g->member_user_idx[k]] = 0;
    }
    free(seen);
    return rc;
}

int scim_cache_validate_snapshot(const struct scim_cache_snapshot *snap, char *err, size_t errlen)
{
    if (!snap || (snap->n_users > 0 && !snap->users) || (snap->n_groups > 0 && !snap->groups))
        return scim_cache_seterr(err, errlen, -EINVAL, "snapshot arrays are NULL");
    /* Private groups double the group count; indexes hold twice that in 32-bit slots. */
    if (snap->n_users > (1u << 28) || snap->n_groups > (1u << 28))
        return scim_cache_seterr(err, errlen, -EINVAL, "snapshot too large");
    size_t max = snap->name_max ? snap->name_max : SCIM_NAME_MAX_DEFAULT;
    if (max > SCIM_NAME_MAX_LIMIT)
        return scim_cache_seterr(err, errlen, -EINVAL, "name_max %zu exceeds %d", max,
                                 SCIM_NAME_MAX_LIMIT);
    for (size_t i = 0; i < snap->n_users; i++) {
        int rc = check_user(&snap->users[i], i, max, err, errlen);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < snap->n_groups; i++) {
        int rc = check_group(&snap->groups[i], i, snap->n_users, max, err, errlen);
        if (rc < 0)
            return rc;
    }
    int rc = check_unique(snap, err, errlen);
    return rc < 0 ? rc : check_subid_overlaps(snap, err, errlen);
}
