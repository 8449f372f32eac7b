/* SPDX-License-Identifier: MIT */
#include "accounts/account_snapshot.h"

#include <errno.h>
#include <stdint.h>
#include <grp.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accounts/home_path.h"
#include "accounts/host_probe.h"
#include "accounts/linux_names.h"
#include "log.h"
#include "proto/schema.h"
#include "proto/ssh_key.h"
#include "accounts/roles.h"
#include "accounts/subids.h"
#include "server.h"
#include "store/export_scan.h"

static const char *keep(struct account_snapshot *snap, char *s)
{
    if (!s)
        return NULL;
    if (snap->n_strings == snap->cap_strings) {
        size_t cap = snap->cap_strings ? snap->cap_strings * 2 : 1024;
        char **grown = realloc(snap->strings, cap * sizeof(*grown));
        if (!grown) {
            free(s);
            return NULL;
        }
        snap->strings = grown;
        snap->cap_strings = cap;
    }
    snap->strings[snap->n_strings++] = s;
    return s;
}

/* Strings and key lists live in 256 KiB chunks: 100k users' five strings each would
 * otherwise cost half a million malloc/free pairs per export. */
#define ARENA_CHUNK (256 * 1024)

static void *arena_alloc(struct account_snapshot *snap, size_t n, size_t align)
{
    size_t pad = (align - ((uintptr_t)snap->arena_pos & (align - 1))) & (align - 1);
    if (!snap->arena_pos || pad + n > snap->arena_left) {
        size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        char *chunk = malloc(size); /* malloc's alignment covers every align asked here */
        if (!chunk || !keep(snap, chunk))
            return NULL;
        snap->arena_pos = chunk;
        snap->arena_left = size;
        pad = 0;
    }
    void *p = snap->arena_pos + pad;
    snap->arena_pos += pad + n;
    snap->arena_left -= pad + n;
    return p;
}

static const char *arena_strdup(struct account_snapshot *snap, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = arena_alloc(snap, n, 1);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* The stored home (fixed at creation), or for a user stored before homes were and not yet
 * recorded (accounts/home_path.c) the template's path for the login, the same path. */
static const char *home_of(struct account_snapshot *snap, const char *tmpl,
                           const struct export_user_row *row)
{
    if (row->home)
        return arena_strdup(snap, row->home);
    char *out = arena_alloc(snap, home_path_size(tmpl, row->login), 1);
    if (out)
        home_path_write(out, tmpl, row->login);
    return out;
}

struct group_builder {
    size_t index;
    uint32_t *members;
    size_t n, cap;
};

static int add_member(struct group_builder *g, uint32_t user_idx)
{
    if (g->n > 0 && g->members[g->n - 1] == user_idx)
        return 0; /* the same role listed twice on one user */
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        uint32_t *grown = realloc(g->members, cap * sizeof(*grown));
        if (!grown)
            return -1;
        g->members = grown;
        g->cap = cap;
    }
    g->members[g->n++] = user_idx;
    return 0;
}

struct load_state {
    struct account_snapshot *snap;
    const struct scimd_config *cfg;
    struct db *db; /* the export's read transaction: role gids come from the same snapshot */
    size_t cap_users;
    struct hsearch_data names; /* group name -> group_builder */
    struct group_builder *builders;
    size_t n_groups, cap_groups;
    struct scim_cache_group *groups;
};

/* The group's gid: a role group's from the store, a mapped local group's from the host. */
static uint32_t resolve_gid(struct db *db, const char *name, enum scim_group_kind kind)
{
    if (kind == SCIM_GROUP_ROLE)
        return roles_gid(db, name);
    uint32_t gid = 0;
    return identity_host_group_gid(name, &gid) == 1 ? gid : 0;
}

