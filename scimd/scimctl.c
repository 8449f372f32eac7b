/* SPDX-License-Identifier: MIT */
/* scimctl: access tokens, the exported cache, the uid high-water marks, the fleet hub's
 * identity and an alias of scim-authorized-keys (sshd's AuthorizedKeysCommand); users,
 * groups, status, host and store have files of their own (scimctl_*.c). */
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
#include "store/export_scan.h"
#include "store/seq_reserve.h"
#include "store/tokens.h"
#include "store/tokens_query.h"
#include "scimctl_cache.h"
#include "scimctl_common.h"
#include "scimctl_groups.h"
#include "scimctl_host.h"
#include "scimctl_orphans.h"
#include "scimctl_status.h"
#include "scimctl_users.h"
#include "scimctl_store.h"
#include "fleet/fleet_init.h"
#include "scimctl_fleet_wait.h"
#include "scimctl_follow.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: scimctl [-c FILE] COMMAND [ARGS]\n"
            "\n"
            "Commands:\n"
            "  token create NAME        create an access token; prints access_id, access_key and\n"
            "                           bearer (base64 of id:key) - the key is shown only once\n"
            "  token list [--json]      list tokens (never their keys) and when each last\n"
            "                           authenticated a request (to the minute)\n"
            "  token revoke ACCESS_ID   revoke a token; scimd refuses it on the next request\n"
            "  users list [--json]      list provisioned users (login, uid, state, userName)\n"
            "  users show ID|USERNAME|LOGIN [--json]\n"
            "                           show one user's stored SCIM resource\n"
            "  users delete LOGIN       delete a user now, as a SCIM DELETE would (its uid stays\n"
            "                           reserved); a running scimd re-exports the cache\n"
            "  users deactivate LOGIN   lock a user out now, as a SCIM PATCH active=false would\n"
            "                           (sessions end with [sessions] terminate_on_deactivate);\n"
            "                           the IdP's next push of active wins again\n"
            "  users activate LOGIN     undo a deactivation, as a SCIM PATCH active=true would\n"
            "  users purge LOGIN [--remove-home | --archive-home DIR] [--all-filesystems]\n"
            "                           delete a deactivated user (or find a deleted one by its\n"
            "                           tombstone) and remove its home, or archive it to\n"
            "                           DIR/LOGIN-UID-DATE.tar.gz (0600) and remove it; only a\n"
            "                           directory the user's uid owns; refused otherwise\n"
            "  groups list [--json]     list SCIM groups and role groups: name, gid, the local\n"
            "                           group one is mapped onto, member count\n"
            "  groups show NAME|ID [--json]\n"
            "                           show one group and its members\n"
            "  status [--json]          is scimd up, the last export, each token's last use,\n"
            "                           counts, the store, warnings; exit 1 when scimd is down\n"
            "  orphans PATH... [--all-filesystems] [--json]\n"
            "                           list files under PATH owned by a deleted user's uid or\n"
            "                           a deleted group's gid (never reused): path, id, former\n"
            "                           name, when it was released; no symlink is followed\n"
            "  cache dump [PATH] [--json]\n"
            "                           print the account cache in readable form\n"
            "  cache verify [PATH]      check the account cache; exit 1 if it is bad\n"
            "  high-water show [--json] show the uid/gid high-water marks (store, guard file)\n"
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
            "  fleet show [--json]      print public_key and feed_id again\n"
            "  fleet wait SEQ [--timeout S]\n"
            "                           wait (default 60 s) until every host seen in the last\n"
            "                           10 minutes has reached sequence SEQ; exit 1 at the\n"
            "                           timeout, naming the hosts still behind\n"
            "  follow resync            on a follower: forget the hub sequence it holds, so\n"
            "                           that it takes the hub's snapshot at its next request\n"
            "                           (after a hub restored from an older backup answers\n"
            "                           409); running or stopped\n"
            "  host add NAME            add a fleet host; prints host, id and token (the host's\n"
            "                           [follow] token) - the token is shown only once\n"
            "  host list [--json]       list hosts: last seen, sequence reached, lag behind the\n"
            "                           hub, the conflicts each reported\n"
            "  host revoke ID|NAME      revoke a host's token; the hub refuses it at once\n"
            "  store copy --to URL [--password-file FILE]\n"
            "                           copy this SQLite store into a new, empty PostgreSQL\n"
            "                           database (ids, tombstones, tokens, the feed's sequence);\n"
            "                           stop scimd first\n"
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

