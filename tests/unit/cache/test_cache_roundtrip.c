/* SPDX-License-Identifier: MIT */
/* Writer -> reader round trips: everything the exporter puts in comes back out. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache_fixture.h"
#include "scim_cache.h"

struct fx {
    char *dir, *nss, *shadow;
    struct scim_cache c, s;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char err[256] = "";
    f->dir = fx_mkdtemp();
    f->nss = fx_path(f->dir, "nss.cache");
    f->shadow = fx_path(f->dir, "shadow.cache");
    int rc = scim_cache_write(f->nss, f->shadow, fx_snapshot(), err, sizeof(err));
    if (rc != 0)
        fail_msg("write: %s", err);
    assert_int_equal(scim_cache_open(&f->c, f->nss, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), 0);
    assert_int_equal(scim_cache_open(&f->s, f->shadow, SCIM_CACHE_FILE_SHADOW, 0, err, sizeof(err)), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    scim_cache_close(&f->c);
    scim_cache_close(&f->s);
    fx_rmdir(f->dir);
    free(f->nss);
    free(f->shadow);
    free(f);
    return 0;
}

static void test_header_fields(void **state)
{
    struct fx *f = *state;
    assert_int_equal(scim_cache_generation(&f->c), 42);
    assert_int_equal(scim_cache_uid_hwm(&f->c), 1879048300u);
    assert_int_equal(scim_cache_created(&f->c), 1700000000);
    assert_int_equal(scim_cache_generation(&f->s), 42);
    assert_false(scim_cache_superseded(&f->c));
    assert_false(scim_cache_stale(&f->c, f->nss));
    assert_int_equal(scim_cache_user_count(&f->c), 3);
    assert_int_equal(scim_cache_group_count(&f->c), 6); /* 3 private + 3 */
    assert_int_equal(scim_cache_shadow_count(&f->s), 3);
}

static void test_users(void **state)
{
    struct fx *f = *state;
    struct scim_cache_user_view u, v;
    assert_int_equal(scim_cache_user_by_name(&f->c, "alice", &u), 0);
    assert_string_equal(u.name, "alice");
    assert_int_equal(u.uid, FX_UID_ALICE);
    assert_int_equal(u.gid, FX_UID_ALICE);
    assert_string_equal(u.gecos, FX_GECOS_ALICE);
    assert_int_equal(u.gecos_len, strlen(FX_GECOS_ALICE));
    assert_string_equal(u.home, "/home/alice");
    assert_string_equal(u.shell, "/bin/bash");
    assert_true(u.active);
    assert_int_equal(scim_cache_user_by_uid(&f->c, FX_UID_ALICE, &v), 0);
    assert_int_equal(v.index, u.index);

    assert_int_equal(scim_cache_user_by_name(&f->c, "bob", &u), 0);
    assert_false(u.active);
    assert_string_equal(u.gecos, "");
    assert_int_equal(u.n_gids, 1);
    assert_int_equal(u.gids[0], FX_GID_OPS);

    assert_int_equal(scim_cache_user_by_name(&f->c, FX_NAME_CAROL, &u), 0);
    assert_int_equal(u.uid, FX_UID_CAROL);
    assert_true(scim_cache_has_user(&f->c, FX_NAME_CAROL));
    assert_true(scim_cache_has_uid(&f->c, FX_UID_BOB));
}

static void test_user_misses(void **state)
{
    struct fx *f = *state;
    struct scim_cache_user_view u;
    const char *misses[] = {"Alice", "alic", "alice ", "root", "", "ops", "sudo"};
    for (size_t i = 0; i < sizeof(misses) / sizeof(misses[0]); i++)
        assert_int_equal(scim_cache_user_by_name(&f->c, misses[i], &u), -ENOENT);
    assert_int_equal(scim_cache_user_by_name(&f->c, NULL, &u), -ENOENT);
    assert_int_equal(scim_cache_user_by_uid(&f->c, 0, &u), -ENOENT);
    assert_int_equal(scim_cache_user_by_uid(&f->c, FX_GID_OPS, &u), -ENOENT);
    assert_int_equal(scim_cache_user_at(&f->c, 3, &u), -ENOENT);
    assert_false(scim_cache_has_user(&f->c, "mallory"));
    assert_false(scim_cache_has_uid(&f->c, 1000));
}

