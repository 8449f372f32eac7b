/* SPDX-License-Identifier: MIT */
#include "accounts/retention.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "accounts/exporter.h"
#include "log.h"
#include "server.h"
#include "accounts/user_removal.h"
#include "store/deactivated_users.h"
#include "store/feed_repo.h"

/* Users removed per write: one write holds the writer (and every SCIM request queued behind
 * it) only for a few milliseconds even when a policy first switched on removes thousands. */
#define SWEEP_BATCH 64

struct sweep_batch {
    const char *cutoff;
    struct retention_removed users[SWEEP_BATCH];
    size_t n;
};

static void add_candidate(const char *id, const char *login, uint32_t uid, void *arg)
{
    struct sweep_batch *b = arg;
    struct retention_removed *u = &b->users[b->n++];
    snprintf(u->id, sizeof(u->id), "%s", id);
    snprintf(u->login, sizeof(u->login), "%s", login);
    u->uid = uid;
}

static int sweep_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct sweep_batch *b = arg;
    b->n = 0;
    /* Oldest first, read inside the write: a user reactivated a moment ago is not a candidate. */
    if (deactivated_users_before(db, b->cutoff, SWEEP_BATCH, add_candidate, b, err) < 0) {
        b->n = 0;
        return -1;
    }
    for (size_t i = 0; i < b->n; i++)
        if (user_removal_apply(db, b->users[i].id, err) < 0) {
            b->n = 0;
            return -1;
        }
    return 0;
}

/* now - days in store_timestamp's RFC 3339 UTC form (deactivated_at, changes.at), which
 * sorts as text. */
static int cutoff_of(time_t now, unsigned days, char cutoff[32])
{
    struct tm tm;
    time_t limit = now - (time_t)days * 86400;
    return gmtime_r(&limit, &tm) && strftime(cutoff, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm) > 0 ? 0
                                                                                             : -1;
}

long retention_sweep(struct store *st, unsigned days, time_t now, retention_removed_fn done,
                     void *arg, char *err, size_t errlen)
{
    struct sweep_batch b = { 0 };
    char cutoff[32];
    long removed = 0;
    if (cutoff_of(now, days, cutoff) < 0) {
        snprintf(err, errlen, "retention sweep: cannot format the cutoff time");
        return -1;
    }
    b.cutoff = cutoff;
    do {
        struct scim_error e;
        scim_error_clear(&e);
        if (store_write(st, sweep_fn, &b, &e) < 0) {
            snprintf(err, errlen, "retention sweep: %s", e.detail);
            return -1;
        }
        for (size_t i = 0; i < b.n; i++)
            if (done)
                done(&b.users[i], arg);
        removed += (long)b.n;
    } while (b.n == SWEEP_BATCH);
    return removed;
}

struct prune_ctx {
    const char *cutoff;
    long long deleted;
};

static int prune_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct prune_ctx *c = arg;
    c->deleted = feed_prune(db, c->cutoff);
    if (c->deleted < 0)
        return store_last_error(db, err, "pruning the change log");
    return 0;
}

long long retention_prune_changes(struct store *st, unsigned days, time_t now, char *err,
                                  size_t errlen)
{
    char cutoff[32];
    struct scim_error e;
    struct prune_ctx c = { .cutoff = cutoff };
    if (cutoff_of(now, days, cutoff) < 0) {
        snprintf(err, errlen, "change log pruning: cannot format the cutoff time");
        return -1;
    }
    scim_error_clear(&e);
    if (store_write(st, prune_fn, &c, &e) < 0) {
        snprintf(err, errlen, "change log pruning: %s", e.detail);
        return -1;
    }
    return c.deleted;
}

struct retention {
    struct scimd_server *srv;
    unsigned interval_s;
    char *epoch_path;
    struct stat epoch_st;
    bool epoch_seen;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;
    retention_forget_fn forget;
    void *forget_arg;
};

static void removed_by_policy(const struct retention_removed *u, void *arg)
{
    struct retention *r = arg;
    struct scimd_server *srv = r->srv;
    r->forget(r->forget_arg, u->id);
    exporter_notify(srv->exporter);
    user_removal_done(srv->cfg, "retention", u->id, u->login, u->uid);
}

static void sweep_now(struct retention *r)
{
    char err[512];
    unsigned days = r->srv->cfg->remove_deactivated_after_days;
    long n = retention_sweep(r->srv->store, days, time(NULL), removed_by_policy, r, err,
                             sizeof(err));
    if (n < 0)
        log_err("%s (retrying at the next sweep)", err);
    else if (n > 0)
        log_info("retention: removed %ld user(s) deactivated more than %u days ago "
                 "([accounts] remove_deactivated_after)", n, days);
}

static void prune_now(struct retention *r)
{
    char err[512];
    unsigned days = r->srv->cfg->fleet_retention_days;
    long long n = retention_prune_changes(r->srv->store, days, time(NULL), err, sizeof(err));
    if (n < 0)
        log_err("%s (retrying at the next sweep)", err);
    else if (n > 0)
        log_info("fleet: pruned %lld change(s) older than %u days ([fleet] retention_days); "
                 "hosts behind them take a snapshot", n, days);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* scimctl removed users behind our back: what we rendered or exported may name them. */
static void check_epoch(struct retention *r)
{
    struct stat st;
    bool have = stat(r->epoch_path, &st) == 0;
    if (have == r->epoch_seen && (!have || same_file(&st, &r->epoch_st)))
        return;
    r->epoch_seen = have;
    if (have)
        r->epoch_st = st;
    if (!have)
        return;
    log_info("users changed by scimctl: re-exporting the cache");
    r->forget(r->forget_arg, NULL);
    exporter_notify(r->srv->exporter);
}

static void *retention_main(void *arg)
{
    struct retention *r = arg;
    bool policy = r->srv->cfg->remove_deactivated_after_days > 0;
    struct timespec next_sweep;
    clock_gettime(CLOCK_MONOTONIC, &next_sweep); /* the first sweep runs at start */
    pthread_mutex_lock(&r->mu);
    while (!r->stopping) {
        pthread_mutex_unlock(&r->mu);
        check_epoch(r);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec >= next_sweep.tv_sec) {
            if (policy)
                sweep_now(r);
            prune_now(r);
            next_sweep.tv_sec = now.tv_sec + r->interval_s;
        }
        pthread_mutex_lock(&r->mu);
        if (r->stopping)
            break;
        struct timespec wake;
        clock_gettime(CLOCK_REALTIME, &wake);
        wake.tv_sec += 1;
        pthread_cond_timedwait(&r->cv, &r->mu, &wake);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

struct retention *retention_start(struct scimd_server *srv, unsigned interval_s,
                                  retention_forget_fn forget, void *forget_arg, char *err,
                                  size_t errlen)
{
    struct retention *r = calloc(1, sizeof(*r));
    if (!r || !(r->epoch_path = user_removal_epoch_path_new(srv->cfg->database))) {
        snprintf(err, errlen, "out of memory");
        free(r);
        return NULL;
    }
    r->srv = srv;
    r->forget = forget;
    r->forget_arg = forget_arg;
    r->interval_s = interval_s ? interval_s : 1;
    /* What is there now was already in the store this scimd exported at start. */
    r->epoch_seen = stat(r->epoch_path, &r->epoch_st) == 0;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    int e = pthread_create(&r->thread, NULL, retention_main, r);
    if (e != 0) {
        snprintf(err, errlen, "cannot start the retention thread: %s", strerror(e));
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        free(r->epoch_path);
        free(r);
        return NULL;
    }
    return r;
}

void retention_stop(struct retention *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r->epoch_path);
    free(r);
}
