/* SPDX-License-Identifier: MIT */
/* Follow mode's trust boundary and its store side: the [follow] config rules
 * (follow_config.c), the feed parser a follower runs on a verified document (every hostile
 * field refused) and materialize_apply (snapshot, changes, tombstones, scope, local wins). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "core_fixture.h"
#include "fleet/feed_parse.h"
#include "follow_config.h"
#include "store/materialize.h"
#include "store/store.h"

#define FEED "0123456789abcdef0123456789abcdef"
#define LO 50000u /* uids 50000..50099, gids 51000..51099 */

static char doc_buf[8192];

/* A document with the given type, range and member arrays (JSON text, may be empty). */
static const char *doc(const char *type, int from, int to, const char *users, const char *groups,
                       const char *roles, const char *deleted)
{
    snprintf(doc_buf, sizeof(doc_buf),
             "{\"feed\":\"" FEED "\",\"type\":\"%s\",\"from\":%d,\"to\":%d,"
             "\"generated\":\"2026-12-04T00:00:00Z\",\"users\":[%s],\"groups\":[%s],"
             "\"roles\":[%s],\"deleted\":[%s]}",
             type, from, to, users, groups, roles, deleted);
    return doc_buf;
}

static char user_buf[4][512];
static const char *user(int slot, const char *id, const char *login, long uid, const char *active,
                        const char *roles)
{
    snprintf(user_buf[slot], sizeof(user_buf[slot]),
             "{\"id\":\"%s\",\"userName\":\"%s@example.com\",\"login\":\"%s\",\"uid\":%ld,"
             "\"active\":%s,\"gecos\":\"%s\",\"roles\":[%s],\"sshKeys\":[],"
             "\"passwordHash\":null,\"passwordDay\":20000}",
             id, login, login, uid, active, login, roles);
    return user_buf[slot];
}

static int parse(struct core_ledger_fx *f, const char *body, struct feed_parsed *out, char *err)
{
    return feed_parse(&f->cfg, body, strlen(body), out, err, 256);
}

/* --- feed_parse --- */

static void test_parse_valid(void **state)
{
    struct core_ledger_fx *f = core_ledger_fx_new(LO);
    char users[2048], err[256] = "";
    snprintf(users, sizeof(users), "%s,%s", user(0, "u1", "alice", LO, "true", "\"devs\""),
             user(1, "u2", "bob", LO + 1, "false", ""));
    struct feed_parsed p;
    assert_int_equal(parse(f, doc("snapshot", 0, 7, users,
                                  "{\"id\":\"g1\",\"displayName\":\"Ops\",\"name\":\"ops\","
                                  "\"gid\":51001,\"members\":[\"u1\"]}",
                                  "{\"name\":\"devs\",\"gid\":51000}", ""),
                           &p, err), 0);
    assert_string_equal(p.doc.feed, FEED);
    assert_true(p.doc.snapshot);
    assert_int_equal(p.doc.to, 7);
    assert_int_equal(p.doc.n_users, 2);
    assert_string_equal(p.doc.users[0].login, "alice");
    assert_int_equal(p.doc.users[0].uid, LO);
    assert_true(p.doc.users[0].active);
    assert_false(p.doc.users[1].active);
    assert_int_equal(p.doc.users[0].n_roles, 1);
    assert_int_equal(p.doc.n_groups, 1);
    assert_int_equal(p.doc.groups[0].n_members, 1);
    assert_int_equal(p.doc.roles[0].gid, 51000);
    feed_parsed_free(&p);
    core_ledger_fx_free(f);
}

/* Each document must be refused with a message naming the reason. */
static void refused(struct core_ledger_fx *f, const char *body, const char *why)
{
    struct feed_parsed p;
    char err[256] = "";
    if (parse(f, body, &p, err) == 0)
        fail_msg("accepted: %s", body);
    if (!strstr(err, why))
        fail_msg("refused for '%s', expected '%s': %s", err, why, body);
    assert_null(p.json);
}

