/* SPDX-License-Identifier: MIT */
/* The fleet feed document (fleet/feed_doc.c): its exact shape (compact, keys sorted, the bytes
 * that are signed), passwordHash only when shared, malformed JSON columns refused, and built
 * from a real store: a changes document holds each changed entity once in its current state
 * (coalesced), deleted entities in "deleted", and a snapshot only what exists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core_fixture.h"
#include "fleet/feed_doc.h"
#include "store/feed_repo.h"
#include "store/store.h"
#include "store/users_repo.h"

/* The dump with "generated" blanked, which is the clock's. */
static char *dump_fixed(json_t *doc)
{
    json_object_set_new(doc, "generated", json_string("T"));
    return feed_doc_dump(doc);
}

static void test_shape(void **state)
{
    (void)state;
    json_t *doc = feed_doc_new("00112233445566778899aabbccddeeff", 4, 9);
    assert_non_null(doc);
    struct feed_user u = { .id = "u1", .user_name = "alice@example.com", .login = "alice",
                           .gecos = "Alice", .password_hash = "$y$secret", .uid = 1879048200,
                           .password_day = 20000, .active = 1,
                           .roles_json = "[\"developers\"]",
                           .ssh_keys_json = "[\"ssh-ed25519 AAAA c\"]" };
    assert_int_equal(feed_doc_add_user(doc, &u, false), 0);
    struct feed_group g = { .id = "g1", .display_name = "Ops", .name = "ops", .gid = 1880096800 };
    const char *members[] = { "u1" };
    assert_int_equal(feed_doc_add_group(doc, &g, members, 1), 0);
    struct feed_role r = { .name = "developers", .gid = 1880096770 };
    assert_int_equal(feed_doc_add_role(doc, &r), 0);
    assert_int_equal(feed_doc_add_deleted(doc, "user", "u2"), 0);
    char *text = dump_fixed(doc);
    assert_string_equal(
        text,
        "{\"deleted\":[{\"id\":\"u2\",\"kind\":\"user\"}],"
        "\"feed\":\"00112233445566778899aabbccddeeff\",\"from\":4,\"generated\":\"T\","
        "\"groups\":[{\"displayName\":\"Ops\",\"gid\":1880096800,\"id\":\"g1\","
        "\"members\":[\"u1\"],\"name\":\"ops\"}],"
        "\"roles\":[{\"gid\":1880096770,\"name\":\"developers\"}],\"to\":9,\"type\":\"changes\","
        "\"users\":[{\"active\":true,\"gecos\":\"Alice\",\"id\":\"u1\",\"login\":\"alice\","
        "\"passwordDay\":20000,\"passwordHash\":null,\"roles\":[\"developers\"],"
        "\"sshKeys\":[\"ssh-ed25519 AAAA c\"],\"uid\":1879048200,"
        "\"userName\":\"alice@example.com\"}]}");
    free(text);
    json_decref(doc);

    /* A snapshot starts at 0 whatever since said; the hash only when shared. */
    doc = feed_doc_new("00112233445566778899aabbccddeeff", -1, 3);
    assert_int_equal(feed_doc_add_user(doc, &u, true), 0);
    assert_string_equal(json_string_value(json_object_get(doc, "type")), "snapshot");
    assert_int_equal(json_integer_value(json_object_get(doc, "from")), 0);
    json_t *user = json_array_get(json_object_get(doc, "users"), 0);
    assert_string_equal(json_string_value(json_object_get(user, "passwordHash")), "$y$secret");
    json_decref(doc);
}

static void test_malformed_columns(void **state)
{
    (void)state;
    json_t *doc = feed_doc_new("00112233445566778899aabbccddeeff", 0, 1);
    struct feed_user u = { .id = "u1", .user_name = "a", .login = "a", .uid = 1,
                           .roles_json = "[1]", .ssh_keys_json = "[]" };
    assert_int_equal(feed_doc_add_user(doc, &u, false), -1);
    u.roles_json = "{\"a\":1}";
    assert_int_equal(feed_doc_add_user(doc, &u, false), -1);
    u.roles_json = NULL; /* no roles: an empty list */
    u.ssh_keys_json = "not json";
    assert_int_equal(feed_doc_add_user(doc, &u, false), -1);
    /* Nothing half-added. */
    assert_int_equal(json_array_size(json_object_get(doc, "users")), 0);
    json_decref(doc);
}

