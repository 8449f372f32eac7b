/* SPDX-License-Identifier: MIT */
/* scimctl: access tokens, inspection of users and of the exported cache, and an alias of
 * scim-authorized-keys (sshd's AuthorizedKeysCommand). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authorized_keys.h"
#include "config.h"
#include "scimd_config.h"
#include "store_config.h"
#include "log.h"
#include "scim_cache.h"
#include "accounts/startup_checks.h"
#include "store/store.h"
#include "accounts/roles.h"
#include "store/tokens.h"
#include "accounts/user_removal.h"
#include "store/users_admin.h"
#include "store/users_query.h"
#include "store/users_repo.h"
#include "api/render_resource.h"
#include "scimctl_host.h"
#include "fleet/fleet_init.h"
#include "scimctl_fleet_wait.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: scimctl [-c FILE] COMMAND [ARGS]\n"
            "\n"
            "Commands:\n"
            "  token create NAME        create an access token; prints access_id, access_key and\n"
            "                           bearer (base64 of id:key) - the key is shown only once\n"
            "  token list               list tokens (never their keys)\n"
            "  token revoke ACCESS_ID   revoke a token; scimd refuses it on the next request\n"
            "  users list               list provisioned users (login, uid, state, userName)\n"
            "  users show ID|USERNAME|LOGIN  show one user's stored SCIM resource\n"
            "  users delete LOGIN       delete a user now, as a SCIM DELETE would (its uid stays\n"
            "                           reserved); a running scimd re-exports the cache\n"
            "  cache dump [PATH]        print the account cache in readable form\n"
            "  cache verify [PATH]      check the account cache; exit 1 if it is bad\n"
            "  high-water show          show the uid/gid high-water marks (store, guard file)\n"
            "  high-water adopt         raise the store's marks to the guard file's and the\n"
            "                           cache's, after restoring an old database\n"
            "  authorized-keys USER [UID]\n"
            "                           print USER's SSH keys if USER is an active SCIM user\n"
            "                           the host's NSS resolves to its SCIM uid (and UID, sshd's\n"
            "                           %%U, is that uid); sshd's AuthorizedKeysCommand is\n"
            "                           scim-authorized-keys, which runs the same code\n"
            "  fleet init [--force]     make this hub's feed signing key ([fleet] signing_key,\n"
            "                           0600) and feed id; prints public_key (for the hosts'\n"
            "                           [follow] hub_keys) and feed_id; --force replaces a key\n"
            "  fleet show               print public_key and feed_id again\n"
            "  fleet wait SEQ [--timeout S]\n"
            "                           wait (default 60 s) until every host seen in the last\n"
            "                           10 minutes has reached sequence SEQ; exit 1 at the\n"
            "                           timeout, naming the hosts still behind\n"
            "  host add NAME            add a fleet host; prints host, id and token (the host's\n"
            "                           [follow] token) - the token is shown only once\n"
            "  host list [--json]       list hosts: last seen, sequence reached, lag behind the\n"
            "                           hub, the conflicts each reported\n"
            "  host revoke ID|NAME      revoke a host's token; the hub refuses it at once\n"
            "\n"
            "Options:\n"
            "  -c, --config FILE  configuration file (default %s)\n"
            "  -h, --help         show this help\n"
            "  -V, --version      show the version\n",
            SCIMD_CONFIG_PATH);
}

static int load_config(struct scimd_config *cfg, const char *path, bool required)
{
    char err[1024];
    scimd_config_init(cfg);
    if (scimd_config_load(cfg, path, err, sizeof(err)) < 0) {
        if (!required && errno == ENOENT)
            return 0;
        fprintf(stderr, "scimctl: %s\n", err);
        return -1;
    }
    if (scimd_config_check(cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "scimctl: %s\n", err);
        return -1;
    }
    return 0;
}

static int open_store(const struct scimd_config *cfg, struct store **st)
{
    char err[1024];
    if (store_config_open(cfg, st, false, err, sizeof(err)) < 0) {
        fprintf(stderr, "scimctl: %s\n", err);
        return -1;
    }
    return 0;
}

static int cmd_token(const struct scimd_config *cfg, int argc, char **argv)
{
    struct store *st = NULL;
    char err[1024];
    int ret = 1;
    if (argc < 1) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[0], "create") == 0 && argc == 2) {
        struct token_secret t;
        if (open_store(cfg, &st) < 0)
            goto out;
        if (tokens_create(st, argv[1], &t, err, sizeof(err)) < 0) {
            fprintf(stderr, "scimctl: %s\n", err);
            goto out;
        }
        printf("access_id: %s\naccess_key: %s\nbearer: %s\n", t.id, t.key, t.bearer);
        explicit_bzero(&t, sizeof(t));
        ret = 0;
    } else if (strcmp(argv[0], "list") == 0 && argc == 1) {
        if (open_store(cfg, &st) < 0)
            goto out;
        if (tokens_list(st, stdout, err, sizeof(err)) < 0) {
            fprintf(stderr, "scimctl: %s\n", err);
            goto out;
        }
        ret = 0;
    } else if (strcmp(argv[0], "revoke") == 0 && argc == 2) {
        if (open_store(cfg, &st) < 0)
            goto out;
        int r = tokens_revoke(st, argv[1], err, sizeof(err));
        if (r < 0)
            fprintf(stderr, "scimctl: %s\n", err);
        else if (r == 0)
            fprintf(stderr, "scimctl: no active token with access id '%s'\n", argv[1]);
        else {
            printf("revoked %s\n", argv[1]);
            ret = 0;
        }
    } else {
        usage(stderr);
        ret = 2;
    }
out:
    store_close(st);
    return ret;
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
static int cmd_users_delete(const struct scimd_config *cfg, const char *login)
{
    struct store *st = NULL;
    struct users_delete d = { .login = login };
    struct scim_error e;
    int ret = 1;
    scim_error_clear(&e);
    if (open_store(cfg, &st) < 0)
        goto out;
    if (store_write(st, users_delete_fn, &d, &e) < 0) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        goto out;
    }
    log_init("scimctl"); /* the audit line names the tool, not scimd */
    user_removal_done(cfg, "scimctl", d.row.id, d.row.login, d.row.uid);
    printf("deleted user %s (uid %u, id %s, userName %s); uid %u stays reserved and is never "
           "reused\n", d.row.login, d.row.uid, d.row.id, d.row.user_name, d.row.uid);
    if (user_removal_touch_epoch(cfg->database) < 0) {
        fprintf(stderr, "scimctl: the user is deleted in the store, but a running scimd could "
                        "not be told (%s.users-epoch: %s): restart scimd so the cache drops "
                        "it\n", cfg->database, strerror(errno));
        goto out;
    }
    printf("scimd re-exports the cache within a second if it is running, else when it starts\n");
    ret = 0;
