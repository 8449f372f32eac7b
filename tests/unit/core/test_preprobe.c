/* SPDX-License-Identifier: MIT */
/* Pre-probed uids (identity_preprobe_uid): request threads ask the host's NSS about the ids
 * just above the last allocated uid so the store's writer need not. Checked against a
 * private /etc/passwd, /etc/group and nsswitch.conf in a mount namespace (set up once, before
 * any thread): the writer uses fresh verdicts without asking NSS again, skips ids found
 * taken, asks again once a verdict is stale (an id the host gained meanwhile is skipped),
 * and fails closed (503, nothing written) when NSS cannot answer, through the failing
 * service libnss_probefail.so.2. Needs root (unshare); without it the tests say so and
 * check nothing. */
#include <errno.h>
#include <pthread.h>
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
#include <unistd.h>

#include <cmocka.h>
#include "store/db.h"

#include "core_fixture.h"
#include "accounts/host_probe.h"
#include "accounts/identity.h"
#include "accounts/preprobe.h"
#include "store/store.h"

#define LO 1700000000u

static char *etc_dir;
static bool have_namespace;

static const char passwd_base[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "taken3:x:1700000003:1500::/home/t:/bin/bash\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

static int group_setup(void **state)
{
    (void)state;
    etc_dir = core_mkdtemp();
    if (!core_private_ns("pre-probing"))
        return 0;
    core_bind_file(etc_dir, "passwd", passwd_base, "/etc/passwd");
    core_bind_file(etc_dir, "group", "root:x:0:\ntaken4:x:1700000004:\nnogroup:x:65534:\n",
                   "/etc/group");
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
    core_rmdir(etc_dir);
    return 0;
}


static int setup(void **state)
{
    identity_preprobe_set_ttl_ms(1000);
    *state = core_ledger_fx_new(LO);
    return 0;
}

static int teardown(void **state)
{
    core_ledger_fx_free(*state);
    identity_preprobe_set_ttl_ms(1000);
    return 0;
}

enum what { ALLOC, CLAIM, SET_HWM };

struct op {
    const struct scimd_config *cfg;
    enum what what;
    uint32_t id;
    const char *hwm;
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
        return store_meta_set(db, "uid_hwm", op->hwm) == 0
                   ? 0
                   : scim_error_set(err, 500, NULL, "meta set failed");
    }
    return -1;
}

static int run(struct core_ledger_fx *f, enum what what, uint32_t *id, const char *hwm,
               struct scim_error *err)
{
    struct op op = { .cfg = &f->cfg, .what = what, .id = id ? *id : 0, .hwm = hwm };
    scim_error_clear(err);
    int r = store_write(f->st, op_fn, &op, err);
    if (id)
        *id = op.id;
    return r;
}

static uint32_t alloc(struct core_ledger_fx *f)
{
    uint32_t id = 0;
    struct scim_error err = { 0 };
    if (run(f, ALLOC, &id, NULL, &err) != 0)
        fail_msg("allocate: %s", err.detail);
    return id;
}

static int64_t query_int(struct core_ledger_fx *f, const char *sql)
{
    return core_query_int(f->st, sql);
}

static void test_writer_uses_verdicts(void **state)
{
    struct core_ledger_fx *f = *state;
    if (!have_namespace)
        return;
    /* Nothing is known before the first allocation: the writer asks NSS itself. */
    uint64_t before = identity_inline_probes();
    assert_int_equal(alloc(f), LO);
    assert_int_equal(identity_inline_probes(), before + 1);

    /* Request threads probe LO+1 .. LO+5 (LO+3 is a local user, LO+4 a local group). */
    for (int i = 0; i < 5; i++)
        identity_preprobe_uid(&f->cfg);
    before = identity_inline_probes();
    assert_int_equal(alloc(f), LO + 1);
    assert_int_equal(alloc(f), LO + 2);
    /* LO+3 and LO+4 are skipped on their verdicts, LO+5 taken on its verdict. */
    assert_int_equal(alloc(f), LO + 5);
    assert_int_equal(identity_inline_probes(), before);
    /* Past the probed ids the writer asks NSS again. */
    assert_int_equal(alloc(f), LO + 6);
    assert_int_equal(identity_inline_probes(), before + 1);
    assert_int_equal(query_int(f, "SELECT count(*) FROM id_ledger WHERE id IN "
                                  "(1700000003, 1700000004)"),
                     0);
}

static void test_probes_stay_ahead_and_in_range(void **state)
{
    struct core_ledger_fx *f = *state;
    if (!have_namespace)
        return;
    f->cfg.uid_min = LO + 10;
    f->cfg.uid_max = LO + 12;
    assert_int_equal(alloc(f), LO + 10);
    /* Only LO+11 and LO+12 are left in the range: more probes than that find nothing to do. */
    for (int i = 0; i < 10; i++)
        identity_preprobe_uid(&f->cfg);
    uint64_t before = identity_inline_probes();
    assert_int_equal(alloc(f), LO + 11);
    assert_int_equal(alloc(f), LO + 12);
    assert_int_equal(identity_inline_probes(), before);
    uint32_t id = 0;
    struct scim_error err = { 0 };
    assert_int_equal(run(f, ALLOC, &id, NULL, &err), -1);
    assert_non_null(strstr(err.detail, "exhausted"));

    /* A verdict is for one id only: after the high-water mark jumps (a claim, a restore),
     * the writer allocates above it and asks NSS about ids nobody probed. */
    f->cfg.uid_max = LO + 99;
    assert_int_equal(run(f, SET_HWM, NULL, "1700000030", &err), 0);
    identity_preprobe_uid(&f->cfg); /* probes LO+13: of no use any more */
    before = identity_inline_probes();
    assert_int_equal(alloc(f), LO + 31);
    assert_int_equal(identity_inline_probes(), before + 1);
}

