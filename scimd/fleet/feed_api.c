/* SPDX-License-Identifier: MIT */
#include "fleet/feed_api.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "fleet/feed_doc.h"
#include "fleet/feed_sign.h"
#include "fleet/feed_wait.h"
#include "fleet/seen_log.h"
#include "log.h"
#include "server.h"
#include "store/feed_repo.h"
#include "store/tokens.h"
#include "store/store.h"

#define FEED_CONTENT_TYPE "application/json"
#define SNAPSHOT_CACHE_CONTROL "private, max-age=0, must-revalidate"

struct fleet_hub {
    struct scimd_server *srv;
    struct feed_wait *wait;
    struct seen_log *seen;
    pthread_mutex_t key_mu;
    bool have_key;
    time_t key_tried; /* the last failed load: a missing key is looked for once a second */
    struct feed_key key;
    pthread_mutex_t build_mu; /* one woken long-poll builds, the others take its answer */
    pthread_mutex_t cache_mu;
    struct {
        int64_t since, to;
        char *body; /* the signed bytes, NUL-terminated; NULL: empty */
        size_t len;
        char sig[FEED_SIG_HDR_MAX];
    } cached;
    /* The last snapshot answered gzip'd, for the next host joining at the same sequence: a
     * 100,000-user snapshot costs the hub ~2 s of CPU to build, sign and compress, and a
     * fleet's hosts join (or come back after a 410) at the same sequence until the next
     * write. Only the gzip'd bytes are kept (4 MB at 100,000 users, the plain ones are 24). */
    pthread_mutex_t snap_mu; /* held over a build: a second host waits and takes its bytes */
    struct {
        int64_t seq;
        char feed_id[33];
        unsigned char *gz; /* NULL: none */
        size_t gz_len;
        char sig[FEED_SIG_HDR_MAX];
    } snap;
};

static int read_max_seq(void *arg, int64_t *out)
{
    struct fleet_hub *hub = arg;
    struct scim_error e;
    struct db *db = store_reader_get(hub->srv->store, &e);
    int rc = db ? feed_max_seq(db, out) : -1;
    store_reader_put(hub->srv->store, db);
    return rc;
}

/* Loads the signing key unless loaded; a missing one is retried at most once a second. */
static bool key_ready(struct fleet_hub *hub)
{
    const char *path = hub->srv->cfg->fleet_signing_key;
    char err[256];
    bool ok;
    pthread_mutex_lock(&hub->key_mu);
    if (!hub->have_key && path && time(NULL) != hub->key_tried) {
        hub->key_tried = time(NULL);
        if (feed_key_load(path, &hub->key, err, sizeof(err)) == 0) {
            hub->have_key = true;
            log_info("fleet: feed signing key %s loaded (key id %s)", path, hub->key.key_id);
        }
    }
    ok = hub->have_key;
    pthread_mutex_unlock(&hub->key_mu);
    return ok;
}

int fleet_hub_start(struct scimd_server *srv, char *err, size_t errlen)
{
    struct fleet_hub *hub = calloc(1, sizeof(*hub));
    char why[256];
    if (!hub) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    hub->srv = srv;
    pthread_mutex_init(&hub->key_mu, NULL);
    pthread_mutex_init(&hub->build_mu, NULL);
    pthread_mutex_init(&hub->cache_mu, NULL);
    pthread_mutex_init(&hub->snap_mu, NULL);
    /* The fallback poll only matters for writes by another process (scimctl): each commit
     * of this one kicks the waiter at once. */
    hub->wait = feed_wait_start(read_max_seq, hub, 2000);
    hub->seen = hub->wait ? seen_log_start(srv->store) : NULL;
    if (!hub->seen) {
        feed_wait_stop(hub->wait);
        pthread_mutex_destroy(&hub->key_mu);
        pthread_mutex_destroy(&hub->build_mu);
        pthread_mutex_destroy(&hub->cache_mu);
        pthread_mutex_destroy(&hub->snap_mu);
        free(hub);
        snprintf(err, errlen, "fleet: cannot start the long-poll waiter");
        return -1;
    }
    const char *path = srv->cfg->fleet_signing_key;
    /* No key file is the usual case (no fleet) and says nothing; a key that exists but
     * cannot be used is worth a warning. */
    if (path && access(path, F_OK) == 0) {
        if (feed_key_load(path, &hub->key, why, sizeof(why)) == 0)
            hub->have_key = true;
        else
            log_warn("fleet: the feed signing key cannot be used (%s); /fleet/v1/ answers 503",
                     why);
    }
    hub->key_tried = time(NULL);
    srv->fleet = hub;
    return 0;
}