struct token_list {
    json_t *json; /* the array for --json, else NULL */
};

static int token_list_one(void *arg, const struct token_row *t)
{
    struct token_list *c = arg;
    if (!c->json) {
        printf("%-16s  %-24s  %-24s  %-24s  %s%s\n", t->id, t->name, t->created,
               t->last_used ? t->last_used : "never", t->revoked ? "revoked " : "active",
               t->revoked ? t->revoked : "");
        return 0;
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s?}", "access_id", t->id, "name", t->name,
                          "created", t->created, "last_used", t->last_used, "revoked",
                          t->revoked);
    return o && json_array_append_new(c->json, o) == 0 ? 0 : -1;
}

/* Every token (never a key): ACCESS_ID NAME CREATED LAST_USED STATUS, or --json. */
static int token_list(struct store *st, bool as_json)
{
    struct token_list c = { 0 };
    struct scim_error e;
    int ret = 1;
    struct db *db = store_reader_get(st, &e);
    if (!db) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        return 1;
    }
    if (as_json && !(c.json = json_array()))
        goto out;
    if (!as_json)
        printf("%-16s  %-24s  %-24s  %-24s  %s\n", "ACCESS_ID", "NAME", "CREATED", "LAST_USED",
               "STATUS");
    if (tokens_each(db, token_list_one, &c) != 0) {
        fprintf(stderr, "scimctl: cannot list tokens: %s\n", db_errmsg(db));
        goto out;
    }
    ret = as_json ? scimctl_print_json(json_pack("{s:O}", "tokens", c.json)) : 0;
out:
    json_decref(c.json);
    store_reader_put(st, db);
    return ret;
}