static void test_stale_verdict_is_probed_again(void **state)
{
    struct core_ledger_fx *f = *state;
    if (!have_namespace)
        return;
    f->cfg.uid_min = LO + 20;
    identity_preprobe_set_ttl_ms(50);
    assert_int_equal(alloc(f), LO + 20);
    identity_preprobe_uid(&f->cfg); /* LO+21: free */
    identity_preprobe_uid(&f->cfg); /* LO+22: free */
    /* The host gains a user with uid LO+21 after it was probed. */
    char *passwd = NULL;
    assert_true(asprintf(&passwd, "%slate:x:1700000021:1500::/home/late:/bin/bash\n",
                         passwd_base) > 0);
    core_bind_file(etc_dir, "passwd-late", passwd, "/etc/passwd");
    free(passwd);
    usleep(120 * 1000);
    /* The verdicts are stale: the writer asks again, skips LO+21 and hands out LO+22. */
    uint64_t before = identity_inline_probes();
    assert_int_equal(alloc(f), LO + 22);
    assert_int_equal(identity_inline_probes(), before + 2);
    assert_int_equal(query_int(f, "SELECT count(*) FROM id_ledger WHERE id = 1700000021"), 0);
    if (umount("/etc/passwd") != 0)
        fail_msg("umount /etc/passwd: %s", strerror(errno));
}

static void expect_503(struct scim_error *err, const char *what)
{
    assert_int_equal(err->status, 503);
    if (!strstr(err->detail, "name service failed") || !strstr(err->detail, what))
        fail_msg("unexpected detail: %s", err->detail);
}

static void test_nss_failure_fails_closed(void **state)
{
    struct core_ledger_fx *f = *state;
    if (!have_namespace)
        return;
    struct scim_error err = { 0 };
    /* LO+50..LO+59 are ids the failing service cannot answer for. */
    assert_int_equal(run(f, SET_HWM, NULL, "1700000048", &err), 0);
    assert_int_equal(alloc(f), LO + 49);
    int64_t ledger = query_int(f, "SELECT count(*) FROM id_ledger");
    uint32_t id = 0;
    assert_int_equal(run(f, ALLOC, &id, NULL, &err), -1);
    expect_503(&err, "1700000050");
    /* Pre-probing LO+50 fails as well and leaves no verdict: the writer asks again and
     * fails closed again, rather than skipping or handing out the id. */
    identity_preprobe_uid(&f->cfg);
    identity_preprobe_uid(&f->cfg);
    assert_int_equal(run(f, ALLOC, &id, NULL, &err), -1);
    expect_503(&err, "1700000050");
    /* An IdP-chosen uid the host cannot be asked about is refused the same way. */
    id = LO + 55;
    assert_int_equal(run(f, CLAIM, &id, NULL, &err), -1);
    expect_503(&err, "1700000055");
    /* Nothing was written: no ledger entry, the mark where it was. */
    assert_int_equal(query_int(f, "SELECT count(*) FROM id_ledger"), ledger);
    assert_int_equal(query_int(f, "SELECT value FROM meta WHERE key = 'uid_hwm'"), LO + 49);
    /* Login names the host cannot be asked about are refused too. */
    assert_int_equal(identity_check_host(&f->cfg, "probefail", &err), -1);
    expect_503(&err, "probefail");
}

struct worker {
    struct core_ledger_fx *f;
    uint32_t ids[10];
    int failures;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 10; i++) {
        struct scim_error err = { 0 };
        identity_preprobe_uid(&w->f->cfg);
        if (run(w->f, ALLOC, &w->ids[i], NULL, &err) != 0)
            w->failures++;
    }
    return NULL;
}

static void test_concurrent_requests(void **state)
{
    struct core_ledger_fx *f = *state;
    if (!have_namespace)
        return;
    /* As on a busy server: every request probes ahead, then queues its allocation. Each id is
     * handed out once, in order, none skipped (the host has nothing from LO+100 up). */
    f->cfg.uid_min = LO + 100;
    f->cfg.uid_max = LO + 999;
    assert_int_equal(alloc(f), LO + 100);
    struct worker w[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].f = f;
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    uint32_t all[80];
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
        memcpy(all + 10 * i, w[i].ids, sizeof(w[i].ids));
    }
    qsort(all, 80, sizeof(all[0]), core_cmp_u32);
    for (uint32_t i = 0; i < 80; i++)
        assert_int_equal(all[i], LO + 101 + i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_writer_uses_verdicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probes_stay_ahead_and_in_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_verdict_is_probed_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nss_failure_fails_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_requests, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
