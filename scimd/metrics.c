/* SPDX-License-Identifier: MIT */
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts/exporter.h"
#include "accounts/name_skips.h"
#include "http/http.h"
#include "fleet/fleet_status.h"
#include "server.h"
#include "store/store.h"
#include "store/store_counts.h"
#include "store/tokens.h"

static const char *const route_names[ROUTE_COUNT] = {
    "other", "/Users", "/Users/{id}", "/Groups", "/Groups/{id}", "discovery", "/healthz", "/metrics",
};
static const int statuses[] = { 200, 201, 204, 400, 401, 404, 405, 409, 412, 413, 415, 429,
                                500, 501, 503, 507 };
#define N_STATUS (sizeof(statuses) / sizeof(statuses[0]) + 1) /* + "other" */
static const double buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                  0.5, 1, 2.5 };
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static atomic_uint_fast64_t requests[ROUTE_COUNT][N_STATUS];
static atomic_uint_fast64_t latency_buckets[N_BUCKETS + 1];
static atomic_uint_fast64_t latency_sum_us;
static atomic_uint_fast64_t latency_count;
static atomic_uint_fast64_t auth_failures;
static atomic_uint_fast64_t commits, committed_changes, commit_us;
static atomic_uint_fast64_t export_generation;
static atomic_uint_fast64_t export_time_s;
static atomic_uint_fast64_t export_duration_us;
static atomic_uint_fast64_t export_failures;
/* In the order of enum name_skip_reason (name_skips.h). */
static const char *const skip_reasons[] = { "reserved", "local_group", "name_taken",
                                            "max_role_groups", "invalid_name" };
#define N_SKIP (sizeof(skip_reasons) / sizeof(skip_reasons[0]))
_Static_assert(N_SKIP == NAME_SKIP_COUNT, "a skip reason without its metric label");
static atomic_uint_fast64_t not_materialized[2][N_SKIP];

void metrics_request(enum metrics_route route, int status, double seconds)
{
    size_t si = N_STATUS - 1;
    for (size_t i = 0; i < N_STATUS - 1; i++)
        if (statuses[i] == status)
            si = i;
    if ((unsigned)route >= ROUTE_COUNT)
        route = ROUTE_OTHER;
    atomic_fetch_add_explicit(&requests[route][si], 1, memory_order_relaxed);
    size_t b = N_BUCKETS;
    for (size_t i = 0; i < N_BUCKETS; i++) {
        if (seconds <= buckets[i]) {
            b = i;
            break;
        }
    }
    atomic_fetch_add_explicit(&latency_buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&latency_sum_us, (uint_fast64_t)(seconds * 1e6), memory_order_relaxed);
    atomic_fetch_add_explicit(&latency_count, 1, memory_order_relaxed);
}

/* When each token last succeeded, for the alert an admin wants ("Entra has not reached us
 * for 6 hours"). Bounded: past TOKENS_TRACKED ids, the one unseen longest gives way. */
#define TOKENS_TRACKED 64
static pthread_mutex_t tokens_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char id[TOKEN_ID_LEN + 1];
    time_t at;
} token_success[TOKENS_TRACKED];
static size_t n_token_success;

void metrics_token_request(const char *token_id, enum metrics_route route, int status)
{
    if (!token_id || !*token_id || status < 200 || status > 299 ||
        (route != ROUTE_USERS && route != ROUTE_USER && route != ROUTE_GROUPS &&
         route != ROUTE_GROUP && route != ROUTE_DISCOVERY))
        return;
    time_t now = time(NULL);
    pthread_mutex_lock(&tokens_mu);
    size_t slot = n_token_success, oldest = 0;
    for (size_t i = 0; i < n_token_success; i++) {
        if (strcmp(token_success[i].id, token_id) == 0)
            slot = i;
        if (token_success[i].at < token_success[oldest].at)
            oldest = i;
    }
    if (slot == n_token_success) {
        if (n_token_success < TOKENS_TRACKED)
            n_token_success++;
        else
            slot = oldest;
        snprintf(token_success[slot].id, sizeof(token_success[slot].id), "%s", token_id);
    }
    token_success[slot].at = now;
    pthread_mutex_unlock(&tokens_mu);
}

