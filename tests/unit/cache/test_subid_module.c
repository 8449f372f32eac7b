/* SPDX-License-Identifier: MIT */
/* libsubid_scim.so loaded with dlopen, as shadow's lib/nss.c loads it: only the
 * shadow_subid_* entry points are exported, slices are granted exactly, deactivated users and
 * other users' ids are not, and a missing, untrusted, corrupt or truncated cache grants
 * nothing and never crashes. Also the writer's and verifier's rules for the SUBIDS section. */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache_fixture.h"
#include "scim_cache.h"

enum { T_UID = 1, T_GID = 2 };
enum { S_OK = 0, S_UNKNOWN = 1, S_CONN = 2, S_ERROR = 3 };
struct range {
    unsigned long start, count;
};
typedef int (*has_range_fn)(const char *, unsigned long, unsigned long, int, bool *);
typedef int (*list_fn)(const char *, int, struct range **, int *);
typedef int (*owners_fn)(unsigned long, int, uid_t **, int *);
typedef void (*free_fn)(void *);

#define ALICE_START 300000u
#define BOB_START 365536u
#define CAROL_START 431072u
#define SLICE 65536u

static struct {
    void *h;
    has_range_fn has_range;
    list_fn list;
    owners_fn owners;
    free_fn free;
    char *dir, *nss, *shadow;
} M;

static struct scim_cache_user users[3];

/* The fixture's users with slices: alice (active), bob (deactivated), carol (active). */
static struct scim_cache_snapshot with_subids(void)
{
    struct scim_cache_snapshot snap = *fx_snapshot();
    memcpy(users, snap.users, sizeof(users));
    users[0].subid_start = ALICE_START;
    users[1].subid_start = BOB_START;
    users[2].subid_start = CAROL_START;
    for (int i = 0; i < 3; i++)
        users[i].subid_count = SLICE;
    snap.users = users;
    return snap;
}

static void write_cache(const struct scim_cache_snapshot *snap)
{
    char err[256] = "";
    if (scim_cache_write(M.nss, M.shadow, snap, err, sizeof(err)) < 0)
        fail_msg("scim_cache_write: %s", err);
}

static void *sym(const char *name)
{
    void *p = dlsym(M.h, name);
    if (!p)
        fail_msg("%s is not exported", name);
    return p;
}

static int setup(void **state)
{
    (void)state;
    const char *path = getenv("SUBID_SCIM_MODULE");
    if (!path)
        return -1;
    M.dir = fx_mkdtemp();
    M.nss = fx_path(M.dir, "nss.cache");
    M.shadow = fx_path(M.dir, "shadow.cache");
    setenv("SCIM_NSS_CACHE", M.nss, 1);
    /* RTLD_LAZY as shadow's nss_init opens it. */
    M.h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
    if (!M.h) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        return -1;
    }
    M.has_range = (has_range_fn)sym("shadow_subid_has_range");
    M.list = (list_fn)sym("shadow_subid_list_owner_ranges");
    M.owners = (owners_fn)sym("shadow_subid_find_subid_owners");
    M.free = (free_fn)sym("shadow_subid_free");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (M.h)
        dlclose(M.h);
    fx_rmdir(M.dir);
    free(M.nss);
    free(M.shadow);
    return 0;
}

static int fresh(void **state)
{
    (void)state;
    struct scim_cache_snapshot snap = with_subids();
    write_cache(&snap);
    return 0;
}

static bool has(const char *owner, unsigned long start, unsigned long count, int type, int *st)
{
    bool r = true;
    *st = M.has_range(owner, start, count, type, &r);
    return r;
}

static void test_exports_only_the_plugin(void **state)
{
    (void)state;
    /* The cache library is linked in but hidden: a host program's own symbols of the same
     * name must not bind to ours, nor ours to theirs. */
    assert_null(dlsym(M.h, "scim_cache_open"));
    assert_null(dlsym(M.h, "scim_cache_subids_of"));
    assert_null(dlsym(M.h, "cache_path"));
}

