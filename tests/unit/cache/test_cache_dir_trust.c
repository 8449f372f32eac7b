/* SPDX-License-Identifier: MIT */
/* Trust in the directories above a cache file (cache_dir_trust.h): every one up to / must be
 * root's and not group/world-writable unless sticky, or trusted opens refuse the file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache_dir_trust.h"
#include "cache_fixture.h"
#include "scim_cache.h"

struct fx {
    char *top;   /* fresh 0755 root-owned temp dir */
    char *sub;   /* top/sub, the cache's directory */
    char *nss, *shadow;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char err[256];
    f->top = fx_mkdtemp();
    f->sub = fx_path(f->top, "sub");
    if (mkdir(f->sub, 0755) < 0)
        return -1;
    f->nss = fx_path(f->sub, "nss.cache");
    f->shadow = fx_path(f->sub, "shadow.cache");
    if (scim_cache_write(f->nss, f->shadow, fx_snapshot(), err, sizeof(err)) < 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    unlink(f->nss);
    unlink(f->shadow);
    rmdir(f->sub);
    fx_rmdir(f->top);
    free(f->sub);
    free(f->nss);
    free(f->shadow);
    free(f);
    return 0;
}

static void expect_open_ok(struct fx *f)
{
    struct scim_cache c;
    char err[512] = "";
    if (scim_cache_open(&c, f->nss, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)) != 0)
        fail_msg("refused: %s", err);
    scim_cache_close(&c);
    assert_int_equal(scim_cache_dirs_trusted(f->nss, err, sizeof(err)), 0);
}

/* Refused with the directory and the reason named; an untrusted open (scimctl cache dump of
 * a copy) still works. */
static void expect_refused(struct fx *f, const char *dir, const char *why)
{
    struct scim_cache c;
    char err[512] = "", want[600];
    if (scim_cache_open(&c, f->nss, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)) != -EPERM)
        fail_msg("accepted (or not -EPERM: %s), expected a refusal naming %s", err, dir);
    snprintf(want, sizeof(want), "directory %s ", dir);
    if (!strstr(err, want) || !strstr(err, why))
        fail_msg("refusal '%s' does not name '%s' and '%s'", err, dir, why);
    assert_int_equal(scim_cache_open(&c, f->nss, SCIM_CACHE_FILE_NSS, SCIM_CACHE_OPEN_UNTRUSTED,
                                     err, sizeof(err)), 0);
    scim_cache_close(&c);
}

static void test_private_dirs_ok(void **state)
{
    struct fx *f = *state;
    expect_open_ok(f);
    assert_int_equal(chmod(f->sub, 0700), 0);
    expect_open_ok(f);
}

static void test_group_writable_parent(void **state)
{
    struct fx *f = *state;
    assert_int_equal(chmod(f->sub, 0775), 0);
    expect_refused(f, f->sub, "mode 0775");
    /* Higher up counts too. */
    assert_int_equal(chmod(f->sub, 0755), 0);
    assert_int_equal(chmod(f->top, 0775), 0);
    expect_refused(f, f->top, "writable by group or others");
}

static void test_world_writable_without_sticky(void **state)
{
    struct fx *f = *state;
    assert_int_equal(chmod(f->sub, 0777), 0);
    expect_refused(f, f->sub, "without the sticky bit");
}

/* /tmp-style: others may create files but not rename root's away or into their names. */
static void test_sticky_dirs_ok(void **state)
{
    struct fx *f = *state;
    assert_int_equal(chmod(f->sub, 01777), 0);
    expect_open_ok(f);
    assert_int_equal(chmod(f->sub, 01775), 0);
    expect_open_ok(f);
}

static void test_not_root_owned(void **state)
{
    struct fx *f = *state;
    assert_int_equal(chown(f->sub, 65534, 65534), 0);
    expect_refused(f, f->sub, "owned by uid 65534");
    assert_int_equal(chown(f->sub, 0, 0), 0);
    assert_int_equal(chown(f->top, 65534, 0), 0);
    expect_refused(f, f->top, "owned by uid 65534");
}

/* The walk follows the real path: a symlinked cache directory is judged where it points. */
static void test_symlinked_dir(void **state)
{
    struct fx *f = *state;
    char *link = fx_path(f->top, "link"), *via = fx_path(link, "nss.cache");
    assert_int_equal(symlink(f->sub, link), 0);
    char err[512] = "";
    assert_int_equal(scim_cache_dirs_trusted(via, err, sizeof(err)), 0);
    assert_int_equal(chmod(f->sub, 0777), 0);
    assert_int_equal(scim_cache_dirs_trusted(via, err, sizeof(err)), -EPERM);
    assert_non_null(strstr(err, f->sub));
    /* A relative path is resolved from the working directory. */
    assert_int_equal(chmod(f->sub, 0755), 0);
    assert_int_equal(chdir(f->sub), 0);
    assert_int_equal(scim_cache_dirs_trusted("nss.cache", err, sizeof(err)), 0);
    assert_int_equal(chdir("/"), 0);
    unlink(link);
    free(link);
    free(via);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("1..0 # SKIP needs root (chown, root-owned directories)\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_private_dirs_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_writable_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_world_writable_without_sticky, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sticky_dirs_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_root_owned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlinked_dir, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
