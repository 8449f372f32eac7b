/* Writer-side identity rules: the cache refuses what NSS must never serve, even if the
 * daemon's own checks missed it. Duplicate detection sorts copies of the keys. */
#include "cache_validate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache_internal.h"
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
    return 0;
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

struct key {
    const char *name; /* NULL for id keys */
    uint32_t id;
};

static int cmp_name_key(const void *a, const void *b)
{
    return strcmp(((const struct key *)a)->name, ((const struct key *)b)->name);
}

static int cmp_id_key(const void *a, const void *b)
{
    uint32_t x = ((const struct key *)a)->id, y = ((const struct key *)b)->id;
    return x < y ? -1 : x > y;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Users' private groups share the group namespace, so user names and gids count as groups. */
static int check_unique(const struct scim_cache_snapshot *snap, char *err, size_t errlen)
{
    size_t n = snap->n_users + snap->n_groups;
    struct key *keys = calloc(n ? n : 1, sizeof(*keys));
    uint32_t *members = NULL;
    int rc = 0;
    if (!keys)
        return scim_cache_seterr(err, errlen, -ENOMEM, "out of memory");

    for (size_t i = 0; i < snap->n_users; i++)
        keys[i] = (struct key){snap->users[i].name, snap->users[i].uid};
    qsort(keys, snap->n_users, sizeof(*keys), cmp_name_key);
    for (size_t i = 1; i < snap->n_users; i++)
        if (strcmp(keys[i - 1].name, keys[i].name) == 0) {
            rc = scim_cache_seterr(err, errlen, -EINVAL, "duplicate user name %s", keys[i].name);
            goto out;
        }
    qsort(keys, snap->n_users, sizeof(*keys), cmp_id_key);
    for (size_t i = 1; i < snap->n_users; i++)
        if (keys[i - 1].id == keys[i].id) {
            rc = scim_cache_seterr(err, errlen, -EINVAL, "duplicate uid %u", keys[i].id);
            goto out;
        }

    for (size_t i = 0; i < snap->n_groups; i++)
        keys[snap->n_users + i] = (struct key){snap->groups[i].name, snap->groups[i].gid};
    qsort(keys, n, sizeof(*keys), cmp_name_key);
    for (size_t i = 1; i < n; i++)
        if (strcmp(keys[i - 1].name, keys[i].name) == 0) {
            rc = scim_cache_seterr(err, errlen, -EINVAL,
                                   "duplicate group name %s (groups and users' private groups "
                                   "share one namespace)",
                                   keys[i].name);
            goto out;
        }
    qsort(keys, n, sizeof(*keys), cmp_id_key);
    for (size_t i = 1; i < n; i++)
        if (keys[i - 1].id == keys[i].id) {
            rc = scim_cache_seterr(err, errlen, -EINVAL,
                                   "duplicate gid %u (groups and users' private groups)",
                                   keys[i].id);
            goto out;
        }

    for (size_t i = 0; i < snap->n_groups; i++) {
        const struct scim_cache_group *g = &snap->groups[i];
        if (g->n_members < 2)
            continue;
        free(members);
        members = malloc(g->n_members * sizeof(*members));
        if (!members) {
            rc = scim_cache_seterr(err, errlen, -ENOMEM, "out of memory");
            goto out;
        }
        memcpy(members, g->member_user_idx, g->n_members * sizeof(*members));
        qsort(members, g->n_members, sizeof(*members), cmp_u32);
        for (size_t m = 1; m < g->n_members; m++)
            if (members[m - 1] == members[m]) {
                rc = scim_cache_seterr(err, errlen, -EINVAL, "group %s lists user %s twice",
                                       g->name, snap->users[members[m]].name);
                goto out;
            }
    }
out:
    free(members);
    free(keys);
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
    return check_unique(snap, err, errlen);
}