static void test_has_range(void **state)
{
    (void)state;
    int st;
    assert_true(has("alice", ALICE_START, SLICE, T_UID, &st));
    assert_int_equal(st, S_OK);
    assert_true(has("alice", ALICE_START, SLICE, T_GID, &st));
    assert_true(has("alice", ALICE_START + 1000, 1, T_UID, &st));
    assert_true(has("alice", ALICE_START + SLICE - 1, 1, T_UID, &st));
    /* One id outside either end, a range running over the end, an empty range. */
    assert_false(has("alice", ALICE_START - 1, 1, T_UID, &st));
    assert_int_equal(st, S_OK);
    assert_false(has("alice", ALICE_START + SLICE, 1, T_UID, &st));
    assert_false(has("alice", ALICE_START, SLICE + 1, T_UID, &st));
    assert_false(has("alice", ALICE_START, 0, T_UID, &st));
    /* start + count would wrap in 32 (and 64) bits. */
    assert_false(has("alice", ALICE_START, (unsigned long)-1, T_UID, &st));
    assert_false(has("alice", (unsigned long)-1, 2, T_UID, &st));
    assert_false(has("alice", ALICE_START + (1ul << 32), 1, T_UID, &st));
    /* Carol's slice is not alice's; carol by uid as /etc/subuid allows. */
    assert_false(has("alice", CAROL_START, 1, T_UID, &st));
    assert_true(has(FX_NAME_CAROL, CAROL_START, SLICE, T_UID, &st));
    char uid[16];
    snprintf(uid, sizeof(uid), "%u", FX_UID_CAROL);
    assert_true(has(uid, CAROL_START, SLICE, T_UID, &st));
    /* Deactivated: nothing. Unknown: nothing, and no error. */
    assert_false(has("bob", BOB_START, 1, T_UID, &st));
    assert_int_equal(st, S_OK);
    assert_false(has("nosuchuser", ALICE_START, 1, T_UID, &st));
    assert_int_equal(st, S_OK);
    assert_false(has("99999999999999999999", ALICE_START, 1, T_UID, &st));
    /* Bad arguments. */
    assert_false(has("alice", ALICE_START, 1, 7, &st));
    assert_int_equal(st, S_ERROR);
    assert_false(has(NULL, ALICE_START, 1, T_UID, &st));
    assert_int_equal(st, S_ERROR);
    assert_int_equal(M.has_range("alice", ALICE_START, 1, T_UID, NULL), S_ERROR);
}

static void test_list_owner_ranges(void **state)
{
    (void)state;
    struct range *r = (struct range *)1;
    int n = -1;
    assert_int_equal(M.list("alice", T_UID, &r, &n), S_OK);
    assert_int_equal(n, 1);
    assert_non_null(r);
    assert_int_equal(r[0].start, ALICE_START);
    assert_int_equal(r[0].count, SLICE);
    M.free(r);
    assert_int_equal(M.list("bob", T_GID, &r, &n), S_OK);
    assert_int_equal(n, 0);
    assert_null(r);
    assert_int_equal(M.list("nosuchuser", T_UID, &r, &n), S_OK);
    assert_int_equal(n, 0);
    assert_int_equal(M.list("alice", 0, &r, &n), S_ERROR);
    assert_int_equal(M.list("alice", T_UID, NULL, &n), S_ERROR);
}

static void test_find_owners(void **state)
{
    (void)state;
    uid_t *u = (uid_t *)1;
    int n = -1;
    assert_int_equal(M.owners(ALICE_START + 5, T_UID, &u, &n), S_OK);
    assert_int_equal(n, 1);
    assert_int_equal(u[0], FX_UID_ALICE);
    M.free(u);
    assert_int_equal(M.owners(CAROL_START + SLICE - 1, T_GID, &u, &n), S_OK);
    assert_int_equal(n, 1);
    assert_int_equal(u[0], FX_UID_CAROL);
    M.free(u);
    assert_int_equal(M.owners(BOB_START, T_UID, &u, &n), S_OK); /* deactivated */
    assert_int_equal(n, 0);
    assert_null(u);
    assert_int_equal(M.owners(CAROL_START + SLICE, T_UID, &u, &n), S_OK);
    assert_int_equal(n, 0);
    assert_int_equal(M.owners(100, T_UID, &u, &n), S_OK);
    assert_int_equal(n, 0);
}