/* NULL with *skip set when the group cannot be served (no gid): its members just lack it. */
static struct group_builder *group_get(struct load_state *ls, struct db *db, const char *name,
                                       enum scim_group_kind kind, uint32_t known_gid, bool *skip)
{
    ENTRY e = { .key = (char *)name }, *found = NULL;
    *skip = false;
    if (hsearch_r(e, FIND, &found, &ls->names) && found) {
        size_t i = (size_t)(uintptr_t)found->data;
        if (i == SIZE_MAX)
            *skip = true;
        return i == SIZE_MAX ? NULL : &ls->builders[i];
    }
    uint32_t gid = known_gid ? known_gid : resolve_gid(db, name, kind);
    /* A role kept out of the Linux groups (issue 11) is not remembered as "no group": a SCIM
     * group of the same name, read after the users, must still be served. */
    if (gid == 0 && kind == SCIM_GROUP_ROLE) {
        *skip = true;
        return NULL;
    }
    if (gid == 0) {
        const char *kept = arena_strdup(ls->snap, name);
        e.key = (char *)kept;
        e.data = (void *)(uintptr_t)SIZE_MAX;
        if (!kept || !hsearch_r(e, ENTER, &found, &ls->names))
            return NULL;
        if (kind == SCIM_GROUP_MAPPED_LOCAL)
            log_warn("cache: [roles] maps onto local group '%s', which does not exist", name);
        *skip = true;
        return NULL;
    }
    if (ls->n_groups == ls->cap_groups) {
        size_t cap = ls->cap_groups ? ls->cap_groups * 2 : 64;
        struct group_builder *b = realloc(ls->builders, cap * sizeof(*b));
        if (!b)
            return NULL;
        ls->builders = b;
        struct scim_cache_group *g = realloc(ls->groups, cap * sizeof(*g));
        if (!g)
            return NULL;
        ls->groups = g;
        ls->cap_groups = cap;
    }
    const char *kept = arena_strdup(ls->snap, name);
    if (!kept)
        return NULL;
    size_t i = ls->n_groups++;
    memset(&ls->builders[i], 0, sizeof(ls->builders[i]));
    ls->builders[i].index = i;
    ls->groups[i] = (struct scim_cache_group){ .name = kept, .gid = gid, .kind = kind };
    e.key = (char *)kept;
    e.data = (void *)(uintptr_t)i;
    if (!hsearch_r(e, ENTER, &found, &ls->names))
        return NULL;
    return &ls->builders[i];
}

struct role_ctx {
    struct load_state *ls;
    struct db *db;
    uint32_t user_idx;
};

static int on_role(void *arg, const struct role_target *t)
{
    struct role_ctx *rc = arg;
    bool skip;
    struct group_builder *g = group_get(rc->ls, rc->db, t->group_name,
                                        t->mapped_local ? SCIM_GROUP_MAPPED_LOCAL : SCIM_GROUP_ROLE,
                                        0, &skip);
    if (skip)
        return 0;
    return g ? add_member(g, rc->user_idx) : -1;
}

