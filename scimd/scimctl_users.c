/* SPDX-License-Identifier: MIT */
/* scimctl users: reading the provisioned users, and the break-glass changes an administrator
 * makes when the IdP is not quick enough (delete, deactivate, activate). Each change goes
 * through the path the matching SCIM request takes, so the change log (the fleet's feed),
 * the audit records and session termination are the same whoever asked. */
#include "scimctl_users.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "accounts/roles.h"
#include "accounts/user_removal.h"
#include "accounts/users_service.h"
#include "api/render_resource.h"
#include "log.h"
#include "proto/schema.h"
#include "scimctl_common.h"
#include "scimctl_purge.h"
#include "store/store.h"
#include "store/users_admin.h"
#include "store/users_query.h"
#include "store/users_repo.h"

static const char *const verbs[] = { "list", "show", "delete", "deactivate", "activate",
                                      "purge", NULL };

static void users_usage(void)
{
    fprintf(stderr, "usage: scimctl users list [--json]\n"
                    "       scimctl users show ID|USERNAME|LOGIN [--json]\n"
                    "       scimctl users delete|deactivate|activate LOGIN\n"
                    "       scimctl users purge LOGIN [--remove-home | --archive-home DIR] "
                    "[--all-filesystems]\n");
}

/* A running scimd watches this file: it re-exports the cache and drops rendered users. */
static int tell_scimd(const struct scimd_config *cfg, const char *what)
{
    if (user_removal_touch_epoch(cfg->database) < 0) {
        fprintf(stderr, "scimctl: the user is %s in the store, but a running scimd could not "
                        "be told (%s.users-epoch: %s): restart scimd so the cache follows\n",
                what, cfg->database, strerror(errno));
        return 1;
    }
    printf("scimd re-exports the cache within a second if it is running, else when it starts\n");
    return 0;
}

struct users_delete {
    const char *login;
    struct user_row row;
};

static int users_delete_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct users_delete *d = arg;
    int r = users_repo_find_by_key(db, USERS_KEY_LOGIN, d->login, &d->row, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return scim_error_set(err, 404, NULL,
                              "no user with login name '%s' (see scimctl users list); nothing "
                              "was changed", d->login);
    return user_removal_apply(db, d->row.id, err);
}

/* Break-glass removal when the IdP cannot (or will not: Okta never sends DELETE). Asks
 * nothing: it runs from scripts and CI. The store change is the SCIM DELETE's; the running
 * scimd learns of it from the users epoch file and re-exports. */
static int users_delete(const struct scimd_config *cfg, const char *login)
{
    struct store *st = NULL;
    struct users_delete d = { .login = login };
    struct scim_error e;
    int ret = 1;
    scim_error_clear(&e);
    if (scimctl_open_store(cfg, true, &st) < 0)
        goto out;
    if (store_write(st, users_delete_fn, &d, &e) < 0) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        goto out;
    }
    log_init("scimctl"); /* the audit line names the tool, not scimd */
    user_removal_done(cfg, "scimctl", d.row.id, d.row.login, d.row.uid);
    printf("deleted user %s (uid %u, id %s, userName %s); uid %u stays reserved and is never "
           "reused\n", d.row.login, d.row.uid, d.row.id, d.row.user_name, d.row.uid);
    ret = tell_scimd(cfg, "deleted");
out:
    user_row_clear(&d.row);
    store_close(st);
    return ret;
}

/* The id of the user with this login, for the PATCH (which, like SCIM's, names the id). */
static int find_login(struct store *st, const char *login, char id[SCIM_ID_LEN + 1])
{
    struct user_row row = { 0 };
    struct scim_error e;
    int ret = -1;
    struct db *db = store_reader_get(st, &e);
    if (!db) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        return -1;
    }
    int r = users_repo_find_by_key(db, USERS_KEY_LOGIN, login, &row, &e);
    if (r < 0)
        fprintf(stderr, "scimctl: %s\n", e.detail);
    else if (r == 0)
        fprintf(stderr, "scimctl: no user with login name '%s' (see scimctl users list); "
                        "nothing was changed\n", login);
    else {
        memcpy(id, row.id, SCIM_ID_LEN + 1);
        ret = 0;
    }
    user_row_clear(&row);
    store_reader_put(st, db);
    return ret;
}

