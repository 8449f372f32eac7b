/* SPDX-License-Identifier: MIT */
/* The groups repository (groups_repo.c): rows, all-or-nothing member sets, the SCIM
 * resource with members, a user's "groups" attribute, and cascades on delete. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include "store/db.h"

#include "core_fixture.h"
#include "store/groups_repo.h"
#include "accounts/linux_names.h"
#include "store/store.h"
#include "store/users_repo.h"
#include "api/render_resource.h"

#define BASE "https://scim.example.com/scim/v2"

struct fx {
    char *dir;
    struct store *st;
    char alice[SCIM_ID_LEN + 1], bob[SCIM_ID_LEN + 1];
};

/* Runs one step of a test inside a write. */
typedef int (*step_fn)(struct db *db, struct fx *f, void *arg, struct scim_error *err);

struct step {
    step_fn fn;
    struct fx *f;
    void *arg;
};

static int step_tramp(struct db *db, void *ctx, struct scim_error *err)
{
    struct step *s = ctx;
    return s->fn(db, s->f, s->arg, err);
}

static int in_write(struct fx *f, step_fn fn, void *arg, struct scim_error *err)
{
    struct step s = { fn, f, arg };
    scim_error_clear(err);
    return store_write(f->st, step_tramp, &s, err);
}

static int add_user(struct db *db, char id[SCIM_ID_LEN + 1], const char *login, uint32_t uid,
                    struct scim_error *err)
{
    return core_insert_user(db, login, uid, true, id, err);
}

static int users_step(struct db *db, struct fx *f, void *arg, struct scim_error *err)
{
    (void)arg;
    if (add_user(db, f->alice, "alice", 1700000000u, err) < 0)
        return -1;
    return add_user(db, f->bob, "bob", 1700000001u, err);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = core_mkdtemp();
    f->st = core_store_open(f->dir, "scimd.db", true);
    struct scim_error err;
    if (in_write(f, users_step, NULL, &err) != 0)
        fail_msg("users: %s", err.detail);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->st);
    core_rmdir(f->dir);
    free(f);
    return 0;
}

static void fill_group(struct group_row *g, const char *display, const char *name, uint32_t gid)
{
    memset(g, 0, sizeof(*g));
    assert_int_equal(users_new_id(g->id), 0);
    g->display_name = strdup(display);
    g->name = strdup(name);
    g->gid = gid;
    g->version = 1;
    snprintf(g->created, sizeof(g->created), "2026-11-24T01:00:00.000Z");
    snprintf(g->modified, sizeof(g->modified), "2026-11-24T02:00:00.000Z");
    g->doc = json_pack("{s:[s], s:s}", "schemas", "urn:ietf:params:scim:schemas:core:2.0:Group",
                       "displayName", display);
}

static int insert_step(struct db *db, struct fx *f, void *arg, struct scim_error *err)
{
    (void)f;
    return groups_repo_insert(db, arg, err);
}

static int update_step(struct db *db, struct fx *f, void *arg, struct scim_error *err)
{
    (void)f;
    return groups_repo_update(db, arg, err);
}

struct members_arg {
    const char *group_id;
    json_t *members;
};

static int members_step(struct db *db, struct fx *f, void *arg, struct scim_error *err)
{
    (void)f;
    struct members_arg *m = arg;
    return groups_repo_set_members(db, m->group_id, m->members, err);
}

static int set_members(struct fx *f, const char *group_id, json_t *members, struct scim_error *err)
{
    struct members_arg m = { group_id, members };
    int r = in_write(f, members_step, &m, err);
    json_decref(members);
    return r;
}

static int touch_step(struct db *db, struct fx *f, void *arg, struct scim_error *err)
{
    (void)f;
    return groups_touch_for_user(db, arg, err);
}

static int delete_user_step(struct db *db, struct fx *f, void *arg, struct scim_error *err)
{
    (void)f;
    return users_repo_delete(db, arg, err);
}

static int delete_group_step(struct db *db, struct fx *f, void *arg, struct scim_error *err)
{
    (void)f;
    return groups_repo_delete(db, arg, err);
}

