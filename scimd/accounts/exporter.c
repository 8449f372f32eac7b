/* SPDX-License-Identifier: MIT */
#include "accounts/exporter.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts/account_snapshot.h"
#include "accounts/cache_paths.h"
#include "accounts/home_path.h"
#include "accounts/host_probe.h"
#include "log.h"
#include "metrics.h"
#include "accounts/nscd.h"
#include "scim_cache.h"
#include "server.h"
#include "accounts/startup_checks.h"

#define RETRY_MS 1000

struct exporter {
    struct scimd_server *srv;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool pending, stopping, failing;
    bool notified;    /* any notification yet */
    bool after_quiet; /* the pending burst began export_delay or more after the one before */
    struct timespec first, last; /* first and last notification of the pending burst */
    /* The oldest committed change no exported cache holds yet (CLOCK_MONOTONIC), kept across
     * the export that takes it until that export succeeds: what /metrics reports as the
     * pending export's age, so a stalled exporter shows before anyone misses an account. */
    bool unexported;
    struct timespec unexported_since;
    uint64_t generation; /* of the last export; 0 until the first (account_snapshot_load) */
};

static int64_t ms_between(const struct timespec *a, const struct timespec *b)
{
    return (int64_t)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static int64_t ms_since(clockid_t clock, const struct timespec *t)
{
    struct timespec now;
    clock_gettime(clock, &now);
    return ms_between(t, &now);
}

static void deadline_after(const struct timespec *t, int64_t ms, struct timespec *out)
{
    *out = *t;
    out->tv_sec += ms / 1000;
    out->tv_nsec += (ms % 1000) * 1000000;
    if (out->tv_nsec >= 1000000000) {
        out->tv_sec++;
        out->tv_nsec -= 1000000000;
    }
}

int exporter_run_once(struct exporter *ex, char *err, size_t errlen)
{
    struct scimd_server *srv = ex->srv;
    struct account_snapshot snap;
    struct timespec t0, cpu0;
    int ret = -1;
    /* A hub-only host is no login host: no cache for its NSS, no nscd to tell; only the
     * guard against a restored database, which protects the whole fleet's uids. */
    if (!host_probe_host_checks())
        return hwm_file_refresh(srv->cfg, srv->store, err, errlen);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* CPU time next to wall time: on a busy host the two tell waiting from working. */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
    if (account_snapshot_load(srv, &ex->generation, &snap, err, errlen) < 0)
        return -1;
    if (scim_cache_write(srv->cfg->cache_path, srv->cfg->shadow_path, &snap.cache, err, errlen) < 0) {
        char hint[600];
        size_t used = strlen(err);
        cache_paths_readonly_hint(srv->cfg->cache_path, hint, sizeof(hint));
        if (!hint[0])
            cache_paths_readonly_hint(srv->cfg->shadow_path, hint, sizeof(hint));
        snprintf(err + used, errlen - used, "%s", hint);
        metrics_export_done(0, 0, false);
        goto out;
    }
    int64_t wall_ms = ms_since(CLOCK_MONOTONIC, &t0);
    int64_t cpu_ms = ms_since(CLOCK_THREAD_CPUTIME_ID, &cpu0);
    metrics_export_done(snap.cache.generation, (double)wall_ms / 1e3, true);
    char hwm_path[4096];
    if (hwm_file_path(srv->cfg, hwm_path, sizeof(hwm_path)) < 0 ||
        hwm_file_write(hwm_path, snap.cache.uid_hwm, snap.gid_hwm) < 0)
        log_warn("cache: cannot update the high-water guard file %s: %s", hwm_path, strerror(errno));
    log_info("cache: exported generation %llu (%zu users, %zu groups) in %lld ms (%lld ms CPU)",
             (unsigned long long)snap.cache.generation, snap.cache.n_users, snap.cache.n_groups,
             (long long)wall_ms, (long long)cpu_ms);
    if (srv->cfg->invalidate_nscd)
        nscd_invalidate();
    ret = 0;
out:
    account_snapshot_free(&snap);
    /* An export of 100k users briefly needs ~40 MB; give it back to the system instead of
     * keeping it in malloc's free lists until the next one. */
    malloc_trim(0);
    return ret;
}

static void *exporter_main(void *arg)
{
    struct exporter *ex = arg;
    const struct scimd_config *cfg = ex->srv->cfg;
    pthread_mutex_lock(&ex->mu);
    for (;;) {
        while (!ex->pending && !ex->stopping)
            pthread_cond_wait(&ex->cv, &ex->mu);
        if (!ex->pending && ex->stopping)
            break;
        /* A change after a quiet spell (the lone deactivation an admin waits on) is exported
         * at once. Changes that arrive meanwhile coalesce: export_delay of quiet, but never
         * past export_max_delay. */
        bool leading = !ex->failing && ex->after_quiet;
        while (!ex->stopping && !leading) {
            int64_t quiet = ms_since(CLOCK_MONOTONIC, &ex->last);
            int64_t age = ms_since(CLOCK_MONOTONIC, &ex->first);
            int64_t delay = ex->failing ? RETRY_MS : (int64_t)cfg->export_delay_ms;
            if (quiet >= delay || age >= (int64_t)cfg->export_max_delay_ms)
                break;
            struct timespec now_real, wake;
            int64_t wait_ms = delay - quiet;
            if ((int64_t)cfg->export_max_delay_ms - age < wait_ms)
                wait_ms = (int64_t)cfg->export_max_delay_ms - age;
            clock_gettime(CLOCK_REALTIME, &now_real);
            deadline_after(&now_real, wait_ms, &wake);
            pthread_cond_timedwait(&ex->cv, &ex->mu, &wake);
        }
        ex->pending = false;
        bool taken = ex->unexported;
        struct timespec taken_since = ex->unexported_since;
        ex->unexported = false;
        pthread_mutex_unlock(&ex->mu);

        char err[512];
        int r = exporter_run_once(ex, err, sizeof(err));

        pthread_mutex_lock(&ex->mu);
        if (r < 0 && taken &&
            (!ex->unexported || ms_between(&taken_since, &ex->unexported_since) > 0)) {
            ex->unexported = true;
            ex->unexported_since = taken_since;
        }
        if (r < 0) {
            /* The change is durable in SQLite; keep the old cache and try again. */
            log_err("cache: export failed, keeping the previous cache and retrying: %s", err);
            if (!ex->pending) {
                ex->pending = true;
                ex->after_quiet = false;
                clock_gettime(CLOCK_MONOTONIC, &ex->first);
                ex->last = ex->first;
            }
            ex->failing = true;
            if (ex->stopping)
                break;
        } else {
            ex->failing = false;
        }
    }
    pthread_mutex_unlock(&ex->mu);
    return NULL;
}

int exporter_start(struct exporter **out, struct scimd_server *srv, char *err, size_t errlen)
{
    struct exporter *ex = calloc(1, sizeof(*ex));
    if (!ex) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* Before the first export and before requests are served (main starts those after
     * this): from here on every user's home is stored, and a rename cannot move it. */
    if (home_path_pin_existing(srv->cfg, srv->store, err, errlen) < 0) {
        free(ex);
        return -1;
    }
    ex->srv = srv;
    pthread_mutex_init(&ex->mu, NULL);
    pthread_cond_init(&ex->cv, NULL);
    /* Start from the store: a deleted or corrupt cache heals itself. */
    if (exporter_run_once(ex, err, errlen) < 0) {
        log_err("cache: initial export failed (will retry): %s", err);
        ex->pending = true;
        ex->failing = true;
        clock_gettime(CLOCK_MONOTONIC, &ex->first);
        ex->last = ex->first;
        ex->unexported = true;
        ex->unexported_since = ex->first;
    }
    int e = pthread_create(&ex->thread, NULL, exporter_main, ex);
    if (e != 0) {
        snprintf(err, errlen, "cannot start exporter thread: %s", strerror(e));
        pthread_mutex_destroy(&ex->mu);
        pthread_cond_destroy(&ex->cv);
        free(ex);
        return -1;
    }
    *out = ex;
    return 0;
}

double exporter_pending_seconds(struct exporter *ex)
{
    if (!ex)
        return 0;
    pthread_mutex_lock(&ex->mu);
    int64_t ms = ex->unexported ? ms_since(CLOCK_MONOTONIC, &ex->unexported_since) : 0;
    pthread_mutex_unlock(&ex->mu);
    return (double)ms / 1e3;
}

void exporter_notify(struct exporter *ex)
{
    if (!ex)
        return;
    struct timespec now;
    pthread_mutex_lock(&ex->mu);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!ex->unexported) {
        ex->unexported = true;
        ex->unexported_since = now;
    }
    if (!ex->pending) {
        ex->pending = true;
        ex->first = now;
        ex->after_quiet = !ex->notified || ms_between(&ex->last, &now) >=
                                               (int64_t)ex->srv->cfg->export_delay_ms;
        pthread_cond_signal(&ex->cv);
    }
    ex->last = now;
    ex->notified = true;
    pthread_mutex_unlock(&ex->mu);
}

void exporter_stop(struct exporter *ex)
{
    if (!ex)
        return;
    pthread_mutex_lock(&ex->mu);
    ex->stopping = true;
    pthread_cond_signal(&ex->cv);
    pthread_mutex_unlock(&ex->mu);
    pthread_join(ex->thread, NULL);
    pthread_mutex_destroy(&ex->mu);
    pthread_cond_destroy(&ex->cv);
    free(ex);
}
