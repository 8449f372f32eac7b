/* SPDX-License-Identifier: MIT */
/* libnss_scim.so.2 loaded with dlopen: only the _nss_scim_* ABI is exported, and each
 * entry point honours the NSS contract (buffers, ERANGE, errno, limits, remapping,
 * unavailable caches, fork while other threads read). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <setjmp.h>
#include <shadow.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache_fixture.h"
#include "scim_cache.h"

typedef enum nss_status (*getpwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*getpwuid_fn)(uid_t, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*getpwent_fn)(struct passwd *, char *, size_t, int *);
typedef enum nss_status (*getgrnam_fn)(const char *, struct group *, char *, size_t, int *);
typedef enum nss_status (*getgrgid_fn)(gid_t, struct group *, char *, size_t, int *);
typedef enum nss_status (*getgrent_fn)(struct group *, char *, size_t, int *);
typedef enum nss_status (*getspnam_fn)(const char *, struct spwd *, char *, size_t, int *);
typedef enum nss_status (*getspent_fn)(struct spwd *, char *, size_t, int *);
typedef enum nss_status (*setent_fn)(int);
typedef enum nss_status (*endent_fn)(void);
typedef enum nss_status (*initgroups_fn)(const char *, gid_t, long *, long *, gid_t **, long, int *);

static struct {
    void *h;
    getpwnam_fn getpwnam;
    getpwuid_fn getpwuid;
    getpwent_fn getpwent;
    setent_fn setpwent;
    endent_fn endpwent;
    getgrnam_fn getgrnam;
    getgrgid_fn getgrgid;
    getgrent_fn getgrent;
    setent_fn setgrent;
    endent_fn endgrent;
    initgroups_fn initgroups;
    getspnam_fn getspnam;
    getspent_fn getspent;
    setent_fn setspent;
    endent_fn endspent;
    char *dir, *nss, *shadow;
} M;

static void *sym(const char *name)
{
    void *p = dlsym(M.h, name);
    if (!p)
        fail_msg("%s is not exported", name);
    return p;
}

static void test_exports(void **state);

static int setup(void **state)
{
    char err[256] = "";
    const char *path = getenv("NSS_SCIM_MODULE");
    if (!path)
        return -1;
    M.dir = fx_mkdtemp();
    M.nss = fx_path(M.dir, "nss.cache");
    M.shadow = fx_path(M.dir, "shadow.cache");
    if (scim_cache_write(M.nss, M.shadow, fx_snapshot(), err, sizeof(err)) < 0)
        return -1;
    setenv("SCIM_NSS_CACHE", M.nss, 1);
    setenv("SCIM_SHADOW_CACHE", M.shadow, 1);
    M.h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!M.h) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        return -1;
    }
    test_exports(state); /* resolves M's entry points for every test */
    return 0;
}

/* Each test starts from the fixture's cache at a generation newer than any this process has
 * mapped (the module refuses older ones) and with rewound cursors, so no test depends on what
 * an earlier one left: they pass alone and in any order. */
static uint64_t generation = 42;

static int fresh_cache(void **state)
{
    (void)state;
    char err[256] = "";
    struct scim_cache_snapshot snap = *fx_snapshot();
    generation += 1000;
    snap.generation = generation;
    if (scim_cache_write(M.nss, M.shadow, &snap, err, sizeof(err)) < 0) {
        fprintf(stderr, "scim_cache_write: %s\n", err);
        return -1;
    }
    M.endpwent();
    M.endgrent();
    M.endspent();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_rmdir(M.dir);
    free(M.nss);
    free(M.shadow);
    return 0; /* the module is -z nodelete: no dlclose */
}

