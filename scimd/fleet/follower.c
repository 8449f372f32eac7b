/* SPDX-License-Identifier: MIT */
#include "fleet/follower.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "accounts/audit_kernel.h"
#include "accounts/exporter.h"
#include "accounts/home_path.h"
#include "fleet/local_ids.h"
#include "fleet/local_names.h"
#include "accounts/sessions.h"
#include "fleet/feed_parse.h"
#include "fleet/feed_sign.h"
#include "follow_config.h"
#include "log.h"
#include "server.h"
#include "store/materialize.h"
#include "store/store.h"

#define BACKOFF_MIN_S 1
#define BACKOFF_MAX_S 60
#define CONNECT_TIMEOUT_S 10
/* A 100,000-user snapshot is tens of MB; anything far past that is not a feed. */
#define MAX_BODY (512u * 1024 * 1024)
#define MAX_CONFLICTS 1000

struct conflict {
    char kind[8];
    char id[128];
    char name[256];
    uint32_t number;
    char reason[400];
    bool kept; /* on this host before a local entry took its id: it stays (fleet/local_ids.h) */
};

struct follower {
    struct scimd_server *srv;
    const struct scimd_config *cfg;
    pthread_t thread;
    bool started;
    atomic_bool stop;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    CURL *curl;
    char token[1024];
    char keys[FOLLOW_MAX_HUB_KEYS][FOLLOW_KEY_B64_LEN + 1];
    const char *key_ptrs[FOLLOW_MAX_HUB_KEYS];
    size_t n_keys;
    char **scope;
    size_t n_scope;
    bool want_snapshot;
    bool offline; /* failed closed after max_offline; a snapshot clears it */
    struct timespec last_ok; /* CLOCK_MONOTONIC of the last verified answer */
    /* local wins: what the last applied batch left out, and what the hub was last told */
    struct conflict *conflicts; /* this batch's */
    size_t n_conflicts;
    struct conflict *known; /* since the last snapshot: what the hub is told */
    size_t n_known;
    char *reported;
    struct local_names *local; /* the host's own names, for the batch being applied */
    struct db *db;             /* the batch's write, for local_ids_check's ledger */
};

struct reply {
    char *body;
    size_t len;
    char sig[FEED_SIG_HDR_MAX];
    bool too_big;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    size_t add = size * n;
    if (r->len + add > MAX_BODY) {
        r->too_big = true;
        return 0;
    }
    char *grown = realloc(r->body, r->len + add + 1);
    if (!grown)
        return 0;
    memcpy(grown + r->len, data, add);
    r->body = grown;
    r->len += add;
    r->body[r->len] = '\0';
    return add;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    size_t len = size * n;
    static const char name[] = "Scimd-Signature:";
    if (len > sizeof(name) && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        const char *v = data + sizeof(name) - 1;
        size_t vlen = len - (sizeof(name) - 1);
        while (vlen && (*v == ' ' || *v == '\t')) {
            v++;
            vlen--;
        }
        while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
            vlen--;
        if (vlen < sizeof(r->sig)) {
            memcpy(r->sig, v, vlen);
            r->sig[vlen] = '\0';
        }
    }
    return len;
}

/* Aborts a transfer, a long-poll included, within a second of SIGTERM. */
static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    struct follower *f = arg;
    return atomic_load(&f->stop) ? 1 : 0;
}

/* One request to the hub: the HTTP status, or -1 on a transport error (err set). */
static long hub_request(struct follower *f, const char *path, const char *post, long timeout_s,
                        struct reply *r, char *err, size_t errlen)
{
    char url[2048], auth[1100];
    const char *hub = f->cfg->follow_hub;
    size_t hl = strlen(hub);
    snprintf(url, sizeof(url), "%.*s%s", (int)(hl && hub[hl - 1] == '/' ? hl - 1 : hl), hub, path);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", f->token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    if (post)
        h = curl_slist_append(h, "Content-Type: application/json");
    CURL *c = f->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    /* Never file://, ldap:// or anything else a hub's URL could be turned into. */
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85 deprecates the bitmask form */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, f);
    if (post)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(h);
    long status = -1;
    if (rc != CURLE_OK)
        snprintf(err, errlen, "%s", r->too_big ? "reply too large" : curl_easy_strerror(rc));
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static void add_conflict(struct follower *f, const char *kind, const char *id, const char *name,
                         uint32_t number, const char *reason, bool kept)
{
    if (f->n_conflicts >= MAX_CONFLICTS)
        return;
    struct conflict *grown = realloc(f->conflicts, (f->n_conflicts + 1) * sizeof(*grown));
    if (!grown)
        return;
    f->conflicts = grown;
    struct conflict *c = &grown[f->n_conflicts++];
    snprintf(c->kind, sizeof(c->kind), "%s", kind);
    snprintf(c->id, sizeof(c->id), "%s", id);
    snprintf(c->name, sizeof(c->name), "%s", name);
    snprintf(c->reason, sizeof(c->reason), "%s", reason);
    c->number = number;
    c->kept = kept;
}

