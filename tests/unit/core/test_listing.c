/* SPDX-License-Identifier: MIT */
/* List parameters and ListResponse (listing.c), the request body and SCIM error helpers
 * (api/request.c, api/response.c), driven through a fake transport: the request's lookup
 * answers from a table, so requests need no socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/listing.h"
#include "api/request.h"
#include "api/response.h"
#include "proto/schema.h"

struct fake_conn {
    const char *const *query; /* name, value, ..., NULL */
};

static const char *fake_lookup(void *transport, enum api_value_kind kind, const char *key)
{
    const struct fake_conn *c = transport;
    if (kind != API_QUERY || !c->query)
        return NULL;
    for (size_t i = 0; c->query[i]; i += 2)
        if (strcmp(c->query[i], key) == 0)
            return c->query[i + 1];
    return NULL;
}

static int parse(const char *const *query, struct listing *out, struct scim_error *err)
{
    struct fake_conn conn = { query };
    struct api_request req;
    memset(&req, 0, sizeof(req));
    req.lookup = fake_lookup;
    req.transport = &conn;
    memset(out, 0x5a, sizeof(*out));
    scim_error_clear(err);
    return listing_parse(&req, out, err);
}

static void expect_page(const char *const *query, int64_t start, int64_t count)
{
    struct listing l;
    struct scim_error err;
    if (parse(query, &l, &err) != 0)
        fail_msg("refused: %s", err.detail);
    assert_int_equal(l.start_index, start);
    assert_int_equal(l.count, count);
}

static void expect_refused(const char *const *query, const char *what)
{
    struct listing l;
    struct scim_error err;
    assert_int_equal(parse(query, &l, &err), -1);
    assert_int_equal(err.status, 400);
    assert_non_null(err.scim_type);
    assert_string_equal(err.scim_type, "invalidValue");
    if (strstr(err.detail, what) == NULL)
        fail_msg("refusal '%s' does not mention '%s'", err.detail, what);
}

#define Q(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_parse_defaults_and_values(void **state)
{
    (void)state;
    struct listing l;
    struct scim_error err;
    assert_int_equal(parse(NULL, &l, &err), 0);
    assert_int_equal(l.start_index, 1);
    assert_int_equal(l.count, LISTING_MAX_RESULTS);
    assert_null(l.filter);
    assert_null(l.attributes);
    assert_null(l.excluded_attributes);

    assert_int_equal(parse(Q("filter", "userName eq \"alice@example.com\"", "attributes",
                             "userName,active", "excludedAttributes", "emails", "startIndex",
                             "11", "count", "10"),
                           &l, &err),
                     0);
    assert_string_equal(l.filter, "userName eq \"alice@example.com\"");
    assert_string_equal(l.attributes, "userName,active");
    assert_string_equal(l.excluded_attributes, "emails");
    assert_int_equal(l.start_index, 11);
    assert_int_equal(l.count, 10);

    /* RFC 7644 §3.4.2.4: startIndex < 1 means 1, a negative count means 0; count is capped. */
    expect_page(Q("startIndex", "0"), 1, LISTING_MAX_RESULTS);
    expect_page(Q("startIndex", "-7"), 1, LISTING_MAX_RESULTS);
    expect_page(Q("count", "0"), 1, 0);
    expect_page(Q("count", "-1"), 1, 0);
    expect_page(Q("count", "1000"), 1, 1000);
    expect_page(Q("count", "1001"), 1, 1000);
    expect_page(Q("count", "+5"), 1, 5);
    /* Values beyond 64 bits saturate instead of failing or wrapping. */
    expect_page(Q("startIndex", "99999999999999999999999"), INT32_MAX, LISTING_MAX_RESULTS);
    expect_page(Q("count", "99999999999999999999999"), 1, LISTING_MAX_RESULTS);
    expect_page(Q("count", "-99999999999999999999999"), 1, 0);
    expect_page(Q("startIndex", "-99999999999999999999999"), 1, LISTING_MAX_RESULTS);
}