static void test_exports(void **state)
{
    (void)state;
    M.getpwnam = (getpwnam_fn)sym("_nss_scim_getpwnam_r");
    M.getpwuid = (getpwuid_fn)sym("_nss_scim_getpwuid_r");
    M.getpwent = (getpwent_fn)sym("_nss_scim_getpwent_r");
    M.setpwent = (setent_fn)sym("_nss_scim_setpwent");
    M.endpwent = (endent_fn)sym("_nss_scim_endpwent");
    M.getgrnam = (getgrnam_fn)sym("_nss_scim_getgrnam_r");
    M.getgrgid = (getgrgid_fn)sym("_nss_scim_getgrgid_r");
    M.getgrent = (getgrent_fn)sym("_nss_scim_getgrent_r");
    M.setgrent = (setent_fn)sym("_nss_scim_setgrent");
    M.endgrent = (endent_fn)sym("_nss_scim_endgrent");
    M.initgroups = (initgroups_fn)sym("_nss_scim_initgroups_dyn");
    M.getspnam = (getspnam_fn)sym("_nss_scim_getspnam_r");
    M.getspent = (getspent_fn)sym("_nss_scim_getspent_r");
    M.setspent = (setent_fn)sym("_nss_scim_setspent");
    M.endspent = (endent_fn)sym("_nss_scim_endspent");
    const char *internal[] = {"scim_cache_open", "scim_cache_user_by_name", "scim_cache_write",
                              "scim_crc32c_update", "scim_hash_bytes", "scim_name_validate",
                              "nss_source_acquire", "nss_scim_nss_source",
                              "scim_cache_group_members", "fill_passwd"};
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
        if (dlsym(M.h, internal[i]))
            fail_msg("internal symbol %s is exported", internal[i]);
}