/* Local wins (run in the writer, inside the batch): a name this host gives to an account or
 * group outside our ranges, or a uid or gid it gives to one of its own, keeps the hub's
 * entity off this host. The host's accounts are read once per batch (fleet/local_names.h),
 * not asked of NSS once per hub user. */
static int skip_local(void *arg, const char *kind, const char *id, const char *name,
                      uint32_t number)
{
    struct follower *f = arg;
    char reason[400];
    int taken = local_names_check(f->local, name);
    if (taken < 0)
        return -1;
    if (taken) {
        snprintf(reason, sizeof(reason), "local account or group %s", name);
        add_conflict(f, kind, id, name, number, reason, false);
        return 1;
    }
    int v = local_ids_check(f->local, f->db, strcmp(kind, "user") == 0, id, name, number,
                            reason, sizeof(reason));
    if (v < 0)
        return -1;
    if (v != LOCAL_ID_FREE)
        add_conflict(f, kind, id, name, number, reason, v == LOCAL_ID_SHARED);
    return v == LOCAL_ID_TAKEN;
}

struct apply_ctx {
    struct follower *f;
    const struct mat_doc *doc;
    struct mat_result res;
};

static char *home_for(const char *login, void *tmpl)
{
    return home_path_new(tmpl, login);
}

/* Users new on this host get their home fixed in the row the apply inserts, before the export
 * first shows one, so a rename the hub sends later keeps it (docs/architecture.md, "Home
 * directories"); users stored before got theirs at start. A second pass (users_homes_pin)
 * rewrote every row a snapshot had just written. */
static int apply_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct apply_ctx *a = arg;
    struct mat_options opt = { (const char *const *)a->f->scope, a->f->n_scope, skip_local, a->f,
                               home_for, (void *)a->f->cfg->home };
    a->f->n_conflicts = 0; /* a batch retried after a failure starts its list again */
    a->f->db = db;
    int r = materialize_apply(db, a->doc, &opt, &a->res, err);
    a->f->db = NULL;
    return r < 0 ? -1 : 0;
}

/* A snapshot's conflicts replace what is known; a change set's join it (it names only what
 * changed, so an entity left out earlier and untouched since is still left out). */
static void merge_conflicts(struct follower *f, bool snapshot)
{
    if (snapshot)
        f->n_known = 0;
    for (size_t i = 0; i < f->n_conflicts; i++) {
        bool dup = false;
        for (size_t k = 0; k < f->n_known && !dup; k++)
            dup = strcmp(f->known[k].kind, f->conflicts[i].kind) == 0 &&
                  strcmp(f->known[k].id, f->conflicts[i].id) == 0;
        if (dup || f->n_known >= MAX_CONFLICTS)
            continue;
        struct conflict *grown = realloc(f->known, (f->n_known + 1) * sizeof(*grown));
        if (!grown)
            return;
        f->known = grown;
        f->known[f->n_known++] = f->conflicts[i];
    }
}