static void test_parse_refusals(void **state)
{
    (void)state;
    expect_refused(Q("startIndex", "abc"), "startIndex must be an integer, got 'abc'");
    expect_refused(Q("count", ""), "count must be an integer");
    expect_refused(Q("count", "10abc"), "count");
    expect_refused(Q("count", "1.5"), "count");
    expect_refused(Q("count", "0x10"), "count");
    expect_refused(Q("startIndex", "5 "), "startIndex");
    expect_refused(Q("startIndex", "1", "count", "ten"), "'ten'");
    /* A long junk value is quoted only in part. */
    char junk[300];
    memset(junk, 'z', sizeof(junk) - 1);
    junk[sizeof(junk) - 1] = '\0';
    struct listing l;
    struct scim_error err;
    assert_int_equal(parse(Q("count", junk), &l, &err), -1);
    assert_true(strlen(err.detail) < 120);
}

static void test_response(void **state)
{
    (void)state;
    json_t *page = json_pack("[{s:s}, {s:s}]", "id", "a", "id", "b");
    json_t *res = listing_response(page, 57, 11);
    assert_non_null(res);
    json_t *schemas = json_object_get(res, "schemas");
    assert_int_equal(json_array_size(schemas), 1);
    assert_string_equal(json_string_value(json_array_get(schemas, 0)),
                        "urn:ietf:params:scim:api:messages:2.0:ListResponse");
    assert_int_equal(json_integer_value(json_object_get(res, "totalResults")), 57);
    assert_int_equal(json_integer_value(json_object_get(res, "itemsPerPage")), 2);
    assert_int_equal(json_integer_value(json_object_get(res, "startIndex")), 11);
    assert_ptr_equal(json_object_get(res, "Resources"), page); /* stolen, not copied */
    json_decref(res);
    /* An empty page still has Resources: [] (Entra's validator reads it). */
    res = listing_response(json_array(), 0, 1);
    assert_int_equal(json_array_size(json_object_get(res, "Resources")), 0);
    assert_int_equal(json_integer_value(json_object_get(res, "itemsPerPage")), 0);
    json_decref(res);
}

static void test_error_shape(void **state)
{
    (void)state;
    /* RFC 7644 §3.12: schemas, status as a string, scimType when one applies, detail. */
    struct api_response resp;
    memset(&resp, 0, sizeof(resp));
    api_error(&resp, 409, "uniqueness", "userName '%s' is taken", "alice@example.com");
    assert_int_equal(resp.status, 409);
    assert_non_null(resp.json);
    json_t *schemas = json_object_get(resp.json, "schemas");
    assert_string_equal(json_string_value(json_array_get(schemas, 0)),
                        "urn:ietf:params:scim:api:messages:2.0:Error");
    assert_string_equal(json_string_value(json_object_get(resp.json, "status")), "409");
    assert_string_equal(json_string_value(json_object_get(resp.json, "scimType")), "uniqueness");
    assert_string_equal(json_string_value(json_object_get(resp.json, "detail")),
                        "userName 'alice@example.com' is taken");
    /* No scimType for errors without one; replacing an earlier response frees it. */
    api_error(&resp, 404, NULL, "no such user");
    assert_int_equal(resp.status, 404);
    assert_null(json_object_get(resp.json, "scimType"));
    struct scim_error e = { 0 };
    api_error_from(&resp, &e); /* an unset error is a 500, never a 0 */
    assert_int_equal(resp.status, 500);
    assert_string_equal(json_string_value(json_object_get(resp.json, "detail")), "internal error");
    scim_error_set(&e, 507, NULL, "disk full");
    api_error_from(&resp, &e);
    assert_int_equal(resp.status, 507);
    assert_string_equal(json_string_value(json_object_get(resp.json, "status")), "507");
    api_response_reset(&resp);
    assert_null(resp.json);
    assert_int_equal(resp.status, 0);
}