static int cmd_token(const struct scimd_config *cfg, int argc, char **argv)
{
    static const char *const verbs[] = { "create", "list", "revoke", NULL };
    struct store *st = NULL;
    char err[1024];
    int ret = 1;
    bool as_json = scimctl_take_flag(&argc, argv, "--json");
    if (argc >= 1 && !scimctl_is_one_of(argv[0], verbs))
        return scimctl_unknown("token command", argv[0], verbs);
    if (argc < 1 || (as_json && strcmp(argv[0], "list") != 0)) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[0], "create") == 0 && argc == 2) {
        struct token_secret t;
        /* The first token is the first step of a new host: it may create the store. */
        if (scimctl_open_store(cfg, false, &st) < 0)
            goto out;
        if (tokens_create(st, argv[1], &t, err, sizeof(err)) < 0) {
            fprintf(stderr, "scimctl: %s\n", err);
            goto out;
        }
        printf("access_id: %s\naccess_key: %s\nbearer: %s\n", t.id, t.key, t.bearer);
        explicit_bzero(&t, sizeof(t));
        ret = 0;
    } else if (strcmp(argv[0], "list") == 0 && argc == 1) {
        if (scimctl_open_store(cfg, true, &st) < 0)
            goto out;
        ret = token_list(st, as_json);
    } else if (strcmp(argv[0], "revoke") == 0 && argc == 2) {
        if (scimctl_open_store(cfg, true, &st) < 0)
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

static int cmd_cache(const struct scimd_config *cfg, int argc, char **argv)
{
    char err[1024];
    bool as_json = scimctl_take_flag(&argc, argv, "--json");
    if (argc < 1 || argc > 2 || (as_json && strcmp(argv[0], "dump") != 0)) {
        usage(stderr);
        return 2;
    }
    const char *path = argc == 2 ? argv[1] : cfg->cache_path;
    if (strcmp(argv[0], "dump") == 0) {
        if (as_json)
            return scimctl_cache_dump_json(path);
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
    static const char *const verbs[] = { "dump", "verify", NULL };
    return scimctl_unknown("cache command", argv[0], verbs);
}

/* high-water show --json: the guard file's marks, the store's, and whether scimd starts. */
static int high_water_json(struct store *st, const char *path, uint64_t fu, uint64_t fg,
                           const char *problem)
{
    struct scim_error e;
    uint64_t su = 0, sg = 0;
    struct db *db = store_reader_get(st, &e);
    if (!db) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        return 1;
    }
    export_scan_marks(db, &su, &sg);
    store_reader_put(st, db);
    return scimctl_print_json(json_pack("{s:{s:s, s:I, s:I}, s:{s:I, s:I}, s:b, s:s?}",
                                        "guard_file", "path", path, "uid", (json_int_t)fu,
                                        "gid", (json_int_t)fg, "store", "uid", (json_int_t)su,
                                        "gid", (json_int_t)sg, "ok", problem == NULL,
                                        "problem", problem));
}

/* high-water adopt, scimd stopped: the change log moves past the guard's reservation as
 * scimd's start would (store/seq_reserve.h), reserving nothing ahead. 0, or -1 printed. */
static int adopt_sequences(const struct scimd_config *cfg, struct store *st)
{
    char path[4096], msg[1024] = "the guard file's path is too long";
    struct seq_restore r;
    if (hwm_file_path(cfg, path, sizeof(path)) < 0 ||
        seq_reserve_start(st, path, 0, &r, msg, sizeof(msg)) < 0) {
        fprintf(stderr, "scimctl: %s\n", msg);
        return -1;
    }
    if (r.moved_to) {
        seq_restore_describe(&r, path, msg, sizeof(msg));
        printf("%s\n", msg);
    } else {
        printf("change log at sequence %lld, level with the guard file's reservation\n",
               (long long)r.db_seq);
    }
    return 0;
}

static int cmd_high_water(const struct scimd_config *cfg, int argc, char **argv)
{
    static const char *const verbs[] = { "show", "adopt", NULL };
    struct store *st = NULL;
    char err[2048], path[4096] = "";
    int ret = 1;
    bool as_json = scimctl_take_flag(&argc, argv, "--json");
    if (argc >= 1 && !scimctl_is_one_of(argv[0], verbs))
        return scimctl_unknown("high-water command", argv[0], verbs);
    if (argc != 1 || (as_json && strcmp(argv[0], "show") != 0)) {
        usage(stderr);
        return 2;
    }
    if (scimctl_open_store(cfg, true, &st) < 0)
        return 1;
    if (strcmp(argv[0], "adopt") == 0) {
        uint64_t uid, gid;
        if (hwm_adopt(cfg, st, &uid, &gid, err, sizeof(err)) < 0) {
            fprintf(stderr, "scimctl: %s\n", err);
            goto out;
        }
        printf("store high-water marks now uid %llu, gid %llu\n", (unsigned long long)uid,
               (unsigned long long)gid);
        if (adopt_sequences(cfg, st) < 0)
            goto out;
        ret = 0;
        goto out;
    }
    uint64_t fu = 0, fg = 0;
    if (hwm_file_path(cfg, path, sizeof(path)) == 0)
        hwm_file_read(path, &fu, &fg);
    bool ok = startup_check_hwm(cfg, st, err, sizeof(err)) == 0;
    if (as_json) {
        ret = high_water_json(st, path, fu, fg, ok ? NULL : err);
        goto out;
    }
    printf("guard file %s: uid %llu, gid %llu\n", path, (unsigned long long)fu,
           (unsigned long long)fg);
    if (!ok)
        printf("%s\n", err);
    else
        printf("store: at or above the guard marks (scimd will start)\n");
    ret = 0;
out:
    store_close(st);
    return ret;
}

static int cmd_fleet(const struct scimd_config *cfg, int argc, char **argv)
{
    static const char *const verbs[] = { "init", "show", "wait", NULL };
    struct fleet_identity id;
    struct store *st = NULL;
    char err[1024];
    int ret = 1;

    if (argc >= 1 && strcmp(argv[0], "wait") == 0)
        return scimctl_fleet_wait(cfg, argc - 1, argv + 1);
    bool as_json = scimctl_take_flag(&argc, argv, "--json");
    bool init = argc >= 1 && strcmp(argv[0], "init") == 0;
    bool force = init && argc == 2 && strcmp(argv[1], "--force") == 0;
    if (argc >= 1 && !scimctl_is_one_of(argv[0], verbs))
        return scimctl_unknown("fleet command", argv[0], verbs);
    if ((!(init && (argc == 1 || force)) && !(argc == 1 && strcmp(argv[0], "show") == 0)) ||
        (as_json && init)) {
        usage(stderr);
        return 2;
    }
    /* init makes the hub's identity, which may be a new store's first state; show only reads. */
    if (scimctl_open_store(cfg, !init, &st) < 0)
        goto out;
    if (init ? fleet_init(st, cfg->fleet_signing_key, force, &id, err, sizeof(err))
             : fleet_show(st, cfg->fleet_signing_key, &id, err, sizeof(err))) {
        fprintf(stderr, "scimctl: %s\n", err);
        goto out;
    }
    if (as_json) {
        ret = scimctl_print_json(json_pack("{s:s, s:s, s:s}", "public_key", id.public_key,
                                           "key_id", id.key_id, "feed_id", id.feed_id));
        goto out;
    }
    printf("public_key: %s\nkey_id: %s\nfeed_id: %s\n", id.public_key, id.key_id, id.feed_id);
    if (init)
        printf("wrote %s (0600); %s\n", cfg->fleet_signing_key,
               force ? "restart scimd to sign with the new key"
                     : "a running scimd without a key starts signing within seconds");
    ret = 0;
out:
    store_close(st);
    return ret;
}

/* sshd's AuthorizedKeysCommand is scim-authorized-keys (libc only); this alias runs the same
 * code (common/authorized_keys.c) on the cache path of -c FILE, for an admin's checks. */
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
    static const char *const commands[] = { "token", "users", "groups", "status", "cache",
                                            "high-water", "authorized-keys", "fleet",
                                            "follow", "host",
                                            "store", "orphans", NULL };
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
    /* A typo is named before the configuration is read, whatever state that is in. */
    if (!scimctl_is_one_of(cmd, commands))
        return scimctl_unknown("command", cmd, commands);
    /* authorized-keys and cache tools work without a readable config (defaults apply). */
    bool needs_config = strcmp(cmd, "cache") != 0 && strcmp(cmd, "authorized-keys") != 0;
    if (load_config(&cfg, config_path, needs_config || explicit_config) < 0)
        return 1;
    if (strcmp(cmd, "token") == 0)
        ret = cmd_token(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "users") == 0)
        ret = scimctl_users(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "groups") == 0)
        ret = scimctl_groups(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "status") == 0)
        ret = scimctl_status(&cfg, config_path, sub_argc, sub_argv);
    else if (strcmp(cmd, "cache") == 0)
        ret = cmd_cache(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "high-water") == 0)
        ret = cmd_high_water(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "fleet") == 0)
        ret = cmd_fleet(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "follow") == 0)
        ret = scimctl_follow(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "host") == 0)
        ret = scimctl_host(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "store") == 0)
        ret = scimctl_store(&cfg, sub_argc, sub_argv);
    else if (strcmp(cmd, "orphans") == 0)
        ret = scimctl_orphans(&cfg, sub_argc, sub_argv);
    else
        ret = cmd_authorized_keys(&cfg, sub_argc, sub_argv);
    scimd_config_free(&cfg);
    return ret;
}