/* Break-glass lock-out (and its undo) between two IdP cycles: a SCIM PATCH of active, run
 * through users_service as the API runs it. The IdP stays the authority: its next push of
 * active wins again. */
static int users_set_active(const struct scimd_config *cfg, const char *login, bool active)
{
    struct store *st = NULL;
    struct users_change w = { .op = USERS_OP_PATCH };
    struct scim_error e;
    char id[SCIM_ID_LEN + 1];
    int ret = 1;
    scim_error_clear(&e);
    w.body = json_pack("{s:[s], s:[{s:s, s:s, s:b}]}", "schemas", SCIM_URN_PATCH_OP,
                       "Operations", "op", "replace", "path", "active", "value", active);
    if (!w.body) {
        fprintf(stderr, "scimctl: out of memory\n");
        goto out;
    }
    if (scimctl_open_store(cfg, true, &st) < 0 || find_login(st, login, id) < 0)
        goto out;
    w.id = id;
    if (users_service_write(st, cfg, &w, &e) < 0) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        goto out;
    }
    if (!w.changed) {
        printf("user %s (uid %u) is already %s; nothing was changed\n", w.row.login, w.row.uid,
               active ? "active" : "deactivated");
        ret = 0;
        goto out;
    }
    log_init("scimctl"); /* the audit line names the tool, not scimd */
    users_service_done(cfg, "scimctl", &w);
    printf("%s user %s (uid %u, id %s, userName %s)%s\n", active ? "activated" : "deactivated",
           w.row.login, w.row.uid, w.row.id, w.row.user_name,
           !active && cfg->terminate_on_deactivate ? "; its sessions were ended" : "");
    printf("the identity provider still decides: its next push of this user's active wins "
           "again, so change it there too\n");
    ret = tell_scimd(cfg, active ? "activated" : "deactivated");
out:
    user_row_clear(&w.row);
    json_decref(w.body);
    json_decref(w.new_role_groups); /* NULL once users_service_done ran */
    store_close(st);
    return ret;
}

struct list_ctx {
    json_t *json; /* the array for --json, else NULL */
    int failed;
};

static void list_one(const char *login, int64_t uid, bool active, const char *id,
                     const char *user_name, void *arg)
{
    struct list_ctx *c = arg;
    if (!c->json) {
        printf("%-24s %-10lld %-11s %-36s %s\n", login, (long long)uid,
               active ? "active" : "deactivated", id, user_name);
        return;
    }
    json_t *o = json_pack("{s:s, s:I, s:b, s:s, s:s}", "login", login, "uid", (json_int_t)uid,
                          "active", active, "id", id, "user_name", user_name);
    if (!o || json_array_append_new(c->json, o) < 0)
        c->failed = 1;
}

static int users_list(struct db *db, bool as_json)
{
    struct list_ctx c = { 0 };
    char err[512];
    int ret = 1;
    if (as_json && !(c.json = json_array()))
        goto out;
    if (!as_json)
        printf("%-24s %-10s %-11s %-36s %s\n", "LOGIN", "UID", "STATE", "ID", "USERNAME");
    if (users_admin_list(db, list_one, &c, err, sizeof(err)) < 0) {
        fprintf(stderr, "scimctl: %s\n", err);
        goto out;
    }
    ret = c.failed;
    if (as_json && !c.failed)
        ret = scimctl_print_json(json_pack("{s:O}", "users", c.json));
out:
    json_decref(c.json);
    return ret;
}

/* What each role became on this host: a role whose name the host cannot take is kept in the
 * SCIM data only, and this says why (docs/architecture.md, issue 11). */