/* Pages through n users with startIndex/count as the IdPs do; returns the ids on the page. */
static void page_of(int n, int64_t start, int64_t count, const char *attrs, char *ids, size_t len,
                    int64_t *total_out, json_t **first_out)
{
    struct listing l = { .start_index = start, .count = count, .attributes = attrs };
    json_t *page = json_array();
    int64_t total = 0;
    for (int i = 1; i <= n; i++) {
        char id[16], name[32];
        snprintf(id, sizeof(id), "u%d", i);
        snprintf(name, sizeof(name), "user%d@example.com", i);
        json_t *res = json_pack("{s:[s], s:s, s:s, s:b, s:{s:s}}", "schemas",
                                "urn:ietf:params:scim:schemas:core:2.0:User", "id", id, "userName",
                                name, "active", 1, "meta", "resourceType", "User");
        listing_add(&l, &scim_rt_user, page, &total, res); /* steals res */
    }
    ids[0] = '\0';
    for (size_t i = 0; i < json_array_size(page); i++) {
        size_t used = strlen(ids);
        snprintf(ids + used, len - used, "%s%s", i ? "," : "",
                 json_string_value(json_object_get(json_array_get(page, i), "id")));
    }
    *total_out = total;
    if (first_out)
        *first_out = json_incref(json_array_get(page, 0));
    json_decref(page);
}

static void test_paging(void **state)
{
    (void)state;
    char ids[256];
    int64_t total;
    page_of(5, 1, 1000, NULL, ids, sizeof(ids), &total, NULL);
    assert_string_equal(ids, "u1,u2,u3,u4,u5");
    assert_int_equal(total, 5);
    /* 1-based startIndex: the page starts at the startIndex-th match. */
    page_of(5, 2, 2, NULL, ids, sizeof(ids), &total, NULL);
    assert_string_equal(ids, "u2,u3");
    assert_int_equal(total, 5); /* totalResults counts every match, not the page */
    page_of(5, 5, 10, NULL, ids, sizeof(ids), &total, NULL);
    assert_string_equal(ids, "u5");
    page_of(5, 6, 10, NULL, ids, sizeof(ids), &total, NULL);
    assert_string_equal(ids, "");
    assert_int_equal(total, 5);
    /* count=0 asks only for totalResults (Okta and Entra probe with it). */
    page_of(5, 1, 0, NULL, ids, sizeof(ids), &total, NULL);
    assert_string_equal(ids, "");
    assert_int_equal(total, 5);
    page_of(0, 1, 100, NULL, ids, sizeof(ids), &total, NULL);
    assert_string_equal(ids, "");
    assert_int_equal(total, 0);
    /* attributes= projects each resource; id is always returned. */
    json_t *first = NULL;
    page_of(3, 1, 1, "userName", ids, sizeof(ids), &total, &first);
    assert_string_equal(ids, "u1");
    assert_non_null(first);
    assert_string_equal(json_string_value(json_object_get(first, "userName")), "user1@example.com");
    assert_null(json_object_get(first, "active"));
    json_decref(first);
}

static void test_json_body(void **state)
{
    (void)state;
    struct api_request req;
    memset(&req, 0, sizeof(req));
    struct scim_error err;
    static const struct {
        const char *body;
        const char *why;
    } bad[] = {
        { "", "empty" },
        { "{\"userName\": ", "invalid JSON" },
        { "{\"userName\":\"a\",\"userName\":\"b\"}", "invalid JSON" }, /* duplicate key */
        { "[{\"userName\":\"a\"}]", "must be a JSON object" },
        { "\"just a string\"", "JSON" },
        { "{\"a\":1} trailing", "invalid JSON" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        req.body = bad[i].body;
        req.body_len = strlen(bad[i].body);
        scim_error_clear(&err);
        json_t *j = api_json_body(&req, &err);
        if (j)
            fail_msg("accepted body '%s'", bad[i].body);
        assert_int_equal(err.status, 400);
        assert_string_equal(err.scim_type, "invalidSyntax");
        if (strstr(err.detail, bad[i].why) == NULL)
            fail_msg("refusal of '%s' says '%s'", bad[i].body, err.detail);
    }
    /* The body is not NUL-terminated by libmicrohttpd: only body_len bytes count. */
    static const char buf[] = "{\"userName\":\"alice\"}GARBAGE";
    req.body = buf;
    req.body_len = strlen("{\"userName\":\"alice\"}");
    json_t *j = api_json_body(&req, &err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "userName")), "alice");
    json_decref(j);
    req.body = NULL;
    req.body_len = 0;
    assert_null(api_json_body(&req, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_defaults_and_values),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_error_shape),
        cmocka_unit_test(test_paging),
        cmocka_unit_test(test_json_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
