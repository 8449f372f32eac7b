/* SPDX-License-Identifier: MIT */
/* scimd.conf.d: drop-ins read after the main file (config_dropins.c, scimd_config_load). */
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

#include "scimd_config.h"
#include "core_fixture.h"

struct fx {
    char *dir;
    char *path;  /* DIR/scimd.conf */
    char *ddir;  /* DIR/scimd.conf.d */
    struct scimd_config cfg;
    char err[1024];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = core_mkdtemp();
    f->path = core_path(f->dir, "scimd.conf");
    f->ddir = core_path(f->dir, "scimd.conf.d");
    assert_int_equal(mkdir(f->ddir, 0755), 0);
    scimd_config_init(&f->cfg);
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
    return 0;
}

static void put(const char *dir, const char *name, const char *text)
{
    free(core_write(dir, name, text, strlen(text)));
}

static int load(struct fx *f, const char *main_text)
{
    put(f->dir, "scimd.conf", main_text);
    scimd_config_free(&f->cfg);
    scimd_config_init(&f->cfg);
    f->err[0] = '\0';
    return scimd_config_load(&f->cfg, f->path, f->err, sizeof(f->err));
}

/* The error must start with "DROPIN:LINE: " (or "DROPIN: " when line is 0) and say what. */
static void expect_dropin_error(struct fx *f, const char *name, unsigned line, const char *what)
{
    char prefix[2048];
    if (line)
        snprintf(prefix, sizeof(prefix), "%s/%s:%u: ", f->ddir, name, line);
    else
        snprintf(prefix, sizeof(prefix), "%s/%s: ", f->ddir, name);
    if (strncmp(f->err, prefix, strlen(prefix)) != 0)
        fail_msg("error '%s' does not start with '%s'", f->err, prefix);
    if (strstr(f->err, what) == NULL)
        fail_msg("error '%s' does not mention '%s'", f->err, what);
}

/* Later files win, in byte order of their names: "9-c" sorts after "20-b". */
static void test_override_order(void **state)
{
    struct fx *f = *state;
    put(f->ddir, "10-a.conf", "[server]\nlisten = 127.0.0.1:2000\n[accounts]\nshell = /bin/a\n");
    put(f->ddir, "20-b.conf", "[server]\nlisten = 127.0.0.1:3000\n");
    put(f->ddir, "9-c.conf", "[accounts]\nshell = /bin/c\n");
    assert_int_equal(load(f, "[server]\nlisten = 127.0.0.1:1000\nbase_path = /main\n"), 0);
    assert_int_equal(f->cfg.listen_port, 3000);
    assert_string_equal(f->cfg.shell, "/bin/c");
    assert_string_equal(f->cfg.base_path, "/main"); /* a key no drop-in sets stays */
    assert_string_equal(f->cfg.path, f->path);
}

/* Dotfiles, editor swap and backup files, package manager leftovers and other names are
 * not read: each of these would be an error. */
static void test_only_dot_conf_files(void **state)
{
    struct fx *f = *state;
    static const char *const skipped[] = { ".hidden.conf", ".50-ok.conf.swp", "50-ok.conf~",
                                           "50-ok.conf.dpkg-old", "50-ok.conf.dpkg-dist",
                                           "50-ok.conf.rpmnew", "#50-ok.conf#", "README",
                                           ".conf", "conf" };
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
        put(f->ddir, skipped[i], "this is not a config line\n");
    put(f->ddir, "50-ok.conf", "[server]\nlisten = 127.0.0.1:4000\n");
    if (load(f, "[server]\nlisten = 127.0.0.1:1000\n") != 0)
        fail_msg("%s", f->err);
    assert_int_equal(f->cfg.listen_port, 4000);
}

/* [roles] and [groups] add up over the files; a later file remaps a name (matched as the
 * main file matches duplicates, case-insensitively); within one file a name twice is still
 * an error. */
static void test_maps_merge(void **state)
{
    struct fx *f = *state;
    put(f->ddir, "10-roles.conf", "[roles]\nADMIN = wheel\ndev = users\n[groups]\nOps = adm\n");
    assert_int_equal(load(f, "[roles]\nadmin = sudo\nops = adm\n[groups]\nLinux Admins = sudo\n"),
                     0);
    assert_int_equal(f->cfg.n_role_maps, 3);
    assert_string_equal(scimd_config_map_lookup(f->cfg.role_maps, f->cfg.n_role_maps, "admin",
                                                NULL), "wheel");
    assert_string_equal(scimd_config_map_lookup(f->cfg.role_maps, f->cfg.n_role_maps, "ops",
                                                NULL), "adm");
    assert_string_equal(scimd_config_map_lookup(f->cfg.role_maps, f->cfg.n_role_maps, "dev",
                                                NULL), "users");
    assert_int_equal(f->cfg.n_group_maps, 2);
    assert_string_equal(scimd_config_map_lookup(f->cfg.group_maps, f->cfg.n_group_maps,
                                                "Linux Admins", NULL), "sudo");

    put(f->ddir, "20-twice.conf", "[roles]\nx = adm\n\nX = wheel\n");
    assert_int_equal(load(f, "[roles]\nadmin = sudo\n"), -1);
    expect_dropin_error(f, "20-twice.conf", 4, "mapped twice");
}

