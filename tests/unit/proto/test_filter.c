/* SPDX-License-Identifier: MIT */
/* Filter grammar, matching semantics and hostile input. */
#include "proto_test_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "validate.h"

#define ENT SCIM_URN_ENTERPRISE_USER
#define LNX SCIM_URN_LINUX_USER

struct match_case {
    const char *filter;
    bool match;
};

static void run_cases(const struct scim_resource_type *rt, const char *fixture_name,
                      const struct match_case *cases, size_t n)
{
    json_t *res = fixture(fixture_name);
    int failures = 0;

    for (size_t i = 0; i < n; i++) {
        struct scim_error err = {0};
        struct scim_filter *f = scim_filter_parse(cases[i].filter, rt, &err);
        if (!f) {
            print_error("filter %s: parse failed: %s\n", cases[i].filter, err.detail);
            failures++;
            continue;
        }
        if (scim_filter_match(f, res) != cases[i].match) {
            print_error("filter %s: expected %s\n", cases[i].filter,
                        cases[i].match ? "match" : "no match");
            failures++;
        }
        scim_filter_free(f);
    }
    json_decref(res);
    assert_int_equal(failures, 0);
}

static const struct match_case user_cases[] = {
    /* operators and case rules */
    {"userName eq \"bjensen@example.com\"", true},
    {"USERNAME EQ \"BJENSEN@EXAMPLE.COM\"", true},
    {"userName Eq \"bjensen\"", false},
    {"externalId eq \"701984\"", true},
    {"id eq \"2819c223-7f76-453a-919d-413861904646\"", true},
    {"id eq \"2819C223-7F76-453A-919D-413861904646\"", false}, /* id is caseExact */
    {"name.familyName co \"ens\"", true},
    {"name.familyName CO \"ENS\"", true},
    {"name.familyName co \"xyz\"", false},
    {"userName sw \"BJEN\"", true},
    {"userName sw \"jensen\"", false},
    {"userName ew \"EXAMPLE.com\"", true},
    {"userName ew \"example.org\"", false},
    {"userName ne \"someone\"", true},
    {"userName ne \"BJENSEN@example.com\"", false},
    {"userName gt \"a\"", true},
    {"userName lt \"a\"", false},
    {"userName ge \"BJENSEN@EXAMPLE.COM\"", true},
    {"userName le \"bjensen@example.com\"", true},
    {"title pr", true},
    {"x509Certificates pr", false},
    {"name pr", true},
    {"emails pr", true},
    /* RFC 7644 §3.4.2.2 examples */
    {"userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")",
     true},
    {"userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co "
     "\"example.org\")", false},
    {"userType eq \"Employee\" and (emails.type eq \"work\")", true},
    {"userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.com\"]", true},
    {"emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" and value co "
     "\"@foo.com\"]", true},
    {"meta.lastModified gt \"2011-05-13T04:42:34Z\"", false},
    {"meta.lastModified ge \"2011-05-13T04:42:34Z\"", true},
    {"meta.lastModified lt \"2011-05-13T04:42:34Z\"", false},
    {"meta.lastModified le \"2011-05-13T04:42:34Z\"", true},
    {"title pr and userType eq \"Employee\"", true},
    {"title pr or userType eq \"Intern\"", true},
    {"userType eq \"Employee\" and not (title pr)", false},
    /* value paths bind their conditions to one element */
    {"emails[type eq \"work\" and value co \"@jensen.org\"]", false},
    {"emails[type eq \"home\" and value co \"@jensen.org\"]", true},
    {"emails[not (type eq \"work\")]", true},
    {"emails[type eq \"other\" or primary eq true]", true},
    {"addresses[type eq \"work\" and postalCode sw \"916\"]", true},
    {"roles[primary eq \"True\"]", true},
    {"roles[primary eq \"false\"]", false},
    {"roles[type eq \"WindowsAzureActiveDirectoryRole\"]", true},
    {"name[givenName eq \"barbara\"]", true},
    /* attr[filter].sub op value: the sub-attribute of a matching element */
    {"emails[type eq \"work\"].value eq \"BJENSEN@example.com\"", true},
    {"emails[type eq \"work\"].value eq \"babs@jensen.org\"", false},
    {"emails[type eq \"home\"].value ew \"jensen.org\" and userName pr", true},
    {"roles[primary eq \"True\"].value eq \"administrator\"", true},
    {"emails[type eq \"work\"].display pr", false},
    {"name[givenName pr].familyName sw \"jen\"", true},
    /* precedence: not > and > or */
    {"title eq \"x\" and nickName eq \"y\" or userName pr", true},
    {"userName pr or title eq \"x\" and nickName eq \"nope\"", true},
    {"(userName pr or title eq \"x\") and nickName eq \"nope\"", false},
    {"not (userName pr) or title pr", true},
    {"not (userName pr) and title pr", false},
    {"not (not (title pr))", true},
    {"(((userName pr)))", true},
    {"  userName   eq   \"bjensen@example.com\"  ", true},
    {"userName eq \"bjensen@example.com\" and active eq true and not (nickName eq \"x\")", true},
    /* booleans, including Entra's string form */
    {"active eq true", true},
    {"active eq TRUE", true},
    {"active eq \"True\"", true},
    {"active eq false", false},
    {"active ne false", true},
    {"active pr", true},
    /* dateTime compares chronologically, not as text */
    {"meta.lastModified gt \"2011-05-13T06:00:00+02:00\"", true},
    {"meta.lastModified lt \"2011-05-13T04:42:34.001Z\"", true},
    {"meta.created lt \"2011-01-01T00:00:00.5Z\"", true},
    {"meta.created eq \"2010-01-23T05:56:22+01:00\"", true},
    {"meta.created gt \"2010-01-23T04:56:22-00:30\"", false},
    {"meta.created gt \"2010-01-22T24:00:00Z\"", true},
    {"meta.created lt \"2010-01-23T04:56:22.000000001Z\"", true},
    {"meta.created gt \"2010-01-23t04:56:21.999z\"", true},
    {"meta.created ge \"2010-01-23T04:56:22\"", true},
    {"meta.created lt \"2000-02-29T00:00:00Z\"", false},
    /* URN-qualified and extension attributes */
    {ENT ":employeeNumber eq \"701984\"", true},
    {ENT ":manager.value eq \"26118915-6090-4610-87e4-49d8ca9f808d\"", true},
    {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:DEPARTMENT co \"tour\"", true},
    {SCIM_URN_USER ":userName sw \"BJ\"", true},
    {SCIM_URN_USER ":name.givenName eq \"Barbara\"", true},
    {"employeeNumber eq \"701984\"", true},
    {"manager.value pr", true},
    {LNX ":uidNumber gt 1879048199", true},
    {LNX ":uidNumber lt 1879048199", false},
    {"uidNumber eq 1879048200", true},
    {"uidNumber ge 1.8790482e9", true},
    {"uidNumber gt 1879048200.5", false},
    {"gidNumber pr", false},
    {"sshPublicKeys.value sw \"ssh-ed25519 \"", true},
    {"sshPublicKeys.value sw \"SSH-ED25519\"", false}, /* caseExact */
    {"sshPublicKeys[primary eq true and value co \"babs@laptop\"]", true},
    /* multi-valued: any value matches; ne means no value equals */
    {"phoneNumbers.type eq \"mobile\"", true},
    {"emails.value eq \"babs@jensen.org\"", true},
    {"emails.value ne \"babs@jensen.org\"", false},
    {"emails.value ne \"nobody@example.com\"", true},
    {"emails co \"JENSEN.ORG\"", true},
    {"emails eq \"bjensen@example.com\"", true},
    {"groups.display eq \"tour guides\"", true},
    {"meta.resourceType eq \"User\"", true},
    /* null means unassigned */
    {"nickName eq null", false},
    {"userType ne null", true},
    {"x509Certificates eq null", true},
    {"profileUrl ne null", true},
    {"gidNumber eq null", true},
    /* string escapes */
    {"displayName eq \"Babs \\u004aensen\"", true},
    {"displayName eq \"Babs\\u0020Jensen\"", true},
    {"name.formatted eq \"Ms. Barbara J Jensen, III\"", true},
    {"nickName eq \"Babs\\\"\"", false},
    {"title eq \"Tour\\/Guide\"", false},
    /* unquoted values where the grammar leaves no doubt (clients send them) */
    {"userName sw O", false},
    {"userName sw BJEN", true},
    {"userName eq bjensen@example.com", true},
    {"(userName eq bjensen@example.com)", true},
    {"nickName eq babs and title pr", true},
    {"name.familyName eq Jensen and (emails.value co example.com or emails.value co "
     "example.org)", true},
    {"name.familyName eq Employee and (emails.value co example.com or emails.value co "
     "example.org)", false},
    {"meta.created gt 2015-10-10T14:38:21", false},
    {"meta.created gt 2010-01-23T04:56:21", true},
    {"meta.created ge 2010-01-23T04:56:22Z", true},
    {"emails[type eq work and value co @example.com]", true},
    {"emails[type eq home].value ew jensen.org", true},
    {"roles[primary eq True].value eq administrator", true},
    {"userName eq -", false},
    {"userName eq truex", false},
    {"userName ne null", true},
    {"active eq TRUE", true},
    {"(uidNumber eq 1879048200)", true},
};