void fleet_hub_committed(struct fleet_hub *hub)
{
    if (hub)
        feed_wait_committed(hub->wait);
}

void fleet_hub_shutdown(struct fleet_hub *hub)
{
    if (hub)
        feed_wait_shutdown(hub->wait);
}

void fleet_hub_free(struct fleet_hub *hub)
{
    if (!hub)
        return;
    feed_wait_stop(hub->wait);
    seen_log_stop(hub->seen);
    feed_key_clear(&hub->key);
    free(hub->cached.body);
    free(hub->snap.gz);
    pthread_mutex_destroy(&hub->snap_mu);
    pthread_mutex_destroy(&hub->key_mu);
    pthread_mutex_destroy(&hub->build_mu);
    pthread_mutex_destroy(&hub->cache_mu);
    free(hub);
}

int fleet_authenticate(struct scimd_server *srv, const char *authorization,
                       char host_id[HOST_ID_LEN + 1], const char **why)
{
    struct scim_error e;
    if (!authorization) {
        *why = "no Authorization header";
        return -1;
    }
    if (strncasecmp(authorization, "Bearer ", 7) != 0) {
        *why = "the feed takes only a host's Bearer token";
        return -1;
    }
    const char *bearer = authorization + 7;
    while (*bearer == ' ')
        bearer++;
    struct db *db = store_reader_get(srv->store, &e);
    if (!db) {
        *why = "the store cannot be read";
        return AUTH_UNAVAILABLE;
    }
    int rc = hosts_authenticate(db, bearer, host_id);
    /* A database lost mid-read says nothing about the token: the host retries. */
    if (rc < 0 && db_errcode(db) == DB_UNAVAILABLE) {
        *why = "the store cannot be read";
        rc = AUTH_UNAVAILABLE;
    } else if (rc < 0) {
        *why = "not a valid host token (revoked, unknown, or a SCIM token)";
    }
    store_reader_put(srv->store, db);
    return rc;
}

struct seen {
    const char *host_id;
    int64_t seq;
    const char *conflicts;
};

/* Who asked and how far it got, for `scimctl host list` and `fleet wait`: in the store
 * within a second (seen_log.h), never a write of its own before the answer. */
static void record_seen(struct scimd_server *srv, const char *host_id, int64_t seq)
{
    seen_log_note(srv->fleet ? srv->fleet->seen : NULL, host_id, seq);
}

/* A strictly decimal integer in [lo, hi]. */
static bool parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Accept-Encoding names gzip with a non-zero quality. */
static bool wants_gzip(const char *ae)
{
    while (ae && *ae) {
        while (*ae == ' ' || *ae == ',' || *ae == '\t')
            ae++;
        size_t n = strcspn(ae, ",;");
        bool gzip = n >= 4 && strncasecmp(ae, "gzip", 4) == 0 &&
                    strspn(ae + 4, " \t") == n - 4;
        ae += n;
        bool zero = false;
        if (*ae == ';') {
            const char *q = ae + 1 + strspn(ae + 1, " \t");
            if (strncasecmp(q, "q=", 2) == 0)
                zero = strtod(q + 2, NULL) <= 0.0;
            ae += strcspn(ae, ",");
        }
        if (gzip && !zero)
            return true;
    }
    return false;
}

/* gzip of body into a new buffer; NULL when zlib failed. */
static unsigned char *gzip_body(const char *body, size_t len, size_t *out_len)
{
    z_stream z = { 0 };
    unsigned char *out = NULL;
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong cap = deflateBound(&z, (uLong)len);
    out = malloc(cap);
    if (out) {
        z.next_in = (Bytef *)body;
        z.avail_in = (uInt)len;
        z.next_out = out;
        z.avail_out = (uInt)cap;
        if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
            free(out);
            out = NULL;
        } else
            *out_len = z.total_out;
    }
    deflateEnd(&z);
    return out;
}