/* A cache written with subids off (or by an older scimd) has no SUBIDS section: it opens
 * for every other reader and grants no subordinate ids. */
static void test_no_section(void **state)
{
    (void)state;
    int st;
    write_cache(fx_snapshot());
    uint8_t *img;
    size_t len;
    img = fx_read(M.nss, &len);
    assert_null(fx_section_of(img, SCIM_SECT_SUBIDS));
    free(img);
    assert_false(has("alice", ALICE_START, 1, T_UID, &st));
    assert_int_equal(st, S_OK);
    struct range *r;
    int n = -1;
    assert_int_equal(M.list("alice", T_UID, &r, &n), S_OK);
    assert_int_equal(n, 0);
    char err[256] = "";
    assert_int_equal(scim_cache_verify(M.nss, err, sizeof(err)), 0);
}

static void test_missing_cache(void **state)
{
    (void)state;
    int st;
    assert_int_equal(unlink(M.nss), 0);
    assert_false(has("alice", ALICE_START, 1, T_UID, &st));
    assert_int_equal(st, S_OK);
}

static void test_untrusted_cache(void **state)
{
    (void)state;
    int st;
    assert_int_equal(chmod(M.nss, 0666), 0);
    assert_false(has("alice", ALICE_START, 1, T_UID, &st));
    assert_int_equal(st, S_ERROR);
}

/* Rewrites the cache with one byte of the SUBIDS section changed (or the file cut). */
static void corrupt_subids(size_t rec, size_t field_off, uint32_t value)
{
    size_t len;
    uint8_t *img = fx_read(M.nss, &len);
    struct scim_cache_section *s = fx_section_of(img, SCIM_SECT_SUBIDS);
    assert_non_null(s);
    assert_int_equal(s->count, 3);
    memcpy(img + s->offset + rec * sizeof(struct scim_cache_subid_rec) + field_off, &value,
           sizeof(value));
    assert_int_equal(unlink(M.nss), 0);
    fx_write(M.nss, img, len, 0644);
    free(img);
}

static void test_corrupt_start(void **state)
{
    (void)state;
    int st;
    /* Alice's slice moved onto carol's: the record's checksum no longer matches. */
    corrupt_subids(0, offsetof(struct scim_cache_subid_rec, start), CAROL_START);
    assert_false(has("alice", CAROL_START, 1, T_UID, &st));
    assert_int_equal(st, S_ERROR);
    assert_false(has("alice", ALICE_START, 1, T_UID, &st));
    assert_int_equal(st, S_ERROR);
    /* Carol's own record is intact. */
    assert_true(has(FX_NAME_CAROL, CAROL_START, 1, T_UID, &st));
    uid_t *u;
    int n;
    assert_int_equal(M.owners(CAROL_START, T_UID, &u, &n), S_ERROR);
    assert_int_equal(n, 0);
    char err[256] = "";
    assert_int_equal(scim_cache_verify(M.nss, err, sizeof(err)), -EBADMSG);
}

static void test_corrupt_owner(void **state)
{
    (void)state;
    int st;
    /* Bob's (deactivated) record pointed at carol: checksum covers the owner's name. */
    corrupt_subids(1, offsetof(struct scim_cache_subid_rec, user), 2);
    assert_false(has(FX_NAME_CAROL, BOB_START, 1, T_UID, &st));
    /* An index past the users. */
    corrupt_subids(0, offsetof(struct scim_cache_subid_rec, user), 1000000);
    assert_false(has("alice", ALICE_START, 1, T_UID, &st));
    uid_t *u;
    int n;
    assert_int_equal(M.owners(ALICE_START, T_UID, &u, &n), S_ERROR);
}

