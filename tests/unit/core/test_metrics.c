/* SPDX-License-Identifier: MIT */
/* Prometheus exposition (metrics.c): counters by route and status, a cumulative latency
 * histogram, auth failures, group commits, export state and user/group gauges from the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include "store/db.h"

#include "core_fixture.h"
#include "metrics.h"
#include "server.h"
#include "store/store.h"
#include "store/users_repo.h"

static int insert_users_fn(struct db *db, void *ctx, struct scim_error *err)
{
    (void)ctx;
    static const char *const logins[] = { "a", "b", "c" };
    for (int i = 0; i < 3; i++)
        if (core_insert_user(db, logins[i], 1700000000u + (uint32_t)i, i != 1 /* b inactive */,
                             NULL, err) < 0)
            return -1;
    return 0;
}

/* The value of the exposition line that starts with `series ` (exact series, labels and all). */
static double value_of(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
    }
    fail_msg("no series %s in:\n%s", series, text);
    return -1;
}

static bool has_series(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return true;
    return false;
}

static void test_render(void **state)
{
    (void)state;
    char *dir = core_mkdtemp();
    struct store *st = core_store_open(dir, "scimd.db", true);
    struct scim_error err = { 0 };
    if (store_write(st, insert_users_fn, NULL, &err) != 0)
        fail_msg("populate: %s", err.detail);
    struct scimd_config cfg;
    scimd_config_init(&cfg);
    struct scimd_server srv = { .cfg = &cfg, .store = st };

    char *before = metrics_render(&srv);
    assert_non_null(before);
    /* Nothing requested yet: no request series, an export that never happened. */
    assert_false(has_series(before, "scimd_requests_total{route=\"/Users\",status=\"200\"}"));
    assert_true(value_of(before, "scimd_cache_age_seconds") < 0);
    double commits0 = value_of(before, "scimd_store_commits_total");
    free(before);

    metrics_request(ROUTE_USERS, 200, 0.0004);
    metrics_request(ROUTE_USERS, 200, 0.003);
    metrics_request(ROUTE_USER, 404, 0.2);
    metrics_request(ROUTE_USER, 418, 3.0); /* not in the status table */
    metrics_request((enum metrics_route)99, 200, 0.001); /* out of range: "other" */
    metrics_auth_failure();
    metrics_auth_failure();
    metrics_commit(5, 0.25);
    metrics_export_done(17, 0.125, true);
    metrics_export_done(0, 0, false);

    char *text = metrics_render(&srv);
    assert_non_null(text);
    assert_int_equal(value_of(text, "scimd_requests_total{route=\"/Users\",status=\"200\"}"), 2);
    assert_int_equal(value_of(text, "scimd_requests_total{route=\"/Users/{id}\",status=\"404\"}"), 1);
    assert_int_equal(value_of(text, "scimd_requests_total{route=\"/Users/{id}\",status=\"other\"}"), 1);
    assert_int_equal(value_of(text, "scimd_requests_total{route=\"other\",status=\"200\"}"), 1);
    /* Cumulative buckets: le is an upper bound, +Inf counts everything. */
    assert_int_equal(value_of(text, "scimd_request_duration_seconds_bucket{le=\"0.0005\"}"), 1);
    assert_int_equal(value_of(text, "scimd_request_duration_seconds_bucket{le=\"0.001\"}"), 2);
    assert_int_equal(value_of(text, "scimd_request_duration_seconds_bucket{le=\"0.005\"}"), 3);
    assert_int_equal(value_of(text, "scimd_request_duration_seconds_bucket{le=\"0.25\"}"), 4);
    assert_int_equal(value_of(text, "scimd_request_duration_seconds_bucket{le=\"2.5\"}"), 4);
    assert_int_equal(value_of(text, "scimd_request_duration_seconds_bucket{le=\"+Inf\"}"), 5);
    assert_int_equal(value_of(text, "scimd_request_duration_seconds_count"), 5);
    double sum = value_of(text, "scimd_request_duration_seconds_sum");
    assert_true(sum > 3.2 && sum < 3.21);
    assert_int_equal(value_of(text, "scimd_auth_failures_total"), 2);
    assert_true(value_of(text, "scimd_store_commits_total") >= commits0 + 1);
    assert_true(value_of(text, "scimd_store_changes_total") >= 5);
    assert_int_equal(value_of(text, "scimd_cache_generation"), 17);
    assert_true(value_of(text, "scimd_cache_age_seconds") >= 0);
    assert_true(value_of(text, "scimd_cache_export_duration_seconds") == 0.125);
    assert_int_equal(value_of(text, "scimd_cache_export_failures_total"), 1);
    assert_int_equal(value_of(text, "scimd_users{state=\"active\"}"), 2);
    assert_int_equal(value_of(text, "scimd_users{state=\"deactivated\"}"), 1);
    assert_int_equal(value_of(text, "scimd_groups"), 0);
    /* No exporter, no listener: nothing pending, no connection. */
    assert_true(value_of(text, "scimd_cache_export_pending_seconds") == 0);
    assert_int_equal(value_of(text, "scimd_connections"), 0);
    assert_true(value_of(text, "scimd_idp_last_success_timestamp_seconds") == 0);
    /* Every series has its TYPE line. */
    assert_non_null(strstr(text, "# TYPE scimd_request_duration_seconds histogram\n"));
    assert_non_null(strstr(text, "# TYPE scimd_requests_total counter\n"));
    free(text);
    scimd_config_free(&cfg);
    store_close(st);
    core_rmdir(dir);
}