static void test_parse_hostile(void **state)
{
    struct core_ledger_fx *f = core_ledger_fx_new(LO);
    char big[1024];
    refused(f, doc("snapshot", 0, 1, user(0, "u1", "alice", 0, "true", ""), "", "", ""), "uid");
    refused(f, doc("snapshot", 0, 1, user(0, "u1", "alice", LO - 1, "true", ""), "", "", ""),
            "uid");
    refused(f, doc("snapshot", 0, 1, user(0, "u1", "alice", LO + 100, "true", ""), "", "", ""),
            "uid");
    refused(f, doc("snapshot", 0, 1, user(0, "u1", "root", LO, "true", ""), "", "", ""),
            "reserved");
    refused(f, doc("snapshot", 0, 1, user(0, "u1", "Alice", LO, "true", ""), "", "", ""),
            "name");
    refused(f, doc("snapshot", 0, 1, user(0, "u1", "alice", LO, "1", ""), "", "", ""),
            "active");
    refused(f, doc("snapshot", 0, 1, user(0, "u1", "alice", LO, "true", "7"), "", "", ""),
            "roles");
    refused(f, doc("snapshot", 0, 1, "", "", "{\"name\":\"wheel\",\"gid\":51000}", ""),
            "reserved");
    refused(f, doc("snapshot", 0, 1, "", "", "{\"name\":\"devs\",\"gid\":0}", ""), "gid");
    refused(f, doc("snapshot", 0, 1, "",
                   "{\"id\":\"g\",\"displayName\":\"x\",\"name\":\"x\",\"gid\":1000,"
                   "\"members\":[]}", "", ""), "gid");
    refused(f, doc("snapshot", 0, 1, "",
                   "{\"id\":\"g\",\"displayName\":\"x\",\"name\":\"sudo\",\"gid\":51000,"
                   "\"members\":[]}", "", ""), "reserved");
    refused(f, doc("snapshot", 3, 5, "", "", "", ""), "range");
    refused(f, doc("changes", 5, 5, "", "", "", ""), "range");
    refused(f, doc("changes", 5, 6, "", "", "", "{\"kind\":\"host\",\"id\":\"x\"}"), "kind");
    refused(f, doc("snapshot", 0, 1, "", "", "", "{\"kind\":\"user\",\"id\":\"x\"}"),
            "deletions");
    refused(f, doc("full", 0, 1, "", "", "", ""), "type");
    refused(f, "{\"feed\":\"" FEED "\",\"feed\":\"" FEED "\",\"type\":\"snapshot\",\"from\":0,"
               "\"to\":1}", "duplicate");
    refused(f, "{\"feed\":\"XYZ\",\"type\":\"snapshot\",\"from\":0,\"to\":1}", "feed id");
    refused(f, "[1]", "object");
    /* a password field that would end the shadow line early */
    snprintf(big, sizeof(big), "%s", user(0, "u1", "alice", LO, "true", ""));
    char *ph = strstr(big, "\"passwordHash\":null");
    assert_non_null(ph);
    memcpy(ph, "\"passwordHash\":\"$:\"", strlen("\"passwordHash\":\"$:\""));
    refused(f, doc("snapshot", 0, 1, big, "", "", ""), "passwordHash");
    core_ledger_fx_free(f);
}

/* --- materialize_apply --- */

struct apply_ctx {
    struct core_ledger_fx *f;
    const char *body;
    struct mat_options opt;
    struct mat_result res;
};

static int apply_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct apply_ctx *c = arg;
    struct feed_parsed p;
    char perr[256];
    if (feed_parse(&c->f->cfg, c->body, strlen(c->body), &p, perr, sizeof(perr)) < 0)
        return scim_error_set(err, 400, NULL, "%s", perr);
    int r = materialize_apply(db, &p.doc, &c->opt, &c->res, err);
    feed_parsed_free(&p);
    return r;
}

static int apply(struct apply_ctx *c, const char *body, struct scim_error *err)
{
    c->body = body;
    scim_error_clear(err);
    return store_write(c->f->st, apply_fn, c, err);
}

static int64_t q(struct core_ledger_fx *f, const char *sql)
{
    return core_query_int(f->st, sql);
}