/* Member user ids of a group, sorted, comma-separated. */
static void members_of(struct fx *f, const char *group_id, char *buf, size_t len)
{
    struct scim_error err;
    struct db *db = store_reader_get(f->st, &err);
    json_t *arr = groups_repo_members(db, group_id, &err);
    store_reader_put(f->st, db);
    assert_non_null(arr);
    const char *ids[8];
    size_t n = json_array_size(arr);
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++)
        ids[i] = json_string_value(json_object_get(json_array_get(arr, i), "value"));
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(ids[j - 1], ids[j]) > 0; j--) {
            const char *t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", i ? "," : "", ids[i]);
    }
    json_decref(arr);
}

static void test_rows(void **state)
{
    struct fx *f = *state;
    struct scim_error err;
    struct group_row g, got;
    fill_group(&g, "Linux Admins", "linux-admins", 1700001000u);
    g.external_id = strdup("okta-00g1");
    assert_int_equal(in_write(f, insert_step, &g, &err), 0);
    struct db *db = store_reader_get(f->st, &err);
    assert_int_equal(groups_repo_get(db, g.id, &got, &err), 1);
    assert_string_equal(got.display_name, "Linux Admins");
    assert_string_equal(got.name, "linux-admins");
    assert_string_equal(got.external_id, "okta-00g1");
    assert_int_equal(got.gid, 1700001000u);
    assert_int_equal(got.version, 1);
    assert_true(json_equal(got.doc, g.doc));
    group_row_clear(&got);
    assert_int_equal(groups_repo_get(db, "00000000-0000-4000-8000-000000000000", &got, &err), 0);
    store_reader_put(f->st, db);

    /* The Linux name and the gid are unique; a mapped group (gid 0 = none) can repeat 0. */
    struct group_row dup;
    fill_group(&dup, "Linux Admins 2", "linux-admins", 1700001001u);
    assert_int_equal(in_write(f, insert_step, &dup, &err), -1);
    assert_int_equal(err.status, 409);
    assert_string_equal(err.scim_type, "uniqueness");
    group_row_clear(&dup);
    fill_group(&dup, "Other", "other", 1700001000u);
    assert_int_equal(in_write(f, insert_step, &dup, &err), -1);
    assert_int_equal(err.status, 409);
    group_row_clear(&dup);
    struct group_row m1, m2;
    fill_group(&m1, "Sudoers", "sudoers", 0);
    fill_group(&m2, "Admins EU", "admins-eu", 0);
    assert_int_equal(in_write(f, insert_step, &m1, &err), 0);
    assert_int_equal(in_write(f, insert_step, &m2, &err), 0);
    db = store_reader_get(f->st, &err);
    assert_int_equal(groups_repo_get(db, m1.id, &got, &err), 1);
    assert_int_equal(got.gid, 0);
    group_row_clear(&got);
    store_reader_put(f->st, db);

    /* Rename keeps id and gid. */
    free(g.display_name);
    g.display_name = strdup("Platform Admins");
    free(g.name);
    g.name = strdup("platform-admins");
    g.version = 2;
    assert_int_equal(in_write(f, update_step, &g, &err), 0);
    db = store_reader_get(f->st, &err);
    assert_int_equal(groups_repo_get(db, g.id, &got, &err), 1);
    assert_string_equal(got.name, "platform-admins");
    assert_int_equal(got.gid, 1700001000u);
    assert_int_equal(got.version, 2);
    group_row_clear(&got);
    store_reader_put(f->st, db);
    group_row_clear(&g);
    group_row_clear(&m1);
    group_row_clear(&m2);
}