/* A syntax error in a drop-in is reported with the drop-in's name and line, like the main
 * file's; errno then does not say ENOENT (scimctl reads that as "no configuration"). */
static void test_syntax_error_names_dropin(void **state)
{
    struct fx *f = *state;
    put(f->ddir, "10-ok.conf", "[server]\nlisten = 127.0.0.1:2000\n");
    put(f->ddir, "20-bad.conf", "# comment\n[server]\nlisten 127.0.0.1:3000\n");
    assert_int_equal(load(f, "[server]\n"), -1);
    expect_dropin_error(f, "20-bad.conf", 3, "expected 'key = value'");
    assert_int_not_equal(errno, ENOENT);

    put(f->ddir, "20-bad.conf", "[nosuch]\n");
    assert_int_equal(load(f, "[server]\n"), -1);
    expect_dropin_error(f, "20-bad.conf", 1, "unknown section [nosuch]");

    put(f->ddir, "20-bad.conf", "[accounts]\nuid_min = 5\n");
    assert_int_equal(load(f, "[server]\n"), -1);
    expect_dropin_error(f, "20-bad.conf", 2, "uid_min");
}

/* A drop-in that cannot be read stops the load with its name: a dangling link, a
 * directory named like a drop-in, a file the caller may not read (non-root only). */
static void test_unreadable_dropin(void **state)
{
    struct fx *f = *state;
    char *link = core_path(f->ddir, "30-link.conf");
    assert_int_equal(symlink("/nonexistent/scimd-drop-in.conf", link), 0);
    assert_int_equal(load(f, "[server]\n"), -1);
    expect_dropin_error(f, "30-link.conf", 0, "No such file or directory");
    assert_int_not_equal(errno, ENOENT);
    assert_int_equal(unlink(link), 0);
    free(link);

    char *sub = core_path(f->ddir, "30-dir.conf");
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(load(f, "[server]\n"), -1);
    expect_dropin_error(f, "30-dir.conf", 0, "not a regular file");
    assert_int_equal(rmdir(sub), 0);
    free(sub);

    if (geteuid() != 0) {
        put(f->ddir, "30-secret.conf", "[server]\n");
        char *p = core_path(f->ddir, "30-secret.conf");
        assert_int_equal(chmod(p, 0), 0);
        assert_int_equal(load(f, "[server]\n"), -1);
        expect_dropin_error(f, "30-secret.conf", 0, "Permission denied");
        free(p);
    }
}

/* FILE.d that is not a directory is an error naming it; a missing FILE.d is no drop-ins;
 * a missing main file is ENOENT whatever FILE.d holds (scimctl's defaults). */
static void test_dropin_dir_states(void **state)
{
    struct fx *f = *state;
    put(f->ddir, "10-a.conf", "[server]\nlisten = 127.0.0.1:2000\n");
    assert_int_equal(load(f, "[server]\n"), 0);
    assert_int_equal(f->cfg.listen_port, 2000);

    char *missing = core_path(f->dir, "other.conf");
    scimd_config_free(&f->cfg);
    scimd_config_init(&f->cfg);
    assert_int_equal(scimd_config_load(&f->cfg, missing, f->err, sizeof(f->err)), -1);
    assert_int_equal(errno, ENOENT);
    free(missing);

    char *a = core_path(f->ddir, "10-a.conf");
    assert_int_equal(unlink(a), 0);
    free(a);
    assert_int_equal(rmdir(f->ddir), 0);
    assert_int_equal(load(f, "[server]\n"), 0);
    assert_int_equal(f->cfg.listen_port, 8080);

    put(f->dir, "scimd.conf.d", "[server]\n");
    assert_int_equal(load(f, "[server]\n"), -1);
    char want[2048];
    snprintf(want, sizeof(want), "%s: Not a directory", f->ddir);
    assert_string_equal(f->err, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_override_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_dot_conf_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_maps_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_error_names_dropin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_dropin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dropin_dir_states, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
