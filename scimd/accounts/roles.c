/* SPDX-License-Identifier: MIT */
#include "accounts/roles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accounts/host_probe.h"
#include "accounts/identity.h"
#include "accounts/linux_names.h"
#include "accounts/login_names.h"
#include "accounts/name_skips.h"
#include "scim_names.h"
#include "store/role_groups_repo.h"

static const char *mapped_group(const struct scimd_config *cfg, const char *value,
                                const char *name)
{
    return scimd_config_map_lookup(cfg->role_maps, cfg->n_role_maps, value, name);
}

typedef int (*role_fn)(void *ctx, const char *value, const char *name, const char *why);

static int each_role(const json_t *doc, size_t max_len, role_fn fn, void *ctx)
{
    const json_t *roles = json_object_get(doc, "roles");
    size_t i;
    const json_t *role;
    json_array_foreach(roles, i, role) {
        const char *value = json_string_value(json_object_get(role, "value"));
        /* IdP templates render an unset role as "": that is "no role", like null. */
        if (!value || value[0] == '\0')
            continue;
        char name[LOGIN_NAME_BUF];
        const char *why = NULL;
        if (scim_name_group_from_display(value, max_len, name, sizeof(name), &why) < 0) {
            if (!why)
                why = "name too long";
            name[0] = '\0';
        } else {
            why = NULL;
        }
        int r = fn(ctx, value, name, why);
        if (r != 0)
            return r;
    }
    return 0;
}

int roles_name_taken(struct db *db, const char *name, struct scim_error *err)
{
    return role_groups_repo_exists(db, name, err);
}

uint32_t roles_gid(struct db *db, const char *name)
{
    return role_groups_repo_gid(db, name);
}

/* Whether the host can take name as a new role group. 0 yes; 1 no (*reason and why set,
 * why in buf); -1 on error (err set: a store error, or 503 when the host's NSS failed). */
static int role_name_blocked(struct db *db, const struct scimd_config *cfg, const char *name,
                             enum name_skip_reason *reason, char *buf, size_t len,
                             struct scim_error *err)
{
    const char *why = linux_name_reserved(cfg, name);
    if (why) {
        *reason = NAME_SKIP_RESERVED;
        snprintf(buf, len, "is %s", why);
        return 1;
    }
    enum linux_name_owner owner = LINUX_NAME_FREE;
    int clash = linux_name_taken_by(db, name, NULL, &owner, err);
    if (clash < 0)
        return -1;
    if (clash) {
        *reason = NAME_SKIP_TAKEN;
        snprintf(buf, len, "is already %s", linux_name_owner_describe(owner));
        return 1;
    }
    int local = host_probe_local_group(cfg, name, buf, len, err);
    if (local < 0)
        return -1;
    if (local) {
        *reason = NAME_SKIP_LOCAL;
        return 1;
    }
    long long n = role_groups_repo_count(db, err);
    if (n < 0)
        return -1;
    if (n >= (long long)cfg->max_role_groups) {
        *reason = NAME_SKIP_CAP;
        snprintf(buf, len, "would be role group %lld, past [accounts] max_role_groups = %u",
                 n + 1, cfg->max_role_groups);
        return 1;
    }
    return 0;
}

struct sync_ctx {
    struct db *db;
    const struct scimd_config *cfg;
    json_t **created; /* or NULL; the array is made with its first entry */
    struct scim_error *err;
};

/* A role whose name the host cannot take, or that gives no valid Linux name at all (`管理者`,
 * `12345`), stays in the user's SCIM data and never blocks the request (architecture.md: the IdP
 * sends whatever the app's roles are called). The gid is taken here, while writing a user
 * who holds the role, so a role is never given a gid before it has a member, and a refused
 * or failed request takes none (the write rolls back). */
static int sync_one(void *arg, const char *value, const char *name, const char *why)
{
    struct sync_ctx *c = arg;
    if (why) {
        name_skip_report(true, value, "", NAME_SKIP_INVALID, why);
        return 0;
    }
    if (mapped_group(c->cfg, value, name))
        return 0;
    int taken = roles_name_taken(c->db, name, c->err);
    if (taken < 0)
        return -1;
    if (taken)
        return 0;
    enum name_skip_reason reason;
    char because[160];
    int blocked = role_name_blocked(c->db, c->cfg, name, &reason, because, sizeof(because), c->err);
    if (blocked < 0)
        return -1;
    if (blocked) {
        name_skip_report(true, value, name, reason, because);
        return 0;
    }
    uint32_t gid;
    char owner[LOGIN_NAME_BUF + 8];
    snprintf(owner, sizeof(owner), "role:%s", name);
    if (identity_allocate_gid(c->db, c->cfg, owner, name, &gid, c->err) < 0 ||
        role_groups_repo_insert(c->db, name, gid, c->err) < 0)
        return -1;
    if (!c->created)
        return 0;
    if ((!*c->created && !(*c->created = json_array())) ||
        json_array_append_new(*c->created, json_pack("{s:s, s:I}", "name", name, "gid",
                                                     (json_int_t)gid)) < 0)
        return scim_error_set(c->err, 500, NULL, "out of memory");
    return 0;
}