out:
    user_row_clear(&d.row);
    store_close(st);
    return ret;
}

static void print_user_line(const char *login, int64_t uid, bool active, const char *id,
                            const char *user_name, void *arg)
{
    (void)arg;
    printf("%-24s %-10lld %-11s %-36s %s\n", login, (long long)uid,
           active ? "active" : "deactivated", id, user_name);
}

static int cmd_users(const struct scimd_config *cfg, int argc, char **argv)
{
    struct store *st = NULL;
    struct scim_error e;
    struct db *db = NULL;
    char sql_err[512];
    int ret = 1;
    bool list = argc == 1 && strcmp(argv[0], "list") == 0;
    bool show = argc == 2 && strcmp(argv[0], "show") == 0;
    if (argc == 2 && strcmp(argv[0], "delete") == 0)
        return cmd_users_delete(cfg, argv[1]);
    if (!list && !show) {
        usage(stderr);
        return 2;
    }
    if (open_store(cfg, &st) < 0)
        goto out;
    db = store_reader_get(st, &e);
    if (!db) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        goto out;
    }
    if (list) {
        printf("%-24s %-10s %-11s %-36s %s\n", "LOGIN", "UID", "STATE", "ID", "USERNAME");
        if (users_admin_list(db, print_user_line, NULL, sql_err, sizeof(sql_err)) < 0)
            goto sql_error;
        ret = 0;
        goto out;
    }
    struct user_row row;
    int found = users_admin_find(db, argv[1], &row, sql_err, sizeof(sql_err));
    if (found == -1)
        goto sql_error;
    if (found == 0) {
        fprintf(stderr, "scimctl: no user '%s'\n", argv[1]);
        goto out;
    }
    if (found < 0) {
        fprintf(stderr, "scimctl: stored user is unreadable\n");
        goto out;
    }
    json_t *res = user_row_to_resource(&row, "");
    printf("login: %s\nuid: %u\nstate: %s\npassword: %s\n", row.login, row.uid,
           row.active ? "active" : "deactivated", row.password_hash ? "set (yescrypt)" : "none");
    /* What each role became on this host: a role whose name the host cannot take is kept in
     * the SCIM data only, and this says why (docs/architecture.md, issue 11). */
    size_t ri;
    json_t *role;
    json_array_foreach(json_object_get(row.doc, "roles"), ri, role) {
        const char *value = json_string_value(json_object_get(role, "value"));
        char said[256];
        if (value && value[0] && roles_describe(db, cfg, value, said, sizeof(said)) == 0)
            printf("role: %s: %s\n", value, said);
    }
    json_dumpf(res, stdout, JSON_INDENT(2));
    printf("\n");
    json_decref(res);
    user_row_clear(&row);
    ret = 0;
    goto out;
