/* SPDX-License-Identifier: MIT */
/* The writer refuses snapshots that break the identity rules, and a refused or failed
 * write (bad input, disk full) leaves the published files exactly as they were. */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache_fixture.h"
#include "scim_cache.h"

struct fx {
    char *dir, *nss, *shadow;
    struct stat nss_st, shadow_st;
    struct scim_cache_user users[3];
    struct scim_cache_group groups[3];
    struct scim_cache_snapshot snap;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char err[256] = "";
    f->dir = fx_mkdtemp();
    f->nss = fx_path(f->dir, "nss.cache");
    f->shadow = fx_path(f->dir, "shadow.cache");
    assert_int_equal(scim_cache_write(f->nss, f->shadow, fx_snapshot(), err, sizeof(err)), 0);
    assert_int_equal(stat(f->nss, &f->nss_st), 0);
    assert_int_equal(stat(f->shadow, &f->shadow_st), 0);
    f->snap = *fx_snapshot();
    memcpy(f->users, f->snap.users, sizeof(f->users));
    memcpy(f->groups, f->snap.groups, sizeof(f->groups));
    f->snap.users = f->users;
    f->snap.groups = f->groups;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    fx_rmdir(f->dir);
    free(f->nss);
    free(f->shadow);
    free(f);
    return 0;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* The published files are untouched, not superseded, and no temp file is left. */
static void assert_unchanged(struct fx *f)
{
    struct stat st;
    struct scim_cache c;
    char err[256];
    assert_int_equal(stat(f->nss, &st), 0);
    assert_int_equal(st.st_ino, f->nss_st.st_ino);
    assert_int_equal(stat(f->shadow, &st), 0);
    assert_int_equal(st.st_ino, f->shadow_st.st_ino);
    assert_int_equal(count_entries(f->dir), 2);
    assert_int_equal(scim_cache_open(&c, f->nss, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), 0);
    assert_false(scim_cache_superseded(&c));
    assert_int_equal(scim_cache_generation(&c), 42);
    scim_cache_close(&c);
}

static void expect_refused(struct fx *f, const char *why_part)
{
    char err[256] = "";
    int rc = scim_cache_write(f->nss, f->shadow, &f->snap, err, sizeof(err));
    assert_int_equal(rc, -EINVAL);
    if (!strstr(err, why_part))
        fail_msg("error \"%s\" does not mention \"%s\"", err, why_part);
    assert_unchanged(f);
    /* scim_cache_build applies the same rules */
    uint8_t *img = NULL;
    size_t len = 0;
    assert_int_equal(scim_cache_build(&f->snap, &img, &len, NULL, NULL, err, sizeof(err)), -EINVAL);
    assert_null(img);
}

static void test_uid_rules(void **state)
{
    struct fx *f = *state;
    const uint32_t bad[] = {0, 1, 999, 65534, 65535, 4294967295u};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        f->users[1].uid = f->users[1].gid = bad[i];
        expect_refused(f, "uid");
    }
    f->users[1].uid = FX_UID_BOB;
    f->users[1].gid = FX_UID_BOB + 5;
    expect_refused(f, "private group");
}

static void test_group_gid_rules(void **state)
{
    struct fx *f = *state;
    f->groups[0].gid = 0;
    expect_refused(f, "gid 0");
    f->groups[0].gid = 999;
    expect_refused(f, "gid 999");
    f->groups[0].gid = FX_GID_OPS;
    f->groups[2].gid = 0; /* mapped local group onto root's group */
    expect_refused(f, "gid 0");
}

static void test_duplicates(void **state)
{
    struct fx *f = *state;
    f->users[1].name = "alice";
    expect_refused(f, "duplicate user name alice");
    f->users[1].name = "bob";
    f->users[1].uid = f->users[1].gid = FX_UID_ALICE;
    expect_refused(f, "duplicate uid");
    f->users[1].uid = f->users[1].gid = FX_UID_BOB;
    f->groups[1].name = "ops";
    expect_refused(f, "duplicate group name ops");
    f->groups[1].name = "bob"; /* collides with bob's private group */
    expect_refused(f, "duplicate group name bob");
    f->groups[1].name = "developers";
    f->groups[1].gid = FX_UID_CAROL; /* collides with carol's private group gid */
    expect_refused(f, "duplicate gid");
    f->groups[1].gid = FX_GID_OPS;
    expect_refused(f, "duplicate gid");
}

static void test_members(void **state)
{
    struct fx *f = *state;
    static const uint32_t twice[] = {0, 1, 0};
    static const uint32_t out_of_range[] = {3};
    f->groups[0].member_user_idx = twice;
    f->groups[0].n_members = 3;
    expect_refused(f, "lists user alice twice");
    f->groups[0].member_user_idx = out_of_range;
    f->groups[0].n_members = 1;
    expect_refused(f, "refers to user 3");
    f->groups[0].member_user_idx = NULL;
    expect_refused(f, "NULL");
}

static void test_names(void **state)
{
    struct fx *f = *state;
    const char *bad_users[] = {"root", "Alice", "al:ice", "al ice", "-alice", "12345", "",
                               "sudo", "nobody", "systemd-network", "al/ice", "al\nice"};
    for (size_t i = 0; i < sizeof(bad_users) / sizeof(bad_users[0]); i++) {
        f->users[1].name = bad_users[i];
        expect_refused(f, "user 1");
    }
    f->users[1].name = NULL;
    expect_refused(f, "empty");
    f->users[1].name = "bob";
    f->groups[0].name = "wheel";
    expect_refused(f, "reserved");
    f->groups[0].name = "Linux Admins";
    expect_refused(f, "group 0");
}