/* The signed bytes of doc: *body (the caller frees it) and its Scimd-Signature. 0, or -1. */
static int sign_doc(struct fleet_hub *hub, const json_t *doc, char **body, size_t *len,
                    char sig[FEED_SIG_HDR_MAX])
{
    *body = feed_doc_dump(doc);
    if (!*body)
        return -1;
    *len = strlen(*body);
    pthread_mutex_lock(&hub->key_mu);
    int rc = feed_sign(&hub->key, *body, *len, sig, FEED_SIG_HDR_MAX);
    pthread_mutex_unlock(&hub->key_mu);
    if (rc < 0) {
        free(*body);
        *body = NULL;
    }
    return rc;
}

/* resp = body (taken) with its signature, gzip'd when the client takes it. */
static void answer_signed(const struct api_request *req, char *body, size_t len,
                          const char *sig, struct api_response *resp)
{
    resp->status = 200;
    resp->content_type = FEED_CONTENT_TYPE;
    resp->signature = strdup(sig);
    if (wants_gzip(api_header(req, "Accept-Encoding"))) {
        size_t zlen = 0;
        unsigned char *z = gzip_body(body, len, &zlen);
        if (z) {
            resp->raw = (char *)z;
            resp->raw_len = zlen;
            resp->content_encoding = "gzip";
        }
    }
    if (!resp->raw) {
        resp->raw = body;
        resp->raw_len = len;
        body = NULL;
    }
    free(body);
    if (!resp->signature)
        api_error(resp, 500, NULL, "out of memory");
}

/* resp = the signed document. Never an unsigned answer: followers would refuse it anyway. */
static void answer_doc(struct fleet_hub *hub, const struct api_request *req, const json_t *doc,
                       struct api_response *resp)
{
    char *body = NULL;
    size_t len = 0;
    char sig[FEED_SIG_HDR_MAX];
    if (sign_doc(hub, doc, &body, &len, sig) < 0)
        api_error(resp, 500, NULL, "cannot encode or sign the feed document");
    else
        answer_signed(req, body, len, sig, resp);
}

/* After a commit wakes every long-poll at once, those that asked from the same sequence
 * (nearly all of them) get one document built and signed once, not once each. The entry
 * answers since when it was built from since up to at least what the waiter knows. */
static bool answer_cached(struct fleet_hub *hub, const struct api_request *req, int64_t since,
                          struct api_response *resp)
{
    int64_t known = feed_wait_latest(hub->wait);
    char *copy = NULL;
    size_t len = 0;
    char sig[FEED_SIG_HDR_MAX];
    pthread_mutex_lock(&hub->cache_mu);
    if (hub->cached.body && hub->cached.since == since && hub->cached.to >= known) {
        len = hub->cached.len;
        copy = malloc(len + 1);
        if (copy) {
            memcpy(copy, hub->cached.body, len + 1);
            memcpy(sig, hub->cached.sig, sizeof(sig));
        }
    }
    pthread_mutex_unlock(&hub->cache_mu);
    if (!copy)
        return false;
    answer_signed(req, copy, len, sig, resp);
    return true;
}

/* Answers doc and keeps its signed bytes for the waiters woken with this one. */
static void answer_and_cache(struct fleet_hub *hub, const struct api_request *req,
                             int64_t since, const json_t *doc, struct api_response *resp)
{
    char *body = NULL, *keep;
    size_t len = 0;
    char sig[FEED_SIG_HDR_MAX];
    if (sign_doc(hub, doc, &body, &len, sig) < 0) {
        api_error(resp, 500, NULL, "cannot encode or sign the feed document");
        return;
    }
    keep = malloc(len + 1);
    if (keep) {
        memcpy(keep, body, len + 1);
        pthread_mutex_lock(&hub->cache_mu);
        free(hub->cached.body);
        hub->cached.body = keep;
        hub->cached.len = len;
        hub->cached.since = since;
        hub->cached.to = json_integer_value(json_object_get(doc, "to"));
        memcpy(hub->cached.sig, sig, sizeof(sig));
        pthread_mutex_unlock(&hub->cache_mu);
    }
    answer_signed(req, body, len, sig, resp);
}

static bool refuse_uninitialised(struct fleet_hub *hub, struct api_response *resp)
{
    if (key_ready(hub))
        return false;
    api_error(resp, 503, NULL, "fleet not initialised: run scimctl fleet init");
    return true;
}

