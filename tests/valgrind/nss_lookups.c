/* SPDX-License-Identifier: MIT */
/* Drives libnss_scim.so.2 through real glibc NSS for valgrind: every entry point
 * (getpwnam/uid, getgrnam/gid, getspnam, initgroups, enumeration), each first with buffers
 * too small (ERANGE, then retried with a bigger one, as glibc's callers do), and the cache
 * replaced by the real writer between rounds.
 *
 *   nss_lookups DIR write             only write the generation 1 cache
 *   nss_lookups DIR ROUNDS            single thread (memcheck)
 *   nss_lookups DIR ROUNDS THREADS    THREADS readers while the main thread replaces the
 *                                     cache ROUNDS times (helgrind); one warm-up lookup
 *                                     first, since glibc loads NSS modules lazily
 * The cache files are DIR/nss.cache and DIR/shadow.cache; set SCIM_NSS_CACHE and
 * SCIM_SHADOW_CACHE to them. Exits 1 on any wrong answer. */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <shadow.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache_fixture.h"

extern int __nss_configure_lookup(const char *dbname, const char *string);

static atomic_int failures;
static atomic_uint generation_seen_max;

#define FAIL(...)                                                                          \
    do {                                                                                   \
        fprintf(stderr, "nss_lookups: " __VA_ARGS__);                                      \
        fputc('\n', stderr);                                                               \
        atomic_fetch_add(&failures, 1);                                                    \
    } while (0)

/* Calls a reentrant lookup with a growing buffer starting at 1 byte: every size below the
 * needed one must give ERANGE, never a truncated answer. buf (char *, NULL at first) and
 * buflen are the caller's: the answer points into buf, freed by the caller afterwards. */
#define WITH_GROWING_BUFFER(rc, call)                                                      \
    do {                                                                                   \
        buflen = 1;                                                                        \
        for (;;) {                                                                         \
            char *grown_ = realloc(buf, buflen);                                           \
            if (!grown_) {                                                                 \
                rc = ENOMEM;                                                               \
                break;                                                                     \
            }                                                                              \
            buf = grown_;                                                                  \
            rc = (call);                                                                   \
            if (rc != ERANGE)                                                              \
                break;                                                                     \
            buflen = buflen < 64 ? buflen + 7 : buflen * 2;                                \
        }                                                                                  \
    } while (0)

static void check_passwd(bool after_replace_only)
{
    char *buf = NULL;
    size_t buflen;
    struct passwd pw, *res;
    int rc;
    WITH_GROWING_BUFFER(rc, getpwnam_r("alice", &pw, buf, buflen, &res));
    if (rc != 0 || !res || pw.pw_uid != FIX_UID_ALICE) {
        FAIL("getpwnam_r(alice): %d", rc);
    } else {
        unsigned g1 = 0, g2 = 0;
        if (sscanf(pw.pw_gecos, "gen-%u", &g1) != 1 || sscanf(pw.pw_dir, "/home/gen-%u", &g2) != 1 ||
            g1 != g2)
            FAIL("torn passwd entry: gecos %s home %s", pw.pw_gecos, pw.pw_dir);
        unsigned prev = atomic_load(&generation_seen_max);
        while (g1 > prev && !atomic_compare_exchange_weak(&generation_seen_max, &prev, g1))
            ;
    }
    WITH_GROWING_BUFFER(rc, getpwuid_r(FIX_UID_CAROL, &pw, buf, buflen, &res));
    if (rc != 0 || !res || strcmp(pw.pw_name, "carol") != 0 || strlen(pw.pw_gecos) != 2047)
        FAIL("getpwuid_r(carol): %d", rc);
    WITH_GROWING_BUFFER(rc, getpwnam_r("nosuchuser", &pw, buf, buflen, &res));
    if (rc != 0 || res)
        FAIL("getpwnam_r(nosuchuser) found something: %d", rc);
    WITH_GROWING_BUFFER(rc, getpwuid_r(0, &pw, buf, buflen, &res));
    if (res)
        FAIL("the scim service answered for uid 0");
    if (after_replace_only) {
        WITH_GROWING_BUFFER(rc, getpwnam_r("dave", &pw, buf, buflen, &res));
        if (rc != 0 || !res)
            FAIL("getpwnam_r(dave) after the replacement: %d", rc);
        WITH_GROWING_BUFFER(rc, getpwnam_r("bob", &pw, buf, buflen, &res));
        if (res)
            FAIL("bob still resolves after the replacement");
    }
    free(buf);
}