sql_error:
    fprintf(stderr, "scimctl: %s\n", sql_err);
out:
    if (db)
        store_reader_put(st, db);
    store_close(st);
    return ret;
}

static int cmd_cache(const struct scimd_config *cfg, int argc, char **argv)
{
    char err[1024];
    if (argc < 1 || argc > 2) {
        usage(stderr);
        return 2;
    }
    const char *path = argc == 2 ? argv[1] : cfg->cache_path;
    if (strcmp(argv[0], "dump") == 0) {
        int r = scim_cache_dump(path, stdout);
        if (r < 0) {
            fprintf(stderr, "scimctl: %s: %s\n", path, strerror(-r));
            return 1;
        }
        return 0;
    }
    if (strcmp(argv[0], "verify") == 0) {
        if (scim_cache_verify(path, err, sizeof(err)) < 0) {
            fprintf(stderr, "scimctl: %s: INVALID: %s\n", path, err);
            return 1;
        }
        printf("%s: OK\n", path);
        return 0;
    }
    usage(stderr);
    return 2;
}

static int cmd_high_water(const struct scimd_config *cfg, int argc, char **argv)
{
    struct store *st = NULL;
    char err[2048], path[4096];
    int ret = 1;
    if (argc != 1 || (strcmp(argv[0], "show") != 0 && strcmp(argv[0], "adopt") != 0)) {
        usage(stderr);
        return 2;
    }
    if (open_store(cfg, &st) < 0)
        return 1;
    if (strcmp(argv[0], "adopt") == 0) {
        uint64_t uid, gid;
        if (hwm_adopt(cfg, st, &uid, &gid, err, sizeof(err)) < 0) {
            fprintf(stderr, "scimctl: %s\n", err);
            goto out;
        }
        printf("store high-water marks now uid %llu, gid %llu\n", (unsigned long long)uid,
               (unsigned long long)gid);
        ret = 0;
        goto out;
    }
    uint64_t fu = 0, fg = 0;
    if (hwm_file_path(cfg, path, sizeof(path)) == 0)
        hwm_file_read(path, &fu, &fg);
    printf("guard file %s: uid %llu, gid %llu\n", path, (unsigned long long)fu,
           (unsigned long long)fg);
    if (startup_check_hwm(cfg, st, err, sizeof(err)) < 0)
        printf("%s\n", err);
    else
        printf("store: at or above the guard marks (scimd will start)\n");
    ret = 0;
out:
    store_close(st);
    return ret;
}