static void render_token_success(FILE *f)
{
    time_t latest = 0;
    fprintf(f, "# HELP scimd_token_last_success_timestamp_seconds When an identity provider's "
               "request with this access id last succeeded (Unix time; since scimd started).\n"
               "# TYPE scimd_token_last_success_timestamp_seconds gauge\n");
    pthread_mutex_lock(&tokens_mu);
    for (size_t i = 0; i < n_token_success; i++) {
        fprintf(f, "scimd_token_last_success_timestamp_seconds{token=\"%s\"} %lld\n",
                token_success[i].id, (long long)token_success[i].at);
        if (token_success[i].at > latest)
            latest = token_success[i].at;
    }
    pthread_mutex_unlock(&tokens_mu);
    fprintf(f, "# HELP scimd_idp_last_success_timestamp_seconds When any identity provider's "
               "request last succeeded (Unix time; 0: none since scimd started).\n"
               "# TYPE scimd_idp_last_success_timestamp_seconds gauge\n"
               "scimd_idp_last_success_timestamp_seconds %lld\n",
            (long long)latest);
}

void metrics_auth_failure(void)
{
    atomic_fetch_add_explicit(&auth_failures, 1, memory_order_relaxed);
}

void metrics_commit(size_t n, double seconds)
{
    atomic_fetch_add_explicit(&commits, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&committed_changes, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&commit_us, (uint_fast64_t)(seconds * 1e6), memory_order_relaxed);
}

void metrics_export_done(uint64_t generation, double seconds, bool ok)
{
    if (!ok) {
        atomic_fetch_add_explicit(&export_failures, 1, memory_order_relaxed);
        return;
    }
    atomic_store(&export_generation, generation);
    atomic_store(&export_time_s, (uint_fast64_t)time(NULL));
    atomic_store(&export_duration_us, (uint_fast64_t)(seconds * 1e6));
}

void metrics_not_materialized(bool is_role, unsigned reason)
{
    if (reason < N_SKIP)
        atomic_fetch_add_explicit(&not_materialized[is_role][reason], 1, memory_order_relaxed);
}

/* The fleet's gauges; -1 each when the store cannot say (a scrape never fails on it). */
static void render_fleet(FILE *f, struct scimd_server *srv)
{
    struct fleet_status fs = { .seq = -1, .current = -1, .lagging = -1, .silent = -1 };
    struct scim_error e;
    struct db *db = store_reader_get(srv->store, &e);
    if (db && fleet_status_read(db, time(NULL), -1, &fs, NULL, NULL) < 0)
        fs = (struct fleet_status){ .seq = -1, .current = -1, .lagging = -1, .silent = -1 };
    store_reader_put(srv->store, db);
    fprintf(f, "# HELP scimd_fleet_seq The hub's latest change sequence.\n"
               "# TYPE scimd_fleet_seq gauge\nscimd_fleet_seq %lld\n"
               "# HELP scimd_fleet_hosts Fleet hosts (not revoked): current (reached the latest "
               "sequence), lagging (behind it), silent (not seen for %d s).\n"
               "# TYPE scimd_fleet_hosts gauge\nscimd_fleet_hosts{state=\"current\"} %lld\n"
               "scimd_fleet_hosts{state=\"lagging\"} %lld\n"
               "scimd_fleet_hosts{state=\"silent\"} %lld\n",
            (long long)fs.seq, FLEET_SILENT_AFTER, fs.current, fs.lagging, fs.silent);
}