/* Tells the hub what this host left out, when that changed since it last told it. */
static void report_conflicts(struct follower *f, bool snapshot)
{
    merge_conflicts(f, snapshot);
    json_t *list = json_array();
    for (size_t i = 0; list && i < f->n_known; i++) {
        const struct conflict *c = &f->known[i];
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:I,s:s}", "kind", c->kind, "id",
                                              c->id, "name", c->name,
                                              strcmp(c->kind, "group") == 0 ? "gid" : "uid",
                                              (json_int_t)c->number, "reason", c->reason));
    }
    json_t *body = json_pack("{s:o}", "conflicts", list);
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(body);
    /* Nothing left out and nothing reported before: no need to say so. */
    if (!text || (f->n_known == 0 && !f->reported) ||
        (f->reported && strcmp(f->reported, text) == 0)) {
        free(text);
        return;
    }
    for (size_t i = 0; i < f->n_conflicts; i++)
        log_warn("follow: %s '%s' (%s) %s this host: %s", f->conflicts[i].kind,
                 f->conflicts[i].name, f->conflicts[i].id,
                 f->conflicts[i].kept ? "stays on" : "stays off", f->conflicts[i].reason);
    struct reply r = { 0 };
    char err[256];
    long st = hub_request(f, "/fleet/v1/report", text, CONNECT_TIMEOUT_S + 10, &r, err,
                          sizeof(err));
    if (st >= 200 && st < 300) {
        free(f->reported);
        f->reported = text;
        text = NULL;
    } else {
        log_warn("follow: reporting conflicts to the hub failed (%s)",
                 st < 0 ? err : "HTTP status");
    }
    free(r.body);
    free(text);
}

/* A snapshot's transaction grows the writer's page cache (store/materialize.c) and the pages
 * outlive its commit: dropped here, SQLite reads again what it needs. Without it the idle
 * follower kept ~1.5 MB more after a 100,000-user join; with it, ~2 MB less than before the
 * larger cache (the default one's pages go too). Run in the writer, which owns the
 * connection, as a write that is then rolled back: one that succeeds, changing nothing,
 * would still run the commit hook (another export of every user). */
static int shrink_fn(struct db *db, void *arg, struct scim_error *err)
{
    materialize_release_cache(db);
    return scim_error_set(err, 500, NULL, "rolled back on purpose");
}

/* Verifies, parses, checks and applies one 200 reply. 0 applied, -1 refused or failed. */
static int take(struct follower *f, const struct reply *r, bool snapshot, int64_t seq,
                const char *pinned_feed)
{
    char err[512];
    struct feed_parsed p;
    int ret = -1;
    if (feed_verify(f->key_ptrs, f->n_keys, r->sig, r->body, r->len, err, sizeof(err)) < 0) {
        log_err("follow: refusing the hub's %s: bad signature (%s); keeping the last good state",
                snapshot ? "snapshot" : "change set", err);
        return -1;
    }
    if (feed_parse(f->cfg, r->body, r->len, &p, err, sizeof(err)) < 0) {
        log_err("follow: refusing a signed but invalid feed document: %s", err);
        return -1;
    }
    const struct mat_doc *d = &p.doc;
    const char *want = f->cfg->follow_feed_id ? f->cfg->follow_feed_id
                       : pinned_feed[0]       ? pinned_feed
                                              : NULL;
    struct apply_ctx a = { .f = f, .doc = d };
    struct scim_error e;
    if (want && strcmp(want, d->feed) != 0) {
        log_err("follow: refusing feed %s: this host follows feed %s", d->feed, want);
        goto out;
    }
    if (d->snapshot != snapshot) {
        log_err("follow: refusing a %s where a %s was asked for", d->snapshot ? "snapshot" :
                "change set", snapshot ? "snapshot" : "change set");
        goto out;
    }
    if (snapshot ? d->to < seq : (d->from != seq || d->to <= seq)) {
        log_err("follow: refusing sequence %" PRId64 "..%" PRId64 " at %" PRId64
                " (an older feed replayed or a hub restored from backup)", d->from, d->to, seq);
        goto out;
    }
    scim_error_clear(&e);
    if (!(f->local = local_names_open(f->cfg))) {
        log_err("follow: out of memory reading this host's accounts");
        goto out;
    }
    int applied = store_write(f->srv->store, apply_fn, &a, &e);
    local_names_close(f->local);
    f->local = NULL;
    if (applied < 0) {
        log_err("follow: applying %" PRId64 "..%" PRId64 " failed: %s", d->from, d->to, e.detail);
        goto out;
    }
    exporter_notify(f->srv->exporter);
    if (f->cfg->terminate_on_deactivate)
        for (size_t i = 0; i < a.res.n_lost; i++)
            sessions_terminate(a.res.lost[i].uid, a.res.lost[i].login, NULL);
    audit_kernel_materialized(a.res.changes, a.res.n_changes);
    f->want_snapshot = a.res.need_snapshot;
    if (snapshot && f->offline) {
        log_info("follow: the hub answers again: accounts follow its snapshot");
        f->offline = false;
    }
    log_info("follow: applied %s %" PRId64 "..%" PRId64 " (%zu users, %zu removed, %zu left "
             "out)", snapshot ? "snapshot" : "changes", d->from, d->to, a.res.users_applied,
             a.res.users_removed, a.res.skipped);
    report_conflicts(f, snapshot);
    ret = 0;
out:
    materialize_result_free(&a.res);
    feed_parsed_free(&p);
    if (snapshot && ret == 0) {
        struct scim_error se;
        store_write(f->srv->store, shrink_fn, NULL, &se);
    }
    /* A snapshot's body and parsed tree are hundreds of MB at 100,000 users, freed here after
     * the export has already trimmed malloc's free lists: give them back to the system now
     * rather than keep them until the next export. */
    if (snapshot)
        malloc_trim(0);
    return ret;
}