static void test_initgroups_list(void **state)
{
    struct fx *f = *state;
    struct scim_cache_user_view u;
    assert_int_equal(scim_cache_user_by_name(&f->c, "alice", &u), 0);
    /* sorted, mapped local gid included, own gid not */
    assert_int_equal(u.n_gids, 3);
    assert_int_equal(u.gids[0], FX_GID_SUDO);
    assert_int_equal(u.gids[1], FX_GID_OPS);
    assert_int_equal(u.gids[2], FX_GID_DEVS);
}

static void test_ssh_keys(void **state)
{
    struct fx *f = *state;
    struct scim_cache_user_view u;
    const char *key;
    uint32_t pos = 0, len;
    assert_int_equal(scim_cache_user_by_name(&f->c, "alice", &u), 0);
    assert_true(scim_cache_ssh_key_next(&u, &pos, &key, &len));
    assert_int_equal(len, strlen(FX_KEY1));
    assert_memory_equal(key, FX_KEY1, len);
    assert_true(scim_cache_ssh_key_next(&u, &pos, &key, &len));
    assert_int_equal(len, strlen(FX_KEY2));
    assert_memory_equal(key, FX_KEY2, len);
    assert_false(scim_cache_ssh_key_next(&u, &pos, &key, &len));
    pos = 0;
    assert_int_equal(scim_cache_user_by_name(&f->c, "bob", &u), 0);
    assert_false(scim_cache_ssh_key_next(&u, &pos, &key, &len));
}

struct members {
    char names[8][80];
    int n;
};

static int collect(void *ctx, const char *name, uint32_t len)
{
    struct members *m = ctx;
    assert_true(len < sizeof(m->names[0]) && m->n < 8);
    memcpy(m->names[m->n], name, len);
    m->names[m->n++][len] = '\0';
    return 0;
}

static void test_groups(void **state)
{
    struct fx *f = *state;
    struct scim_cache_group_view g;
    struct members m = {0};
    assert_int_equal(scim_cache_group_by_name(&f->c, "ops", &g), 0);
    assert_int_equal(g.gid, FX_GID_OPS);
    assert_int_equal(g.kind, SCIM_GROUP_ROLE);
    assert_int_equal(scim_cache_group_members(&f->c, &g, collect, &m), 0);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.names[0], "alice");
    assert_string_equal(m.names[1], "bob");

    memset(&m, 0, sizeof(m));
    assert_int_equal(scim_cache_group_by_gid(&f->c, FX_GID_DEVS, &g), 0);
    assert_string_equal(g.name, "developers");
    assert_int_equal(g.kind, SCIM_GROUP_SCIM);
    assert_int_equal(scim_cache_group_members(&f->c, &g, collect, &m), 0);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.names[0], FX_NAME_CAROL);
    assert_string_equal(m.names[1], "alice");

    /* private group of each user */
    assert_int_equal(scim_cache_group_by_gid(&f->c, FX_UID_BOB, &g), 0);
    assert_string_equal(g.name, "bob");
    assert_int_equal(g.kind, SCIM_GROUP_PRIVATE);
    assert_int_equal(g.n_members, 0);
}

static void test_mapped_group(void **state)
{
    struct fx *f = *state;
    struct scim_cache_group_view g;
    struct members m = {0};
    assert_int_equal(scim_cache_group_by_name(&f->c, "sudo", &g), 0);
    assert_int_equal(g.gid, FX_GID_SUDO);
    assert_int_equal(g.kind, SCIM_GROUP_MAPPED_LOCAL);
    assert_int_equal(scim_cache_group_members(&f->c, &g, collect, &m), 0);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.names[0], "alice");
    /* never by gid: 27 belongs to the local group */
    assert_int_equal(scim_cache_group_by_gid(&f->c, FX_GID_SUDO, &g), -ENOENT);
    assert_int_equal(scim_cache_group_by_gid(&f->c, 0, &g), -ENOENT);
}

