/* SPDX-License-Identifier: MIT */
/* The host's names read once per fleet batch (accounts/local_names.c) against a private
 * /etc/passwd, /etc/group and nsswitch.conf in a mount namespace: a local account only a
 * source that cannot enumerate knows (libnss_probefail.so.2's "probelocal", found by name,
 * never listed) still wins over a hub account of that name; a failing last source is "cannot
 * tell"; and for every nsswitch.conf line tried, each name gets the answer glibc's per-name
 * lookups give (identity_check_host), whether the view answers itself or, for a line it does
 * not take on, asks glibc. The same by id (local wins by uid or gid): a files account inside
 * our ranges is local, a uid only the source that cannot enumerate knows is found by asking it
 * for that id, listed sources answer without a lookup, and every id gets the holder and status
 * getpwuid_r/getgrgid_r give. Needs root (unshare); without it the tests say so and check
 * nothing. */
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

#include "core_fixture.h"
#include "accounts/host_probe.h"
#include "fleet/local_names.h"
#include "host_nss.h"

#define LO 1700000000u

static char *etc_dir;
static bool have_namespace;
static unsigned switch_files;

/* Every name the tests ask about, whatever the line. */
static const char *const names[] = { "svc",      "grouponly", "inrange",  "alice",
                                     "probelocal", "probefail", "root",     "nobody" };

/* Every id the tests ask about, as a uid and as a gid: root, svc (and svcalias after it),
 * grouponly's gid, inrange (a files account inside our ranges), probelocal (4242/4243, known
 * only to probefail), an id of probefail's failing range, nobody, and ids no one holds. */
static const uint32_t ids[] = { 0,      1500,   1600,       LO + 1,    LO + 5,
                                4242,   4243,   1700000050, 65534,     LO + 15 };

static int group_setup(void **state)
{
    (void)state;
    etc_dir = core_mkdtemp();
    if (!core_private_ns("the host's names per batch"))
        return 0;
    core_bind_file(etc_dir, "passwd",
                   "root:x:0:0:root:/root:/bin/bash\n"
                   "# a comment:x:1:1\n"
                   "svc:x:1500:1500::/srv:/usr/sbin/nologin\n"
                   "svcalias:x:1500:1500::/srv:/usr/sbin/nologin\n"
                   "inrange:x:1700000001:1500::/home/inrange:/bin/bash\n"
                   "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
                   "/etc/passwd");
    core_bind_file(etc_dir, "group", "root:x:0:\nsvc:x:1500:\ngrouponly:x:1600:a,b\n"
                   "nogroup:x:65534:\n", "/etc/group");
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

/* A new file bound over the last: glibc sees another inode and reads it again. */
static void nsswitch(const char *passwd, const char *group)
{
    char name[32], text[256];
    snprintf(name, sizeof(name), "nsswitch-%u.conf", switch_files++);
    snprintf(text, sizeof(text), "passwd: %s\ngroup: %s\nshadow: files\n", passwd, group);
    core_bind_file(etc_dir, name, text, "/etc/nsswitch.conf");
}

static void config(struct scimd_config *cfg)
{
    scimd_config_init(cfg);
    cfg->uid_min = LO;
    cfg->uid_max = LO + 9;
    cfg->gid_min = LO + 10;
    cfg->gid_max = LO + 19;
}

/* glibc's per-name answer, as the follower asked it before. */
static int per_name(const struct scimd_config *cfg, const char *name)
{
    struct scim_error err = { 0 };
    if (identity_check_host(cfg, name, &err) == 0)
        return 0;
    return err.status == 409 ? 1 : -1;
}

/* Each name answered as glibc does; returns the view's answer for name `want` (checked). */
static void expect_as_glibc(const struct scimd_config *cfg, struct local_names *v,
                            const char *line)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        int got = local_names_check(v, names[i]), want = per_name(cfg, names[i]);
        if (got != want)
            fail_msg("'%s' with \"%s\": the view says %d, glibc per name %d", names[i], line,
                     got, want);
    }
}