static void test_user_filters(void **state)
{
    (void)state;
    run_cases(&scim_rt_user, "user_full.json", user_cases,
              sizeof(user_cases) / sizeof(user_cases[0]));
}

static const struct match_case group_cases[] = {
    {"displayName eq \"tour guides\"", true},
    {"displayName eq \"Tour Guides\" and members pr", true},
    {"members[value eq \"2819c223-7f76-453a-919d-413861904646\"]", true},
    {"members[value eq \"2819C223-7F76-453A-919D-413861904646\"]", false},
    {"members.value eq \"902c246b-6245-4190-8e05-00816be7344a\"", true},
    {"members[type eq \"user\" and display sw \"Mandy\"]", true},
    {"members[type eq \"Group\"]", false},
    {"members eq \"902c246b-6245-4190-8e05-00816be7344a\"", true},
    {"externalId eq \"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159\"", true},
    {SCIM_URN_GROUP ":displayName sw \"TOUR\"", true},
    {"meta.resourceType eq \"Group\"", true},
    {"members.$ref pr", false},
    {"members[$ref pr or type eq \"User\"]", true},
    {"members[value eq 2819c223-7f76-453a-919d-413861904646]", true},
    {"members[value eq 2819C223-7F76-453A-919D-413861904646]", false},
    {"displayName sw TOUR and members[display sw Mandy]", true},
};

