/* SPDX-License-Identifier: MIT */
/* The hub's side of the fleet in the store (docs/architecture.md, fleet): schema v4, the change
 * log every repository write adds to, the feed's reads over it (snapshot, ranges coalesced to
 * the current state, deleted entities, pruning) and the host tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include "store/db.h"

#include "core_fixture.h"
#include "store/db_sqlite.h"
#include "accounts/retention.h"
#include "http/auth.h"
#include "proto/schema.h"
#include "store/feed_repo.h"
#include "store/groups_repo.h"
#include "store/hosts_repo.h"
#include "store/role_groups_repo.h"
#include "store/store.h"
#include "store/store_schema.h"
#include "store/tokens.h"
#include "store/users_repo.h"


static void run(struct core_store_fx *f, store_write_fn fn, void *arg)
{
    struct scim_error err = { 0 };
    if (store_write(f->st, fn, arg, &err) < 0)
        fail_msg("write: %s", err.detail);
}

/* The first column of the first row of sql as text ("" for none or NULL), malloc'd. */
static char *text(struct core_store_fx *f, const char *sql)
{
    struct scim_error e;
    struct db *db = store_reader_get(f->st, &e);
    struct db_stmt *s = NULL;
    assert_non_null(db);
    assert_int_equal(db_prepare(db, sql, &s), DB_OK);
    const char *v = db_step(s) == DB_ROW ? db_column_text(s, 0) : NULL;
    char *out = strdup(v ? v : "");
    db_finalize(s);
    store_reader_put(f->st, db);
    return out;
}

/* The change log after seq `after`, as "kind:entity kind:entity ...". */
static char *log_after(struct core_store_fx *f, int64_t after)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT group_concat(kind || ':' || entity, ' ') FROM (SELECT kind, entity FROM"
             " changes WHERE seq > %lld ORDER BY seq)", (long long)after);
    return text(f, sql);
}

static void assert_log(struct core_store_fx *f, int64_t after, const char *want)
{
    char *got = log_after(f, after);
    if (strcmp(got, want) != 0)
        fail_msg("change log after %lld: got '%s', want '%s'", (long long)after, got, want);
    free(got);
}

static int64_t max_seq(struct core_store_fx *f)
{
    struct scim_error e;
    int64_t v = -1;
    struct db *db = store_reader_get(f->st, &e);
    assert_non_null(db);
    assert_int_equal(feed_max_seq(db, &v), 0);
    store_reader_put(f->st, db);
    return v;
}

/* Users: a login, a uid and an optional display name, role and key, so the feed's derived
 * fields have something to show. */
struct user_arg {
    const char *login;
    uint32_t uid;
    bool active, update;
    char id[SCIM_ID_LEN + 1];
};

static int user_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct user_arg *a = arg;
    struct user_row u;
    memset(&u, 0, sizeof(u));
    if (!a->update)
        assert_int_equal(users_new_id(a->id), 0);
    memcpy(u.id, a->id, sizeof(u.id));
    char name[64], display[64];
    snprintf(name, sizeof(name), "%s@example.com", a->login);
    snprintf(display, sizeof(display), "%s Example", a->login);
    u.user_name = strdup(name);
    u.login = strdup(a->login);
    u.active = a->active;
    u.uid = a->uid;
    u.version = 1;
    snprintf(u.created, sizeof(u.created), "2026-11-24T00:00:00.000Z");
    snprintf(u.modified, sizeof(u.modified), "2026-11-24T00:00:00.000Z");
    u.password_day = 20000;
    u.doc = json_pack("{s:s, s:s, s:[{s:s}], s:{s:[{s:s}]}}", "userName", name, "displayName",
                      display, "roles", "value", "devs", SCIM_URN_LINUX_USER, "sshPublicKeys",
                      "value", "ssh-ed25519 AAAAC3 k");
    int r = a->update ? users_repo_update(db, &u, err) : users_repo_insert(db, &u, err);
    user_row_clear(&u);
    return r;
}

static int user_delete_fn(struct db *db, void *arg, struct scim_error *err)
{
    return users_repo_delete(db, arg, err);
}

