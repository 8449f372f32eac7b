/* SPDX-License-Identifier: MIT */
/* scimctl groups: one read transaction (export_scan) gives the users, the SCIM groups with
 * their members and the role groups, so counts and members agree with each other the way
 * the exported cache's do. Every group is one JSON object:
 *   kind         "scim" (a SCIM /Groups resource), "role" (a role value that became a Linux
 *                group) or "mapped-role" (a role [roles] maps onto a local group)
 *   name         the Linux group name (for mapped-role: the role value)
 *   id, display_name  SCIM groups only
 *   gid          the group's gid; a mapped group's is the local group's (null if missing)
 *   mapped_to    the local group a [groups] or [roles] entry feeds, or null
 *   members      the members' login names (member_count in a listing) */
#include "scimctl_groups.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "accounts/host_probe.h"
#include "accounts/roles.h"
#include "scimctl_common.h"
#include "store/admin_reads.h"
#include "store/export_scan.h"
#include "store/groups_query.h"
#include "store/store.h"

static const char *const verbs[] = { "list", "show", NULL };

struct collect {
    const struct scimd_config *cfg;
    json_t *groups;      /* the array, in the order listed */
    json_t *logins;      /* uid (decimal) -> login */
    json_t *scim_by_name;
    json_t *role_by_name;
    json_t *mapped_by_local;
    const char *login;   /* the user whose roles are being read */
};

static json_t *gid_value(bool known, uint32_t gid)
{
    return known ? json_integer(gid) : json_null();
}

static int add_group(struct collect *c, json_t *index, const char *key, json_t *g)
{
    if (!g || json_object_set_new(g, "members", json_array()) < 0 ||
        json_array_append(c->groups, g) < 0 || json_object_set_new(index, key, g) < 0)
        return -1;
    return 0;
}

static int add_role_group(void *arg, const char *name, uint32_t gid)
{
    struct collect *c = arg;
    return add_group(c, c->role_by_name, name,
                     json_pack("{s:s, s:s, s:I, s:n}", "kind", "role", "name", name, "gid",
                               (json_int_t)gid, "mapped_to"));
}

static int add_mapped_roles(struct collect *c)
{
    for (size_t i = 0; i < c->cfg->n_role_maps; i++) {
        const struct local_group_map *m = &c->cfg->role_maps[i];
        uint32_t gid = 0;
        bool known = identity_host_group_gid(m->local_group, &gid) == 1;
        if (json_object_get(c->mapped_by_local, m->local_group))
            continue; /* two roles onto one local group: one entry, its members */
        if (add_group(c, c->mapped_by_local, m->local_group,
                      json_pack("{s:s, s:s, s:o, s:s}", "kind", "mapped-role", "name",
                                m->scim_name, "gid", gid_value(known, gid), "mapped_to",
                                m->local_group)) < 0)
            return -1;
    }
    return 0;
}

static int on_role(void *arg, const struct role_target *t)
{
    struct collect *c = arg;
    json_t *g = json_object_get(t->mapped_local ? c->mapped_by_local : c->role_by_name,
                                t->group_name);
    if (g)
        json_array_append_new(json_object_get(g, "members"), json_string(c->login));
    return 0;
}