static json_t *roles_on_host(struct db *db, const struct scimd_config *cfg,
                             const struct user_row *row)
{
    json_t *out = json_array();
    size_t i;
    json_t *role;
    json_array_foreach(json_object_get(row->doc, "roles"), i, role) {
        const char *value = json_string_value(json_object_get(role, "value"));
        char said[256];
        if (out && value && value[0] && roles_describe(db, cfg, value, said, sizeof(said)) == 0)
            json_array_append_new(out, json_pack("{s:s, s:s}", "value", value, "host", said));
    }
    return out;
}

static int users_show(struct db *db, const struct scimd_config *cfg, const char *who,
                      bool as_json)
{
    struct user_row row = { 0 };
    json_t *res = NULL, *roles = NULL;
    char err[512];
    int ret = 1;
    int found = users_admin_find(db, who, &row, err, sizeof(err));
    if (found == -1)
        fprintf(stderr, "scimctl: %s\n", err);
    else if (found == 0)
        fprintf(stderr, "scimctl: no user '%s' (see scimctl users list)\n", who);
    else if (found < 0)
        fprintf(stderr, "scimctl: stored user is unreadable\n");
    if (found <= 0)
        goto out;
    res = user_row_to_resource(&row, "");
    roles = roles_on_host(db, cfg, &row);
    if (!res || !roles) {
        fprintf(stderr, "scimctl: out of memory\n");
        goto out;
    }
    if (as_json) {
        ret = scimctl_print_json(json_pack("{s:s, s:I, s:b, s:b, s:O, s:O}", "login", row.login,
                                           "uid", (json_int_t)row.uid, "active", row.active,
                                           "password_set", row.password_hash != NULL, "roles",
                                           roles, "resource", res));
        goto out;
    }
    printf("login: %s\nuid: %u\nstate: %s\npassword: %s\n", row.login, row.uid,
           row.active ? "active" : "deactivated", row.password_hash ? "set (yescrypt)" : "none");
    size_t i;
    json_t *r;
    json_array_foreach(roles, i, r)
        printf("role: %s: %s\n", json_string_value(json_object_get(r, "value")),
               json_string_value(json_object_get(r, "host")));
    json_dumpf(res, stdout, JSON_INDENT(2));
    printf("\n");
    ret = 0;
out:
    json_decref(res);
    json_decref(roles);
    user_row_clear(&row);
    return ret;
}

int scimctl_users(const struct scimd_config *cfg, int argc, char **argv)
{
    struct store *st = NULL;
    struct scim_error e;
    struct db *db = NULL;
    int ret = 1;
    if (argc >= 1 && strcmp(argv[0], "purge") == 0) /* its own options; --json is not one */
        return scimctl_purge(cfg, argc - 1, argv + 1);
    bool as_json = scimctl_take_flag(&argc, argv, "--json");
    const char *verb = argc >= 1 ? argv[0] : "";
    bool list = argc == 1 && strcmp(verb, "list") == 0;
    bool show = argc == 2 && strcmp(verb, "show") == 0;

    if (argc >= 1 && !scimctl_is_one_of(verb, verbs))
        return scimctl_unknown("users command", verb, verbs);
    if (as_json && !list && !show) {
        users_usage();
        return 2;
    }
    if (argc == 2 && strcmp(verb, "delete") == 0)
        return users_delete(cfg, argv[1]);
    if (argc == 2 && (strcmp(verb, "deactivate") == 0 || strcmp(verb, "activate") == 0))
        return users_set_active(cfg, argv[1], verb[0] == 'a');
    if (!list && !show) {
        users_usage();
        return 2;
    }
    if (scimctl_open_store(cfg, true, &st) < 0)
        goto out;
    db = store_reader_get(st, &e);
    if (!db) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        goto out;
    }
    ret = list ? users_list(db, as_json) : users_show(db, cfg, argv[1], as_json);
out:
    if (db)
        store_reader_put(st, db);
    store_close(st);
    return ret;
}