static int stop_after_one(void *ctx, const char *name, uint32_t len)
{
    (void)name;
    (void)len;
    return ++*(int *)ctx == 1 ? 7 : 0;
}

static void test_member_callback_stops(void **state)
{
    struct fx *f = *state;
    struct scim_cache_group_view g;
    int calls = 0;
    assert_int_equal(scim_cache_group_by_name(&f->c, "ops", &g), 0);
    assert_int_equal(scim_cache_group_members(&f->c, &g, stop_after_one, &calls), 7);
    assert_int_equal(calls, 1);
}

static void test_enumeration(void **state)
{
    struct fx *f = *state;
    struct scim_cache_user_view u;
    struct scim_cache_group_view g;
    const char *users[] = {"alice", "bob", FX_NAME_CAROL};
    const char *groups[] = {"alice", "bob", FX_NAME_CAROL, "ops", "developers", "sudo"};
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(scim_cache_user_at(&f->c, i, &u), 0);
        assert_string_equal(u.name, users[i]);
    }
    for (uint32_t i = 0; i < 6; i++) {
        assert_int_equal(scim_cache_group_at(&f->c, i, &g), 0);
        assert_string_equal(g.name, groups[i]);
    }
    assert_int_equal(scim_cache_group_at(&f->c, 6, &g), -ENOENT);
}

static void test_shadow(void **state)
{
    struct fx *f = *state;
    struct scim_cache_shadow_view s;
    assert_int_equal(scim_cache_shadow_by_name(&f->s, "alice", &s), 0);
    assert_string_equal(s.passwd, FX_HASH_ALICE);
    assert_int_equal(s.lstchg, 19700);
    assert_int_equal(s.expire, -1);
    assert_int_equal(s.min, -1);
    assert_int_equal(s.max, -1);
    assert_int_equal(s.warn, -1);
    assert_int_equal(s.inact, -1);
    assert_true(s.active);
    assert_int_equal(scim_cache_shadow_by_name(&f->s, "bob", &s), 0);
    assert_string_equal(s.passwd, "!*"); /* deactivated, no hash: locked */
    assert_int_equal(s.expire, 1);
    assert_false(s.active);
    assert_int_equal(scim_cache_shadow_by_name(&f->s, FX_NAME_CAROL, &s), 0);
    assert_string_equal(s.passwd, "*");
    assert_int_equal(s.lstchg, 1);
    assert_int_equal(scim_cache_shadow_by_name(&f->s, "root", &s), -ENOENT);
    assert_int_equal(scim_cache_shadow_at(&f->s, 1, &s), 0);
    assert_string_equal(s.name, "bob");
    /* a file of the other kind answers nothing */
    assert_int_equal(scim_cache_shadow_by_name(&f->c, "alice", &s), -EINVAL);
}