/* sshd's AuthorizedKeysCommand is scim-authorized-keys (libc only); this alias runs the same
 * code (common/authorized_keys.c) on the cache path of -c FILE, for an admin's checks. */
static void print_identity(const struct fleet_identity *id)
{
    printf("public_key: %s\nkey_id: %s\nfeed_id: %s\n", id->public_key, id->key_id,
           id->feed_id);
}

static int cmd_fleet(const struct scimd_config *cfg, int argc, char **argv)
{
    struct fleet_identity id;
    struct store *st = NULL;
    char err[1024];
    bool init = argc >= 1 && strcmp(argv[0], "init") == 0;
    bool force = init && argc == 2 && strcmp(argv[1], "--force") == 0;
    int ret = 1;

    if (argc >= 1 && strcmp(argv[0], "wait") == 0)
        return scimctl_fleet_wait(cfg, argc - 1, argv + 1);
    if (!(init && (argc == 1 || force)) && !(argc == 1 && strcmp(argv[0], "show") == 0)) {
        usage(stderr);
        return 2;
    }
    if (open_store(cfg, &st) < 0)
        goto out;
    if (init ? fleet_init(st, cfg->fleet_signing_key, force, &id, err, sizeof(err))
             : fleet_show(st, cfg->fleet_signing_key, &id, err, sizeof(err))) {
        fprintf(stderr, "scimctl: %s\n", err);
        goto out;
    }
    print_identity(&id);
    if (init)
        printf("wrote %s (0600); %s\n", cfg->fleet_signing_key,
               force ? "restart scimd to sign with the new key"
                     : "a running scimd without a key starts signing within seconds");
    ret = 0;
out:
    store_close(st);
    return ret;
}

static int cmd_authorized_keys(const struct scimd_config *cfg, int argc, char **argv)
{
    if (argc < 1 || argc > 2) {
        usage(stderr);
        return 2;
    }
    return scim_authorized_keys("scimctl: authorized-keys", cfg->cache_path, argc, argv);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *config_path = SCIMD_CONFIG_PATH;
    bool explicit_config = false;
    struct scimd_config cfg;
    int opt, ret;

    while ((opt = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            explicit_config = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("scimctl %s\n", SCIMD_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[optind];
    int sub_argc = argc - optind - 1;
    char **sub_argv = argv + optind + 1;
    /* authorized-keys and cache tools work without a readable config (defaults apply). */
    bool needs_config = strcmp(cmd, "token") == 0 || strcmp(cmd, "users") == 0 ||
                        strcmp(cmd, "high-water") == 0 || strcmp(cmd, "fleet") == 0 ||
                        strcmp(cmd, "host") == 0;
    if (load_config(&cfg, config_path, needs_config || explicit_config) < 0)
        return 1;
    if (strcmp(cmd, "token") == 0)
        ret = cmd_token(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "users") == 0)
        ret = cmd_users(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "cache") == 0)
        ret = cmd_cache(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "high-water") == 0)
        ret = cmd_high_water(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "fleet") == 0)
        ret = cmd_fleet(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "host") == 0)
        ret = scimctl_host(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "authorized-keys") == 0)
        ret = cmd_authorized_keys(&cfg, sub_argc, sub_argv);
    else {
        fprintf(stderr, "scimctl: unknown command '%s'\n", cmd);
        usage(stderr);
        ret = 2;
    }
    scimd_config_free(&cfg);
    return ret;
}