static int add_user(const struct export_user_row *row, void *arg, char *err, size_t errlen)
{
    struct load_state *ls = arg;
    struct account_snapshot *snap = ls->snap;
    if (snap->cache.n_users == ls->cap_users) {
        size_t cap = ls->cap_users ? ls->cap_users * 2 : 256;
        struct scim_cache_user *grown = realloc(snap->users, cap * sizeof(*grown));
        if (!grown)
            goto oom;
        snap->users = grown;
        ls->cap_users = cap;
    }
    const char *reserved = row->login ? linux_name_reserved(ls->cfg, row->login) : NULL;
    if (reserved) {
        /* Stored before the name was reserved (an upgrade, or [accounts] reserved_names):
         * left out rather than failing the whole export in the cache writer. */
        log_warn("cache: user '%s' is not served: the name is %s; rename the user in the "
                 "identity provider", row->login, reserved);
        return 0;
    }
    struct scim_cache_user *u = &snap->users[snap->cache.n_users];
    memset(u, 0, sizeof(*u));
    u->name = arena_strdup(snap, row->login);
    u->uid = u->gid = row->uid;
    u->active = row->active;
    const char *hash = row->password_hash;
    u->password_hash = hash ? arena_strdup(snap, hash) : NULL;
    u->last_change_day = row->password_day;
    u->gecos = arena_strdup(snap, row->gecos);
    u->home = u->name ? home_of(snap, ls->cfg->home, row) : NULL;
    u->shell = ls->cfg->shell;
    if (!u->name || !u->gecos || !u->home || (hash && !u->password_hash))
        goto oom;
    /* SSH keys: one per line in the column (written from our extension). */
    const char *keys = row->ssh_keys;
    if (keys && *keys) {
        char *copy = (char *)arena_strdup(snap, keys);
        size_t nk = 0;
        for (const char *p = copy; p && *p; p++)
            nk += *p == '\n';
        const char **ptrs =
            copy ? arena_alloc(snap, (nk + 1) * sizeof(*ptrs), _Alignof(const char *)) : NULL;
        if (!ptrs)
            goto oom;
        char *save = NULL;
        const char *why;
        /* Requests are checked (ssh_key.h); a value stored before that check, or written
         * into the store by other means, that is not a plain key never reaches sshd. */
        for (char *k = strtok_r(copy, "\n", &save); k; k = strtok_r(NULL, "\n", &save))
            if (scim_ssh_key_ok(k, &why))
                ptrs[u->n_ssh_keys++] = k;
        u->ssh_keys = ptrs;
    }
    struct role_ctx rctx = { .ls = ls, .db = ls->db, .user_idx = (uint32_t)snap->cache.n_users };
    int r = roles_for_export(ls->cfg, row->roles, on_role, &rctx);
    if (!u->name || !u->gecos || !u->home || r < 0)
        goto oom;
    snap->cache.n_users++;
    return 0;
oom:
    snprintf(err, errlen, "out of memory while building the cache");
    return -1;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_uid(const void *key, const void *elem)
{
    uint32_t uid = *(const uint32_t *)key;
    const struct scim_cache_user *u = elem;
    return uid < u->uid ? -1 : uid > u->uid;
}

/* SCIM /Groups and their members (users are sorted by uid: members are found by bsearch). */
static int add_scim_group_row(const struct export_group_row *row, void *arg, char *err,
                              size_t errlen)
{
    struct load_state *ls = arg;
    struct account_snapshot *snap = ls->snap;
    const char *name = row->name;
    uint32_t gid = row->gid;
    enum scim_group_kind kind = SCIM_GROUP_SCIM;
    if (!row->has_gid) {
        name = scimd_config_map_lookup(ls->cfg->group_maps, ls->cfg->n_group_maps,
                                       row->display_name, name);
        kind = SCIM_GROUP_MAPPED_LOCAL;
        gid = 0;
        if (!name)
            return 0; /* the mapping was removed from the config: serve nothing */
    }
    bool skip;
    struct group_builder *g = group_get(ls, ls->db, name, kind, gid, &skip);
    if (skip)
        return 0;
    if (!g)
        goto oom;
    if (!row->has_member)
        return 0; /* a group without members */
    uint32_t uid = row->member_uid;
    const struct scim_cache_user *u =
        bsearch(&uid, snap->users, snap->cache.n_users, sizeof(*snap->users), cmp_uid);
    if (u && add_member(g, (uint32_t)(u - snap->users)) < 0)
        goto oom;
    return 0;
oom:
    snprintf(err, errlen, "out of memory while building the cache");
    return -1;
}

int account_snapshot_load(struct scimd_server *srv, uint64_t *last_generation,
                          struct account_snapshot *snap, char *err, size_t errlen)
{
    struct load_state ls = { .snap = snap, .cfg = srv->cfg };
    bool have_table = false;
    int ret = -1;

    memset(snap, 0, sizeof(*snap));
    if (!hcreate_r(1 << 16, &ls.names)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    have_table = true;
    /* One read transaction: users, role gids and the high-water mark agree. */
    ls.db = export_scan_begin(srv->store, err, errlen);
    if (!ls.db)
        goto out;
    if (export_scan_users(ls.db, add_user, &ls, err, errlen) < 0 ||
        export_scan_groups(ls.db, add_scim_group_row, &ls, err, errlen) < 0 ||
        subids_export(srv->cfg, ls.db, snap->users, snap->cache.n_users, err, errlen) < 0)
        goto out;
    export_scan_marks(ls.db, &snap->cache.uid_hwm, &snap->gid_hwm);

    if (*last_generation == 0) {
        struct scim_cache old;
        if (scim_cache_open(&old, srv->cfg->cache_path, SCIM_CACHE_FILE_NSS,
                            SCIM_CACHE_OPEN_UNTRUSTED, NULL, 0) == 0) {
            *last_generation = scim_cache_generation(&old);
            scim_cache_close(&old);
        }
    }
    snap->cache.generation = ++*last_generation;
    snap->cache.users = snap->users;
    snap->cache.name_max = srv->cfg->max_name_length;
    snap->groups = ls.groups;
    ls.groups = NULL;
    snap->cache.groups = snap->groups;
    snap->cache.n_groups = ls.n_groups;
    for (size_t i = 0; i < ls.n_groups; i++) {
        /* A mapped local group can collect one user through a role and a SCIM group. */
        struct group_builder *b = &ls.builders[i];
        if (b->n > 1) {
            qsort(b->members, b->n, sizeof(*b->members), cmp_u32);
            size_t w = 1;
            for (size_t r = 1; r < b->n; r++)
                if (b->members[r] != b->members[w - 1])
                    b->members[w++] = b->members[r];
            b->n = w;
        }
        snap->groups[i].member_user_idx = ls.builders[i].members;
        snap->groups[i].n_members = ls.builders[i].n;
    }
    snap->member_lists = calloc(ls.n_groups + 1, sizeof(uint32_t *));
    if (!snap->member_lists) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < ls.n_groups; i++)
        snap->member_lists[i] = ls.builders[i].members;
    snap->n_member_lists = ls.n_groups;
    ls.n_groups = 0;
    ret = 0;
out:
    export_scan_end(srv->store, ls.db);
    if (have_table)
        hdestroy_r(&ls.names);
    for (size_t i = 0; i < ls.n_groups; i++)
        free(ls.builders[i].members);
    free(ls.builders);
    free(ls.groups);
    if (ret < 0)
        account_snapshot_free(snap);
    return ret;
}

void account_snapshot_free(struct account_snapshot *snap)
{
    for (size_t i = 0; i < snap->n_strings; i++)
        free(snap->strings[i]);
    free(snap->strings);
    for (size_t i = 0; i < snap->n_member_lists; i++)
        free(snap->member_lists[i]);
    free(snap->member_lists);
    free(snap->users);
    free(snap->groups);
    memset(snap, 0, sizeof(*snap));
}