static void test_group_filters(void **state)
{
    (void)state;
    run_cases(&scim_rt_group, "group_sample.json", group_cases,
              sizeof(group_cases) / sizeof(group_cases[0]));
}

static void expect_invalid(const struct scim_resource_type *rt, const char *text, int *failures)
{
    struct scim_error err = {0};
    struct scim_filter *f = scim_filter_parse(text, rt, &err);

    if (f) {
        print_error("filter %s: accepted but should be invalid\n", text);
        scim_filter_free(f);
        (*failures)++;
        return;
    }
    if (err.status != 400 || !err.scim_type || strcmp(err.scim_type, "invalidFilter") != 0 ||
        strncmp(err.detail, "filter: ", 8) != 0) {
        print_error("filter %s: wrong error %d %s %s\n", text, err.status,
                    err.scim_type ? err.scim_type : "-", err.detail);
        (*failures)++;
    }
}

static const char *const malformed_user[] = {
    "", "   ", "userName", "userName eq", "userName eq \"x", "userName eq \"x\" and",
    "and userName pr", "or userName pr", "userName pr and and title pr", "(userName pr",
    "userName pr)", "((userName pr)", "userName pr))", "()", "( )", "userName xx \"a\"",
    "userName === \"a\"", "userName eq\"a\"\"", "userName eqq \"a\"",
    "nope eq \"a\"", "name.nope eq \"a\"", "emails.value.x eq \"a\"", "userName eq 'x'",
    "userName eq \"a\" garbage", "userName eq \"a\" userName eq \"b\"",
    "userName eq \"\\q\"", "userName eq \"\\u12\"", "userName eq \"\\u12zz\"",
    "userName eq \"\\ud800\"", "userName eq \"\\udc00\"", "userName eq \"\\ud800\\u0041\"",
    "userName eq \"\\u0000\"", "userName eq \"tab\there\"", "userName eq \"a\\\"",
    "active gt true", "active co \"t\"", "active eq 1", "active eq \"yes\"", "active eq null x",
    "x509Certificates.value gt \"a\"", "userName eq 5", "userName eq true", "userName eq True",
    "uidNumber eq \"5\"", "uidNumber co 5", "uidNumber eq 01", "uidNumber eq -", "uidNumber eq 1e",
    "uidNumber eq 1.", "uidNumber eq .5", "uidNumber eq 1e999", "uidNumber eq 12abc",
    "meta.created eq \"yesterday\"", "meta.created sw \"2010\"", "meta.created gt 5",
    "meta.created eq \"2010-02-30T00:00:00Z\"", "meta.created eq \"2010-01-01T00:00:00Q\"",
    "meta.created eq \"2023-02-29T00:00:00Z\"", "meta.created eq \"1900-02-29T00:00:00Z\"",
    "meta.created eq \"2010-01-01T24:00:01Z\"", "meta.created eq \"2010-13-01T00:00:00Z\"",
    "meta.created eq \"2010-01-01T00:00:00.Z\"", "meta.created eq \"2010-01-01T00:00:00+1:00\"",
    "meta.created eq \"2010-01-01 00:00:00Z\"", "meta.created eq \"2010-01-01\"",
    "name eq \"x\"", "name co \"Barbara\"", "emails.value[type eq \"x\"]",
    "emails[type eq \"work\"].value", "emails[type eq \"work\"].nope eq \"x\"",
    "emails[type eq \"work\"].value eq", "emails[type eq \"work\"].value.x eq \"a\"",
    "emails[type eq \"work\"].primary gt true", "emails[type eq \"work\"]. eq \"x\"",
    "emails[type eq \"work\"] eq \"x\"", "emails[value[type eq \"x\"]]", "emails[]",
    "emails[type eq \"work\"", "emails type eq \"work\"]", "userName[type eq \"x\"]",
    "emails[nope eq \"x\"]", "emails[emails.value eq \"x\"]", "not userName pr", "not",
    "not ()", "userName eq \"a\" or (title pr", "userName eq \"a\" )", "userName pr ]",
    "userName eq null and", "userName gt null", "userName co null", "password eq \"secret\"",
    "password pr", SCIM_URN_ENTERPRISE_USER " eq \"x\"", SCIM_URN_ENTERPRISE_USER ":nope pr",
    "urn:bogus:attr eq \"x\"", "members pr", "userName pr or", "userName pr and not",
    "emails[type eq \"work\"]]", "userName\teq", "userName eq \"a\" \x01",
    /* unquoted values that would leave the reader guessing */
    "userName eq and", "userName eq OR", "userName eq not", "userName eq and and title pr",
    "userName eq (x)", "userName eq a(b", "userName eq a[b", "userName eq a\"b",
    "userName eq a\"", "userName eq 'x'", "userName eq a\\b", "userName eq )",
    "userName eq ]", "emails[type eq ]", "userName eq a)b", "userName eq a]b",
    "userName eq a)", "title eq Tour Guide", "userName eq a\x01" "b", "userName eq a\x7f",
    "userName eq \xff", "externalId eq 701984", "userName eq null)",
    "meta.created gt 2015-10-10T14:38:21x", "uidNumber eq 5x", "active eq yes",
    "emails[type eq work", "not (userName eq x",
};