static void pause_s(struct follower *f, double seconds)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long long ns = until.tv_nsec + (long long)(seconds * 1e9);
    until.tv_sec += ns / 1000000000;
    until.tv_nsec = ns % 1000000000;
    pthread_mutex_lock(&f->lock);
    while (!atomic_load(&f->stop) &&
           pthread_cond_timedwait(&f->wake, &f->lock, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&f->lock);
}

/* 1, 2, 4 ... 60 s with +-20 % jitter, so a thousand hosts do not come back in step. */
static double backoff_s(unsigned failures)
{
    double base = BACKOFF_MIN_S;
    for (unsigned i = 1; i < failures && base < BACKOFF_MAX_S; i++)
        base *= 2;
    if (base > BACKOFF_MAX_S)
        base = BACKOFF_MAX_S;
    uint32_t r = 0;
    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
        r = (uint32_t)time(NULL) * 2654435761u;
    return base * (0.8 + 0.4 * ((double)r / UINT32_MAX));
}

static int read_state(struct follower *f, int64_t *seq, char feed[33])
{
    struct scim_error e;
    struct db *db = store_reader_get(f->srv->store, &e);
    if (!db)
        return -1;
    int r = materialize_state(db, seq, feed);
    store_reader_put(f->srv->store, db);
    return r;
}

static int fail_closed_fn(struct db *db, void *arg, struct scim_error *err)
{
    return materialize_fail_closed(db, err);
}

/* [follow] max_offline: past it without a verified answer, every SCIM user of this host is
 * made inactive until the hub answers with a snapshot again. */
static void check_offline(struct follower *f)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!f->cfg->follow_max_offline || f->offline ||
        now.tv_sec - f->last_ok.tv_sec <= (time_t)f->cfg->follow_max_offline)
        return;
    struct scim_error e;
    scim_error_clear(&e);
    if (store_write(f->srv->store, fail_closed_fn, NULL, &e) < 0) {
        log_err("follow: failing closed after max_offline failed: %s", e.detail);
        return;
    }
    f->offline = true;
    f->want_snapshot = true;
    exporter_notify(f->srv->exporter);
    log_err("follow: no verified answer from %s for more than %u s (max_offline): every SCIM "
            "user of this host is inactive until the hub answers", f->cfg->follow_hub,
            f->cfg->follow_max_offline);
}