static void test_members(void **state)
{
    struct fx *f = *state;
    struct scim_error err;
    struct group_row g;
    fill_group(&g, "Developers", "developers", 1700001002u);
    assert_int_equal(in_write(f, insert_step, &g, &err), 0);
    char buf[256], want[256];

    /* Duplicates collapse; "type": "User" (any case) is fine. */
    assert_int_equal(set_members(f, g.id,
                                 json_pack("[{s:s}, {s:s, s:s}, {s:s}]", "value", f->alice, "value",
                                           f->bob, "type", "user", "value", f->alice),
                                 &err),
                     0);
    members_of(f, g.id, buf, sizeof(buf));
    snprintf(want, sizeof(want), "%s,%s", strcmp(f->alice, f->bob) < 0 ? f->alice : f->bob,
             strcmp(f->alice, f->bob) < 0 ? f->bob : f->alice);
    assert_string_equal(buf, want);

    /* All or nothing: one bad member and the set is unchanged. */
    assert_int_equal(set_members(f, g.id,
                                 json_pack("[{s:s}, {s:s}]", "value", f->alice, "value",
                                           "00000000-0000-4000-8000-000000000000"),
                                 &err),
                     -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.scim_type, "invalidValue");
    assert_non_null(strstr(err.detail, "not a known user"));
    members_of(f, g.id, buf, sizeof(buf));
    assert_string_equal(buf, want);
    assert_int_equal(set_members(f, g.id, json_pack("[{s:s, s:s}]", "value", g.id, "type", "Group"),
                                 &err),
                     -1);
    assert_non_null(strstr(err.detail, "nested groups are not supported"));
    assert_int_equal(set_members(f, g.id, json_pack("[{s:i}]", "value", 5), &err), -1);
    assert_non_null(strstr(err.detail, "no string value"));
    members_of(f, g.id, buf, sizeof(buf));
    assert_string_equal(buf, want);

    /* Replacing with one member; then with none. */
    assert_int_equal(set_members(f, g.id, json_pack("[{s:s}]", "value", f->bob), &err), 0);
    members_of(f, g.id, buf, sizeof(buf));
    assert_string_equal(buf, f->bob);
    assert_int_equal(set_members(f, g.id, json_array(), &err), 0);
    members_of(f, g.id, buf, sizeof(buf));
    assert_string_equal(buf, "");
    group_row_clear(&g);
}

static void test_resources(void **state)
{
    struct fx *f = *state;
    struct scim_error err;
    struct group_row g;
    fill_group(&g, "Developers", "developers", 1700001002u);
    g.version = 7;
    assert_int_equal(in_write(f, insert_step, &g, &err), 0);
    assert_int_equal(set_members(f, g.id, json_pack("[{s:s}]", "value", f->alice), &err), 0);

    struct db *db = store_reader_get(f->st, &err);
    json_t *res = group_row_to_resource(db, &g, BASE, true);
    assert_non_null(res);
    assert_string_equal(json_string_value(json_object_get(res, "id")), g.id);
    assert_string_equal(json_string_value(json_object_get(res, "displayName")), "Developers");
    json_t *meta = json_object_get(res, "meta");
    assert_string_equal(json_string_value(json_object_get(meta, "resourceType")), "Group");
    assert_string_equal(json_string_value(json_object_get(meta, "version")), "W/\"7\"");
    char want[256];
    snprintf(want, sizeof(want), BASE "/Groups/%s", g.id);
    assert_string_equal(json_string_value(json_object_get(meta, "location")), want);
    json_t *members = json_object_get(res, "members");
    assert_int_equal(json_array_size(members), 1);
    json_t *m = json_array_get(members, 0);
    assert_string_equal(json_string_value(json_object_get(m, "value")), f->alice);
    snprintf(want, sizeof(want), BASE "/Users/%s", f->alice);
    assert_string_equal(json_string_value(json_object_get(m, "$ref")), want);
    assert_string_equal(json_string_value(json_object_get(m, "display")), "alice@example.com");
    assert_string_equal(json_string_value(json_object_get(m, "type")), "User");
    json_decref(res);
    /* Without members (excludedAttributes=members, the IdPs' usual GET). */
    res = group_row_to_resource(db, &g, BASE, false);
    assert_null(json_object_get(res, "members"));
    json_decref(res);

    /* The user's read-only "groups" attribute; absent for a user in no group. */
    json_t *user = json_object();
    assert_int_equal(users_attach_groups(db, user, f->alice, BASE), 0);
    json_t *groups = json_object_get(user, "groups");
    assert_int_equal(json_array_size(groups), 1);
    json_t *e = json_array_get(groups, 0);
    assert_string_equal(json_string_value(json_object_get(e, "value")), g.id);
    assert_string_equal(json_string_value(json_object_get(e, "display")), "Developers");
    assert_string_equal(json_string_value(json_object_get(e, "type")), "direct");
    snprintf(want, sizeof(want), BASE "/Groups/%s", g.id);
    assert_string_equal(json_string_value(json_object_get(e, "$ref")), want);
    json_decref(user);
    user = json_object();
    assert_int_equal(users_attach_groups(db, user, f->bob, BASE), 0);
    assert_null(json_object_get(user, "groups"));
    json_decref(user);
    store_reader_put(f->st, db);
    group_row_clear(&g);
}

