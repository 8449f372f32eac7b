/* SPDX-License-Identifier: MIT */
/* The users repository (users_repo.c): ids, ETags, the SCIM resource shape, and rows. */
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
#include "store/store.h"
#include "store/users_query.h"
#include "store/users_repo.h"
#include "api/render_resource.h"

#define N_IDS 10000

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_new_id_is_v4_uuid(void **state)
{
    (void)state;
    char (*ids)[SCIM_ID_LEN + 1] = calloc(N_IDS, sizeof(*ids));
    assert_non_null(ids);
    for (size_t i = 0; i < N_IDS; i++) {
        assert_int_equal(users_new_id(ids[i]), 0);
        const char *id = ids[i];
        assert_int_equal(strlen(id), 36);
        for (size_t k = 0; k < 36; k++) {
            if (k == 8 || k == 13 || k == 18 || k == 23)
                assert_int_equal(id[k], '-');
            else if (!((id[k] >= '0' && id[k] <= '9') || (id[k] >= 'a' && id[k] <= 'f')))
                fail_msg("id %s has '%c' at %zu", id, id[k], k);
        }
        assert_int_equal(id[14], '4');                 /* version 4 */
        assert_non_null(memchr("89ab", id[19], 4));    /* RFC 4122 variant */
    }
    qsort(ids, N_IDS, sizeof(*ids), cmp_id);
    for (size_t i = 1; i < N_IDS; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            fail_msg("duplicate id %s", ids[i]);
    /* The random bits are really random: every hex digit shows up in the first position. */
    bool seen[16] = { false };
    for (size_t i = 0; i < N_IDS; i++)
        seen[ids[i][0] <= '9' ? ids[i][0] - '0' : ids[i][0] - 'a' + 10] = true;
    for (int d = 0; d < 16; d++)
        assert_true(seen[d]);
    free(ids);
}

static void fill_row(struct user_row *row, const char *user_name, const char *login, uint32_t uid)
{
    memset(row, 0, sizeof(*row));
    assert_int_equal(users_new_id(row->id), 0);
    row->user_name = strdup(user_name);
    row->login = strdup(login);
    row->active = true;
    row->uid = uid;
    row->version = 3;
    snprintf(row->created, sizeof(row->created), "2026-11-24T01:02:03.004Z");
    snprintf(row->modified, sizeof(row->modified), "2026-11-24T05:06:07.008Z");
    row->password_day = 20000;
    json_error_t jerr;
    row->doc = json_pack_ex(&jerr, 0,
                            "{s:[s], s:s, s:{s:s, s:s}, s:[{s:s, s:s, s:b}], s:b}", "schemas",
                            "urn:ietf:params:scim:schemas:core:2.0:User", "userName", user_name,
                            "name", "givenName", "Alice", "familyName", "Smith", "emails",
                            "value", "alice@example.com", "type", "work", "primary", 1,
                            "active", 1);
    assert_non_null(row->doc);
}

static void test_row_to_resource(void **state)
{
    (void)state;
    struct user_row row;
    fill_row(&row, "Alice@Example.com", "alice", 1879048192u);
    /* Stale id/meta in the stored document must not leak through. */
    json_object_set_new(row.doc, "id", json_string("stale"));
    json_object_set_new(row.doc, "meta", json_pack("{s:s}", "resourceType", "Group"));
    json_t *before = json_deep_copy(row.doc);

    json_t *res = user_row_to_resource(&row, "https://scim.example.com/scim/v2");
    assert_non_null(res);
    assert_string_equal(json_string_value(json_object_get(res, "id")), row.id);
    assert_string_equal(json_string_value(json_object_get(res, "userName")), "Alice@Example.com");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(res, "name"), "familyName")), "Smith");
    assert_true(json_is_array(json_object_get(res, "schemas")));
    json_t *meta = json_object_get(res, "meta");
    assert_true(json_is_object(meta));
    assert_int_equal(json_object_size(meta), 5);
    assert_string_equal(json_string_value(json_object_get(meta, "resourceType")), "User");
    assert_string_equal(json_string_value(json_object_get(meta, "created")),
                        "2026-11-24T01:02:03.004Z");
    assert_string_equal(json_string_value(json_object_get(meta, "lastModified")),
                        "2026-11-24T05:06:07.008Z");
    char want[200];
    snprintf(want, sizeof(want), "https://scim.example.com/scim/v2/Users/%s", row.id);
    assert_string_equal(json_string_value(json_object_get(meta, "location")), want);
    assert_string_equal(json_string_value(json_object_get(meta, "version")), "W/\"3\"");
    /* Nothing internal: no password, uid or login in the SCIM resource. */
    assert_null(json_object_get(res, "password"));
    assert_null(json_object_get(res, "uid"));
    assert_null(json_object_get(res, "login"));
    /* The row's document is not modified (the resource is a copy). */
    assert_true(json_equal(row.doc, before));
    json_object_set_new(res, "userName", json_string("changed"));
    assert_string_equal(json_string_value(json_object_get(row.doc, "userName")),
                        "Alice@Example.com");
    json_decref(res);
    json_decref(before);

    /* A root base path gives /Users/<id>. */
    res = user_row_to_resource(&row, "");
    snprintf(want, sizeof(want), "/Users/%s", row.id);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(res, "meta"), "location")), want);
    json_decref(res);
    user_row_clear(&row);
    assert_null(row.doc);
    assert_null(row.user_name);
}