static void test_getpwnam(void **state)
{
    (void)state;
    struct passwd pw;
    char buf[1024];
    int e = 0;
    errno = 4242;
    assert_int_equal(M.getpwnam("alice", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    assert_int_equal(errno, 4242);
    assert_string_equal(pw.pw_name, "alice");
    assert_string_equal(pw.pw_passwd, "x");
    assert_int_equal(pw.pw_uid, FX_UID_ALICE);
    assert_int_equal(pw.pw_gid, FX_UID_ALICE);
    assert_string_equal(pw.pw_gecos, FX_GECOS_ALICE);
    assert_string_equal(pw.pw_dir, "/home/alice");
    assert_string_equal(pw.pw_shell, "/bin/bash");
    assert_true(pw.pw_name >= buf && pw.pw_shell < buf + sizeof(buf));
    assert_int_equal(M.getpwuid(FX_UID_BOB, &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    assert_string_equal(pw.pw_name, "bob");
    assert_int_equal(M.getpwnam("root", &pw, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
    assert_int_equal(M.getpwuid(0, &pw, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
    assert_int_equal(M.getpwuid(FX_GID_OPS, &pw, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
    assert_int_equal(errno, 4242);
}

static void test_erange(void **state)
{
    (void)state;
    struct passwd pw;
    struct group gr;
    struct spwd sp;
    char buf[1024];
    /* each string plus its NUL: name, "x", gecos, home, shell */
    size_t need_pw = strlen("alice") + 1 + 2 + strlen(FX_GECOS_ALICE) + 1 +
                     strlen("/home/alice") + 1 + strlen("/bin/bash") + 1;
    for (size_t len = 0; len < need_pw; len++) {
        int e = 0;
        assert_int_equal(M.getpwnam("alice", &pw, buf, len, &e), NSS_STATUS_TRYAGAIN);
        assert_int_equal(e, ERANGE);
    }
    int e = 0;
    assert_int_equal(M.getpwnam("alice", &pw, buf, need_pw, &e), NSS_STATUS_SUCCESS);
    /* glibc passes &errno as errnop: the ERANGE must survive the return */
    errno = 0;
    assert_int_equal(M.getpwnam("alice", &pw, buf, 8, &errno), NSS_STATUS_TRYAGAIN);
    assert_int_equal(errno, ERANGE);
    errno = 0;
    assert_int_equal(M.getgrnam("ops", &gr, buf, 8, &errno), NSS_STATUS_TRYAGAIN);
    assert_int_equal(errno, ERANGE);
    errno = 0;
    assert_int_equal(M.getspnam("alice", &sp, buf, 8, &errno), NSS_STATUS_TRYAGAIN);
    assert_int_equal(errno, ERANGE);
    errno = 0;
    M.setpwent(0);
    assert_int_equal(M.getpwent(&pw, buf, 8, &errno), NSS_STATUS_TRYAGAIN);
    assert_int_equal(errno, ERANGE);
    /* group: pointer array + names; every size below the need is ERANGE */
    size_t ok_len = 0;
    for (size_t len = 0; len < sizeof(buf); len++) {
        e = 0;
        enum nss_status st = M.getgrnam("ops", &gr, buf, len, &e);
        if (st == NSS_STATUS_SUCCESS) {
            ok_len = len;
            break;
        }
        assert_int_equal(st, NSS_STATUS_TRYAGAIN);
        assert_int_equal(e, ERANGE);
    }
    assert_true(ok_len >= 3 * sizeof(char *) + strlen("ops,x,alice,bob,"));
    assert_string_equal(gr.gr_mem[0], "alice");
    assert_string_equal(gr.gr_mem[1], "bob");
    assert_null(gr.gr_mem[2]);
    for (size_t len = 0; len < strlen("alice") + strlen(FX_HASH_ALICE) + 2; len++) {
        e = 0;
        assert_int_equal(M.getspnam("alice", &sp, buf, len, &e), NSS_STATUS_TRYAGAIN);
        assert_int_equal(e, ERANGE);
    }
}

static void test_groups(void **state)
{
    (void)state;
    struct group gr;
    char buf[1024];
    int e = 0;
    assert_int_equal(M.getgrnam("developers", &gr, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    assert_int_equal(gr.gr_gid, FX_GID_DEVS);
    assert_string_equal(gr.gr_passwd, "x");
    assert_string_equal(gr.gr_mem[0], FX_NAME_CAROL);
    assert_string_equal(gr.gr_mem[1], "alice");
    assert_null(gr.gr_mem[2]);
    assert_int_equal(M.getgrgid(FX_GID_OPS, &gr, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    assert_string_equal(gr.gr_name, "ops");
    assert_int_equal(M.getgrgid(FX_UID_ALICE, &gr, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    assert_string_equal(gr.gr_name, "alice");
    assert_null(gr.gr_mem[0]);
    /* mapped local group: by name only */
    assert_int_equal(M.getgrnam("sudo", &gr, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    assert_int_equal(gr.gr_gid, FX_GID_SUDO);
    assert_int_equal(M.getgrgid(FX_GID_SUDO, &gr, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
    assert_int_equal(M.getgrgid(0, &gr, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
    assert_int_equal(M.getgrnam("root", &gr, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
}

static void test_initgroups(void **state)
{
    (void)state;
    long start = 1, size = 1;
    gid_t *groups = malloc(sizeof(gid_t));
    int e = 0;
    groups[0] = FX_UID_ALICE;
    errno = 77;
    assert_int_equal(M.initgroups("alice", FX_UID_ALICE, &start, &size, &groups, 0, &e),
                     NSS_STATUS_SUCCESS);
    assert_int_equal(errno, 77);
    assert_int_equal(start, 4);
    assert_true(size >= 4);
    assert_int_equal(groups[1], FX_GID_SUDO);
    assert_int_equal(groups[2], FX_GID_OPS);
    assert_int_equal(groups[3], FX_GID_DEVS);
    /* gids already listed are skipped */
    start = 2;
    groups[1] = FX_GID_OPS;
    assert_int_equal(M.initgroups("alice", FX_UID_ALICE, &start, &size, &groups, 0, &e),
                     NSS_STATUS_SUCCESS);
    assert_int_equal(start, 4);
    assert_int_equal(groups[2], FX_GID_SUDO);
    assert_int_equal(groups[3], FX_GID_DEVS);
    /* a caller whose primary group is not alice's private group is another account of the
     * same name (local, LDAP): it gets none of the SCIM user's groups */
    start = 1;
    assert_int_equal(M.initgroups("alice", FX_GID_DEVS, &start, &size, &groups, 0, &e),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(start, 1);
    /* limit: never more than limit entries, and no error */
    start = 1;
    size = 1;
    assert_int_equal(M.initgroups("alice", FX_UID_ALICE, &start, &size, &groups, 2, &e),
                     NSS_STATUS_SUCCESS);
    assert_int_equal(start, 2);
    assert_int_equal(size, 2);
    start = 0;
    assert_int_equal(M.initgroups("nosuchuser", 5000, &start, &size, &groups, 0, &e),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(start, 0);
    free(groups);
}

static void test_shadow(void **state)
{
    (void)state;
    struct spwd sp;
    char buf[1024];
    int e = 0;
    assert_int_equal(M.getspnam("alice", &sp, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    assert_string_equal(sp.sp_pwdp, FX_HASH_ALICE);
    assert_int_equal(sp.sp_lstchg, 19700);
    assert_int_equal(sp.sp_min, -1);
    assert_int_equal(sp.sp_max, -1);
    assert_int_equal(sp.sp_warn, -1);
    assert_int_equal(sp.sp_inact, -1);
    assert_int_equal(sp.sp_expire, -1);
    assert_int_equal(M.getspnam("bob", &sp, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    assert_string_equal(sp.sp_pwdp, "!*");
    assert_int_equal(sp.sp_expire, 1);
    assert_int_equal(M.getspnam("root", &sp, buf, sizeof(buf), &e), NSS_STATUS_NOTFOUND);
}

static void test_enumeration(void **state)
{
    (void)state;
    struct passwd pw;
    struct group gr;
    struct spwd sp;
    char buf[1024];
    int e = 0, n = 0;
    M.setpwent(0);
    /* an ERANGE retry returns the same entry, nothing is skipped */
    assert_int_equal(M.getpwent(&pw, buf, 4, &e), NSS_STATUS_TRYAGAIN);
    assert_int_equal(e, ERANGE);
    const char *users[] = {"alice", "bob", FX_NAME_CAROL};
    while (M.getpwent(&pw, buf, sizeof(buf), &e) == NSS_STATUS_SUCCESS) {
        assert_true(n < 3);
        assert_string_equal(pw.pw_name, users[n++]);
    }
    assert_int_equal(n, 3);
    M.endpwent();
    /* groups: the mapped local group is not enumerated */
    const char *groups[] = {"alice", "bob", FX_NAME_CAROL, "ops", "developers"};
    n = 0;
    M.setgrent(0);
    while (M.getgrent(&gr, buf, sizeof(buf), &e) == NSS_STATUS_SUCCESS) {
        assert_true(n < 5);
        assert_string_equal(gr.gr_name, groups[n++]);
        assert_true(gr.gr_gid >= 1000);
    }
    assert_int_equal(n, 5);
    M.endgrent();
    n = 0;
    M.setspent(0);
    while (M.getspent(&sp, buf, sizeof(buf), &e) == NSS_STATUS_SUCCESS)
        n++;
    assert_int_equal(n, 3);
    M.endspent();
}

/* Installs bytes at path the way a writer would (rename), flagging the old file. */
static void replace_with(const char *path, const void *data, size_t len, unsigned mode, uid_t uid)
{
    char *tmp = fx_path(M.dir, "replacement.tmp");
    fx_write(tmp, data, len, mode);
    assert_int_equal(chown(tmp, uid, 0), 0);
    int old = open(path, O_RDWR | O_CLOEXEC);
    assert_int_equal(rename(tmp, path), 0);
    if (old >= 0) {
        uint8_t one = 1;
        assert_int_equal(pwrite(old, &one, 1, SCIM_CACHE_SUPERSEDED_OFFSET), 1);
        close(old);
    }
    free(tmp);
}

/* Every entry point answers UNAVAIL, handing back why (want) through errnop. */
static void expect_unavailable(int want)
{
    struct passwd pw;
    struct group gr;
    char buf[1024];
    long start = 0, size = 4;
    gid_t *groups = calloc(4, sizeof(gid_t));
    int e = 0;
    assert_int_equal(M.getpwnam("alice", &pw, buf, sizeof(buf), &e), NSS_STATUS_UNAVAIL);
    assert_int_equal(e, want);
    assert_int_equal(M.getpwuid(FX_UID_ALICE, &pw, buf, sizeof(buf), &e), NSS_STATUS_UNAVAIL);
    assert_int_equal(e, want);
    assert_int_equal(M.getgrnam("ops", &gr, buf, sizeof(buf), &e), NSS_STATUS_UNAVAIL);
    assert_int_equal(e, want);
    assert_int_equal(M.getgrgid(FX_GID_OPS, &gr, buf, sizeof(buf), &e), NSS_STATUS_UNAVAIL);
    assert_int_equal(e, want);
    assert_int_equal(M.initgroups("alice", 1, &start, &size, &groups, 0, &e), NSS_STATUS_UNAVAIL);
    assert_int_equal(e, want);
    M.setpwent(0);
    assert_int_equal(M.getpwent(&pw, buf, sizeof(buf), &e), NSS_STATUS_UNAVAIL);
    assert_int_equal(e, want);
    free(groups);
}

static void test_replacement_and_unavailable(void **state)
{
    (void)state;
    struct passwd pw;
    char buf[1024], err[256];
    int e = 0;
    size_t good_len;
    uint8_t *good = fx_read(M.nss, &good_len);

    /* a new snapshot is visible at once (superseded flag), without waiting for a stat */
    struct scim_cache_snapshot snap = *fx_snapshot();
    struct scim_cache_user users[3];
    memcpy(users, snap.users, sizeof(users));
    users[0].shell = "/bin/zsh";
    snap.users = users;
    snap.generation = generation + 1;
    assert_int_equal(scim_cache_write(M.nss, M.shadow, &snap, err, sizeof(err)), 0);
    assert_int_equal(M.getpwnam("alice", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    assert_string_equal(pw.pw_shell, "/bin/zsh");

    /* An older generation put back (a trusted, intact old export): unavailable, never the
     * old data; a file at least as new as the last one mapped is served again. */
    replace_with(M.nss, good, good_len, 0644, 0);
    expect_unavailable(ESTALE);
    free(good);
    struct scim_cache_snapshot plain = *fx_snapshot();
    plain.generation = generation + 2;
    char *g44 = fx_path(M.dir, "g44.cache"), *g44s = fx_path(M.dir, "g44.shadow");
    assert_int_equal(scim_cache_write(g44, g44s, &plain, err, sizeof(err)), 0);
    good = fx_read(g44, &good_len);
    unlink(g44);
    unlink(g44s);
    free(g44);
    free(g44s);

    /* corrupt, untrusted, group-writable, truncated, missing: unavailable, then recovery */
    uint8_t *bad = malloc(good_len);
    memcpy(bad, good, good_len);
    bad[100] ^= 0xff;
    replace_with(M.nss, bad, good_len, 0644, 0);
    expect_unavailable(EBADMSG);
    replace_with(M.nss, good, good_len, 0644, 65534);
    expect_unavailable(EPERM);
    replace_with(M.nss, good, good_len, 0664, 0);
    expect_unavailable(EPERM);
    replace_with(M.nss, good, good_len / 2, 0644, 0);
    expect_unavailable(EBADMSG);
    replace_with(M.nss, good, good_len, 0644, 0);
    assert_int_equal(M.getpwnam("alice", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    assert_string_equal(pw.pw_shell, "/bin/bash");
    int old = open(M.nss, O_RDWR | O_CLOEXEC);
    assert_int_equal(unlink(M.nss), 0);
    uint8_t one = 1;
    assert_int_equal(pwrite(old, &one, 1, SCIM_CACHE_SUPERSEDED_OFFSET), 1);
    close(old);
    expect_unavailable(ENOENT);
    free(bad);

    /* a replacement without the flag is noticed by the periodic stat (about 1 s) */
    plain.generation = generation + 3;
    snap.generation = generation + 4;
    assert_int_equal(scim_cache_write(M.nss, M.shadow, &plain, err, sizeof(err)), 0);
    assert_int_equal(M.getpwnam("alice", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    char *tmp = fx_path(M.dir, "quiet.tmp");
    assert_int_equal(scim_cache_write(tmp, M.shadow, &snap, err, sizeof(err)), 0);
    assert_int_equal(rename(tmp, M.nss), 0); /* no flag on the old file */
    free(tmp);
    int seen_new = 0;
    for (int i = 0; i < 40 && !seen_new; i++) {
        assert_int_equal(M.getpwnam("alice", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
        seen_new = strcmp(pw.pw_shell, "/bin/zsh") == 0;
        if (!seen_new)
            usleep(100000);
    }
    assert_true(seen_new);
    free(good);
}

/* A record that passes its checksum but carries uid 0 never reaches a caller. */
static void test_forbidden_ids_never_returned(void **state)
{
    (void)state;
    char err[256];
    uint8_t *img = NULL;
    size_t len = 0;
    /* Newer than what fresh_cache mapped: this process refuses older generations. */
    struct scim_cache_snapshot snap = *fx_snapshot();
    snap.generation = generation + 1;
    assert_int_equal(scim_cache_build(&snap, &img, &len, NULL, NULL, err, sizeof(err)), 0);
    struct scim_cache_user_rec *r =
        (struct scim_cache_user_rec *)(img + fx_section_of(img, SCIM_SECT_USERS)->offset);
    r->uid = 0;
    r->gid = 0;
    fx_reseal_user(img, 0);
    replace_with(M.nss, img, len, 0644, 0);
    struct passwd pw;
    char buf[1024];
    int e = 0;
    assert_int_equal(M.getpwnam("alice", &pw, buf, sizeof(buf), &e), NSS_STATUS_UNAVAIL);
    assert_int_not_equal(M.getpwuid(0, &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    M.setpwent(0);
    assert_int_equal(M.getpwent(&pw, buf, sizeof(buf), &e), NSS_STATUS_UNAVAIL);
    assert_int_equal(M.getpwnam("bob", &pw, buf, sizeof(buf), &e), NSS_STATUS_SUCCESS);
    assert_int_equal(pw.pw_uid, FX_UID_BOB);
    free(img);
    snap.generation = generation + 2;
    assert_int_equal(scim_cache_write(M.nss, M.shadow, &snap, err, sizeof(err)), 0);
}

static volatile int stop_readers;

static void *reader(void *arg)
{
    (void)arg;
    char buf[1024];
    struct passwd pw;
    struct group gr;
    while (!stop_readers) {
        int e = 0;
        M.getpwnam("alice", &pw, buf, sizeof(buf), &e);
        M.getgrgid(FX_GID_OPS, &gr, buf, sizeof(buf), &e);
    }
    return NULL;
}

/* A child forked while other threads hold the module's lock must still answer. */
static void test_fork_while_reading(void **state)
{
    (void)state;
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reader, NULL), 0);
    for (int i = 0; i < 300; i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            char buf[1024];
            struct passwd pw;
            int e = 0;
            alarm(10); /* a deadlock shows as SIGALRM */
            for (int k = 0; k < 20; k++)
                if (M.getpwnam("alice", &pw, buf, sizeof(buf), &e) != NSS_STATUS_SUCCESS ||
                    pw.pw_uid != FX_UID_ALICE)
                    _exit(1);
            _exit(0);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("child %d failed (status 0x%x)", i, status);
    }
    stop_readers = 1;
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_exports, fresh_cache),
        cmocka_unit_test_setup(test_getpwnam, fresh_cache),
        cmocka_unit_test_setup(test_erange, fresh_cache),
        cmocka_unit_test_setup(test_groups, fresh_cache),
        cmocka_unit_test_setup(test_initgroups, fresh_cache),
        cmocka_unit_test_setup(test_shadow, fresh_cache),
        cmocka_unit_test_setup(test_enumeration, fresh_cache),
        cmocka_unit_test_setup(test_replacement_and_unavailable, fresh_cache),
        cmocka_unit_test_setup(test_forbidden_ids_never_returned, fresh_cache),
        cmocka_unit_test_setup(test_fork_while_reading, fresh_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