static void test_malformed(void **state)
{
    (void)state;
    int failures = 0;

    for (size_t i = 0; i < sizeof(malformed_user) / sizeof(malformed_user[0]); i++)
        expect_invalid(&scim_rt_user, malformed_user[i], &failures);
    expect_invalid(&scim_rt_group, "userName eq \"x\"", &failures);
    expect_invalid(&scim_rt_group, "employeeNumber eq \"x\"", &failures);
    expect_invalid(&scim_rt_group, "members gt \"x\"x", &failures);
    expect_invalid(&scim_rt_user, NULL, &failures);
    assert_int_equal(failures, 0);
}

static void test_error_names_position(void **state)
{
    (void)state;
    struct scim_error err = {0};
    assert_null(scim_filter_parse("userName eq \"a\" and nope pr", &scim_rt_user, &err));
    assert_scim_error(&err, 400, "invalidFilter");
    assert_non_null(strstr(err.detail, "unknown attribute 'nope'"));
    assert_non_null(strstr(err.detail, "offset 20"));

    assert_null(scim_filter_parse("userName eq \"unterminated", &scim_rt_user, &err));
    assert_non_null(strstr(err.detail, "unterminated string at offset 12"));

    assert_null(scim_filter_parse("userName zz \"a\"", &scim_rt_user, &err));
    assert_non_null(strstr(err.detail, "unknown operator 'zz'"));

    /* refused unquoted values say what to do */
    assert_null(scim_filter_parse("userName eq and", &scim_rt_user, &err));
    assert_non_null(strstr(err.detail, "'and' is a logical operator"));
    assert_non_null(strstr(err.detail, "offset 12"));
    assert_null(scim_filter_parse("userName eq ab(c", &scim_rt_user, &err));
    assert_non_null(strstr(err.detail, "'(' in an unquoted value: put the value in double "
                                       "quotes at offset 14"));
}