static const char *snapshot_doc(void)
{
    static char users[2048];
    snprintf(users, sizeof(users), "%s,%s", user(0, "u1", "alice", LO, "true", "\"devs\""),
             user(1, "u2", "bob", LO + 1, "true", ""));
    return doc("snapshot", 0, 10, users,
               "{\"id\":\"g1\",\"displayName\":\"Ops\",\"name\":\"ops\",\"gid\":51001,"
               "\"members\":[\"u2\"]}",
               "{\"name\":\"devs\",\"gid\":51000}", "");
}

static void test_apply_snapshot_then_changes(void **state)
{
    struct core_ledger_fx *f = core_ledger_fx_new(LO);
    struct apply_ctx c = { .f = f };
    struct scim_error err;
    assert_int_equal(apply(&c, snapshot_doc(), &err), 0);
    assert_int_equal(q(f, "SELECT uid FROM users WHERE login = 'alice'"), LO);
    assert_int_equal(q(f, "SELECT uid FROM users WHERE id = 'u2' AND active = 1"), LO + 1);
    assert_int_equal(q(f, "SELECT gid FROM groups WHERE name = 'ops'"), 51001);
    assert_int_equal(q(f, "SELECT gid FROM role_groups WHERE name = 'devs'"), 51000);
    assert_int_equal(q(f, "SELECT count(*) FROM group_members WHERE group_id = 'g1'"), 1);
    assert_int_equal(q(f, "SELECT count(*) FROM id_ledger WHERE id IN (50000, 50001, 51000,"
                          " 51001)"), 4);
    assert_int_equal(q(f, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'follow_seq'"), 10);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE roles = 'devs'"), 1);
    assert_int_equal(q(f, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'uid_hwm'"), LO + 1);
    assert_int_equal(q(f, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'gid_hwm'"), 51001);

    /* alice deactivated, carol new, bob deleted (his uid stays tombstoned) */
    char users[2048];
    snprintf(users, sizeof(users), "%s,%s", user(0, "u1", "alice", LO, "false", "\"devs\""),
             user(1, "u3", "carol", LO + 2, "true", ""));
    assert_int_equal(apply(&c, doc("changes", 10, 12, users, "", "",
                                   "{\"kind\":\"user\",\"id\":\"u2\"}"), &err), 0);
    assert_true(c.res.deactivated_or_removed);
    assert_int_equal(c.res.n_lost, 2); /* alice deactivated, bob deleted */
    assert_int_equal(c.res.lost[0].uid + c.res.lost[1].uid, 2 * LO + 1);
    assert_int_equal(q(f, "SELECT active FROM users WHERE id = 'u1'"), 0);
    /* the update keeps every exported column right (the export refuses a bad login) */
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE id = 'u1' AND login = 'alice' AND"
                          " user_name = 'alice@example.com' AND gecos = 'alice' AND"
                          " roles = 'devs' AND password_day = 20000 AND password_hash IS NULL"), 1);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE id = 'u1' AND deactivated_at IS NOT"
                          " NULL"), 1);
    assert_int_equal(q(f, "SELECT uid FROM users WHERE login = 'carol'"), LO + 2);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE id = 'u2'"), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM group_members"), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM id_ledger WHERE id = 50001 AND released IS NOT"
                          " NULL"), 1);
    assert_int_equal(q(f, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'follow_seq'"), 12);

    /* a hub that hands bob's tombstoned uid to someone new is refused, nothing changes */
    assert_int_equal(apply(&c, doc("changes", 12, 13, user(0, "u9", "dave", LO + 1, "true", ""),
                                   "", "", ""), &err), -1);
    assert_int_equal(err.status, 409);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE login = 'dave'"), 0);
    assert_int_equal(q(f, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'follow_seq'"), 12);

    /* nor may it move a user to another uid */
    assert_int_equal(apply(&c, doc("changes", 12, 13, user(0, "u1", "alice", LO + 5, "true", ""),
                                   "", "", ""), &err), -1);
    assert_int_equal(q(f, "SELECT uid FROM users WHERE id = 'u1'"), LO);

    /* a later snapshot replaces everything: carol is not in it, so she goes */
    assert_int_equal(apply(&c, doc("snapshot", 0, 20, user(0, "u1", "alice", LO, "true", ""), "",
                                   "", ""), &err), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM users"), 1);
    assert_int_equal(q(f, "SELECT count(*) FROM groups"), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM id_ledger WHERE id = 50002 AND released IS NOT"
                          " NULL"), 1);
    materialize_result_free(&c.res);
    core_ledger_fx_free(f);
}

static void test_apply_scope(void **state)
{
    struct core_ledger_fx *f = core_ledger_fx_new(LO);
    static const char *const scope[] = { "Ops" };
    struct apply_ctx c = { .f = f, .opt = { .scope = scope, .n_scope = 1 } };
    struct scim_error err;
    char users[2048];
    snprintf(users, sizeof(users), "%s,%s,%s", user(0, "u1", "alice", LO, "true", ""),
             user(1, "u2", "bob", LO + 1, "true", ""),
             user(2, "u3", "carol", LO + 2, "true", "\"ops\""));
    assert_int_equal(apply(&c, doc("snapshot", 0, 5, users,
                                   "{\"id\":\"g1\",\"displayName\":\"Ops\",\"name\":\"ops\","
                                   "\"gid\":51001,\"members\":[\"u2\"]}", "", ""), &err), 0);
    /* bob by group membership, carol by the role of the same name; alice stays off */
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE id IN ('u2', 'u3')"), 2);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE id = 'u1'"), 0);
    /* bob leaves the group: he goes from this host */
    assert_int_equal(apply(&c, doc("changes", 5, 6, "",
                                   "{\"id\":\"g1\",\"displayName\":\"Ops\",\"name\":\"ops\","
                                   "\"gid\":51001,\"members\":[]}", "", ""), &err), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE id = 'u2'"), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM id_ledger WHERE id = 50001 AND released IS NOT"
                          " NULL"), 1);
    /* and comes back with his own uid, live again in the ledger */
    assert_int_equal(apply(&c, doc("changes", 6, 7, user(0, "u2", "bob", LO + 1, "true", "\"ops\""),
                                   "", "", ""), &err), 0);
    assert_int_equal(q(f, "SELECT uid FROM users WHERE id = 'u2'"), LO + 1);
    assert_int_equal(q(f, "SELECT count(*) FROM id_ledger WHERE id = 50001 AND released IS NULL"),
                     1);
    /* alice joins without a change to herself: only a snapshot can bring her */
    assert_int_equal(apply(&c, doc("changes", 7, 8, "",
                                   "{\"id\":\"g1\",\"displayName\":\"Ops\",\"name\":\"ops\","
                                   "\"gid\":51001,\"members\":[\"u1\"]}", "", ""), &err), 0);
    assert_true(c.res.need_snapshot);
    materialize_result_free(&c.res);
    core_ledger_fx_free(f);
}

