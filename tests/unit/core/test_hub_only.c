/* SPDX-License-Identifier: MIT */
/* [fleet] login_host = false (host_probe_set_host_checks(false)): a hub-only host takes names
 * and ids its own NSS holds or cannot tell about (followers check their own hosts), yet the
 * same calls on a login host are 409 for a local account and 503 when NSS fails, as before.
 * Checked in a private mount namespace whose /etc/passwd has a local account 'svc' (uid 1500)
 * and whose nsswitch.conf names libnss_probefail.so.2 after files. Needs root (unshare);
 * without it the test says so and checks nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include "store/db.h"

#include "core_fixture.h"
#include "accounts/host_probe.h"
#include "accounts/identity.h"
#include "accounts/startup_checks.h"
#include "store/store.h"

#define LO 1700000000u
#define FAILING (LO + 50) /* libnss_probefail's default failing ids: LO+50 .. LO+59 */

static char *etc_dir;
static bool have_namespace;

static int group_setup(void **state)
{
    (void)state;
    etc_dir = core_mkdtemp();
    if (!core_private_ns("hub-only host checks"))
        return 0;
    core_bind_file(etc_dir, "passwd",
                   "root:x:0:0:root:/root:/bin/bash\n"
                   "svc:x:1500:1500::/srv:/usr/sbin/nologin\n",
                   "/etc/passwd");
    core_bind_file(etc_dir, "group", "root:x:0:\nsvc:x:1500:\n", "/etc/group");
    core_bind_file(etc_dir, "nsswitch.conf", "passwd: files probefail\ngroup: files probefail\n",
                   "/etc/nsswitch.conf");
    core_hide_nscd();
    have_namespace = true;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    host_probe_set_host_checks(true);
    core_rmdir(etc_dir);
    return 0;
}

enum what { ALLOC, CLAIM, SET_HWM };

struct op {
    const struct scimd_config *cfg;
    enum what what;
    uint32_t id;
};

static int op_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct op *op = arg;
    switch (op->what) {
    case ALLOC:
        return identity_allocate_uid(db, op->cfg, "owner", "name", &op->id, err);
    case CLAIM:
        return identity_claim_uid(db, op->cfg, "claimer", "claimer", op->id, err);
    case SET_HWM:
        return store_meta_set(db, "uid_hwm", "1700000049") == 0
                   ? 0
                   : scim_error_set(err, 500, NULL, "meta set failed");
    }
    return -1;
}

static int run(struct core_ledger_fx *f, enum what what, uint32_t *id, struct scim_error *err)
{
    struct op op = { .cfg = &f->cfg, .what = what, .id = *id };
    scim_error_clear(err);
    int r = store_write(f->st, op_fn, &op, err);
    *id = op.id;
    return r;
}

/* What a login host answers today, and what the same calls answer with host checks off. */
static void check_all(bool login_host)
{
    struct core_ledger_fx *f = core_ledger_fx_new(LO);
    struct scim_error err = { 0 };
    char why[128] = "";
    uint32_t id = 0;
    host_probe_set_host_checks(login_host);
    assert_int_equal(run(f, SET_HWM, &id, &err), 0);

    scim_error_clear(&err);
    int r = identity_check_host(&f->cfg, "svc", &err);
    assert_int_equal(r, login_host ? -1 : 0);
    assert_int_equal(err.status, login_host ? 409 : 0);
    scim_error_clear(&err);
    r = identity_check_host(&f->cfg, "probefail", &err);
    assert_int_equal(r, login_host ? -1 : 0);
    assert_int_equal(err.status, login_host ? 503 : 0);

    scim_error_clear(&err);
    assert_int_equal(host_probe_local_group(&f->cfg, "svc", why, sizeof(why), &err),
                     login_host ? 1 : 0);
    scim_error_clear(&err);
    assert_int_equal(host_probe_local_group(&f->cfg, "probefail", why, sizeof(why), &err),
                     login_host ? -1 : 0);

    /* The next uid is LO+50, which the failing service cannot tell about. */
    id = 0;
    r = run(f, ALLOC, &id, &err);
    assert_int_equal(r, login_host ? -1 : 0);
    if (login_host) {
        assert_int_equal(err.status, 503);
        assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM id_ledger"), 0);
    } else {
        assert_int_equal(id, FAILING);
    }
    id = FAILING + 5;
    r = run(f, CLAIM, &id, &err);
    assert_int_equal(r, login_host ? -1 : 0);
    /* The store's own uniqueness holds either way: a uid handed out is never claimed again. */
    if (!login_host) {
        id = FAILING + 5;
        assert_int_equal(run(f, CLAIM, &id, &err), -1);
        assert_int_equal(err.status, 409);
    }
    core_ledger_fx_free(f);
}

static void test_login_host(void **state)
{
    (void)state;
    if (!have_namespace)
        return;
    check_all(true);
}

static void test_hub_only(void **state)
{
    (void)state;
    if (!have_namespace)
        return;
    check_all(false);
}

/* Start-up: a local uid inside the ranges stops a login host, not a hub-only one. */
static void test_startup_ranges(void **state)
{
    (void)state;
    char *root = core_mkdtemp();
    char *etc = core_path(root, "etc");
    assert_int_equal(mkdir(etc, 0755), 0);
    char *passwd = core_path(etc, "passwd");
    FILE *fp = fopen(passwd, "w");
    assert_non_null(fp);
    fprintf(fp, "inside:x:%u:%u::/:/bin/sh\n", LO + 3, LO + 3);
    fclose(fp);
    struct core_ledger_fx *f = core_ledger_fx_new(LO);
    char err[512] = "";
    host_probe_set_host_checks(true);
    assert_int_equal(startup_check_ranges(&f->cfg, root, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "inside"));
    host_probe_set_host_checks(false);
    assert_int_equal(startup_check_ranges(&f->cfg, root, err, sizeof(err)), 0);
    host_probe_set_host_checks(true);
    core_ledger_fx_free(f);
    unlink(passwd);
    rmdir(etc);
    free(passwd);
    free(etc);
    core_rmdir(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login_host),
        cmocka_unit_test(test_hub_only),
        cmocka_unit_test(test_startup_ranges),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