/* glibc's per-id answer (1 found, with its name in who; 0; -1 cannot tell). */
static int per_id(bool group, uint32_t id, char *who, size_t wholen)
{
    struct host_nss_entry e;
    enum host_nss_answer r =
        host_nss_lookup(group ? HOST_NSS_GRGID : HOST_NSS_PWUID, NULL, id, &e, NULL);
    if (r == HOST_NSS_FOUND)
        snprintf(who, wholen, "%s", group ? e.gr.gr_name : e.pw.pw_name);
    host_nss_entry_free(&e);
    return r == HOST_NSS_FOUND ? 1 : r == HOST_NSS_NOT_FOUND ? 0 : -1;
}

/* Each id, as a uid and as a gid, answered as getpwuid_r/getgrgid_r answer, holder included. */
static void expect_ids_as_glibc(struct local_names *v, const char *line)
{
    for (int group = 0; group < 2; group++)
        for (size_t i = 0; i < sizeof(ids) / sizeof(*ids); i++) {
            char got_who[256] = "", want_who[256] = "";
            int got = local_names_id_holder(v, group, ids[i], got_who, sizeof(got_who));
            int want = per_id(group, ids[i], want_who, sizeof(want_who));
            if (got != want || (got == 1 && strcmp(got_who, want_who) != 0))
                fail_msg("%s %u with \"%s\": the view says %d '%s', glibc per id %d '%s'",
                         group ? "gid" : "uid", (unsigned)ids[i], line, got, got_who, want,
                         want_who);
        }
}

static void test_probe_only_source_wins(void **state)
{
    (void)state;
    if (!have_namespace)
        return;
    struct scimd_config cfg;
    config(&cfg);
    nsswitch("files probefail", "files probefail");
    struct local_names *v = local_names_open(&cfg);
    assert_non_null(v);
    assert_true(local_names_direct(v));
    unsigned long before = local_names_probes();
    /* Known only to a source that lists nothing: still a local account, still wins. */
    assert_int_equal(local_names_check(v, "probelocal"), 1);
    assert_true(local_names_probes() > before);
    assert_int_equal(local_names_check(v, "svc"), 1);       /* files, a local uid */
    assert_int_equal(local_names_check(v, "grouponly"), 1); /* files, a local group only */
    assert_int_equal(local_names_check(v, "inrange"), 0);   /* inside our ranges: ours */
    assert_int_equal(local_names_check(v, "alice"), 0);
    /* The last source failed: "cannot tell", never "free". */
    assert_int_equal(local_names_check(v, "probefail"), -1);
    expect_as_glibc(&cfg, v, "files probefail");
    /* By id: probelocal's uid and gid, known only to the source that lists nothing, are
     * found by asking it for that id. */
    char who[64];
    before = local_names_probes();
    assert_int_equal(local_names_id_holder(v, false, 4242, who, sizeof(who)), 1);
    assert_string_equal(who, "probelocal");
    assert_true(local_names_probes() > before);
    assert_int_equal(local_names_id_holder(v, true, 4243, who, sizeof(who)), 1);
    assert_string_equal(who, "probelocal");
    /* A files account inside our ranges: its name reads as ours, its uid is still local. */
    assert_int_equal(local_names_id_holder(v, false, LO + 1, who, sizeof(who)), 1);
    assert_string_equal(who, "inrange");
    assert_int_equal(local_names_id_holder(v, true, 1600, who, sizeof(who)), 1);
    assert_string_equal(who, "grouponly");
    assert_int_equal(local_names_id_holder(v, false, 1600, who, sizeof(who)), 0);
    /* Two lines with one uid: the first is the one getpwuid finds. */
    assert_int_equal(local_names_id_holder(v, false, 1500, who, sizeof(who)), 1);
    assert_string_equal(who, "svc");
    assert_int_equal(local_names_id_holder(v, false, LO + 5, who, sizeof(who)), 0);
    /* The last source failed for this id: "cannot tell", never "free". */
    assert_int_equal(local_names_id_holder(v, false, 1700000050, who, sizeof(who)), -1);
    assert_int_equal(local_names_id_holder(v, true, 1700000050, who, sizeof(who)), -1);
    expect_ids_as_glibc(v, "files probefail");
    local_names_close(v);
    scimd_config_free(&cfg);
}