static void test_cascades(void **state)
{
    struct fx *f = *state;
    struct scim_error err;
    struct group_row g1, g2;
    fill_group(&g1, "One", "one", 1700001003u);
    fill_group(&g2, "Two", "two", 1700001004u);
    assert_int_equal(in_write(f, insert_step, &g1, &err), 0);
    assert_int_equal(in_write(f, insert_step, &g2, &err), 0);
    assert_int_equal(set_members(f, g1.id,
                                 json_pack("[{s:s}, {s:s}]", "value", f->alice, "value", f->bob),
                                 &err),
                     0);
    assert_int_equal(set_members(f, g2.id, json_pack("[{s:s}]", "value", f->bob), &err), 0);

    /* Before a user's delete, the groups it leaves get a new version (their ETag changes). */
    assert_int_equal(in_write(f, touch_step, f->bob, &err), 0);
    struct db *db = store_reader_get(f->st, &err);
    struct group_row got;
    assert_int_equal(groups_repo_get(db, g1.id, &got, &err), 1);
    assert_int_equal(got.version, 2);
    group_row_clear(&got);
    assert_int_equal(groups_repo_get(db, g2.id, &got, &err), 1);
    assert_int_equal(got.version, 2);
    group_row_clear(&got);
    store_reader_put(f->st, db);

    /* Deleting a user removes its memberships; deleting a group removes its member rows. */
    assert_int_equal(in_write(f, delete_user_step, f->bob, &err), 0);
    char buf[128];
    members_of(f, g1.id, buf, sizeof(buf));
    assert_string_equal(buf, f->alice);
    members_of(f, g2.id, buf, sizeof(buf));
    assert_string_equal(buf, "");
    assert_int_equal(in_write(f, delete_group_step, g1.id, &err), 0);
    db = store_reader_get(f->st, &err);
    struct db_stmt *s = NULL;
    assert_int_equal(db_prepare(db, "SELECT count(*) FROM group_members", &s),
                     DB_OK);
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_column_int(s, 0), 0);
    db_finalize(s);
    assert_int_equal(groups_repo_get(db, g1.id, &got, &err), 0);
    store_reader_put(f->st, db);
    group_row_clear(&g1);
    group_row_clear(&g2);
}

static int role_group_step(struct db *db, struct fx *f, void *arg, struct scim_error *err)
{
    (void)f;
    (void)arg;
    if (db_exec(db, "INSERT INTO role_groups(name, gid) VALUES('ops', 1700001500)") != DB_OK)
        return scim_error_set(err, 500, NULL, "%s", db_errmsg(db));
    return 0;
}

static void expect_taken(struct db *db, const char *name, const char *self, const char *what)
{
    struct scim_error err = { 0 };
    enum linux_name_owner owner = LINUX_NAME_FREE;
    int r = linux_name_taken_by(db, name, self, &owner, &err);
    const char *by = r == 1 ? linux_name_owner_describe(owner) : NULL;
    if (!what) {
        if (r != 0)
            fail_msg("'%s' reported taken by %s", name, by ? by : "?");
        return;
    }
    if (r != 1)
        fail_msg("'%s' reported free (%d), expected taken by %s", name, r, what);
    assert_non_null(by);
    if (strstr(by, what) == NULL)
        fail_msg("'%s' taken by '%s', expected '%s'", name, by, what);
}

static void test_one_namespace(void **state)
{
    struct fx *f = *state;
    struct scim_error err;
    struct group_row g;
    fill_group(&g, "Developers", "developers", 1700001002u);
    assert_int_equal(in_write(f, insert_step, &g, &err), 0);
    assert_int_equal(in_write(f, role_group_step, NULL, &err), 0);
    struct db *db = store_reader_get(f->st, &err);
    /* Users' logins (their private groups), role groups and SCIM groups share one namespace. */
    expect_taken(db, "alice", NULL, "login name");
    expect_taken(db, "ops", NULL, "role group");
    expect_taken(db, "developers", NULL, "SCIM group");
    /* Renaming a group to its own name is not a clash with itself, but is with another. */
    expect_taken(db, "developers", g.id, NULL);
    expect_taken(db, "developers", "00000000-0000-4000-8000-000000000000", "SCIM group");
    expect_taken(db, "nobody-has-this", NULL, NULL);
    /* Names are stored lower-case; the lookup is exact. */
    expect_taken(db, "Alice", NULL, NULL);
    store_reader_put(f->st, db);
    group_row_clear(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resources, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cascades, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_namespace, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
