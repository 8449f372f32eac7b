/* SPDX-License-Identifier: MIT */
/* The one host-lookup rule (common/host_nss.c) and identity.c through it: only a return of 0
 * with a NULL result is "not found"; a failing service is "cannot tell", whatever errno it
 * leaves, ENOENT included (libnss-ldapd's answer while nslcd is down) and EAGAIN. Checked in a
 * private mount namespace whose nsswitch.conf names libnss_probefail.so.2 after files; its
 * failure mode is switched per case through PROBEFAIL_ERRNO. Each failure must give 503 with
 * nothing written, never a name or id read as free. Needs root (unshare); without it the tests
 * say so and check nothing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "store/db.h"

#include "core_fixture.h"
#include "host_nss.h"
#include "accounts/host_probe.h"
#include "accounts/identity.h"
#include "store/store.h"

#define LO 1700000000u
#define FAILING (LO + 50) /* libnss_probefail's default failing ids: LO+50 .. LO+59 */

static char *etc_dir;
static bool have_namespace;

static int group_setup(void **state)
{
    (void)state;
    etc_dir = core_mkdtemp();
    if (!core_private_ns("shared host lookups"))
        return 0;
    size_t cap = 64 * 1024, n = 0;
    char *group = malloc(cap);
    assert_non_null(group);
    n += (size_t)snprintf(group + n, cap - n, "root:x:0:\nbigteam:x:1600:");
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(group + n, cap - n, "%smember%04d", i ? "," : "", i);
    snprintf(group + n, cap - n, "\nnogroup:x:65534:\n");
    core_bind_file(etc_dir, "passwd",
                   "root:x:0:0:root:/root:/bin/bash\n"
                   "svc:x:1500:1500::/srv:/usr/sbin/nologin\n"
                   "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
                   "/etc/passwd");
    core_bind_file(etc_dir, "group", group, "/etc/group");
    free(group);
    /* libnss_probefail.so.2 is found through LD_LIBRARY_PATH (set by meson). */
    core_bind_file(etc_dir, "nsswitch.conf", "passwd: files probefail\ngroup: files probefail\n",
                   "/etc/nsswitch.conf");
    core_hide_nscd();
    have_namespace = true;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    unsetenv("PROBEFAIL_ERRNO");
    core_rmdir(etc_dir);
    return 0;
}

/* The failure modes of a name service: errno name, the errno the caller must see. */
static const struct mode {
    const char *name;
    int err;
} modes[] = { { "ENOENT", ENOENT }, { "EAGAIN", EAGAIN }, { "EIO", EIO } };

static void test_answers(void **state)
{
    (void)state;
    if (!have_namespace)
        return;
    uint32_t id = 0;
    int err = 0;
    assert_int_equal(host_nss_id(HOST_NSS_PWNAM, "svc", 0, &id, &err), HOST_NSS_FOUND);
    assert_int_equal(id, 1500);
    assert_int_equal(host_nss_id(HOST_NSS_PWNAM, "nosuchname", 0, &id, &err),
                     HOST_NSS_NOT_FOUND);
    assert_int_equal(host_nss_id(HOST_NSS_PWUID, NULL, LO + 1, &id, &err), HOST_NSS_NOT_FOUND);
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        setenv("PROBEFAIL_ERRNO", modes[m].name, 1);
        static const enum host_nss_kind kinds[] = { HOST_NSS_PWNAM, HOST_NSS_GRNAM,
                                                    HOST_NSS_PWUID, HOST_NSS_GRGID };
        for (size_t k = 0; k < 4; k++) {
            err = 0;
            int r = host_nss_id(kinds[k], "probefail", FAILING, &id, &err);
            if (r != HOST_NSS_CANNOT_TELL || err != modes[m].err)
                fail_msg("%s, lookup kind %zu: answer %d errno %d, expected cannot tell (%d)",
                         modes[m].name, k, r, err, modes[m].err);
        }
        /* Names and ids the failing service is not asked about (files has them) still work. */
        assert_int_equal(host_nss_id(HOST_NSS_PWNAM, "root", 0, &id, &err), HOST_NSS_FOUND);
    }
    unsetenv("PROBEFAIL_ERRNO");
}

static void test_grows_on_erange(void **state)
{
    (void)state;
    if (!have_namespace)
        return;
    /* From 16 bytes up, every lookup needs several ERANGE rounds; none may read as absent. */
    host_nss_set_initial_size(16);
    struct host_nss_entry e;
    int err = 0;
    assert_int_equal(host_nss_lookup(HOST_NSS_GRNAM, "bigteam", 0, &e, &err), HOST_NSS_FOUND);
    assert_int_equal(e.gr.gr_gid, 1600);
    size_t members = 0;
    while (e.gr.gr_mem[members])
        members++;
    assert_int_equal(members, 3000);
    host_nss_entry_free(&e);
    uint32_t id = 0;
    assert_int_equal(host_nss_id(HOST_NSS_PWUID, NULL, 1500, &id, &err), HOST_NSS_FOUND);
    assert_int_equal(id, 1500);
    assert_int_equal(host_nss_id(HOST_NSS_GRNAM, "nosuchgroup", 0, &id, &err),
                     HOST_NSS_NOT_FOUND);
    host_nss_set_initial_size(0);
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

static int run(struct core_ledger_fx *f, enum what what, uint32_t id, struct scim_error *err)
{
    struct op op = { .cfg = &f->cfg, .what = what, .id = id };
    scim_error_clear(err);
    return store_write(f->st, op_fn, &op, err);
}

static void expect_503(const struct scim_error *err, const char *mode, const char *what)
{
    if (err->status != 503 || !strstr(err->detail, "name service failed") ||
        !strstr(err->detail, what))
        fail_msg("%s: expected 503 naming %s, got %d: %s", mode, what, err->status,
                 err->detail);
}

/* scimd: a login name, the next uid and an IdP-chosen uid the host cannot tell about are 503
 * with nothing written, for every failure mode. */
static void test_identity_fails_closed(void **state)
{
    (void)state;
    if (!have_namespace)
        return;
    struct core_ledger_fx *f = core_ledger_fx_new(LO);
    struct scim_error err = { 0 };
    assert_int_equal(run(f, SET_HWM, 0, &err), 0);
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        setenv("PROBEFAIL_ERRNO", modes[m].name, 1);
        scim_error_clear(&err);
        if (identity_check_host(&f->cfg, "probefail", &err) != -1)
            fail_msg("%s: login name probefail read as free", modes[m].name);
        expect_503(&err, modes[m].name, "probefail");
        if (run(f, ALLOC, 0, &err) != -1)
            fail_msg("%s: uid %u read as free", modes[m].name, FAILING);
        expect_503(&err, modes[m].name, "1700000050");
        if (run(f, CLAIM, FAILING + 5, &err) != -1)
            fail_msg("%s: claimed uid %u read as free", modes[m].name, FAILING + 5);
        expect_503(&err, modes[m].name, "1700000055");
        assert_int_equal(core_query_int(f->st, "SELECT count(*) FROM id_ledger"), 0);
        assert_int_equal(core_query_int(f->st, "SELECT value FROM meta WHERE key = 'uid_hwm'"),
                         LO + 49);
        uint32_t gid = 0;
        assert_int_equal(identity_host_group_gid("probefail", &gid), -1);
    }
    unsetenv("PROBEFAIL_ERRNO");
    core_ledger_fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_grows_on_erange),
        cmocka_unit_test(test_identity_fails_closed),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