/* A role group whose gid is 1880000000 + the length of its name. */
static int role_fn(struct db *db, void *arg, struct scim_error *err)
{
    return role_groups_repo_insert(db, arg, 1880000000 + (uint32_t)strlen(arg), err);
}

struct group_arg {
    const char *name;
    char id[SCIM_ID_LEN + 1];
    bool update;
    json_t *members; /* set_members only, when not NULL (stolen) */
};

static int group_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct group_arg *a = arg;
    if (a->members) {
        int r = groups_repo_set_members(db, a->id, a->members, err);
        json_decref(a->members);
        a->members = NULL;
        return r;
    }
    struct group_row g;
    memset(&g, 0, sizeof(g));
    if (!a->update)
        assert_int_equal(users_new_id(a->id), 0);
    memcpy(g.id, a->id, sizeof(g.id));
    g.display_name = strdup(a->name);
    g.name = strdup(a->name);
    g.gid = 1880001000;
    g.version = 1;
    snprintf(g.created, sizeof(g.created), "2026-11-24T01:00:00.000Z");
    snprintf(g.modified, sizeof(g.modified), "2026-11-24T02:00:00.000Z");
    g.doc = json_pack("{s:s}", "displayName", a->name);
    int r = a->update ? groups_repo_update(db, &g, err) : groups_repo_insert(db, &g, err);
    group_row_clear(&g);
    return r;
}

static int group_delete_fn(struct db *db, void *arg, struct scim_error *err)
{
    return groups_repo_delete(db, arg, err);
}

/* A write that the caller's transaction abandons after the user was written. */
static int user_then_fail_fn(struct db *db, void *arg, struct scim_error *err)
{
    if (user_fn(db, arg, err) < 0)
        fail_msg("insert failed: %s", err->detail);
    return scim_error_set(err, 409, NULL, "abandoned");
}

/* A database made by version 3 gets v4's tables, a random feed id and a floor of 0, keeps its
 * data and writes no backup (v4 alters no table); the feed id then stays what it was. */