static void test_lines_as_glibc(void **state)
{
    (void)state;
    if (!have_namespace)
        return;
    static const struct {
        const char *line;
        bool direct; /* the view answers itself */
    } cases[] = {
        { "files probefail", true },
        /* A failing source followed by one that answers: glibc says what the last one says. */
        { "probefail files", true },
        /* scim serves only ours and is never asked (no libnss_scim here at all). */
        { "files scim probefail", true },
        { "scim files", true },
        { "files", true },
        /* Action items change which source answers: glibc is asked per name. */
        { "files [NOTFOUND=return] probefail", false },
        /* A module that does not load: glibc is asked per name. */
        { "files nosuchservice", false },
    };
    struct scimd_config cfg;
    config(&cfg);
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        nsswitch(cases[i].line, cases[i].line);
        struct local_names *v = local_names_open(&cfg);
        assert_non_null(v);
        if (local_names_direct(v) != cases[i].direct)
            fail_msg("\"%s\": the view %s itself", cases[i].line,
                     cases[i].direct ? "should answer but does not answer" : "answers");
        expect_as_glibc(&cfg, v, cases[i].line);
        expect_ids_as_glibc(v, cases[i].line);
        local_names_close(v);
    }
    /* The passwd and group lines are read apart: a group only probefail knows still wins. */
    nsswitch("files", "files probefail");
    struct local_names *v = local_names_open(&cfg);
    assert_true(local_names_direct(v));
    assert_int_equal(local_names_check(v, "probelocal"), 1);
    expect_as_glibc(&cfg, v, "files / files probefail");
    expect_ids_as_glibc(v, "files / files probefail");
    char who[64];
    assert_int_equal(local_names_id_holder(v, true, 4243, who, sizeof(who)), 1);
    assert_int_equal(local_names_id_holder(v, false, 4242, who, sizeof(who)), 0);
    local_names_close(v);
    scimd_config_free(&cfg);
}

/* systemd, when the host has it, is listed once (its userdb, when no service that refuses to
 * enumerate runs) and answers as glibc does per name. */
static void test_systemd_listed(void **state)
{
    (void)state;
    if (!have_namespace)
        return;
    struct scimd_config cfg;
    config(&cfg);
    nsswitch("files systemd", "files systemd");
    struct local_names *v = local_names_open(&cfg);
    assert_non_null(v);
    unsigned long before = local_names_probes();
    expect_as_glibc(&cfg, v, "files systemd");
    expect_ids_as_glibc(v, "files systemd");
    if (local_names_direct(v))
        printf("# systemd %s\n", local_names_probes() == before ? "listed once" : "asked per name");
    local_names_close(v);
    scimd_config_free(&cfg);
}

/* A missing or unreadable nsswitch.conf line: glibc decides, per name. */
static void test_no_group_line(void **state)
{
    (void)state;
    if (!have_namespace)
        return;
    struct scimd_config cfg;
    config(&cfg);
    core_bind_file(etc_dir, "nsswitch-nogroup.conf", "passwd: files probefail\n",
                   "/etc/nsswitch.conf");
    struct local_names *v = local_names_open(&cfg);
    assert_non_null(v);
    assert_false(local_names_direct(v));
    expect_as_glibc(&cfg, v, "passwd only");
    expect_ids_as_glibc(v, "passwd only");
    local_names_close(v);
    scimd_config_free(&cfg);
}

/* Listed sources answer ids from the batch's one listing: no lookup per id, whatever the
 * number of hub users. */
static void test_ids_listed_once(void **state)
{
    (void)state;
    if (!have_namespace)
        return;
    struct scimd_config cfg;
    config(&cfg);
    nsswitch("files", "files");
    struct local_names *v = local_names_open(&cfg);
    assert_non_null(v);
    assert_true(local_names_direct(v));
    unsigned long before = local_names_probes();
    char who[64];
    for (uint32_t id = LO; id < LO + 1000; id++) {
        int want = id == LO + 1;
        assert_int_equal(local_names_id_holder(v, false, id, who, sizeof(who)), want);
        assert_int_equal(local_names_id_holder(v, true, id, who, sizeof(who)), 0);
    }
    assert_int_equal(local_names_probes(), before);
    expect_ids_as_glibc(v, "files");
    local_names_close(v);
    scimd_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_only_source_wins),
        cmocka_unit_test(test_lines_as_glibc),
        cmocka_unit_test(test_systemd_listed),
        cmocka_unit_test(test_no_group_line),
        cmocka_unit_test(test_ids_listed_once),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