static char *repeat_wrap(const char *open, const char *core, const char *close, int n)
{
    size_t len = strlen(core) + (strlen(open) + strlen(close)) * (size_t)n + 1;
    char *s = malloc(len), *p = s;
    assert_non_null(s);
    for (int i = 0; i < n; i++)
        p = stpcpy(p, open);
    p = stpcpy(p, core);
    for (int i = 0; i < n; i++)
        p = stpcpy(p, close);
    return s;
}

static void expect_depth(const char *open, const char *close, int n, bool ok)
{
    struct scim_error err = {0};
    char *text = repeat_wrap(open, "userName pr", close, n);
    struct scim_filter *f = scim_filter_parse(text, &scim_rt_user, &err);
    json_t *res = fixture("user_full.json");

    if (ok) {
        if (!f)
            print_error("depth %d refused: %s\n", n, err.detail);
        assert_non_null(f);
        /* an even number of "not"s cancels out */
        bool want = strncmp(open, "not", 3) != 0 || n % 2 == 0;
        assert_int_equal(scim_filter_match(f, res), want);
    } else {
        assert_null(f);
        assert_scim_error(&err, 400, "invalidFilter");
        assert_non_null(strstr(err.detail, "nesting deeper than"));
    }
    scim_filter_free(f);
    json_decref(res);
    free(text);
}

static void test_depth_bombs(void **state)
{
    (void)state;
    expect_depth("(", ")", SCIM_FILTER_MAX_DEPTH, true);
    expect_depth("(", ")", SCIM_FILTER_MAX_DEPTH + 1, false);
    expect_depth("not (", ")", SCIM_FILTER_MAX_DEPTH, true);
    expect_depth("not (", ")", SCIM_FILTER_MAX_DEPTH - 1, true);
    expect_depth("not(", ")", SCIM_FILTER_MAX_DEPTH + 1, false);
    expect_depth("(", ")", 3000, false);
    /* unbalanced: thousands of '(' and nothing else never recurse past the bound */
    char *open_only = repeat_wrap("(", "", "", 8000);
    struct scim_error err = {0};
    assert_null(scim_filter_parse(open_only, &scim_rt_user, &err));
    assert_scim_error(&err, 400, "invalidFilter");
    free(open_only);
}