static int skip_bob(void *arg, const char *kind, const char *id, const char *name, uint32_t n)
{
    int *mode = arg;
    if (strcmp(name, "bob") != 0)
        return 0;
    return *mode;
}

static void test_apply_local_wins(void **state)
{
    struct core_ledger_fx *f = core_ledger_fx_new(LO);
    int mode = 1;
    struct apply_ctx c = { .f = f, .opt = { .skip = skip_bob, .skip_arg = &mode } };
    struct scim_error err;
    assert_int_equal(apply(&c, snapshot_doc(), &err), 0);
    assert_int_equal(c.res.skipped, 1);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE login = 'bob'"), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE login = 'alice'"), 1);
    /* the host cannot tell: nothing of the batch is applied, the sequence stays */
    mode = -1;
    assert_int_equal(apply(&c, doc("changes", 10, 11, user(0, "u2", "bob", LO + 1, "true", ""),
                                   "", "", ""), &err), -1);
    assert_int_equal(err.status, 503);
    assert_int_equal(q(f, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'follow_seq'"), 10);
    materialize_result_free(&c.res);
    core_ledger_fx_free(f);
}

struct homes {
    int calls;
    bool fail; /* answer NULL, as for want of memory */
};

static char *home_of(const char *login, void *arg)
{
    struct homes *h = arg;
    h->calls++;
    if (h->fail)
        return NULL;
    char *out = malloc(300);
    if (out)
        snprintf(out, 300, "/srv/h/%s", login);
    return out;
}

/* A new user's home is fixed in the row the apply inserts (no second pass over the table), a
 * stored user's is never asked again, whatever its login becomes. */
static void test_apply_homes(void **state)
{
    struct core_ledger_fx *f = core_ledger_fx_new(LO);
    struct homes h = { 0 };
    struct apply_ctx c = { .f = f, .opt = { .home = home_of, .home_arg = &h } };
    struct scim_error err;
    assert_int_equal(apply(&c, snapshot_doc(), &err), 0);
    assert_int_equal(h.calls, 2);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE id = 'u1' AND home = '/srv/h/alice'"),
                     1);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE id = 'u2' AND home = '/srv/h/bob'"), 1);
    /* alice renamed, carol new: only carol is asked */
    char users[2048];
    snprintf(users, sizeof(users), "%s,%s", user(0, "u1", "alice2", LO, "true", ""),
             user(1, "u3", "carol", LO + 2, "true", ""));
    assert_int_equal(apply(&c, doc("changes", 10, 11, users, "", "", ""), &err), 0);
    assert_int_equal(h.calls, 3);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE login = 'alice2' AND"
                          " home = '/srv/h/alice'"), 1);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE id = 'u3' AND home = '/srv/h/carol'"),
                     1);
    /* a snapshot onto the stored users asks only for the one it brings new */
    snprintf(users, sizeof(users), "%s,%s", user(0, "u1", "alice2", LO, "true", ""),
             user(1, "u4", "dave", LO + 3, "true", ""));
    assert_int_equal(apply(&c, doc("snapshot", 0, 12, users, "", "", ""), &err), 0);
    assert_int_equal(h.calls, 4);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE home = '/srv/h/alice' OR"
                          " home = '/srv/h/dave'"), 2);
    /* no home for a new user: nothing of the batch is written */
    h.fail = true;
    assert_int_equal(apply(&c, doc("changes", 12, 13, user(0, "u5", "erin", LO + 4, "true", ""),
                                   "", "", ""), &err), -1);
    assert_int_equal(err.status, 500);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE id = 'u5'"), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM id_ledger WHERE id = 50004"), 0);
    assert_int_equal(q(f, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'follow_seq'"), 12);
    materialize_result_free(&c.res);
    core_ledger_fx_free(f);
}

/* A snapshot's users new to the store are inserted without being read first; one the
 * document names twice is still written once, its later entry updating the earlier, and a
 * later entry that moves its uid is refused, as for a stored user. */
static void test_apply_snapshot_twice_named(void **state)
{
    struct core_ledger_fx *f = core_ledger_fx_new(LO);
    struct apply_ctx c = { .f = f };
    struct scim_error err;
    char users[2048];
    snprintf(users, sizeof(users), "%s,%s", user(0, "u1", "alice", LO, "true", ""),
             user(1, "u1", "alice", LO, "false", "\"devs\""));
    assert_int_equal(apply(&c, doc("snapshot", 0, 3, users, "", "", ""), &err), 0);
    assert_int_equal(c.res.users_applied, 2);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE id = 'u1' AND active = 0 AND"
                          " roles = 'devs' AND version = 2"), 1);
    assert_int_equal(q(f, "SELECT count(*) FROM id_ledger WHERE owner = 'u1'"), 1);
    snprintf(users, sizeof(users), "%s,%s", user(0, "u2", "bob", LO + 1, "true", ""),
             user(1, "u2", "bob", LO + 2, "true", ""));
    assert_int_equal(apply(&c, doc("snapshot", 0, 4, users, "", "", ""), &err), -1);
    assert_int_equal(err.status, 409);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE id = 'u2'"), 0);
    assert_int_equal(q(f, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'follow_seq'"), 3);
    materialize_result_free(&c.res);
    core_ledger_fx_free(f);
}

/* The doc column of user id, a new string. */
static char *stored_doc(struct core_ledger_fx *f, const char *id)
{
    struct scim_error err = { 0 };
    struct db *db = store_reader_get(f->st, &err);
    assert_non_null(db);
    struct db_stmt *s = NULL;
    char *out = NULL;
    assert_int_equal(db_prepare(db, "SELECT doc FROM users WHERE id = ?1", &s), DB_OK);
    db_bind_text(s, 1, id);
    if (db_step(s) == DB_ROW)
        out = strdup(db_column_text(s, 0));
    db_finalize(s);
    store_reader_put(f->st, db);
    assert_non_null(out);
    return out;
}

/* A user's stored document is written directly, not through a jansson tree: it must be
 * byte for byte what json_pack and json_dumps (JSON_COMPACT) made of the same user, for
 * every character that needs escaping, and UTF-8 as it came. */
static void test_apply_user_doc(void **state)
{
    struct core_ledger_fx *f = core_ledger_fx_new(LO);
    struct apply_ctx c = { .f = f };
    struct scim_error err;
    static const char *const names[] = { "a\"b\\c\td\x01" "e\x1f" "/\xc3\xa9\xe2\x82\xac\b\f\r@x",
                                         "plain@example.com" };
    for (int i = 0; i < 2; i++) {
        char users[1024], id[8];
        json_t *name = json_string(names[i]), *role = json_string("r\"\xc3\xa9\x7f\\");
        char *name_json = json_dumps(name, JSON_ENCODE_ANY);
        char *role_json = json_dumps(role, JSON_ENCODE_ANY);
        snprintf(id, sizeof(id), "u\"%d", i);
        snprintf(users, sizeof(users),
                 "{\"id\":\"u\\\"%d\",\"userName\":%s,\"login\":\"eve%d\",\"uid\":%u,"
                 "\"active\":%s,\"gecos\":\"\",\"roles\":[%s%s%s],\"sshKeys\":[],"
                 "\"passwordHash\":null,\"passwordDay\":1}",
                 i, name_json, i, LO + i, i ? "false" : "true", role_json, i ? "" : ",",
                 i ? "" : "\"ops\"");
        assert_int_equal(apply(&c, doc("snapshot", 0, 1 + i, users, "", "", ""), &err), 0);
        json_t *roles = json_array();
        json_array_append_new(roles, json_pack("{s:O}", "value", role));
        if (!i)
            json_array_append_new(roles, json_pack("{s:s}", "value", "ops"));
        json_t *want = json_pack("{s:[s],s:s,s:O,s:b,s:o}", "schemas",
                                 "urn:ietf:params:scim:schemas:core:2.0:User", "id", id,
                                 "userName", name, "active", !i, "roles", roles);
        char *want_text = json_dumps(want, JSON_COMPACT);
        char *got = stored_doc(f, id);
        assert_string_equal(got, want_text);
        free(got);
        free(want_text);
        json_decref(want);
        free(name_json);
        free(role_json);
        json_decref(name);
        json_decref(role);
    }
    materialize_result_free(&c.res);
    core_ledger_fx_free(f);
}

static int fail_closed_fn(struct db *db, void *arg, struct scim_error *err)
{
    return materialize_fail_closed(db, err);
}

/* max_offline: every user inactive until a snapshot brings the hub's state back. */
static void test_fail_closed(void **state)
{
    struct core_ledger_fx *f = core_ledger_fx_new(LO);
    struct apply_ctx c = { .f = f };
    struct scim_error err;
    assert_int_equal(apply(&c, snapshot_doc(), &err), 0);
    assert_int_equal(store_write(f->st, fail_closed_fn, NULL, &err), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE active = 1"), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM meta WHERE key = 'follow_offline'"), 1);
    /* a change set does not lift it (it names only what changed) */
    assert_int_equal(apply(&c, doc("changes", 10, 11, user(0, "u3", "carol", LO + 2, "true", ""),
                                   "", "", ""), &err), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM meta WHERE key = 'follow_offline'"), 1);
    assert_int_equal(apply(&c, snapshot_doc(), &err), 0);
    assert_int_equal(q(f, "SELECT count(*) FROM users WHERE active = 1"), 2);
    assert_int_equal(q(f, "SELECT count(*) FROM meta WHERE key = 'follow_offline'"), 0);
    materialize_result_free(&c.res);
    core_ledger_fx_free(f);
}

/* --- [follow] config rules --- */

static void test_follow_config(void **state)
{
    char err[256];
    char keys[FOLLOW_MAX_HUB_KEYS][FOLLOW_KEY_B64_LEN + 1];
    const char *k = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    assert_int_equal(follow_config_hub_ok("https://hub.example.com", err, sizeof(err)), 0);
    assert_int_equal(follow_config_hub_ok("https://hub.example.com:8443/", err, sizeof(err)), 0);
    assert_int_equal(follow_config_hub_ok("http://127.0.0.1:8080", err, sizeof(err)), 0);
    assert_int_equal(follow_config_hub_ok("http://[::1]:8080", err, sizeof(err)), 0);
    assert_int_equal(follow_config_hub_ok("http://hub.example.com", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "loopback"));
    assert_int_equal(follow_config_hub_ok("http://10.0.0.1", err, sizeof(err)), -1);
    assert_int_equal(follow_config_hub_ok("ftp://hub", err, sizeof(err)), -1);
    assert_int_equal(follow_config_hub_ok("https://user@hub", err, sizeof(err)), -1);
    assert_int_equal(follow_config_hub_ok("https://hub:0", err, sizeof(err)), -1);
    assert_int_equal(follow_config_hub_ok("https://hub/fleet", err, sizeof(err)), -1);
    assert_int_equal(follow_config_hub_ok("https://", err, sizeof(err)), -1);

    char two[256];
    snprintf(two, sizeof(two), "%s, %s", k, k);
    assert_int_equal(follow_config_keys(k, keys, err, sizeof(err)), 1);
    assert_int_equal(follow_config_keys(two, keys, err, sizeof(err)), 2);
    assert_string_equal(keys[1], k);
    snprintf(two, sizeof(two), "%s, %s, %s", k, k, k);
    assert_int_equal(follow_config_keys(two, keys, err, sizeof(err)), -1);
    assert_int_equal(follow_config_keys("", keys, err, sizeof(err)), -1);
    assert_int_equal(follow_config_keys("AAAA", keys, err, sizeof(err)), -1);
    /* 33 bytes */
    assert_int_equal(follow_config_keys("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURoA", keys, err,
                                        sizeof(err)), -1);

    /* token_file must be root's alone */
    char *dir = core_mkdtemp();
    char *path = core_write(dir, "token", "tok\n", 4);
    struct scimd_config cfg;
    scimd_config_init(&cfg);
    cfg.follow_token_file = strdup(path);
    char tok[64];
    chmod(path, 0600);
    assert_int_equal(follow_config_token(&cfg, tok, sizeof(tok), err, sizeof(err)), 0);
    assert_string_equal(tok, "tok");
    chmod(path, 0644);
    assert_int_equal(follow_config_token(&cfg, tok, sizeof(tok), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "root"));

    /* the section as a whole */
    cfg.follow_hub = strdup("https://hub.example.com");
    chmod(path, 0600);
    assert_int_equal(follow_config_check(&cfg, err, sizeof(err)), -1); /* no hub_keys */
    cfg.follow_hub_keys = strdup(k);
    assert_int_equal(follow_config_check(&cfg, err, sizeof(err)), 0);
    cfg.follow_token = strdup("x");
    assert_int_equal(follow_config_check(&cfg, err, sizeof(err)), -1); /* token and token_file */
    free(cfg.follow_token);
    cfg.follow_token = NULL;
    cfg.remove_deactivated_after_days = 30;
    assert_int_equal(follow_config_check(&cfg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "remove_deactivated_after"));
    cfg.remove_deactivated_after_days = 0;
    cfg.follow_feed_id = strdup("ABC");
    assert_int_equal(follow_config_check(&cfg, err, sizeof(err)), -1);
    scimd_config_free(&cfg);
    free(path);
    core_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),
        cmocka_unit_test(test_parse_hostile),
        cmocka_unit_test(test_apply_snapshot_then_changes),
        cmocka_unit_test(test_apply_scope),
        cmocka_unit_test(test_apply_local_wins),
        cmocka_unit_test(test_apply_homes),
        cmocka_unit_test(test_apply_snapshot_twice_named),
        cmocka_unit_test(test_apply_user_doc),
        cmocka_unit_test(test_fail_closed),
        cmocka_unit_test(test_follow_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