static void test_schema_v3_is_upgraded(void **state)
{
    struct core_store_fx *f = *state;
    char err[512] = "";
    struct store *st = NULL;
    char *path = core_path(f->dir, "v3.db");
    assert_int_equal(store_open(&st, path, 100, true, err, sizeof(err)), 0);
    store_close(st);
    struct db *db = NULL;
    assert_non_null(db = core_sqlite_open(path, 0));
    assert_int_equal(db_exec(db, "DROP TABLE changes; DROP TABLE hosts;"
                                  /* v5's column and export index, back to v2's form */
                                  "DROP INDEX users_export; ALTER TABLE users DROP COLUMN home;"
                                  "CREATE INDEX users_export ON users(uid, login, active,"
                                  " password_hash, password_day, gecos, roles, ssh_keys);"
                                  "DELETE FROM meta WHERE key IN ('feed_id', 'changes_floor');"
                                  "DELETE FROM sqlite_sequence WHERE name = 'changes';"
                                  "INSERT INTO meta VALUES('kept', 'yes');"
                                  "PRAGMA user_version = 3;"),
                     DB_OK);
    db_close(db);

    assert_int_equal(store_open(&st, path, 100, true, err, sizeof(err)), 0);
    store_close(st);
    assert_non_null(db = core_sqlite_open(path, 0));
    char id1[33], id2[33];
    int64_t v = -1;
    assert_int_equal(feed_id_get(db, id1), 0);
    assert_int_equal(strlen(id1), 32);
    assert_int_equal(strspn(id1, "0123456789abcdef"), 32);
    assert_int_equal(feed_floor(db, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(feed_max_seq(db, &v), 0);
    assert_int_equal(v, 0);
    struct db_stmt *s = NULL;
    assert_int_equal(db_prepare(db, "SELECT (SELECT count(*) FROM hosts) + (SELECT count(*)"
                                            " FROM changes), (SELECT value FROM meta WHERE key ="
                                            " 'kept')", &s),
                     DB_OK);
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_column_int(s, 0), 0);
    assert_string_equal(db_column_text(s, 1), "yes");
    db_finalize(s);
    store_connection_close(db); /* feed_* keep statements prepared on it */
    /* v4 alone adds only tables and rows; v5 adds a column, so a v3 database is backed up. */
    char *bak = core_path(f->dir, "v3.db.bak-v3");
    struct stat sb;
    assert_int_equal(stat(bak, &sb), 0);
    free(bak);

    /* Reopened: the same feed id (made once, not at every open). */
    assert_int_equal(store_open(&st, path, 100, true, err, sizeof(err)), 0);
    store_close(st);
    assert_non_null(db = core_sqlite_open(path, 0));
    assert_int_equal(feed_id_get(db, id2), 0);
    assert_string_equal(id1, id2);
    store_connection_close(db);
    free(path);

    /* Two stores, two feeds. */
    struct scim_error e;
    struct db *r = store_reader_get(f->st, &e);
    assert_non_null(r);
    assert_int_equal(feed_id_get(r, id2), 0);
    assert_string_not_equal(id1, id2);
    store_reader_put(f->st, r);
}

/* Each kind of write adds its row in the same transaction; a write rolled back adds none. */
static void test_every_write_is_logged(void **state)
{
    struct core_store_fx *f = *state;
    struct user_arg alice = { .login = "alice", .uid = 3100001, .active = true };
    run(f, user_fn, &alice);
    char want[512];
    snprintf(want, sizeof(want), "user:%s", alice.id);
    assert_log(f, 0, want);
    assert_int_equal(max_seq(f), 1);

    alice.update = true;
    alice.active = false;
    run(f, user_fn, &alice);
    assert_log(f, 1, want);

    run(f, role_fn, "devs");
    assert_log(f, 2, "role:devs");

    struct group_arg g = { .name = "ops" };
    run(f, group_fn, &g);
    snprintf(want, sizeof(want), "group:%s", g.id);
    assert_log(f, 3, want);
    g.update = true;
    run(f, group_fn, &g);
    assert_log(f, 4, want);
    g.members = json_pack("[{s:s}]", "value", alice.id);
    run(f, group_fn, &g);
    assert_log(f, 5, want);

    /* Deleting a member changes its groups' member lists too. */
    run(f, user_delete_fn, alice.id);
    snprintf(want, sizeof(want), "group:%s user:%s", g.id, alice.id);
    assert_log(f, 6, want);
    run(f, group_delete_fn, g.id);
    snprintf(want, sizeof(want), "group:%s", g.id);
    assert_log(f, 8, want);
    assert_int_equal(max_seq(f), 9);

    /* Rolled back with the write: no row, and the sequence does not move. */
    struct user_arg bob = { .login = "bob", .uid = 3100002, .active = true };
    struct scim_error err = { 0 };
    assert_int_equal(store_write(f->st, user_then_fail_fn, &bob, &err), -1);
    assert_log(f, 9, "");
    assert_int_equal(max_seq(f), 9);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM users"), 0);
    /* A failed repository write (uid taken) adds none either. */
    struct user_arg carol = { .login = "carol", .uid = 3100009, .active = true };
    run(f, user_fn, &carol);
    struct user_arg dup = { .login = "dave", .uid = 3100009, .active = true };
    assert_int_equal(store_write(f->st, user_fn, &dup, &err), -1);
    assert_int_equal(max_seq(f), 10);
}

/* What the feed callbacks saw, one line each. */
struct seen {
    char buf[2048];
    int stop_at; /* return 7 from the stop_at-th call (1-based), 0: never */
    int calls;
};

static int seen_add(struct seen *s, const char *fmt, ...)
{
    va_list ap;
    size_t n = strlen(s->buf);
    va_start(ap, fmt);
    vsnprintf(s->buf + n, sizeof(s->buf) - n, fmt, ap);
    va_end(ap);
    return ++s->calls == s->stop_at ? 7 : 0;
}

static int on_user(void *arg, const struct feed_user *u)
{
    return seen_add(arg, "user %s %s %s %lld %d %s %s %s %s %lld|", u->id, u->user_name, u->login,
                    (long long)u->uid, u->active, u->gecos, u->roles_json, u->ssh_keys_json,
                    u->password_hash ? u->password_hash : "-", (long long)u->password_day);
}

static int on_group(void *arg, const struct feed_group *g, const char *const *ids, size_t n)
{
    struct seen *s = arg;
    seen_add(s, "group %s %s %s %lld [", g->id, g->display_name, g->name, (long long)g->gid);
    for (size_t i = 0; i < n; i++)
        seen_add(s, "%s%s", i ? " " : "", ids[i]);
    s->calls -= (int)n + 1; /* one call per group */
    return seen_add(s, "]|");
}

static int on_role(void *arg, const struct feed_role *r)
{
    return seen_add(arg, "role %s %lld|", r->name, (long long)r->gid);
}

static int on_deleted(void *arg, const char *kind, const char *id)
{
    return seen_add(arg, "deleted %s %s|", kind, id);
}

static char *feed(struct core_store_fx *f, int64_t since, int64_t upto)
{
    struct scim_error e;
    struct seen s = { .buf = "" };
    struct db *db = store_reader_get(f->st, &e);
    assert_non_null(db);
    assert_int_equal(db_exec(db, "BEGIN"), DB_OK);
    assert_int_equal(feed_each_user(db, since, upto, on_user, &s), 0);
    assert_int_equal(feed_each_group(db, since, upto, on_group, &s), 0);
    assert_int_equal(feed_each_role(db, since, upto, on_role, &s), 0);
    assert_int_equal(feed_each_deleted(db, since, upto, on_deleted, &s), 0);
    db_exec(db, "COMMIT");
    store_reader_put(f->st, db);
    return strdup(s.buf);
}

static void assert_feed(struct core_store_fx *f, int64_t since, int64_t upto, const char *want)
{
    char *got = feed(f, since, upto);
    if (strcmp(got, want) != 0)
        fail_msg("feed (%lld, %lld]:\n got  %s\n want %s", (long long)since, (long long)upto,
                 got, want);
    free(got);
}

/* seq 1 user A, 2 user B, 3 role devs, 4 group G, 5 G's members {A, B}, 6 A deactivated,
 * 7 G (B leaves with its deletion), 8 user B deleted. */
struct history {
    struct user_arg a, b;
    struct group_arg g;
};

static void make_history(struct core_store_fx *f, struct history *h)
{
    h->a = (struct user_arg){ .login = "alice", .uid = 3100001, .active = true };
    h->b = (struct user_arg){ .login = "bob", .uid = 3100002, .active = true };
    h->g = (struct group_arg){ .name = "ops" };
    run(f, user_fn, &h->a);
    run(f, user_fn, &h->b);
    run(f, role_fn, "devs");
    run(f, group_fn, &h->g);
    h->g.members = json_pack("[{s:s}, {s:s}]", "value", h->a.id, "value", h->b.id);
    run(f, group_fn, &h->g);
    h->a.update = true;
    h->a.active = false;
    run(f, user_fn, &h->a);
    run(f, user_delete_fn, h->b.id);
    assert_int_equal(max_seq(f), 8);
}

static void test_feed_snapshot_and_ranges(void **state)
{
    struct core_store_fx *f = *state;
    struct history h;
    char user_a[512], group[256], want[2048];
    const char *role = "role devs 1880000004|";

    assert_feed(f, -1, 0, "");
    make_history(f, &h);
    snprintf(user_a, sizeof(user_a),
             "user %s alice@example.com alice 3100001 0 alice Example [\"devs\"]"
             " [\"ssh-ed25519 AAAAC3 k\"] - 20000|", h.a.id);
    snprintf(group, sizeof(group), "group %s ops ops 1880001000 [%s]|", h.g.id, h.a.id);

    /* The snapshot: every live entity in its current state, nothing deleted. */
    snprintf(want, sizeof(want), "%s%s%s", user_a, group, role);
    assert_feed(f, -1, 8, want);
    /* Since 0: the same, and B deleted. */
    snprintf(want, sizeof(want), "%s%s%sdeleted user %s|", user_a, group, role, h.b.id);
    assert_feed(f, 0, 8, want);
    /* Since 6: A's last change (6) is not after 6; G (7) and B (8) are. */
    snprintf(want, sizeof(want), "%sdeleted user %s|", group, h.b.id);
    assert_feed(f, 6, 8, want);
    /* Up to 5: A (latest 6), G (7) and B (8) wait for the range holding their latest change,
     * so no state is sent twice and none is sent older than it is. */
    assert_feed(f, 0, 5, role);
    assert_feed(f, 2, 3, role);
    assert_feed(f, 8, 8, "");

    /* A non-zero return from a callback stops the walk and is returned. */
    struct scim_error e;
    struct seen s = { .buf = "", .stop_at = 1 };
    struct db *db = store_reader_get(f->st, &e);
    assert_non_null(db);
    assert_int_equal(feed_each_user(db, -1, 8, on_user, &s), 7);
    s.calls = 0;
    assert_int_equal(feed_each_deleted(db, 0, 8, on_deleted, &s), 7);
    s.calls = 0;
    assert_int_equal(feed_each_role(db, -1, 8, on_role, &s), 7);
    store_reader_put(f->st, db);
}

static int prune_fn(struct db *db, void *arg, struct scim_error *err)
{
    long long *n = arg;
    *n = feed_prune(db, "2026-01-01T00:00:00.000Z");
    return *n < 0 ? scim_error_set(err, 500, NULL, "prune") : 0;
}

static int age_fn(struct db *db, void *arg, struct scim_error *err)
{
    (void)err;
    char sql[128];
    snprintf(sql, sizeof(sql), "UPDATE changes SET at = '2025-06-01T00:00:00.000Z' WHERE seq <= %d",
             *(int *)arg);
    return db_exec(db, sql) == DB_OK ? 0 : -1;
}

static int64_t floor_of(struct core_store_fx *f)
{
    struct scim_error e;
    int64_t v = -1;
    struct db *db = store_reader_get(f->st, &e);
    assert_non_null(db);
    assert_int_equal(feed_floor(db, &v), 0);
    store_reader_put(f->st, db);
    return v;
}

/* Pruning deletes what is older than the cutoff and raises the floor to the newest change it
 * deleted; the newest change always stays, and the sequence goes on from it. */
static void test_feed_prune(void **state)
{
    struct core_store_fx *f = *state;
    struct history h;
    long long n[1] = { -1 };
    make_history(f, &h);

    run(f, prune_fn, n); /* nothing is old yet */
    assert_int_equal(n[0], 0);
    assert_int_equal(floor_of(f), 0);

    int upto = 3;
    run(f, age_fn, &upto);
    run(f, prune_fn, n);
    assert_int_equal(n[0], 3);
    assert_int_equal(floor_of(f), 3);
    assert_int_equal(max_seq(f), 8);
    assert_int_equal(core_query_int(f->st, "SELECT min(seq) FROM changes"), 4);

    upto = 8;
    run(f, age_fn, &upto);
    run(f, prune_fn, n);
    assert_int_equal(n[0], 4);
    assert_int_equal(floor_of(f), 7);
    assert_int_equal(max_seq(f), 8);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM changes WHERE seq = 8"), 1);
    run(f, prune_fn, n);
    assert_int_equal(n[0], 0);
    assert_int_equal(floor_of(f), 7);
    /* The next change continues the sequence. */
    run(f, role_fn, "later");
    assert_int_equal(max_seq(f), 9);
    assert_feed(f, 8, 9, "role later 1880000005|");
}

/* The hourly sweep's pruning ([fleet] retention_days): nothing within the window goes; past
 * it, everything but the newest change. */
static void test_retention_prunes_changes(void **state)
{
    struct core_store_fx *f = *state;
    struct history h;
    char err[512] = "";
    make_history(f, &h);
    time_t now = time(NULL);
    assert_int_equal(retention_prune_changes(f->st, 7, now, err, sizeof(err)), 0);
    assert_int_equal(retention_prune_changes(f->st, 7, now + 6 * 86400, err, sizeof(err)), 0);
    assert_int_equal(floor_of(f), 0);
    assert_int_equal(retention_prune_changes(f->st, 7, now + 8 * 86400, err, sizeof(err)), 7);
    assert_int_equal(floor_of(f), 7);
    assert_int_equal(max_seq(f), 8);
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM changes"), 1);
}

struct host_arg {
    const char *name;
    char id[HOST_ID_LEN + 1];
    char bearer[HOST_BEARER_LEN];
    char err[256];
    int ret;
};

static int host_add_fn(struct db *db, void *arg, struct scim_error *err)
{
    (void)err;
    struct host_arg *a = arg;
    a->ret = hosts_create(db, a->name, a->id, a->bearer, a->err, sizeof(a->err));
    return 0;
}

static int host_auth(struct core_store_fx *f, const char *bearer, char id[HOST_ID_LEN + 1])
{
    struct scim_error e;
    struct db *db = store_reader_get(f->st, &e);
    assert_non_null(db);
    int r = hosts_authenticate(db, bearer, id);
    store_reader_put(f->st, db);
    return r;
}

struct host_op {
    const char *id;
    const char *text;
    int64_t seq;
    int which; /* 0 seen, 1 conflicts, 2 revoke */
    int ret;
};

static int host_op_fn(struct db *db, void *arg, struct scim_error *err)
{
    (void)err;
    struct host_op *o = arg;
    o->ret = o->which == 0   ? hosts_seen(db, o->id, o->seq)
             : o->which == 1 ? hosts_set_conflicts(db, o->id, o->text)
                             : hosts_revoke(db, o->id);
    return 0;
}

static int on_host(void *arg, const struct host_row *h)
{
    return seen_add(arg, "%s %s %s %lld %s %s|", h->id, h->name, h->revoked ? "revoked" : "live",
                    (long long)h->seq_reached, h->last_seen ? "seen" : "never",
                    h->conflicts ? h->conflicts : "-");
}

static char *host_list(struct core_store_fx *f)
{
    struct scim_error e;
    struct seen s = { .buf = "" };
    struct db *db = store_reader_get(f->st, &e);
    assert_non_null(db);
    assert_int_equal(hosts_each(db, on_host, &s), 0);
    store_reader_put(f->st, db);
    return strdup(s.buf);
}

static void test_hosts(void **state)
{
    struct core_store_fx *f = *state;
    struct host_arg web = { .name = "web-01" }, db1 = { .name = "db-01" };
    char id[HOST_ID_LEN + 1];
    run(f, host_add_fn, &web);
    assert_int_equal(web.ret, 0);
    run(f, host_add_fn, &db1);
    assert_int_equal(db1.ret, 0);
    assert_int_equal(strlen(web.id), HOST_ID_LEN);
    assert_string_not_equal(web.id, db1.id);
    /* Only the HMAC of the key is stored. */
    char *stored = text(f, "SELECT hex(key_hmac) FROM hosts WHERE name = 'web-01'");
    assert_int_equal(strlen(stored), 64);
    free(stored);

    assert_int_equal(host_auth(f, web.bearer, id), 0);
    assert_string_equal(id, web.id);
    assert_int_equal(host_auth(f, db1.bearer, id), 0);
    assert_string_equal(id, db1.id);

    /* Wrong key, unknown id, not base64, nothing. */
    char bad[HOST_BEARER_LEN];
    snprintf(bad, sizeof(bad), "%s", web.bearer);
    bad[strlen(bad) - 3] = bad[strlen(bad) - 3] == 'A' ? 'B' : 'A';
    assert_int_equal(host_auth(f, bad, id), -1);
    assert_int_equal(host_auth(f, "YWJjZGVmZ2hpamttbnBxcjpub3BlCg==", id), -1);
    assert_int_equal(host_auth(f, "!!!", id), -1);
    assert_int_equal(host_auth(f, "", id), -1);
    assert_int_equal(host_auth(f, NULL, id), -1);

    /* A taken name and bad names: refused, nothing added. */
    struct host_arg again = { .name = "web-01" };
    run(f, host_add_fn, &again);
    assert_int_equal(again.ret, -1);
    assert_non_null(strstr(again.err, "already exists"));
    const char *bad_names[] = { "", "two words", "tab\there", "line\n",
                                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        struct host_arg b = { .name = bad_names[i] };
        run(f, host_add_fn, &b);
        assert_int_equal(b.ret, -1);
        assert_non_null(strstr(b.err, "host name"));
    }
    assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM hosts"), 2);

    /* What a request records, and a report. */
    struct host_op op = { .id = web.id, .seq = 42, .which = 0 };
    run(f, host_op_fn, &op);
    assert_int_equal(op.ret, 0);
    op = (struct host_op){ .id = web.id, .text = "[{\"kind\":\"user\"}]", .which = 1 };
    run(f, host_op_fn, &op);
    assert_int_equal(op.ret, 0);
    char want[512], *got = host_list(f);
    snprintf(want, sizeof(want), "%s web-01 live 42 seen [{\"kind\":\"user\"}]|%s db-01 live 0 never -|",
             web.id, db1.id);
    assert_string_equal(got, want);
    free(got);
    op = (struct host_op){ .id = web.id, .text = NULL, .which = 1 };
    run(f, host_op_fn, &op);

    /* Revoked by name, then by id; a second revoke and an unknown host change nothing. */
    op = (struct host_op){ .id = "web-01", .which = 2 };
    run(f, host_op_fn, &op);
    assert_int_equal(op.ret, 1);
    assert_int_equal(host_auth(f, web.bearer, id), -1);
    assert_int_equal(host_auth(f, db1.bearer, id), 0);
    run(f, host_op_fn, &op);
    assert_int_equal(op.ret, 0);
    op = (struct host_op){ .id = db1.id, .which = 2 };
    run(f, host_op_fn, &op);
    assert_int_equal(op.ret, 1);
    assert_int_equal(host_auth(f, db1.bearer, id), -1);
    op = (struct host_op){ .id = "nosuch", .which = 2 };
    run(f, host_op_fn, &op);
    assert_int_equal(op.ret, 0);
    got = host_list(f);
    snprintf(want, sizeof(want), "%s web-01 revoked 42 seen -|%s db-01 revoked 0 never -|", web.id,
             db1.id);
    assert_string_equal(got, want);
    free(got);
}

/* A SCIM token's bearer does not authenticate as a host, and a host's bearer does not
 * authenticate as a SCIM client. */
static void test_host_and_scim_tokens_are_apart(void **state)
{
    struct core_store_fx *f = *state;
    struct token_secret scim;
    char err[512] = "", id[HOST_ID_LEN + 1], tid[TOKEN_ID_LEN + 1], header[256];
    const char *why = NULL;
    assert_int_equal(tokens_create(f->st, "okta", &scim, err, sizeof(err)), 0);
    struct host_arg web = { .name = "web-01" };
    run(f, host_add_fn, &web);
    assert_int_equal(web.ret, 0);

    assert_int_equal(host_auth(f, web.bearer, id), 0);
    assert_int_equal(host_auth(f, scim.bearer, id), -1);

    struct auth *a = NULL;
    assert_int_equal(auth_open(&a, f->st, err, sizeof(err)), 0);
    snprintf(header, sizeof(header), "Bearer %s", scim.bearer);
    assert_int_equal(auth_verify(a, header, tid, &why), 0);
    snprintf(header, sizeof(header), "Bearer %s", web.bearer);
    assert_int_equal(auth_verify(a, header, tid, &why), -1);
    auth_free(a);
}

#define STORE_TEST(fn) \
    cmocka_unit_test_setup_teardown(fn, core_store_fx_setup, core_store_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        STORE_TEST(test_schema_v3_is_upgraded),
        STORE_TEST(test_every_write_is_logged),
        STORE_TEST(test_feed_snapshot_and_ranges),
        STORE_TEST(test_feed_prune),
        STORE_TEST(test_retention_prunes_changes),
        STORE_TEST(test_hosts),
        STORE_TEST(test_host_and_scim_tokens_are_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