static void test_long_chains_and_length(void **state)
{
    (void)state;
    struct scim_error err = {0};
    /* a long flat "or" chain is fine: it is one n-ary node, not a deep tree */
    size_t n = 600;
    char *text = malloc(n * 12 + 32), *p = text;
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        p = stpcpy(p, i ? " or title pr" : "title pr");
    assert_true(strlen(text) <= SCIM_FILTER_MAX_LEN);
    struct scim_filter *f = scim_filter_parse(text, &scim_rt_user, &err);
    assert_non_null(f);
    json_t *res = fixture("user_full.json");
    assert_true(scim_filter_match(f, res));
    scim_filter_free(f);
    json_decref(res);
    free(text);

    char *big = malloc(SCIM_FILTER_MAX_LEN + 64);
    assert_non_null(big);
    memset(big, ' ', SCIM_FILTER_MAX_LEN + 10);
    memcpy(big, "userName pr", 11);
    big[SCIM_FILTER_MAX_LEN + 10] = '\0';
    assert_null(scim_filter_parse(big, &scim_rt_user, &err));
    assert_scim_error(&err, 400, "invalidFilter");
    assert_non_null(strstr(err.detail, "longer than"));
    free(big);
}

static void test_simple_eq(void **state)
{
    (void)state;
    struct scim_error err = {0};
    struct scim_filter *f = scim_filter_parse("userName eq \"Test_User_ab6490ee@contoso.com\"",
                                              &scim_rt_user, &err);
    assert_non_null(f);
    assert_string_equal(scim_filter_simple_eq(f, "userName"), "Test_User_ab6490ee@contoso.com");
    assert_string_equal(scim_filter_simple_eq(f, "USERNAME"), "Test_User_ab6490ee@contoso.com");
    assert_string_equal(scim_filter_simple_eq(f, SCIM_URN_USER ":userName"),
                        "Test_User_ab6490ee@contoso.com");
    assert_null(scim_filter_simple_eq(f, "externalId"));
    assert_null(scim_filter_simple_eq(f, "nope"));
    scim_filter_free(f);

    f = scim_filter_parse(SCIM_URN_USER ":externalId EQ \"00ujl29u0le5T6Aj10h7\"", &scim_rt_user,
                          &err);
    assert_string_equal(scim_filter_simple_eq(f, "externalId"), "00ujl29u0le5T6Aj10h7");
    scim_filter_free(f);

    static const char *const not_simple[] = {
        "userName ne \"x\"", "userName co \"x\"", "userName eq \"x\" and title pr",
        "(userName eq \"x\") or (userName eq \"y\")", "not (userName eq \"x\")", "userName pr",
        "userName eq null",
    };
    for (size_t i = 0; i < sizeof(not_simple) / sizeof(not_simple[0]); i++) {
        f = scim_filter_parse(not_simple[i], &scim_rt_user, &err);
        assert_non_null(f);
        assert_null(scim_filter_simple_eq(f, "userName"));
        scim_filter_free(f);
    }

    f = scim_filter_parse("displayName eq \"Group1DisplayName\"", &scim_rt_group, &err);
    assert_string_equal(scim_filter_simple_eq(f, "displayName"), "Group1DisplayName");
    assert_null(scim_filter_simple_eq(f, "id"));
    scim_filter_free(f);
    f = scim_filter_parse("id eq \"abc\"", &scim_rt_group, &err);
    assert_string_equal(scim_filter_simple_eq(f, "id"), "abc");
    scim_filter_free(f);
    f = scim_filter_parse("members.value eq \"abc\"", &scim_rt_group, &err);
    assert_string_equal(scim_filter_simple_eq(f, "members.value"), "abc");
    assert_null(scim_filter_simple_eq(f, "members"));
    scim_filter_free(f);
}