static void test_fields(void **state)
{
    struct fx *f = *state;
    f->users[0].gecos = "a:b";
    expect_refused(f, "gecos");
    f->users[0].gecos = "a\nb";
    expect_refused(f, "gecos");
    f->users[0].gecos = NULL;
    f->users[0].home = "home/alice";
    expect_refused(f, "absolute");
    f->users[0].home = NULL;
    expect_refused(f, "absolute");
    f->users[0].home = "/home/alice";
    f->users[0].shell = "/bin/bash:x";
    expect_refused(f, "absolute");
    f->users[0].shell = "/bin/bash";
    f->users[0].password_hash = "$y$a:b";
    expect_refused(f, "password hash");
    f->users[0].password_hash = "";
    expect_refused(f, "password hash");
    f->users[0].password_hash = NULL;
    f->users[0].last_change_day = 0;
    expect_refused(f, "last_change_day");
    f->users[0].last_change_day = -5;
    expect_refused(f, "last_change_day");
    f->users[0].last_change_day = 19000;
    static const char *const bad_keys[] = {"ssh-ed25519 AAAA\nssh-rsa BBBB"};
    f->users[0].ssh_keys = bad_keys;
    f->users[0].n_ssh_keys = 1;
    expect_refused(f, "ssh key 0");
}

static void test_kinds(void **state)
{
    struct fx *f = *state;
    f->groups[0].kind = SCIM_GROUP_PRIVATE; /* the writer makes those itself */
    expect_refused(f, "kind");
    f->groups[0].kind = (enum scim_group_kind)99;
    expect_refused(f, "kind");
}

static void test_snapshot_shape(void **state)
{
    struct fx *f = *state;
    char err[256] = "";
    f->snap.users = NULL;
    expect_refused(f, "NULL");
    f->snap.users = f->users;
    f->snap.name_max = 300;
    expect_refused(f, "name_max");
    f->snap.name_max = 4; /* "alice" is 5 bytes */
    expect_refused(f, "too long");
    assert_int_equal(scim_cache_write(NULL, f->shadow, &f->snap, err, sizeof(err)), -EINVAL);
    assert_int_equal(scim_cache_write(f->nss, f->shadow, NULL, err, sizeof(err)), -EINVAL);
    assert_int_equal(scim_cache_write(f->nss, f->nss, fx_snapshot(), err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "must differ"));
    assert_unchanged(f);
}

static void test_bad_directory(void **state)
{
    struct fx *f = *state;
    char err[256] = "";
    char *missing = fx_path(f->dir, "no/such/dir/nss.cache");
    int rc = scim_cache_write(missing, f->shadow, fx_snapshot(), err, sizeof(err));
    assert_int_equal(rc, -ENOENT);
    assert_non_null(strstr(err, "temp file"));
    assert_unchanged(f);
    free(missing);
}

/* Disk full: a tiny tmpfs in a private mount namespace. The first write fits, the large
 * one does not; the first files must survive intact. */
static void test_enospc_keeps_old_files(void **state)
{
    (void)state;
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        skip();
        return;
    }
    char *dir = fx_mkdtemp();
    assert_int_equal(mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0755"), 0);
    char *nss = fx_path(dir, "nss.cache"), *shadow = fx_path(dir, "shadow.cache");
    char err[256] = "";
    assert_int_equal(scim_cache_write(nss, shadow, fx_snapshot(), err, sizeof(err)), 0);
    struct stat before;
    assert_int_equal(stat(nss, &before), 0);

    enum { N = 3000 };
    struct scim_cache_user *users = calloc(N, sizeof(*users));
    char (*names)[16] = calloc(N, 16);
    for (uint32_t i = 0; i < N; i++) {
        snprintf(names[i], 16, "user%u", i);
        users[i] = (struct scim_cache_user){.name = names[i], .uid = 1879048192u + i,
                                            .gid = 1879048192u + i, .home = "/home/x",
                                            .shell = "/bin/sh", .last_change_day = 1};
    }
    struct scim_cache_snapshot big = {.users = users, .n_users = N, .generation = 99};
    int rc = scim_cache_write(nss, shadow, &big, err, sizeof(err));
    assert_int_equal(rc, -ENOSPC);
    assert_non_null(strstr(err, "No space"));

    struct stat after;
    struct scim_cache c;
    assert_int_equal(stat(nss, &after), 0);
    assert_int_equal(after.st_ino, before.st_ino);
    assert_int_equal(count_entries(dir), 2);
    assert_int_equal(scim_cache_verify(nss, err, sizeof(err)), 0);
    assert_int_equal(scim_cache_verify(shadow, err, sizeof(err)), 0);
    assert_int_equal(scim_cache_open(&c, nss, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), 0);
    assert_int_equal(scim_cache_generation(&c), 42);
    assert_false(scim_cache_superseded(&c));
    scim_cache_close(&c);

    assert_int_equal(umount(dir), 0);
    free(users);
    free(names);
    free(nss);
    free(shadow);
    fx_rmdir(dir);
}

/* Root with an empty capability set (the shipped unit) cannot chgrp to "shadow": the
 * export still succeeds and the shadow cache stays root:root 0640. */
static void test_shadow_group_without_cap_chown(void **state)
{
    struct fx *f = *state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct data[2] = {{0}};
        char err[256] = "";
        if (syscall(SYS_capset, &hdr, data) != 0)
            _exit(3);
        _exit(scim_cache_write(f->nss, f->shadow, fx_snapshot(), err, sizeof(err)) == 0 ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 3) {
        skip();
        return;
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    struct stat st;
    assert_int_equal(stat(f->shadow, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_gid, 0);
    assert_int_not_equal(st.st_ino, f->shadow_st.st_ino);
    assert_int_equal(stat(f->nss, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_uid_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_gid_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shadow_group_without_cap_chown, setup, teardown),
        cmocka_unit_test(test_enospc_keeps_old_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