char *metrics_render(struct scimd_server *srv)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    struct store_counts counts;
    store_counts_read(srv->store, &counts);
    fprintf(f, "# HELP scimd_requests_total HTTP requests by route and status.\n"
               "# TYPE scimd_requests_total counter\n");
    for (size_t r = 0; r < ROUTE_COUNT; r++)
        for (size_t s = 0; s < N_STATUS; s++) {
            uint_fast64_t v = atomic_load_explicit(&requests[r][s], memory_order_relaxed);
            if (!v)
                continue;
            if (s < N_STATUS - 1)
                fprintf(f, "scimd_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                        route_names[r], statuses[s], (unsigned long long)v);
            else
                fprintf(f, "scimd_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                        route_names[r], (unsigned long long)v);
        }
    fprintf(f, "# HELP scimd_request_duration_seconds Request latency.\n"
               "# TYPE scimd_request_duration_seconds histogram\n");
    unsigned long long cumulative = 0;
    for (size_t b = 0; b <= N_BUCKETS; b++) {
        cumulative += atomic_load_explicit(&latency_buckets[b], memory_order_relaxed);
        if (b < N_BUCKETS)
            fprintf(f, "scimd_request_duration_seconds_bucket{le=\"%g\"} %llu\n", buckets[b],
                    cumulative);
        else
            fprintf(f, "scimd_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cumulative);
    }
    fprintf(f, "scimd_request_duration_seconds_sum %.6f\n",
            (double)atomic_load(&latency_sum_us) / 1e6);
    fprintf(f, "scimd_request_duration_seconds_count %llu\n",
            (unsigned long long)atomic_load(&latency_count));
    fprintf(f, "# HELP scimd_auth_failures_total Requests refused for missing or bad credentials.\n"
               "# TYPE scimd_auth_failures_total counter\nscimd_auth_failures_total %llu\n",
            (unsigned long long)atomic_load(&auth_failures));
    fprintf(f, "# HELP scimd_store_commits_total Durable (fsync'd) store transactions.\n"
               "# TYPE scimd_store_commits_total counter\nscimd_store_commits_total %llu\n"
               "# HELP scimd_store_changes_total Requests applied by those transactions (group "
               "commit batches several per transaction).\n"
               "# TYPE scimd_store_changes_total counter\nscimd_store_changes_total %llu\n"
               "# HELP scimd_store_commit_seconds_total Time spent in store transactions.\n"
               "# TYPE scimd_store_commit_seconds_total counter\n"
               "scimd_store_commit_seconds_total %.6f\n",
            (unsigned long long)atomic_load(&commits),
            (unsigned long long)atomic_load(&committed_changes),
            (double)atomic_load(&commit_us) / 1e6);
    fprintf(f, "# HELP scimd_users Provisioned users (active and deactivated).\n"
               "# TYPE scimd_users gauge\nscimd_users{state=\"active\"} %lld\n"
               "scimd_users{state=\"deactivated\"} %lld\n",
            counts.users_active, counts.users_deactivated);
    fprintf(f, "# HELP scimd_groups SCIM groups.\n# TYPE scimd_groups gauge\nscimd_groups %lld\n",
            counts.groups);
    fprintf(f, "# HELP scimd_role_groups Role groups ever created (each keeps its gid).\n"
               "# TYPE scimd_role_groups gauge\nscimd_role_groups %lld\n"
               "# HELP scimd_role_groups_limit [accounts] max_role_groups.\n"
               "# TYPE scimd_role_groups_limit gauge\nscimd_role_groups_limit %u\n"
               "# HELP scimd_not_materialized_total Roles and SCIM groups kept out of the Linux "
               "groups because the host cannot take their name, by reason.\n"
               "# TYPE scimd_not_materialized_total counter\n",
            counts.role_groups, srv->cfg->max_role_groups);
    for (size_t k = 0; k < 2; k++)
        for (size_t r = 0; r < N_SKIP; r++)
            fprintf(f, "scimd_not_materialized_total{kind=\"%s\",reason=\"%s\"} %llu\n",
                    k ? "role" : "group", skip_reasons[r],
                    (unsigned long long)atomic_load(&not_materialized[k][r]));
    uint_fast64_t when = atomic_load(&export_time_s);
    fprintf(f, "# HELP scimd_cache_generation Generation of the last exported cache.\n"
               "# TYPE scimd_cache_generation gauge\nscimd_cache_generation %llu\n"
               "# HELP scimd_cache_age_seconds Seconds since the last successful export.\n"
               "# TYPE scimd_cache_age_seconds gauge\nscimd_cache_age_seconds %lld\n"
               "# HELP scimd_cache_export_duration_seconds Duration of the last export.\n"
               "# TYPE scimd_cache_export_duration_seconds gauge\n"
               "scimd_cache_export_duration_seconds %.6f\n"
               "# HELP scimd_cache_export_failures_total Failed exports (old cache kept).\n"
               "# TYPE scimd_cache_export_failures_total counter\n"
               "scimd_cache_export_failures_total %llu\n",
            (unsigned long long)atomic_load(&export_generation),
            when ? (long long)(time(NULL) - (time_t)when) : -1LL,
            (double)atomic_load(&export_duration_us) / 1e6,
            (unsigned long long)atomic_load(&export_failures));
    fprintf(f, "# HELP scimd_cache_export_pending_seconds Age of the oldest committed change "
               "no exported cache holds yet (0: all exported).\n"
               "# TYPE scimd_cache_export_pending_seconds gauge\n"
               "scimd_cache_export_pending_seconds %.3f\n"
               "# HELP scimd_connections Open client connections, held fleet long-polls "
               "included.\n"
               "# TYPE scimd_connections gauge\nscimd_connections %u\n",
            exporter_pending_seconds(srv->exporter), http_connections(srv));
    render_token_success(f);
    render_fleet(f, srv);
    fclose(f);
    return buf;
}