static void test_truncated_and_garbage(void **state)
{
    (void)state;
    int st;
    size_t len;
    uint8_t *img = fx_read(M.nss, &len);
    assert_int_equal(unlink(M.nss), 0);
    fx_write(M.nss, img, len / 2, 0644);
    assert_false(has("alice", ALICE_START, 1, T_UID, &st));
    assert_int_equal(st, S_ERROR);
    memset(img, 0xA5, len);
    assert_int_equal(unlink(M.nss), 0);
    fx_write(M.nss, img, len, 0644);
    assert_false(has("alice", ALICE_START, 1, T_UID, &st));
    assert_int_equal(st, S_ERROR);
    free(img);
}

/* The section with a wrong entry size is refused at open, like any known section. */
static void test_bad_entry_size(void **state)
{
    (void)state;
    int st;
    size_t len;
    uint8_t *img = fx_read(M.nss, &len);
    struct scim_cache_section *s = fx_section_of(img, SCIM_SECT_SUBIDS);
    s->entry_size = 8;
    s->count = 6;
    fx_reseal_header(img);
    assert_int_equal(unlink(M.nss), 0);
    fx_write(M.nss, img, len, 0644);
    free(img);
    assert_false(has("alice", ALICE_START, 1, T_UID, &st));
    assert_int_equal(st, S_ERROR);
}

static void test_writer_refuses_bad_slices(void **state)
{
    (void)state;
    char err[256] = "";
    uint8_t *img = NULL;
    size_t len = 0;
    struct scim_cache_snapshot snap = with_subids();
    users[2].subid_start = ALICE_START + SLICE - 1; /* one id shared with alice */
    assert_int_equal(scim_cache_build(&snap, &img, &len, NULL, NULL, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "overlapping"));
    users[2].subid_start = 999; /* system ids */
    assert_int_equal(scim_cache_build(&snap, &img, &len, NULL, NULL, err, sizeof(err)), -EINVAL);
    users[2].subid_start = UINT32_MAX - SLICE + 1; /* would include 4294967295 */
    assert_int_equal(scim_cache_build(&snap, &img, &len, NULL, NULL, err, sizeof(err)), -EINVAL);
    users[2].subid_start = CAROL_START;
    assert_int_equal(scim_cache_build(&snap, &img, &len, NULL, NULL, err, sizeof(err)), 0);
    free(img);
}

/* The reader's view: every user, group and shadow entry as without the section, and the
 * dump and verify of scimctl see the slices. */
static void test_roundtrip(void **state)
{
    (void)state;
    struct scim_cache c;
    struct scim_cache_subid_view v;
    struct scim_cache_user_view u;
    char err[256] = "";
    assert_int_equal(scim_cache_open(&c, M.nss, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), 0);
    assert_int_equal(scim_cache_subid_count(&c), 3);
    assert_int_equal(scim_cache_user_by_name(&c, FX_NAME_CAROL, &u), 0);
    assert_int_equal(scim_cache_subids_of(&c, u.index, &v), 0);
    assert_int_equal(v.start, CAROL_START);
    assert_int_equal(v.count, SLICE);
    assert_int_equal(scim_cache_subid_at(&c, 3, &v), -ENOENT);
    assert_int_equal(scim_cache_user_count(&c), 3);
    scim_cache_close(&c);
    assert_int_equal(scim_cache_verify(M.nss, err, sizeof(err)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_exports_only_the_plugin, fresh),
        cmocka_unit_test_setup(test_has_range, fresh),
        cmocka_unit_test_setup(test_list_owner_ranges, fresh),
        cmocka_unit_test_setup(test_find_owners, fresh),
        cmocka_unit_test_setup(test_no_section, fresh),
        cmocka_unit_test_setup(test_missing_cache, fresh),
        cmocka_unit_test_setup(test_untrusted_cache, fresh),
        cmocka_unit_test_setup(test_corrupt_start, fresh),
        cmocka_unit_test_setup(test_corrupt_owner, fresh),
        cmocka_unit_test_setup(test_truncated_and_garbage, fresh),
        cmocka_unit_test_setup(test_bad_entry_size, fresh),
        cmocka_unit_test_setup(test_writer_refuses_bad_slices, fresh),
        cmocka_unit_test_setup(test_roundtrip, fresh),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