/* A token's latest success is a 2xx on an identity provider's route, nothing else. */
static void test_token_success(void **state)
{
    (void)state;
    char *dir = core_mkdtemp();
    struct store *st = core_store_open(dir, "scimd.db", true);
    struct scimd_config cfg;
    scimd_config_init(&cfg);
    struct scimd_server srv = { .cfg = &cfg, .store = st };
    time_t t0 = time(NULL);
    metrics_token_request("aaaaaaaaaaaaaaaa", ROUTE_USERS, 201);
    metrics_token_request("bbbbbbbbbbbbbbbb", ROUTE_USERS, 401);
    metrics_token_request("cccccccccccccccc", ROUTE_HEALTHZ, 200);
    metrics_token_request("dddddddddddddddd", ROUTE_METRICS, 200);
    metrics_token_request("", ROUTE_USERS, 200);
    char *text = metrics_render(&srv);
    assert_non_null(text);
    double a = value_of(text, "scimd_token_last_success_timestamp_seconds{token=\"aaaaaaaaaaaaaaaa\"}");
    assert_true(a >= (double)t0 && a <= (double)time(NULL));
    assert_false(has_series(text, "scimd_token_last_success_timestamp_seconds{token=\"bbbbbbbbbbbbbbbb\"}"));
    assert_false(has_series(text, "scimd_token_last_success_timestamp_seconds{token=\"cccccccccccccccc\"}"));
    assert_false(has_series(text, "scimd_token_last_success_timestamp_seconds{token=\"dddddddddddddddd\"}"));
    assert_true(value_of(text, "scimd_idp_last_success_timestamp_seconds") == a);
    free(text);
    /* Bounded: a flood of ids keeps at most 64 series. */
    char id[17];
    for (int i = 0; i < 200; i++) {
        snprintf(id, sizeof(id), "z%015d", i);
        metrics_token_request(id, ROUTE_GROUPS, 200);
    }
    text = metrics_render(&srv);
    int series = 0;
    for (const char *p = text; (p = strstr(p, "\nscimd_token_last_success_timestamp_seconds{")); p++)
        series++;
    assert_int_equal(series, 64);
    free(text);
    scimd_config_free(&cfg);
    store_close(st);
    core_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_token_success),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