static void *run(void *arg)
{
    struct follower *f = arg;
    unsigned failures = 0;
    clock_gettime(CLOCK_MONOTONIC, &f->last_ok);
    {
        struct scim_error e;
        struct db *db = store_reader_get(f->srv->store, &e);
        if (db && materialize_offline(db) == 1)
            f->offline = f->want_snapshot = true; /* failed closed before a restart */
        if (db)
            store_reader_put(f->srv->store, db);
    }
    while (!atomic_load(&f->stop)) {
        int64_t seq;
        char feed[33], path[128], err[256];
        bool ok = false;
        struct reply r = { 0 };
        if (read_state(f, &seq, feed) < 0) {
            log_err("follow: cannot read this host's store");
            goto next;
        }
        bool snapshot = seq < 0 || f->want_snapshot;
        if (snapshot)
            snprintf(path, sizeof(path), "/fleet/v1/snapshot");
        else
            snprintf(path, sizeof(path), "/fleet/v1/changes?since=%" PRId64 "&wait=%u", seq,
                     f->cfg->follow_wait);
        long st = hub_request(f, path, NULL, (long)f->cfg->follow_wait + CONNECT_TIMEOUT_S, &r,
                              err, sizeof(err));
        if (atomic_load(&f->stop))
            goto next;
        if (st == 200) {
            ok = take(f, &r, snapshot, seq, feed) == 0;
            if (ok)
                clock_gettime(CLOCK_MONOTONIC, &f->last_ok);
        } else if (st == 204 && !snapshot) {
            ok = true; /* nothing new within wait */
            clock_gettime(CLOCK_MONOTONIC, &f->last_ok);
        } else if (st == 410) {
            log_info("follow: sequence %" PRId64 " is older than the hub keeps: taking a snapshot",
                     seq);
            f->want_snapshot = true;
            ok = true;
        } else if (st == 409) {
            log_err("follow: this host is at sequence %" PRId64 ", ahead of the hub: was the hub "
                    "restored from an older backup? keeping this host's state", seq);
        } else if (st < 0) {
            log_warn("follow: %s: %s", f->cfg->follow_hub, err);
        } else {
            log_warn("follow: %s%s answered HTTP %ld", f->cfg->follow_hub, path, st);
        }
    next:
        free(r.body);
        if (ok) {
            failures = 0;
        } else if (!atomic_load(&f->stop)) {
            failures++;
            check_offline(f);
            pause_s(f, backoff_s(failures));
        }
    }
    return NULL;
}

static void follower_free(struct follower *f)
{
    if (!f)
        return;
    if (f->curl)
        curl_easy_cleanup(f->curl);
    for (size_t i = 0; i < f->n_scope; i++)
        free(f->scope[i]);
    free(f->scope);
    free(f->conflicts);
    free(f->known);
    free(f->reported);
    explicit_bzero(f->token, sizeof(f->token));
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->wake);
    free(f);
}

static int split_scope(struct follower *f, const char *list)
{
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        while (len && p[len - 1] == ' ')
            len--;
        if (len) {
            char **grown = realloc(f->scope, (f->n_scope + 1) * sizeof(*grown));
            if (!grown)
                return -1;
            f->scope = grown;
            if (!(f->scope[f->n_scope] = strndup(p, len)))
                return -1;
            f->n_scope++;
        }
        p += strcspn(p, ",");
    }
    return 0;
}

struct follower *follower_start(struct scimd_server *srv, char *err, size_t errlen)
{
    struct follower *f = calloc(1, sizeof(*f));
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->srv = srv;
    f->cfg = srv->cfg;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->wake, NULL);
    int n = follow_config_keys(f->cfg->follow_hub_keys, f->keys, err, errlen);
    if (n < 0 || follow_config_token(f->cfg, f->token, sizeof(f->token), err, errlen) < 0)
        goto fail;
    f->n_keys = (size_t)n;
    for (size_t i = 0; i < f->n_keys; i++)
        f->key_ptrs[i] = f->keys[i];
    if (split_scope(f, f->cfg->follow_groups) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(f->curl = curl_easy_init())) {
        snprintf(err, errlen, "follow: libcurl failed to initialise");
        goto fail;
    }
    if (pthread_create(&f->thread, NULL, run, f) != 0) {
        snprintf(err, errlen, "follow: cannot start the follower thread");
        goto fail;
    }
    f->started = true;
    log_info("following %s (%zu pinned key%s%s%s)", f->cfg->follow_hub, f->n_keys,
             f->n_keys == 1 ? "" : "s", f->n_scope ? ", scoped to " : "",
             f->n_scope ? f->cfg->follow_groups : "");
    return f;
fail:
    follower_free(f);
    return NULL;
}

void follower_stop(struct follower *f)
{
    if (!f)
        return;
    if (f->started) {
        pthread_mutex_lock(&f->lock);
        atomic_store(&f->stop, true);
        pthread_cond_broadcast(&f->wake);
        pthread_mutex_unlock(&f->lock);
        pthread_join(f->thread, NULL);
    }
    follower_free(f);
    curl_global_cleanup();
}