static void test_element_filters(void **state)
{
    (void)state;
    struct scim_error err = {0};
    const struct scim_attr *emails = scim_attr_resolve(&scim_rt_user, "emails", NULL, NULL);
    const char *text = "type eq \"work\" and primary eq \"True\"";
    struct scim_filter *f = scim_filter_parse_element(text, strlen(text), &scim_rt_user, emails,
                                                      &err);
    assert_non_null(f);
    json_t *el = jparse("{\"type\": \"Work\", \"primary\": true, \"value\": \"a@b\"}");
    assert_true(scim_filter_match_element(f, el));
    json_decref(el);
    el = jparse("{\"type\": \"work\", \"primary\": false}");
    assert_false(scim_filter_match_element(f, el));
    json_decref(el);

    json_t *tmpl = json_object();
    assert_int_equal(scim_filter_element_template(f, tmpl), 0);
    assert_json(tmpl, "{\"type\": \"work\", \"primary\": true}");
    json_decref(tmpl);
    scim_filter_free(f);

    text = "type eq \"work\" or type eq \"home\"";
    f = scim_filter_parse_element(text, strlen(text), &scim_rt_user, emails, &err);
    tmpl = json_object();
    assert_int_equal(scim_filter_element_template(f, tmpl), -1);
    json_decref(tmpl);
    scim_filter_free(f);

    /* outside brackets names are resolved against the element, so "userName" is unknown */
    text = "userName eq \"x\"";
    assert_null(scim_filter_parse_element(text, strlen(text), &scim_rt_user, emails, &err));
    assert_scim_error(&err, 400, "invalidFilter");
    /* only the given length is parsed */
    text = "type eq \"work\"]trailing";
    f = scim_filter_parse_element(text, 14, &scim_rt_user, emails, &err);
    assert_non_null(f);
    scim_filter_free(f);
    assert_null(scim_filter_parse_element(text, 15, &scim_rt_user, emails, &err));
}

static void test_match_robustness(void **state)
{
    (void)state;
    struct scim_error err = {0};
    /* stored values of unexpected shapes never match and never crash */
    json_t *odd = jparse("{\"userName\": 5, \"emails\": \"x\", \"name\": [1], \"active\": \"maybe\","
                         " \"meta\": {\"created\": \"not a date\"}, \"roles\": [null, 3, {}],"
                         " \"" LNX "\": [], \"" ENT "\": {\"manager\": \"id\"}}");
    static const char *const filters[] = {
        "userName eq \"5\"", "emails.value co \"x\"", "name.givenName pr", "active eq true",
        "meta.created gt \"2000-01-01T00:00:00Z\"", "roles[value pr]", "uidNumber gt 1",
        "manager.value eq \"id\"", "emails[type eq \"work\"]",
    };
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        struct scim_filter *f = scim_filter_parse(filters[i], &scim_rt_user, &err);
        assert_non_null(f);
        assert_false(scim_filter_match(f, odd));
        scim_filter_free(f);
    }
    json_decref(odd);
    struct scim_filter *f = scim_filter_parse("userName pr", &scim_rt_user, &err);
    json_t *arr = json_array();
    assert_false(scim_filter_match(f, arr));
    assert_false(scim_filter_match(NULL, arr));
    json_decref(arr);
    scim_filter_free(f);
    scim_filter_free(NULL);
}

/* One parsed filter, one resource, many threads: nothing in the library is shared mutable
 * state, so every thread sees the same answers (run under TSan to check the claim). */
struct thread_job {
    const struct scim_filter *f;
    const json_t *res;
    int matches;
};

static void *match_many(void *arg)
{
    struct thread_job *job = arg;
    for (int i = 0; i < 2000; i++) {
        if (scim_filter_match(job->f, job->res))
            job->matches++;
        json_t *p = scim_resource_project(job->res, &scim_rt_user, "emails.value,name", NULL);
        json_decref(p);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    struct scim_error err = {0};
    json_t *res = fixture("user_full.json");
    struct scim_filter *f = scim_filter_parse(
        "emails[type eq \"work\" and value co \"@EXAMPLE\"] and meta.created lt "
        "\"2011-01-01T00:00:00Z\" and not (title eq \"x\")", &scim_rt_user, &err);
    assert_non_null(f);
    enum { T = 8 };
    pthread_t th[T];
    struct thread_job jobs[T];
    for (int i = 0; i < T; i++) {
        jobs[i] = (struct thread_job){.f = f, .res = res};
        assert_int_equal(pthread_create(&th[i], NULL, match_many, &jobs[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(jobs[i].matches, 2000);
    }
    scim_filter_free(f);
    json_decref(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_filters),
        cmocka_unit_test(test_group_filters),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_error_names_position),
        cmocka_unit_test(test_depth_bombs),
        cmocka_unit_test(test_long_chains_and_length),
        cmocka_unit_test(test_simple_eq),
        cmocka_unit_test(test_element_filters),
        cmocka_unit_test(test_match_robustness),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
