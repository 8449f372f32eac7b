/* SPDX-License-Identifier: MIT */
/* scimd: the SCIM 2.0 provisioning daemon. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "http/auth.h"
#include "accounts/cache_paths.h"
#include "scimd_config.h"
#include "store_config.h"
#include "accounts/exporter.h"
#include "accounts/host_probe.h"
#include "http/http.h"
#include "log.h"
#include "metrics.h"
#include "http/ratelimit.h"
#include "api/render_cache.h"
#include "accounts/retention.h"
#include "fleet/feed_api.h"
#include "fleet/follower.h"

/* The least a cached rendering of a user costs (entry, key, compact body, table slot): the
 * entry bound only sizes the hash table, the byte budget is what binds. */
#define RENDER_CACHE_MIN_ENTRY_BYTES 256
/* [accounts] remove_deactivated_after counts days: an hourly sweep is exact enough. */
#define RETENTION_INTERVAL_S 3600
#include "server.h"
#include "accounts/config_warnings.h"
#include "accounts/startup_checks.h"
#include "accounts/subids.h"
#include "store/seq_reserve.h"
#include "store/store.h"

/* The store's batch observer takes no argument: the hub it tells about commits. */
static struct fleet_hub *observed_hub;

/* The change log's reservation in the guard file (store/seq_reserve.h); 0, or -1 logged. */
static int reserve_sequences(const struct scimd_config *cfg, struct store *st)
{
    char path[4096], msg[1024];
    struct seq_restore r;
    if (hwm_file_path(cfg, path, sizeof(path)) < 0) {
        log_err("store: the guard file's path next to %s is too long", cfg->database);
        return -1;
    }
    if (seq_reserve_start(st, path, SEQ_RESERVE_STEP, &r, msg, sizeof(msg)) < 0) {
        log_err("store: %s", msg);
        return -1;
    }
    if (r.moved_to) {
        seq_restore_describe(&r, path, msg, sizeof(msg));
        log_warn("store: %s", msg);
    }
    return 0;
}

/* After each batch: metrics, and the fleet's long-polls (a commit may have added changes). */
static void on_batch(size_t n, double seconds)
{
    metrics_commit(n, seconds);
    fleet_hub_committed(observed_hub);
}

/* A commit by another scimd instance on the same PostgreSQL database (or this one's, echoed):
 * long-polls held here wake, and this host's cache follows if it is a login host. */
static void on_shared_commit(void *arg)
{
    struct scimd_server *srv = arg;
    fleet_hub_committed(srv->fleet);
    exporter_notify(srv->exporter);
}

/* Users removed behind the request handlers' back (retention, scimctl): their rendered
 * bodies must go. */
static void forget_rendered(void *arg, const char *id)
{
    render_cache_invalidate(arg, id);
}

/* --check-config: warnings go to stdout next to "configuration OK", which they qualify. */
static void print_warning(void *arg, const char *message)
{
    printf("warning: %s\n", message);
}