/* If-None-Match names etag (or is "*"). */
static bool none_match(const char *inm, const char *etag)
{
    size_t n = strlen(etag);
    while (inm && *inm) {
        inm += strspn(inm, " \t,");
        size_t len = strcspn(inm, ",");
        while (len > 0 && (inm[len - 1] == ' ' || inm[len - 1] == '\t'))
            len--;
        if ((len == 1 && inm[0] == '*') || (len == n && memcmp(inm, etag, n) == 0) ||
            (len == n + 2 && strncmp(inm, "W/", 2) == 0 && memcmp(inm + 2, etag, n) == 0))
            return true;
        inm += strcspn(inm, ",");
    }
    return false;
}

/* resp = a copy of the gzip'd snapshot kept for seq of feed_id (snap_mu held): true, or
 * false when none is kept for it (or for want of memory). */
static bool snapshot_cached(struct fleet_hub *hub, int64_t seq, const char *feed_id,
                            struct api_response *resp)
{
    if (!hub->snap.gz || hub->snap.seq != seq || strcmp(hub->snap.feed_id, feed_id) != 0)
        return false;
    char *copy = malloc(hub->snap.gz_len);
    char *sig = strdup(hub->snap.sig);
    if (!copy || !sig) {
        free(copy);
        free(sig);
        return false;
    }
    memcpy(copy, hub->snap.gz, hub->snap.gz_len);
    resp->status = 200;
    resp->content_type = FEED_CONTENT_TYPE;
    resp->signature = sig;
    resp->raw = copy;
    resp->raw_len = hub->snap.gz_len;
    resp->content_encoding = "gzip";
    return true;
}

/* Keeps a copy of the snapshot resp answers for seq when it went gzip'd (snap_mu held);
 * the one kept before goes. Without memory nothing is kept: the next host builds again. */
static void snapshot_keep(struct fleet_hub *hub, int64_t seq, const char *feed_id,
                          const struct api_response *resp)
{
    if (resp->status != 200 || !resp->content_encoding || !resp->raw || !resp->signature ||
        strlen(resp->signature) >= sizeof(hub->snap.sig))
        return;
    unsigned char *copy = malloc(resp->raw_len);
    if (!copy)
        return;
    memcpy(copy, resp->raw, resp->raw_len);
    free(hub->snap.gz);
    hub->snap.gz = copy;
    hub->snap.gz_len = resp->raw_len;
    hub->snap.seq = seq;
    snprintf(hub->snap.feed_id, sizeof(hub->snap.feed_id), "%s", feed_id);
    snprintf(hub->snap.sig, sizeof(hub->snap.sig), "%s", resp->signature);
}

void fleet_snapshot(struct scimd_server *srv, const struct api_request *req, const char *host_id,
                    struct api_response *resp)
{
    struct fleet_hub *hub = srv->fleet;
    struct scim_error e;
    char feed_id[33], etag[32], err[256];
    int64_t seq = 0;
    json_t *doc = NULL;
    struct db *db = NULL;
    bool locked = false;

    if (refuse_uninitialised(hub, resp))
        goto out;
    db = store_reader_get(srv->store, &e);
    if (!db || store_read_begin(db, &e) < 0) {
        api_error_from(resp, &e);
        goto out;
    }
    if (feed_max_seq(db, &seq) < 0 || feed_id_get(db, feed_id) < 0) {
        api_error(resp, 500, NULL, "cannot read the change log");
        goto out;
    }
    snprintf(etag, sizeof(etag), "\"%" PRId64 "\"", seq);
    if (none_match(api_header(req, "If-None-Match"), etag)) {
        resp->status = 304;
        resp->etag = strdup(etag);
        resp->cache_control = SNAPSHOT_CACHE_CONTROL;
        store_reader_put(srv->store, db);
        db = NULL;
        record_seen(srv, host_id, seq);
        goto out;
    }
    bool gzip = wants_gzip(api_header(req, "Accept-Encoding"));
    pthread_mutex_lock(&hub->snap_mu);
    locked = true;
    if (gzip && snapshot_cached(hub, seq, feed_id, resp)) {
        store_reader_put(srv->store, db);
        db = NULL;
    } else {
        doc = feed_doc_build(db, feed_id, -1, seq, srv->cfg->fleet_share_password_hashes, err,
                             sizeof(err));
        store_reader_put(srv->store, db);
        db = NULL;
        if (!doc) {
            log_err("fleet: snapshot: %s", err);
            api_error(resp, 500, NULL, "cannot build the snapshot");
            goto out;
        }
        answer_doc(hub, req, doc, resp);
        json_decref(doc);
        doc = NULL;
        snapshot_keep(hub, seq, feed_id, resp);
        /* The tree and its dump were hundreds of MB at 100,000 users: give them back now
         * rather than keep the hub that much larger until malloc needs them again. */
        malloc_trim(0);
    }
    if (resp->status == 200) {
        resp->etag = strdup(etag);
        resp->cache_control = SNAPSHOT_CACHE_CONTROL;
    }
    /* The host has not applied it yet: its next changes request says how far it got. */
    record_seen(srv, host_id, 0);
out:
    if (locked)
        pthread_mutex_unlock(&hub->snap_mu);
    store_reader_put(srv->store, db);
    json_decref(doc);
}

