/* SPDX-License-Identifier: MIT */
/* config_warnings: what scimd --check-config warns about (and scimd logs at start). */
#include <errno.h>
#include <ftw.h>
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

#include "accounts/config_warnings.h"
#include "accounts/host_probe.h"
#include "scimd_config.h"
#include "core_fixture.h"

/* A group name no host has (getgrnam answers "not found" for it). */
#define NO_SUCH_GROUP "scimd-test-no-such-group"

struct fx {
    char *dir;  /* 0755, root's, under a sticky /tmp: trusted */
    char *path; /* DIR/scimd.conf */
    char *ddir; /* DIR/scimd.conf.d */
    struct scimd_config cfg;
    char err[1024];
    char seen[8192]; /* every warning, one per line */
    size_t n;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = core_mkdtemp();
    assert_int_equal(chmod(f->dir, 0755), 0);
    f->path = core_path(f->dir, "scimd.conf");
    f->ddir = core_path(f->dir, "scimd.conf.d");
    assert_int_equal(mkdir(f->ddir, 0755), 0);
    scimd_config_init(&f->cfg);
    host_probe_set_host_checks(true);
    *state = f;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    scimd_config_free(&f->cfg);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f->dir);
    free(f->path);
    free(f->ddir);
    free(f);
    host_probe_set_host_checks(true);
    return 0;
}

static void collect(void *arg, const char *message)
{
    struct fx *f = arg;
    size_t used = strlen(f->seen);
    snprintf(f->seen + used, sizeof(f->seen) - used, "%s\n", message);
}

static char *put(const char *dir, const char *name, const char *text, mode_t mode)
{
    char *p = core_write(dir, name, text, strlen(text));
    assert_int_equal(chmod(p, mode), 0);
    return p;
}

/* Loads DIR/scimd.conf (and its drop-ins) and collects the warnings. */
static size_t warnings_for(struct fx *f, const char *main_text)
{
    free(put(f->dir, "scimd.conf", main_text, 0644));
    scimd_config_free(&f->cfg);
    scimd_config_init(&f->cfg);
    if (scimd_config_load(&f->cfg, f->path, f->err, sizeof(f->err)) < 0)
        fail_msg("load: %s", f->err);
    f->seen[0] = '\0';
    f->n = config_warnings(&f->cfg, collect, f);
    return f->n;
}

static void expect_count(struct fx *f, size_t got, size_t want)
{
    if (got != want)
        fail_msg("%zu warnings, expected %zu:\n%s", got, want, f->seen);
}

static void expect_warning(struct fx *f, const char *a, const char *b)
{
    for (const char *line = f->seen; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[2048];
        snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
        if (strstr(buf, a) && (!b || strstr(buf, b)))
            return;
        line += len + (end ? 1 : 0);
    }
    fail_msg("no warning with '%s' and '%s' among:\n%s", a, b ? b : "", f->seen);
}

/* A root-owned 0644 file in root-owned 0755 directories: nothing to say. */
static void test_clean_config_no_warnings(void **state)
{
    struct fx *f = *state;
    free(put(f->ddir, "10-a.conf", "[server]\n", 0644));
    if (warnings_for(f, "[roles]\nadmin = root\n[groups]\nOps = root\n") != 0)
        fail_msg("unexpected warnings:\n%s", f->seen);
}

/* The main file, a drop-in, the drop-in directory: group- or world-writable each warns and
 * names the file; a sticky world-writable drop-in directory warns too (anyone may add a
 * file to it). */
static void test_writable_files_warn(void **state)
{
    struct fx *f = *state;
    char *d = put(f->ddir, "10-a.conf", "[server]\n", 0666);
    expect_count(f, warnings_for(f, "[server]\n"), 1);
    expect_warning(f, d, "is world-writable");
    assert_int_equal(chmod(d, 0664), 0);
    expect_count(f, warnings_for(f, "[server]\n"), 1);
    expect_warning(f, d, "is writable by group");
    assert_int_equal(chmod(d, 0644), 0);
    free(d);

    assert_int_equal(chmod(f->ddir, 01777), 0);
    expect_count(f, warnings_for(f, "[server]\n"), 1);
    expect_warning(f, f->ddir, "world-writable");
    assert_int_equal(chmod(f->ddir, 0755), 0);

    free(put(f->dir, "scimd.conf", "[server]\n", 0666));
    f->seen[0] = '\0';
    expect_count(f, config_warnings(&f->cfg, collect, f), 1);
    expect_warning(f, f->path, "world-writable");

    /* the directory holding the main file: whoever writes there can swap the file */
    expect_count(f, warnings_for(f, "[server]\n"), 0);
    assert_int_equal(chmod(f->dir, 0775), 0);
    expect_count(f, warnings_for(f, "[server]\n"), 1);
    expect_warning(f, f->path, f->dir);
    assert_int_equal(chmod(f->dir, 0755), 0);
}

/* A drop-in owned by someone else than root (or the running user) warns. */
static void test_foreign_owner_warns(void **state)
{
    struct fx *f = *state;
    char *d = put(f->ddir, "10-a.conf", "[server]\n", 0644);
    if (geteuid() != 0) {
        free(d);
        skip();
    }
    assert_int_equal(chown(d, 65534, 65534), 0);
    expect_count(f, warnings_for(f, "[server]\n"), 1);
    expect_warning(f, d, "is owned by uid 65534, not root");
    free(d);
}

/* [server] tls_key readable by others or a group warns; 0600 and 0400 do not. */
static void test_tls_key_modes(void **state)
{
    struct fx *f = *state;
    char *cert = put(f->dir, "cert.pem", "cert\n", 0644);
    char *key = put(f->dir, "key.pem", "key\n", 0644);
    char text[4096];
    snprintf(text, sizeof(text), "[server]\ntls_cert = %s\ntls_key = %s\n", cert, key);
    expect_count(f, warnings_for(f, text), 1);
    expect_warning(f, key, "readable by everyone");
    assert_int_equal(chmod(key, 0640), 0);
    expect_count(f, warnings_for(f, text), 1);
    expect_warning(f, key, "readable by group");
    assert_int_equal(chmod(key, 0600), 0);
    expect_count(f, warnings_for(f, text), 0);
    assert_int_equal(chmod(key, 0400), 0);
    expect_count(f, warnings_for(f, text), 0);
    assert_int_equal(unlink(key), 0);
    expect_count(f, warnings_for(f, text), 1);
    expect_warning(f, key, "No such file");
    free(cert);
    free(key);
}

/* A mapping onto a group the host lacks warns, from the main file and from a drop-in, in
 * [roles] and in [groups]; existing groups do not. A hub-only host does not ask. */
static void test_missing_local_group(void **state)
{
    struct fx *f = *state;
    free(put(f->ddir, "10-roles.conf", "[groups]\nLinux Admins = " NO_SUCH_GROUP "\n", 0644));
    expect_count(f, warnings_for(f, "[roles]\nadmin = root\ndev = " NO_SUCH_GROUP "\n"), 2);
    expect_warning(f, "[roles] dev = " NO_SUCH_GROUP, "has no group '" NO_SUCH_GROUP "'");
    expect_warning(f, "[groups] Linux Admins = " NO_SUCH_GROUP, "has no group");

    host_probe_set_host_checks(false);
    expect_count(f, warnings_for(f, "[roles]\ndev = " NO_SUCH_GROUP "\n"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_clean_config_no_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writable_files_warn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_owner_warns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_key_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_local_group, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
