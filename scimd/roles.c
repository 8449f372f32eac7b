#include "roles.h"

#include <grp.h>
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
    char buf[16384];
    struct group gr, *grp = NULL;
    if (getgrnam_r(name, &gr, buf, sizeof(buf), &grp) == 0 && grp &&
        !(grp->gr_gid >= c->cfg->gid_min && grp->gr_gid <= c->cfg->gid_max))
        return scim_error_set(c->err, 409, "uniqueness",
                              "role '%.128s' would shadow the local group '%s' (gid %u); map it "
                              "explicitly in [roles] (e.g. %s = %s) if its holders belong there",
                              value, name, (unsigned)grp->gr_gid, value, name);
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

struct export_ctx {
    const struct scimd_config *cfg;
    int (*fn)(void *, const struct role_target *);
    void *ctx;
};

static int export_one(void *arg, const char *value, const char *name, const char *why)
{
    struct export_ctx *c = arg;
    if (why)
        return 0; /* refused at the door; only reachable if the rules changed since */
    const char *local = mapped_group(c->cfg, value, name);
    struct role_target t = { .group_name = local ? local : name, .mapped_local = local != NULL };
    return c->fn(c->ctx, &t);
}

int roles_for_export(sqlite3 *db, const struct scimd_config *cfg, const json_t *doc,
                     int (*fn)(void *ctx, const struct role_target *t), void *ctx)
{
    (void)db;
    struct export_ctx c = { .cfg = cfg, .fn = fn, .ctx = ctx };
    return each_role(doc, cfg->max_name_length, export_one, &c);
}