enum range { RANGE_EMPTY, RANGE_READY, RANGE_GONE, RANGE_AHEAD, RANGE_ERROR };

/* One look at the log: what (since, max] holds, and the document when it holds something. */
static enum range look(struct scimd_server *srv, int64_t since, json_t **doc, char *err,
                       size_t errlen)
{
    struct scim_error e;
    char feed_id[33];
    int64_t floor = 0, max = 0;
    enum range r = RANGE_ERROR;
    struct db *db = store_reader_get(srv->store, &e);
    if (!db || store_read_begin(db, &e) < 0) {
        snprintf(err, errlen, "%s", e.detail);
        goto out;
    }
    if (feed_floor(db, &floor) < 0 || feed_max_seq(db, &max) < 0 ||
        feed_id_get(db, feed_id) < 0) {
        snprintf(err, errlen, "cannot read the change log");
        goto out;
    }
    if (since < floor)
        r = RANGE_GONE;
    else if (since > max)
        r = RANGE_AHEAD;
    else if (since == max)
        r = RANGE_EMPTY;
    else {
        *doc = feed_doc_build(db, feed_id, since, max, srv->cfg->fleet_share_password_hashes,
                              err, errlen);
        r = *doc ? RANGE_READY : RANGE_ERROR;
    }
out:
    store_reader_put(srv->store, db);
    return r;
}

/* The first turn of a changes request: its parameters, the host seen, *deadline set. 0, or
 * -1 with resp holding the refusal. */
static int changes_begin(struct scimd_server *srv, const struct api_request *req,
                         const char *host_id, int64_t *since, struct timespec *deadline,
                         struct api_response *resp)
{
    int64_t wait = 0;
    if (!parse_int(api_query(req, "since"), 0, INT64_MAX, since)) {
        api_error(resp, 400, "invalidValue", "since must be a sequence number (0 or more)");
        return -1;
    }
    const char *w = api_query(req, "wait");
    if (w && !parse_int(w, 0, FLEET_MAX_WAIT, &wait)) {
        api_error(resp, 400, "invalidValue", "wait must be 0 to %d seconds", FLEET_MAX_WAIT);
        return -1;
    }
    if (refuse_uninitialised(srv->fleet, resp))
        return -1;
    record_seen(srv, host_id, *since);
    clock_gettime(CLOCK_MONOTONIC, deadline);
    deadline->tv_sec += wait;
    return 0;
}

/* resp for a wait that ended without a change: 204, or 503 when the hub is stopping. False
 * for a change (look again). */
static bool answer_wait_end(enum feed_wait_result wr, struct api_response *resp)
{
    if (wr == FEED_WAIT_TIMEOUT) {
        resp->status = 204;
        return true;
    }
    if (wr == FEED_WAIT_STOPPING) {
        api_error(resp, 503, NULL, "the hub is shutting down");
        resp->retry_after = 1;
        return true;
    }
    return false;
}

void fleet_changes(struct scimd_server *srv, const struct api_request *req, const char *host_id,
                   struct fleet_poll *poll, struct api_response *resp)
{
    struct fleet_hub *hub = srv->fleet;
    int64_t since = 0;
    json_t *doc = NULL;
    char err[600];
    struct timespec deadline;
    bool woken = poll && poll->woken;