static int on_user(const struct export_user_row *row, void *arg, char *err, size_t errlen)
{
    struct collect *c = arg;
    char uid[16];
    snprintf(uid, sizeof(uid), "%u", row->uid);
    c->login = row->login;
    if (json_object_set_new(c->logins, uid, json_string(row->login)) < 0 ||
        roles_for_export(c->cfg, row->roles, on_role, c) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int on_scim_group(struct db *db, const struct group_row *row, void *arg,
                         struct scim_error *err)
{
    (void)db;
    struct collect *c = arg;
    const char *local = scimd_config_map_lookup(c->cfg->group_maps, c->cfg->n_group_maps,
                                                row->display_name, row->name);
    uint32_t gid = row->gid;
    bool known = gid != 0 || (local && identity_host_group_gid(local, &gid) == 1);
    if (add_group(c, c->scim_by_name, row->name,
                  json_pack("{s:s, s:s, s:s, s:s, s:o, s:s?}", "kind", "scim", "name",
                            row->name, "id", row->id, "display_name", row->display_name,
                            "gid", gid_value(known, gid), "mapped_to", local)) < 0)
        return scim_error_set(err, 500, NULL, "out of memory");
    return 0;
}

static int on_member(const struct export_group_row *row, void *arg, char *err, size_t errlen)
{
    struct collect *c = arg;
    char uid[16];
    if (!row->has_member)
        return 0;
    snprintf(uid, sizeof(uid), "%u", row->member_uid);
    json_t *g = json_object_get(c->scim_by_name, row->name);
    json_t *login = json_object_get(c->logins, uid);
    if (g && login && json_array_append(json_object_get(g, "members"), login) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Every group into c->groups: SCIM groups, role groups, then [roles] mappings. */
static int collect(struct store *st, struct collect *c)
{
    char err[1024] = "out of memory";
    struct scim_error e;
    const struct groups_query all = { .kind = GROUPS_QUERY_ALL };
    int ret = -1;
    struct db *db = export_scan_begin(st, err, sizeof(err));
    if (!db)
        goto out;
    if (!c->groups || !c->logins || !c->scim_by_name || !c->role_by_name || !c->mapped_by_local)
        goto out;
    if (groups_query_each(db, &all, on_scim_group, c, "listing groups", &e) < 0) {
        snprintf(err, sizeof(err), "%s", e.detail);
        goto out;
    }
    if (admin_role_groups_each(db, add_role_group, c) != 0) {
        snprintf(err, sizeof(err), "listing role groups: %s", db_errmsg(db));
        goto out;
    }
    if (add_mapped_roles(c) < 0 || export_scan_users(db, on_user, c, err, sizeof(err)) < 0 ||
        export_scan_groups(db, on_member, c, err, sizeof(err)) < 0)
        goto out;
    ret = 0;
out:
    if (ret < 0)
        fprintf(stderr, "scimctl: %s\n", err);
    export_scan_end(st, db);
    return ret;
}

static const char *str(const json_t *g, const char *key)
{
    const char *v = json_string_value(json_object_get(g, key));
    return v ? v : "-";
}

static void print_gid(const json_t *g)
{
    const json_t *gid = json_object_get(g, "gid");
    if (json_is_integer(gid))
        printf("%-10lld ", (long long)json_integer_value(gid));
    else
        printf("%-10s ", "-");
}

static int list(json_t *groups, bool as_json)
{
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
        size_t n = json_array_size(json_object_get(g, "members"));
        if (as_json) {
            json_object_del(g, "members");
            json_object_set_new(g, "member_count", json_integer((json_int_t)n));
            continue;
        }
        if (i == 0)
            printf("%-12s %-24s %-10s %-16s %-7s %s\n", "KIND", "NAME", "GID", "MAPPED_TO",
                   "MEMBERS", "ID");
        printf("%-12s %-24s ", str(g, "kind"), str(g, "name"));
        print_gid(g);
        printf("%-16s %-7zu %s\n", str(g, "mapped_to"), n, str(g, "id"));
    }
    if (as_json)
        return scimctl_print_json(json_pack("{s:O}", "groups", groups));
    if (json_array_size(groups) == 0)
        printf("no groups\n");
    return 0;
}

static bool matches(const json_t *g, const char *who)
{
    const char *name = json_string_value(json_object_get(g, "name"));
    const char *id = json_string_value(json_object_get(g, "id"));
    const char *mapped = json_string_value(json_object_get(g, "mapped_to"));
    const char *display = json_string_value(json_object_get(g, "display_name"));
    return (name && strcmp(name, who) == 0) || (id && strcmp(id, who) == 0) ||
           (display && strcasecmp(display, who) == 0) ||
           (mapped && strcmp(str(g, "kind"), "mapped-role") == 0 && strcmp(mapped, who) == 0);
}

static int show(json_t *groups, const char *who, bool as_json)
{
    size_t i;
    json_t *g, *found = NULL;
    json_array_foreach(groups, i, g)
        if (!found && matches(g, who))
            found = g;
    if (!found) {
        fprintf(stderr, "scimctl: no group '%s' (see scimctl groups list)\n", who);
        return 1;
    }
    if (as_json)
        return scimctl_print_json(json_incref(found));
    printf("kind: %s\nname: %s\n", str(found, "kind"), str(found, "name"));
    if (json_object_get(found, "id"))
        printf("id: %s\ndisplayName: %s\n", str(found, "id"), str(found, "display_name"));
    printf("gid: ");
    if (json_is_integer(json_object_get(found, "gid")))
        printf("%lld\n", (long long)json_integer_value(json_object_get(found, "gid")));
    else
        printf("none (%s)\n", json_object_get(found, "mapped_to") ? "the local group is missing"
                                                                   : "unknown");
    if (json_is_string(json_object_get(found, "mapped_to")))
        printf("mapped to: %s (a local group)\n", str(found, "mapped_to"));
    json_t *members = json_object_get(found, "members");
    printf("members: %zu\n", json_array_size(members));
    json_t *m;
    json_array_foreach(members, i, m)
        printf("  %s\n", json_string_value(m));
    return 0;
}

int scimctl_groups(const struct scimd_config *cfg, int argc, char **argv)
{
    struct store *st = NULL;
    struct collect c = {
        .cfg = cfg,
        .groups = json_array(),
        .logins = json_object(),
        .scim_by_name = json_object(),
        .role_by_name = json_object(),
        .mapped_by_local = json_object(),
    };
    int ret = 1;
    bool as_json = scimctl_take_flag(&argc, argv, "--json");
    if (argc >= 1 && !scimctl_is_one_of(argv[0], verbs)) {
        ret = scimctl_unknown("groups command", argv[0], verbs);
        goto out;
    }
    bool ls = argc == 1 && strcmp(argv[0], "list") == 0;
    if (!ls && !(argc == 2 && strcmp(argv[0], "show") == 0)) {
        fprintf(stderr, "usage: scimctl groups list [--json]\n"
                        "       scimctl groups show NAME|ID [--json]\n");
        ret = 2;
        goto out;
    }
    if (scimctl_open_store(cfg, true, &st) < 0 || collect(st, &c) < 0)
        goto out;
    ret = ls ? list(c.groups, as_json) : show(c.groups, argv[1], as_json);
out:
    json_decref(c.groups);
    json_decref(c.logins);
    json_decref(c.scim_by_name);
    json_decref(c.role_by_name);
    json_decref(c.mapped_by_local);
    store_close(st);
    return ret;
}