static void check_group(void)
{
    char *buf = NULL;
    size_t buflen;
    struct group gr, *res;
    int rc;
    WITH_GROWING_BUFFER(rc, getgrnam_r("developers", &gr, buf, buflen, &res));
    if (rc != 0 || !res || gr.gr_gid != FIX_GID_DEVS)
        FAIL("getgrnam_r(developers): %d", rc);
    else {
        size_t n = 0;
        while (gr.gr_mem[n])
            n++;
        if (n != 3)
            FAIL("developers has %zu members", n);
    }
    WITH_GROWING_BUFFER(rc, getgrgid_r(FIX_GID_OPS, &gr, buf, buflen, &res));
    if (rc != 0 || !res || strcmp(gr.gr_name, "ops") != 0)
        FAIL("getgrgid_r(ops): %d", rc);
    WITH_GROWING_BUFFER(rc, getgrnam_r("alice", &gr, buf, buflen, &res)); /* private group */
    if (rc != 0 || !res || gr.gr_gid != FIX_UID_ALICE)
        FAIL("getgrnam_r(alice): %d", rc);
    free(buf);
}

static void check_initgroups(void)
{
    gid_t groups[1];
    int n = 1;
    /* too small first: glibc reports the needed count */
    if (getgrouplist("alice", FIX_UID_ALICE, groups, &n) != -1 || n < 2) {
        FAIL("getgrouplist(alice) with room for 1: n=%d", n);
        return;
    }
    gid_t *all = calloc((size_t)n, sizeof(*all));
    if (!all)
        return;
    int got = n;
    if (getgrouplist("alice", FIX_UID_ALICE, all, &got) < 0)
        FAIL("getgrouplist(alice)");
    bool devs = false;
    for (int i = 0; i < got; i++)
        devs |= all[i] == FIX_GID_DEVS;
    if (!devs)
        FAIL("alice is not in developers");
    free(all);
}

static void check_shadow(void)
{
    char *buf = NULL;
    size_t buflen;
    struct spwd sp, *res;
    int rc;
    WITH_GROWING_BUFFER(rc, getspnam_r("alice", &sp, buf, buflen, &res));
    if (rc != 0 || !res || sp.sp_lstchg != 19800)
        FAIL("getspnam_r(alice): %d", rc);
    WITH_GROWING_BUFFER(rc, getspnam_r("carol", &sp, buf, buflen, &res));
    if (rc != 0 || !res || strcmp(sp.sp_pwdp, "*") != 0)
        FAIL("getspnam_r(carol): %d", rc);
    free(buf);
}

static void enumerate(void)
{
    unsigned users = 0, groups = 0, shadows = 0;
    struct passwd *pw;
    setpwent();
    while ((pw = getpwent()))
        users++;
    endpwent();
    struct group *gr;
    setgrent();
    while ((gr = getgrent()))
        groups++;
    endgrent();
    struct spwd *sp;
    setspent();
    while ((sp = getspent()))
        shadows++;
    endspent();
    if (users != 3 || shadows != 3 || groups != 5)
        FAIL("enumeration: %u users, %u groups, %u shadow entries", users, groups, shadows);
}

static void one_round(bool replaced)
{
    check_passwd(replaced);
    check_group();
    check_initgroups();
    check_shadow();
}

static atomic_int stop_readers;

static void *reader(void *unused)
{
    (void)unused;
    unsigned n = 0;
    /* at least a few rounds, then until the writer is done */
    while (n < 5 || !atomic_load(&stop_readers)) {
        check_passwd(false);
        check_group();
        check_shadow();
        n++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: nss_lookups DIR ROUNDS [THREADS]\n");
        return 2;
    }
    const char *dir = argv[1];
    int rounds = atoi(argv[2]);
    int threads = argc == 4 ? atoi(argv[3]) : 0;
    __nss_configure_lookup("passwd", "scim");
    __nss_configure_lookup("group", "scim");
    __nss_configure_lookup("shadow", "scim");
    __nss_configure_lookup("initgroups", "scim");

    if (fixture_write(dir, 1, NULL) != 0)
        return 1;
    if (strcmp(argv[2], "write") == 0)
        return 0; /* just the cache, for getent */
    one_round(false); /* also the warm-up: glibc loads the module here */

    if (threads == 0) {
        enumerate();
        for (int r = 0; r < rounds; r++) {
            if (fixture_write(dir, (unsigned)r + 2, NULL) != 0)
                return 1;
            one_round(true);
            enumerate();
        }
    } else {
        pthread_t *tids = calloc((size_t)threads, sizeof(*tids));
        if (!tids)
            return 1;
        for (int t = 0; t < threads; t++)
            if (pthread_create(&tids[t], NULL, reader, NULL) != 0)
                return 1;
        for (int r = 0; r < rounds; r++) {
            if (fixture_write(dir, (unsigned)r + 2, NULL) != 0)
                return 1;
            usleep(20000);
        }
        atomic_store(&stop_readers, 1);
        for (int t = 0; t < threads; t++)
            pthread_join(tids[t], NULL);
        free(tids);
        check_passwd(true);
    }
    printf("nss_lookups: %d failures, newest generation seen %u\n", atomic_load(&failures),
           atomic_load(&generation_seen_max));
    return atomic_load(&failures) ? 1 : 0;
}