    if (poll)
        poll->held = false;
    if (woken) {
        since = poll->waiter.since;
        deadline = poll->waiter.deadline;
        if (answer_wait_end(poll->waiter.result, resp))
            goto out;
    } else if (changes_begin(srv, req, host_id, &since, &deadline, resp) < 0)
        goto out;
    for (;; woken = true) {
        enum range r;
        if (woken) {
            /* Every waiter woke at once: one builds under build_mu, the rest reuse it. */
            if (answer_cached(hub, req, since, resp))
                goto out;
            pthread_mutex_lock(&hub->build_mu);
            bool done = answer_cached(hub, req, since, resp);
            r = done ? RANGE_EMPTY : look(srv, since, &doc, err, sizeof(err));
            if (r == RANGE_READY)
                answer_and_cache(hub, req, since, doc, resp);
            pthread_mutex_unlock(&hub->build_mu);
            if (done || r == RANGE_READY)
                goto out;
        } else
            r = look(srv, since, &doc, err, sizeof(err));
        switch (r) {
        case RANGE_READY:
            answer_doc(hub, req, doc, resp);
            goto out;
        case RANGE_GONE:
            api_error(resp, 410, NULL, "changes after %" PRId64 " are no longer kept: take a "
                      "snapshot", since);
            goto out;
        case RANGE_AHEAD:
            api_error(resp, 409, NULL, "sequence %" PRId64 " is ahead of this hub's change log "
                      "(a hub restored from an older backup?)", since);
            goto out;
        case RANGE_ERROR:
            log_err("fleet: changes since %" PRId64 ": %s", since, err);
            api_error(resp, 500, NULL, "cannot read the change log");
            goto out;
        case RANGE_EMPTY:
            break;
        }
        if (poll) {
            /* Nothing yet: the transport parks the request, no thread waits for it. */
            poll->waiter.since = since;
            poll->waiter.deadline = deadline;
            snprintf(poll->host_id, sizeof(poll->host_id), "%s", host_id);
            poll->held = true;
            goto out;
        }
        if (answer_wait_end(feed_wait_for(hub->wait, since, &deadline), resp))
            goto out;
    }
out:
    json_decref(doc);
}

bool fleet_poll_park(struct fleet_hub *hub, struct fleet_poll *poll)
{
    return feed_wait_park(hub->wait, &poll->waiter);
}

static int write_conflicts(struct db *db, void *ctx, struct scim_error *err)
{
    struct seen *s = ctx;
    if (hosts_set_conflicts(db, s->host_id, s->conflicts) < 0)
        return scim_error_set(err, 500, NULL, "store: cannot record the host's conflicts");
    return 0;
}

/* A conflict: an object whose kind is user or group and whose fields have their types. */
static bool conflict_ok(const json_t *c)
{
    const char *kind = json_string_value(json_object_get(c, "kind"));
    json_t *uid = json_object_get(c, "uid");
    return json_is_object(c) && kind && (strcmp(kind, "user") == 0 || strcmp(kind, "group") == 0) &&
           json_is_string(json_object_get(c, "id")) && json_is_string(json_object_get(c, "name")) &&
           (!uid || json_is_integer(uid)) &&
           (!json_object_get(c, "reason") || json_is_string(json_object_get(c, "reason")));
}

void fleet_report(struct scimd_server *srv, const struct api_request *req, const char *host_id,
                  struct api_response *resp)
{
    struct scim_error e;
    char *text = NULL;
    json_t *body = api_json_body(req, &e);
    if (!body) {
        api_error_from(resp, &e);
        goto out;
    }
    json_t *list = json_object_get(body, "conflicts");
    size_t i;
    json_t *c;
    if (!json_is_array(list)) {
        api_error(resp, 400, "invalidValue", "the body must be {\"conflicts\": [...]}");
        goto out;
    }
    json_array_foreach(list, i, c) if (!conflict_ok(c))
    {
        api_error(resp, 400, "invalidValue",
                  "conflict %zu needs kind (user or group), id and name strings", i);
        goto out;
    }
    text = json_array_size(list) ? json_dumps(list, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (json_array_size(list) && !text) {
        api_error(resp, 500, NULL, "out of memory");
        goto out;
    }
    struct seen s = { .host_id = host_id, .conflicts = text };
    if (store_write(srv->store, write_conflicts, &s, &e) < 0) {
        api_error_from(resp, &e);
        goto out;
    }
    log_info("fleet: host %s reported %zu conflict(s)", host_id, json_array_size(list));
    resp->status = 204;
out:
    free(text);
    json_decref(body);
}