static void test_file_modes(void **state)
{
    struct fx *f = *state;
    struct stat st;
    assert_int_equal(stat(f->nss, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(stat(f->shadow, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(st.st_uid, 0);
}

static void test_verify_and_dump(void **state)
{
    struct fx *f = *state;
    char err[256] = "";
    assert_int_equal(scim_cache_verify(f->nss, err, sizeof(err)), 0);
    assert_int_equal(scim_cache_verify(f->shadow, err, sizeof(err)), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(scim_cache_dump(f->nss, out), 0);
    assert_int_equal(scim_cache_dump(f->shadow, out), 0);
    fclose(out);
    assert_non_null(strstr(text, "generation: 42"));
    assert_non_null(strstr(text, "alice:x:1879048200:1879048200:"));
    assert_non_null(strstr(text, "sudo:x:27:alice (mapped-local)"));
    assert_non_null(strstr(text, "bob: locked no-password"));
    assert_null(strstr(text, FX_HASH_ALICE)); /* dumps never show hashes */
    free(text);
}

static void test_replace_marks_old_superseded(void **state)
{
    struct fx *f = *state;
    struct scim_cache_snapshot snap = *fx_snapshot();
    struct scim_cache_user_view u;
    char err[256] = "";
    snap.generation = 43;
    assert_int_equal(scim_cache_write(f->nss, f->shadow, &snap, err, sizeof(err)), 0);
    /* the old mapping still answers, and says it is superseded */
    assert_true(scim_cache_superseded(&f->c));
    assert_true(scim_cache_superseded(&f->s));
    assert_true(scim_cache_stale(&f->c, f->nss));
    assert_int_equal(scim_cache_user_by_name(&f->c, "alice", &u), 0);
    struct scim_cache fresh;
    assert_int_equal(scim_cache_open(&fresh, f->nss, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), 0);
    assert_int_equal(scim_cache_generation(&fresh), 43);
    assert_false(scim_cache_superseded(&fresh));
    assert_false(scim_cache_stale(&fresh, f->nss));
    scim_cache_close(&fresh);
}

static void test_empty_snapshot(void **state)
{
    struct fx *f = *state;
    struct scim_cache_snapshot snap = {.generation = 1};
    struct scim_cache c;
    struct scim_cache_user_view u;
    char err[256] = "";
    assert_int_equal(scim_cache_write(f->nss, f->shadow, &snap, err, sizeof(err)), 0);
    assert_int_equal(scim_cache_open(&c, f->nss, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), 0);
    assert_int_equal(scim_cache_user_count(&c), 0);
    assert_int_equal(scim_cache_user_by_name(&c, "alice", &u), -ENOENT);
    assert_int_equal(scim_cache_user_by_uid(&c, FX_UID_ALICE, &u), -ENOENT);
    scim_cache_close(&c);
    assert_int_equal(scim_cache_verify(f->shadow, err, sizeof(err)), 0);
}

/* 20k users, one 10k-member group: indexes stay complete and members come back in order. */
static void test_large(void **state)
{
    struct fx *f = *state;
    enum { N = 20000, M = 10000 };
    struct scim_cache_user *users = calloc(N, sizeof(*users));
    char (*names)[16] = calloc(N, 16);
    uint32_t *members = calloc(M, sizeof(uint32_t));
    for (uint32_t i = 0; i < N; i++) {
        snprintf(names[i], 16, "u%05u", i);
        users[i] = (struct scim_cache_user){.name = names[i], .uid = 1879048192u + i,
                                            .gid = 1879048192u + i, .home = "/home/x",
                                            .shell = "/bin/bash", .active = true,
                                            .last_change_day = 19000};
    }
    for (uint32_t i = 0; i < M; i++)
        members[i] = i * 2;
    struct scim_cache_group g = {.name = "big", .gid = 1880096768u, .kind = SCIM_GROUP_SCIM,
                                 .member_user_idx = members, .n_members = M};
    struct scim_cache_snapshot snap = {.users = users, .n_users = N, .groups = &g, .n_groups = 1};
    char err[256] = "";
    struct scim_cache c;
    assert_int_equal(scim_cache_write(f->nss, f->shadow, &snap, err, sizeof(err)), 0);
    assert_int_equal(scim_cache_open(&c, f->nss, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), 0);
    for (uint32_t i = 0; i < N; i += 97) {
        struct scim_cache_user_view u;
        assert_int_equal(scim_cache_user_by_name(&c, names[i], &u), 0);
        assert_int_equal(u.uid, 1879048192u + i);
        assert_int_equal(u.n_gids, i % 2 == 0 ? 1 : 0);
        assert_int_equal(scim_cache_user_by_uid(&c, 1879048192u + i, &u), 0);
        assert_string_equal(u.name, names[i]);
    }
    struct scim_cache_group_view gv;
    assert_int_equal(scim_cache_group_by_name(&c, "big", &gv), 0);
    assert_int_equal(gv.n_members, M);
    scim_cache_close(&c);
    free(users);
    free(names);
    free(members);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_header_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_misses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_initgroups_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ssh_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mapped_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_member_callback_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enumeration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shadow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_and_dump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_marks_old_superseded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