static void test_name_key(void **state)
{
    (void)state;
    char *k = users_name_key_new("Alice.Smith@Example.COM");
    assert_string_equal(k, "alice.smith@example.com");
    free(k);
    k = users_name_key_new("");
    assert_string_equal(k, "");
    free(k);
}

/* ---- rows in a store ---- */

enum op { INSERT, UPDATE, DELETE };

struct row_op {
    enum op op;
    const struct user_row *row;
};

static int row_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct row_op *o = arg;
    switch (o->op) {
    case INSERT:
        return users_repo_insert(db, o->row, err);
    case UPDATE:
        return users_repo_update(db, o->row, err);
    case DELETE:
        return users_repo_delete(db, o->row->id, err);
    }
    return -1;
}

static int apply(struct store *st, enum op op, const struct user_row *row, struct scim_error *err)
{
    struct row_op o = { op, row };
    scim_error_clear(err);
    return store_write(st, row_fn, &o, err);
}

static int fetch(struct store *st, const char *column, const char *value, struct user_row *out)
{
    struct scim_error err = { 0 };
    enum users_key key = strcmp(column, "login") == 0           ? USERS_KEY_LOGIN
                         : strcmp(column, "user_name_key") == 0 ? USERS_KEY_USER_NAME
                         : strcmp(column, "external_id") == 0   ? USERS_KEY_EXTERNAL_ID
                                                                : USERS_KEY_ID;
    struct db *db = store_reader_get(st, &err);
    assert_non_null(db);
    int r = users_repo_find_by_key(db, key, value, out, &err);
    store_reader_put(st, db);
    if (r < 0)
        fail_msg("users_repo_find_by_key(%s): %s", column, err.detail);
    return r;
}

static void test_rows(void **state)
{
    (void)state;
    char *dir = core_mkdtemp();
    struct store *st = core_store_open(dir, "scimd.db", true);
    struct scim_error err = { 0 };

    struct user_row alice;
    fill_row(&alice, "Alice@Example.com", "alice", 1879048192u);
    alice.external_id = strdup("okta-00u1");
    alice.password_hash = strdup("$y$j9T$salt$hash");
    assert_int_equal(apply(st, INSERT, &alice, &err), 0);

    struct user_row got;
    assert_int_equal(fetch(st, "id", alice.id, &got), 1);
    assert_string_equal(got.id, alice.id);
    assert_string_equal(got.user_name, "Alice@Example.com");
    assert_string_equal(got.login, "alice");
    assert_string_equal(got.external_id, "okta-00u1");
    assert_true(got.active);
    assert_int_equal(got.uid, 1879048192u);
    assert_int_equal(got.version, 3);
    assert_string_equal(got.created, alice.created);
    assert_string_equal(got.modified, alice.modified);
    assert_string_equal(got.password_hash, "$y$j9T$salt$hash");
    assert_int_equal(got.password_day, 20000);
    assert_true(json_equal(got.doc, alice.doc));
    user_row_clear(&got);
    assert_int_equal(fetch(st, "login", "alice", &got), 1);
    user_row_clear(&got);
    assert_int_equal(fetch(st, "user_name_key", "alice@example.com", &got), 1);
    user_row_clear(&got);
    assert_int_equal(fetch(st, "id", "00000000-0000-4000-8000-000000000000", &got), 0);

    /* userName (case-insensitively), login and uid are each unique: 409 uniqueness. */
    struct user_row dup;
    fill_row(&dup, "ALICE@example.COM", "alice2", 1879048193u);
    assert_int_equal(apply(st, INSERT, &dup, &err), -1);
    assert_int_equal(err.status, 409);
    assert_string_equal(err.scim_type, "uniqueness");
    user_row_clear(&dup);
    fill_row(&dup, "other@example.com", "alice", 1879048193u);
    assert_int_equal(apply(st, INSERT, &dup, &err), -1);
    assert_int_equal(err.status, 409);
    user_row_clear(&dup);
    fill_row(&dup, "other@example.com", "other", 1879048192u);
    assert_int_equal(apply(st, INSERT, &dup, &err), -1);
    assert_int_equal(err.status, 409);
    /* The same row with free keys goes in; NULL externalId and password stay NULL. */
    dup.uid = 1879048193u;
    assert_int_equal(apply(st, INSERT, &dup, &err), 0);
    assert_int_equal(fetch(st, "id", dup.id, &got), 1);
    assert_null(got.external_id);
    assert_null(got.password_hash);
    user_row_clear(&got);

    /* Update: a new version and values; the other user's keys are still guarded. */
    alice.version = 4;
    alice.active = false;
    free(alice.user_name);
    alice.user_name = strdup("alice.smith@example.com");
    assert_int_equal(apply(st, UPDATE, &alice, &err), 0);
    assert_int_equal(fetch(st, "id", alice.id, &got), 1);
    assert_int_equal(got.version, 4);
    assert_false(got.active);
    assert_string_equal(got.user_name, "alice.smith@example.com");
    user_row_clear(&got);
    free(alice.login);
    alice.login = strdup("other");
    assert_int_equal(apply(st, UPDATE, &alice, &err), -1);
    assert_int_equal(err.status, 409);

    assert_int_equal(apply(st, DELETE, &alice, &err), 0);
    assert_int_equal(fetch(st, "id", alice.id, &got), 0);
    assert_int_equal(fetch(st, "id", dup.id, &got), 1);
    user_row_clear(&got);

    user_row_clear(&alice);
    user_row_clear(&dup);
    store_close(st);
    core_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_id_is_v4_uuid),
        cmocka_unit_test(test_row_to_resource),
        cmocka_unit_test(test_name_key),
        cmocka_unit_test(test_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
