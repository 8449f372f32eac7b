#include "roles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "identity.h"
#include "linux_names.h"
#include "scim_names.h"
#include "store.h"

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

int roles_name_taken(sqlite3 *db, const char *name, struct scim_error *err)
{
    return store_row_exists(db, "SELECT 1 FROM role_groups WHERE name = ?", name, NULL, err);
}

uint32_t roles_gid(sqlite3 *db, const char *name)
{
    sqlite3_stmt *s = NULL;
    uint32_t gid = 0;
    if (sqlite3_prepare_v2(db, "SELECT gid FROM role_groups WHERE name = ?", -1, &s, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            gid = (uint32_t)sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return gid;
}

struct sync_ctx {
    sqlite3 *db;
    const struct scimd_config *cfg;
    struct scim_error *err;
};

static int sync_one(void *arg, const char *value, const char *name, const char *why)
{
    struct sync_ctx *c = arg;
    if (why)
        return scim_error_set(c->err, 400, "invalidValue",
                              "role '%.128s' does not give a valid Linux group name: %s", value, why);
    if (mapped_group(c->cfg, value, name))
        return 0;
    int taken = roles_name_taken(c->db, name, c->err);
    if (taken < 0)
        return -1;
    if (taken)
        return 0;
    if (scim_name_is_reserved(name))
        return scim_error_set(c->err, 409, "uniqueness",
                              "role '%.128s' maps to the system group name '%s'; map it to a local "
                              "group explicitly in [roles] if that is intended", value, name);
    const char *what = NULL;
    int clash = linux_name_taken(c->db, name, NULL, &what, c->err);
    if (clash < 0)
        return -1;
    if (clash)
        return scim_error_set(c->err, 409, "uniqueness",
                              "role '%.128s' maps to group name '%s', which is already %s", value,
                              name, what);
    uint32_t local_gid = 0;
    int found = identity_host_group_gid(name, &local_gid);
    if (found < 0)
        return scim_error_set(c->err, 503, NULL,
                              "cannot check whether group '%s' exists on this host (the name "
                              "service failed); retry later", name);
    if (found && !(local_gid >= c->cfg->gid_min && local_gid <= c->cfg->gid_max))
        return scim_error_set(c->err, 409, "uniqueness",
                              "role '%.128s' would shadow the local group '%s' (gid %u); map it "
                              "explicitly in [roles] (e.g. %s = %s) if its holders belong there",
                              value, name, (unsigned)local_gid, value, name);
    uint32_t gid;
    char owner[LOGIN_NAME_BUF + 8];
    snprintf(owner, sizeof(owner), "role:%s", name);
    if (identity_allocate_gid(c->db, c->cfg, owner, name, &gid, c->err) < 0)
        return -1;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(c->db, "INSERT INTO role_groups(name, gid) VALUES(?, ?)", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, gid);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, c->err, "role group");
    return 0;
}

int roles_sync(sqlite3 *db, const struct scimd_config *cfg, const json_t *doc,
               struct scim_error *err)
{
    struct sync_ctx c = { .db = db, .cfg = cfg, .err = err };
    return each_role(doc, cfg->max_name_length, sync_one, &c) != 0 ? -1 : 0;
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
                struct role_target t = { .group_name = local ? local : name,
                                         .mapped_local = local != NULL };
                int r = fn(ctx, &t);
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
