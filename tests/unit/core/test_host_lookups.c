/* SPDX-License-Identifier: MIT */
/* What identity.c asks the host's name service, against a private /etc/passwd, /etc/group and
 * nsswitch.conf (a mount namespace of this process, set up once before any thread exists):
 * names of local users and groups are refused, a group too large for a 16 KiB lookup buffer
 * included, and uid allocation skips every id the host resolves. Needs root (unshare);
 * without it the tests say so and check nothing. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cmocka.h>
#include "store/db.h"

#include "core_fixture.h"
#include "accounts/host_probe.h"
#include "accounts/identity.h"
#include "store/store.h"

#define LO 1700000000u

static char *etc_dir;
static bool have_namespace;

static int group_setup(void **state)
{
    (void)state;
    etc_dir = core_mkdtemp();
    if (!core_private_ns("host lookups"))
        return 0;
    core_bind_file(etc_dir, "passwd",
              "root:x:0:0:root:/root:/bin/bash\n"
              "bin:x:2:2:bin:/bin:/usr/sbin/nologin\n"
              "svc:x:1500:1500::/srv:/usr/sbin/nologin\n"
              "inrange:x:1700000001:1500::/home/inrange:/bin/bash\n"
              "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
              "/etc/passwd");
    size_t cap = 64 * 1024, n = 0;
    char *group = malloc(cap);
    assert_non_null(group);
    n += (size_t)snprintf(group + n, cap - n,
                          "root:x:0:\nsvc:x:1500:\nsmallteam:x:1600:a,b\nbigteam:x:1700000003:");
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(group + n, cap - n, "%smember%04d", i ? "," : "", i);
    snprintf(group + n, cap - n, "\nnogroup:x:65534:\n");
    core_bind_file(etc_dir, "group", group, "/etc/group");
    free(group);
    core_bind_file(etc_dir, "nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\n",
                   "/etc/nsswitch.conf");
    core_hide_nscd();
    have_namespace = true;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    core_rmdir(etc_dir);
    return 0;
}

static void config(struct scimd_config *cfg)
{
    scimd_config_init(cfg);
    cfg->uid_min = LO;
    cfg->uid_max = LO + 9;
    cfg->gid_min = LO + 10;
    cfg->gid_max = LO + 19;
}

static void expect_refused(const struct scimd_config *cfg, const char *name, const char *what)
{
    struct scim_error err = { 0 };
    if (identity_check_host(cfg, name, &err) != -1)
        fail_msg("'%s' is known to the host but was accepted", name);
    assert_int_equal(err.status, 409);
    assert_string_equal(err.scim_type, "uniqueness");
    if (strstr(err.detail, what) == NULL)
        fail_msg("refusal of '%s' says '%s', expected '%s'", name, err.detail, what);
}

static void test_check_host(void **state)
{
    (void)state;
    if (!have_namespace)
        return;
    struct scimd_config cfg;
    config(&cfg);
    cfg.uid_min = LO + 100; /* nothing of the host's is ours here */
    cfg.uid_max = LO + 109;
    expect_refused(&cfg, "svc", "local account (uid 1500)");
    expect_refused(&cfg, "inrange", "local account (uid 1700000001)");
    expect_refused(&cfg, "smallteam", "local group (gid 1600)");
    /* 3000 members do not fit a 16 KiB buffer: the lookup must grow, not read "not found". */
    expect_refused(&cfg, "bigteam", "local group (gid 1700000003)");
    struct scim_error err = { 0 };
    assert_int_equal(identity_check_host(&cfg, "alice", &err), 0);
    /* A name resolving inside our own ranges is one of ours (our NSS module answering). */
    scimd_config_free(&cfg);
    config(&cfg);
    assert_int_equal(identity_check_host(&cfg, "inrange", &err), 0);
    scimd_config_free(&cfg);
}

struct alloc_op {
    const struct scimd_config *cfg;
    uint32_t id;
};

static int alloc_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct alloc_op *op = arg;
    return identity_allocate_uid(db, op->cfg, "owner", "name", &op->id, err);
}

static void test_allocation_skips_host_ids(void **state)
{
    (void)state;
    if (!have_namespace)
        return;
    char *dir = core_mkdtemp();
    struct store *st = core_store_open(dir, "scimd.db", true);
    struct scimd_config cfg;
    config(&cfg);
    cfg.uid_max = LO + 5;
    /* LO+1 is the local user inrange, LO+3 the large group bigteam. */
    static const uint32_t want[] = { LO, LO + 2, LO + 4, LO + 5 };
    for (size_t i = 0; i < 4; i++) {
        struct alloc_op op = { &cfg, 0 };
        struct scim_error err = { 0 };
        if (store_write(st, alloc_fn, &op, &err) != 0)
            fail_msg("allocation %zu: %s", i, err.detail);
        assert_int_equal(op.id, want[i]);
    }
    struct alloc_op op = { &cfg, 0 };
    struct scim_error err = { 0 };
    assert_int_equal(store_write(st, alloc_fn, &op, &err), -1);
    assert_non_null(strstr(err.detail, "exhausted"));
    store_close(st);
    scimd_config_free(&cfg);
    core_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_host),
        cmocka_unit_test(test_allocation_skips_host_ids),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