struct ids {
    char a[SCIM_ID_LEN + 1], b[SCIM_ID_LEN + 1];
};

static int insert_two(struct db *db, void *ctx, struct scim_error *err)
{
    struct ids *ids = ctx;
    if (core_insert_user(db, "alice", 1879048200, true, ids->a, err) < 0)
        return -1;
    return core_insert_user(db, "bob", 1879048201, true, ids->b, err);
}

/* alice changes twice (deactivated, then her gecos), bob is deleted. */
static int change_and_delete(struct db *db, void *ctx, struct scim_error *err)
{
    struct ids *ids = ctx;
    struct user_row u;
    if (users_repo_get(db, ids->a, &u, err) < 0)
        return -1;
    u.active = false;
    u.version++;
    int rc = users_repo_update(db, &u, err);
    u.version++;
    if (rc == 0)
        rc = users_repo_update(db, &u, err);
    user_row_clear(&u);
    return rc < 0 ? -1 : users_repo_delete(db, ids->b, err);
}

static json_t *build(struct store *st, int64_t since, int64_t *max)
{
    struct scim_error e;
    char feed_id[33], err[256];
    struct db *db = store_reader_get(st, &e);
    assert_non_null(db);
    assert_int_equal(store_read_begin(db, &e), 0);
    assert_int_equal(feed_max_seq(db, max), 0);
    assert_int_equal(feed_id_get(db, feed_id), 0);
    json_t *doc = feed_doc_build(db, feed_id, since, *max, false, err, sizeof(err));
    store_reader_put(st, db);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "feed")), feed_id);
    return doc;
}

static void test_from_store(void **state)
{
    (void)state;
    char *dir = core_mkdtemp();
    struct store *st = core_store_open(dir, "scimd.db", false);
    struct scim_error e;
    struct ids ids;
    int64_t after_insert = 0, max = 0;
    assert_int_equal(store_write(st, insert_two, &ids, &e), 0);
    json_decref(build(st, -1, &after_insert));
    assert_true(after_insert >= 2);
    assert_int_equal(store_write(st, change_and_delete, &ids, &e), 0);

    json_t *doc = build(st, after_insert, &max);
    assert_true(max >= after_insert + 3);
    assert_int_equal(json_integer_value(json_object_get(doc, "from")), after_insert);
    assert_int_equal(json_integer_value(json_object_get(doc, "to")), max);
    json_t *users = json_object_get(doc, "users");
    /* Two changes to alice, one entry, in her current state. */
    assert_int_equal(json_array_size(users), 1);
    json_t *alice = json_array_get(users, 0);
    assert_string_equal(json_string_value(json_object_get(alice, "id")), ids.a);
    assert_false(json_is_true(json_object_get(alice, "active")));
    json_t *deleted = json_object_get(doc, "deleted");
    assert_int_equal(json_array_size(deleted), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(deleted, 0), "kind")),
                        "user");
    assert_string_equal(json_string_value(json_object_get(json_array_get(deleted, 0), "id")),
                        ids.b);
    json_decref(doc);

    /* The snapshot: what exists, nothing deleted. */
    doc = build(st, -1, &max);
    assert_string_equal(json_string_value(json_object_get(doc, "type")), "snapshot");
    users = json_object_get(doc, "users");
    assert_int_equal(json_array_size(users), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(users, 0), "id")),
                        ids.a);
    assert_int_equal(json_array_size(json_object_get(doc, "deleted")), 0);
    json_decref(doc);

    /* Nothing after max: an empty changes document. */
    doc = build(st, max, &max);
    assert_int_equal(json_array_size(json_object_get(doc, "users")), 0);
    assert_int_equal(json_array_size(json_object_get(doc, "deleted")), 0);
    json_decref(doc);
    store_close(st);
    core_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_malformed_columns),
        cmocka_unit_test(test_from_store),
    };
    cmocka_set_message_output(CM_OUTPUT_TAP);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