static void log_warning(void *arg, const char *message)
{
    log_warn("configuration: %s", message);
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: scimd [-c FILE] [--check-config]\n"
            "\n"
            "SCIM 2.0 provisioning endpoint: identity providers (Okta, Entra ID, OneLogin) push\n"
            "users and groups; scimd stores them and exports the account cache that nss_scim\n"
            "and pam_scim read.\n"
            "\n"
            "  -c, --config FILE   configuration file (default %s)\n"
            "  -t, --check-config  validate the configuration (and FILE.d/*.conf), print\n"
            "                      warnings, and exit (0 also with warnings)\n"
            "  -h, --help          show this help\n"
            "  -V, --version       show the version\n"
            "\n"
            "Runs in the foreground and logs to stderr; supports systemd socket activation\n"
            "and sd_notify. Create access tokens with scimctl(8). See scimd(8), scimd.conf(5).\n",
            SCIMD_CONFIG_PATH);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "check-config", no_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *config_path = SCIMD_CONFIG_PATH;
    bool check_only = false;
    int opt, ret = 1;
    char err[1024];
    struct scimd_config cfg;
    struct scimd_server srv = { .cfg = &cfg };
    struct retention *retention = NULL;
    struct follower *follower = NULL;

    /* Each export briefly needs tens of MB. A fixed mmap threshold keeps those blocks out of
     * the heap (glibc otherwise raises it after the first free, and the next export's
     * buffers then stay in a thread's arena), and few arenas keep the request threads'
     * small blocks from spreading over one heap each. */
    mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
    mallopt(M_ARENA_MAX, 4);

    while ((opt = getopt_long(argc, argv, "c:thV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            break;
        case 't':
            check_only = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("scimd %s\n", SCIMD_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }

    log_init("scimd");
    scimd_config_init(&cfg);
    if (scimd_config_load(&cfg, config_path, err, sizeof(err)) < 0 ||
        scimd_config_check(&cfg, err, sizeof(err)) < 0 ||
        cache_paths_check(&cfg, err, sizeof(err)) < 0) {
        log_err("configuration error: %s", err);
        scimd_config_free(&cfg);
        return 1;
    }
    /* Set before any thread starts; a follower always guards its own host's accounts. */
    host_probe_set_host_checks(cfg.follow_hub || cfg.fleet_login_host);
    if (check_only) {
        /* The id ranges against this host too: a config that cannot start is not OK. */
        if (startup_check_ranges(&cfg, NULL, err, sizeof(err)) < 0 ||
            subids_check_ranges(&cfg, NULL, err, sizeof(err)) < 0 ||
            startup_check_cache_dirs(&cfg, err, sizeof(err)) < 0) {
            log_err("%s", err);
            scimd_config_free(&cfg);
            return 1;
        }
        /* Warnings do not fail the check: a script that restarts scimd only after it
         * passes must not stop over a host's deliberate choice (a key its ssl-cert group
         * may read). */
        size_t n = config_warnings(&cfg, print_warning, NULL);
        if (n)
            printf("%s: configuration OK, %zu warning%s\n", config_path, n, n == 1 ? "" : "s");
        else
            printf("%s: configuration OK\n", config_path);
        scimd_config_free(&cfg);
        return 0;
    }

    config_warnings(&cfg, log_warning, NULL);

    /* Every thread inherits this mask; the main thread takes the signals with sigwait. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (store_config_open(&cfg, &srv.store, true, err, sizeof(err)) < 0) {
        char hint[600];
        log_err("store: %s%s", err, cache_paths_readonly_hint(cfg.database, hint, sizeof(hint)));
        goto out;
    }
    /* A follower serves no feed of its own. */
    if (!cfg.follow_hub && fleet_hub_start(&srv, err, sizeof(err)) < 0) {
        log_err("%s", err);
        goto out;
    }
    observed_hub = srv.fleet;
    if (!host_probe_host_checks())
        log_info("[fleet] login_host = false: a hub-only host, so no checks against this "
                 "host's accounts, no account cache and no session termination here");
    store_set_batch_observer(srv.store, on_batch);
    if (startup_check_ranges(&cfg, NULL, err, sizeof(err)) < 0 ||
        subids_check_ranges(&cfg, NULL, err, sizeof(err)) < 0 ||
        startup_check_cache_dirs(&cfg, err, sizeof(err)) < 0 ||
        startup_check_hwm(&cfg, srv.store, err, sizeof(err)) < 0 ||
        subids_check_restore(&cfg, srv.store, err, sizeof(err)) < 0 ||
        subids_pin_existing(&cfg, srv.store, err, sizeof(err)) < 0) {
        log_err("%s", err);
        goto out;
    }
    /* Once the database is accepted, before any SCIM write: a change log behind the guard's
     * reservation (a restored backup) moves past it. A follower serves no feed. */
    if (!cfg.follow_hub && reserve_sequences(&cfg, srv.store) < 0)
        goto out;
    if (auth_open(&srv.auth, srv.store, err, sizeof(err)) < 0) {
        log_err("auth: %s", err);
        goto out;
    }
    if (exporter_start(&srv.exporter, &srv, err, sizeof(err)) < 0) {
        log_err("cache: %s", err);
        goto out;
    }
    if (store_listen_commits(srv.store, on_shared_commit, &srv, err, sizeof(err)) < 0) {
        log_err("%s", err);
        goto out;
    }

    srv.ratelimit = ratelimit_new(cfg.auth_failure_limit, cfg.auth_failure_ban);
    /* On PostgreSQL other instances write too, and their commits reach this one only
     * after they happened: a cached body could answer a GET with what an IdP has just
     * changed through another instance. Every read goes to the database there. */
    if (store_config_is_postgresql(&cfg))
        cfg.render_cache_size = 0;
    if (cfg.render_cache_size)
        srv.render_cache = render_cache_new(cfg.render_cache_size / RENDER_CACHE_MIN_ENTRY_BYTES,
                                            cfg.render_cache_size);
    if (!srv.ratelimit || (cfg.render_cache_size && !srv.render_cache)) {
        log_err("out of memory");
        goto out;
    }

    /* After the render cache exists: a sweep drops what it removed from it. */
    retention = retention_start(&srv, RETENTION_INTERVAL_S, forget_rendered, srv.render_cache,
                                err, sizeof(err));
    if (!retention) {
        log_err("%s", err);
        goto out;
    }

    if (cfg.follow_hub) {
        /* A follower serves no SCIM: the hub's signed feed is the only thing that writes. */
        follower = follower_start(&srv, err, sizeof(err));
        if (!follower) {
            log_err("%s", err);
            goto out;
        }
        sd_notify(0, "READY=1\nSTATUS=following the fleet hub");
        goto running;
    }
    int listen_fd = -1;
    int nfds = sd_listen_fds(1);
    if (nfds > 1) {
        log_err("socket activation passed %d sockets; scimd takes exactly one", nfds);
        goto out;
    }
    if (nfds == 1)
        listen_fd = SD_LISTEN_FDS_START;
    if (http_start(&srv, listen_fd, err, sizeof(err)) < 0) {
        log_err("%s", err);
        goto out;
    }
    if (listen_fd >= 0)
        log_info("listening on a socket-activated fd (port %u), base path %s", srv.port,
                 cfg.base_path[0] ? cfg.base_path : "/");
    else
        log_info("listening on %s://%s%s%s:%u%s", srv.tls ? "https" : "http",
                 strchr(cfg.listen_host, ':') ? "[" : "", cfg.listen_host,
                 strchr(cfg.listen_host, ':') ? "]" : "", srv.port, cfg.base_path);
    sd_notify(0, "READY=1\nSTATUS=serving SCIM requests");

running:;
    int sig = 0;
    while (sigwait(&sigs, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
        ;
    log_info("received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    sd_notify(0, "STOPPING=1");
    ret = 0;
out:
    /* Nothing may call on_shared_commit once what it touches is being freed. */
    store_listen_stop(srv.store);
    /* Long-polls end first, or stopping libmicrohttpd would wait for their timeouts. */
    fleet_hub_shutdown(srv.fleet);
    follower_stop(follower);
    http_stop(&srv);
    retention_stop(retention);
    exporter_stop(srv.exporter);
    /* Nothing of this process writes any more: the reservation comes down to what it used. */
    if (srv.store && seq_reserve_stop(srv.store) < 0)
        log_warn("store: cannot lower the change log reservation in the guard file: the next "
                 "start makes every host take a snapshot");
    if (srv.store)
        store_set_batch_observer(srv.store, metrics_commit);
    fleet_hub_free(srv.fleet);
    /* auth holds one of the store's readers: it gives it back before the store goes. */
    auth_free(srv.auth);
    store_close(srv.store);
    ratelimit_free(srv.ratelimit);
    render_cache_free(srv.render_cache);
    scimd_config_free(&cfg);
    return ret;
}