/* Roles the request gives (an empty value is no role). */
static size_t count_roles(const json_t *doc)
{
    const json_t *roles = json_object_get(doc, "roles");
    size_t i, n = 0;
    const json_t *role;
    json_array_foreach(roles, i, role) {
        const char *value = json_string_value(json_object_get(role, "value"));
        n += value && value[0] != '\0';
    }
    return n;
}

int roles_sync(struct db *db, const struct scimd_config *cfg, const json_t *doc,
               struct scim_error *err)
{
    return roles_sync_noting(db, cfg, doc, NULL, err);
}

int roles_sync_noting(struct db *db, const struct scimd_config *cfg, const json_t *doc,
                      json_t **created, struct scim_error *err)
{
    size_t n = count_roles(doc);
    if (n > cfg->max_roles_per_user)
        return scim_error_set(err, 400, "invalidValue",
                              "%zu roles on one user; at most %u are accepted ([accounts] "
                              "max_roles_per_user)", n, cfg->max_roles_per_user);
    struct sync_ctx c = { .db = db, .cfg = cfg, .created = created, .err = err };
    return each_role(doc, cfg->max_name_length, sync_one, &c) != 0 ? -1 : 0;
}

int roles_describe(struct db *db, const struct scimd_config *cfg, const char *value, char *out,
                   size_t len)
{
    char name[LOGIN_NAME_BUF], because[160];
    const char *why = NULL;
    struct scim_error err = { 0 };
    if (scim_name_group_from_display(value, cfg->max_name_length, name, sizeof(name), &why) < 0) {
        snprintf(out, len, "not a Linux group: %s", why ? why : "name too long");
        return 0;
    }
    const char *local = mapped_group(cfg, value, name);
    if (local) {
        snprintf(out, len, "mapped to the local group %s ([roles])", local);
        return 0;
    }
    if (linux_name_reserved(cfg, name)) {
        snprintf(out, len, "not a Linux group: '%s' is %s", name, linux_name_reserved(cfg, name));
        return 0;
    }
    uint32_t gid = roles_gid(db, name);
    if (gid) {
        snprintf(out, len, "group %s (gid %u)", name, (unsigned)gid);
        return 0;
    }
    enum name_skip_reason reason;
    int r = role_name_blocked(db, cfg, name, &reason, because, sizeof(because), &err);
    if (r < 0)
        return -1;
    if (r)
        snprintf(out, len, "not a Linux group: '%s' %s", name, because);
    else
        snprintf(out, len, "not a Linux group yet: '%s' is free (the next write of a holder "
                 "creates it)", name);
    return 0;
}

int roles_for_export(const struct scimd_config *cfg, const char *values,
                     int (*fn)(void *ctx, const struct role_target *t), void *ctx)
{
    const char *p = values ? values : "";
    while (*p) {
        size_t n = strcspn(p, "\n");
        char value[1024], name[LOGIN_NAME_BUF];
        const char *why = NULL;
        if (n > 0 && n < sizeof(value)) {
            memcpy(value, p, n);
            value[n] = '\0';
            /* Names that fail the rules were refused at the door: skip rather than fail the
             * whole export if the rules changed since. */
            if (scim_name_group_from_display(value, cfg->max_name_length, name, sizeof(name),
                                             &why) == 0) {
                const char *local = mapped_group(cfg, value, name);
                /* A reserved name is never served, even a role group created before the name
                 * was reserved (the cache writer would refuse the whole export). */
                struct role_target t = { .group_name = local ? local : name,
                                         .mapped_local = local != NULL };
                int r = local || !linux_name_reserved(cfg, name) ? fn(ctx, &t) : 0;
                if (r != 0)
                    return r;
            }
        }
        p += n;
        if (*p == '\n')
            p++;
    }
    return 0;
}
