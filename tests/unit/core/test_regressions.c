/* SPDX-License-Identifier: MIT */
/* Regression tests for bugs these tests found in scimd/, one per meson test
 * (`test-core-regressions NAME`). Each "BUG name:" comment describes the bug as found; each
 * test asserts the correct behaviour. A newly found bug is added here and registered with
 * should_fail : true (meson then reports "expected fail"; "unexpected pass" once it is fixed,
 * when the flag is dropped). cmocka 1.1.5 prints skip() as "not ok # SKIP", which meson counts
 * as a failure, so known bugs cannot simply be skipped. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <grp.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include "store/db.h"

#include <jansson.h>

#include "accounts/account_snapshot.h"
#include "core_fixture.h"
#include "api/response.h"
#include "accounts/identity.h"
#include "accounts/login_names.h"
#include "log.h"
#include "accounts/roles.h"
#include "server.h"
#include "accounts/sessions.h"
#include "accounts/startup_checks.h"
#include "store/store.h"
#include "store/users_repo.h"

/* Replaces /etc/group (and nsswitch.conf) for this process only: a private mount namespace,
 * made before any thread exists, with bind mounts of files in dir. */
static void private_group_file(const char *dir, const char *group_text)
{
    char *group = core_write(dir, "group", group_text, strlen(group_text));
    static const char nss[] = "passwd: files\ngroup: files\nshadow: files\n";
    char *nsswitch = core_write(dir, "nsswitch.conf", nss, strlen(nss));
    if (unshare(CLONE_NEWNS) != 0)
        fail_msg("unshare(CLONE_NEWNS): %s (this reproduction needs root)", strerror(errno));
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        fail_msg("make / private: %s", strerror(errno));
    if (mount(group, "/etc/group", NULL, MS_BIND, NULL) != 0)
        fail_msg("bind %s: %s", group, strerror(errno));
    if (mount(nsswitch, "/etc/nsswitch.conf", NULL, MS_BIND, NULL) != 0)
        fail_msg("bind %s: %s", nsswitch, strerror(errno));
    struct stat sb;
    if (stat("/run/nscd", &sb) == 0 && mount("tmpfs", "/run/nscd", "tmpfs", 0, NULL) != 0)
        fail_msg("hide nscd: %s", strerror(errno));
    free(group);
    free(nsswitch);
}

/* A private /etc/group holding a group whose member list is larger than 16 KiB (an LDAP or
 * sssd "domain users" group looks like this), plus a small one as a control. */
static void big_group_namespace(const char *dir, uint32_t big_gid, uint32_t small_gid)
{
    size_t cap = 64 * 1024, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    n += (size_t)snprintf(text + n, cap - n, "root:x:0:\nsmallteam:x:%u:a,b\nbigteam:x:%u:",
                          small_gid, big_gid);
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(text + n, cap - n, "%smember%04d", i ? "," : "", i);
    snprintf(text + n, cap - n, "\n");
    private_group_file(dir, text);
    free(text);
}

static void role_config(struct scimd_config *cfg)
{
    scimd_config_init(cfg);
    cfg->uid_min = 1700000000u;
    cfg->uid_max = 1700000999u;
    cfg->gid_min = 1700001000u;
    cfg->gid_max = 1700001999u;
}

struct roles_op {
    const struct scimd_config *cfg;
    json_t *doc;
};

static int roles_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct roles_op *op = arg;
    return roles_sync(db, op->cfg, op->doc, err);
}

static int sync_role(struct store *st, const struct scimd_config *cfg, const char *role,
                     struct scim_error *err)
{
    struct roles_op op = { cfg, json_pack("{s:[{s:s}]}", "roles", "value", role) };
    int r = store_write(st, roles_fn, &op, err);
    json_decref(op.doc);
    return r;
}

/* BUG roles-erange-shadow: roles.c sync_one() still looks the role's group name up with a
 * fixed 16 KiB getgrnam_r buffer and treats ERANGE as "no such group", so a role named like a
 * large local group (here 3000 members) creates a SCIM role group that shadows it. identity.c
 * got a growing lookup in 7652bc2; roles.c (and account_snapshot.c resolve_gid) need the same
 * (a shared helper). */
static void bug_roles_erange_shadow(void **state)
{
    (void)state;
    char *dir = core_mkdtemp();
    big_group_namespace(dir, 1600, 1601);
    struct scimd_config cfg;
    role_config(&cfg);
    struct store *st = core_store_open(dir, "scimd.db", false);
    struct scim_error small = { 0 }, big = { 0 };
    /* Since issue 11 a role named like a local group is kept out of the Linux groups rather
     * than refused (409): the request succeeds and no role group is created. */
    int rs = sync_role(st, &cfg, "smallteam", &small);
    int rb = sync_role(st, &cfg, "bigteam", &big);
    struct scim_error e = { 0 };
    struct db *db = store_reader_get(st, &e);
    uint32_t gs = db ? roles_gid(db, "smallteam") : 1, gb = db ? roles_gid(db, "bigteam") : 1;
    store_reader_put(st, db);
    store_close(st);
    scimd_config_free(&cfg);
    core_rmdir(dir);
    if (rs != 0 || gs != 0)
        fail_msg("setup: the private /etc/group is not in effect (%d %s, gid %u)", small.status,
                 small.detail, gs);
    if (rb != 0 || gb != 0)
        fail_msg("role 'bigteam' (local group, 3000 members) became a new role group (%d %s, "
                 "gid %u)", big.status, big.detail, gb);
}

static int user_with_role_fn(struct db *db, void *arg, struct scim_error *err)
{
    const struct scimd_config *cfg = arg;
    struct user_row u;
    memset(&u, 0, sizeof(u));
    if (users_new_id(u.id) < 0)
        return scim_error_set(err, 500, NULL, "no id");
    u.user_name = strdup("alice@example.com");
    u.login = strdup("alice");
    u.active = true;
    u.uid = cfg->uid_min;
    u.version = 1;
    snprintf(u.created, sizeof(u.created), "2026-11-24T00:00:00.000Z");
    snprintf(u.modified, sizeof(u.modified), "2026-11-24T00:00:00.000Z");
    u.password_day = 20000;
    u.doc = json_pack("{s:s, s:[{s:s}, {s:s}]}", "userName", "alice@example.com", "roles",
                      "value", "administrator", "value", "operator-role");
    int r = roles_sync(db, cfg, u.doc, err);
    if (r == 0)
        r = users_repo_insert(db, &u, err);
    user_row_clear(&u);
    return r;
}

/* BUG snapshot-mapped-big-group: account_snapshot.c resolve_gid() looks a mapped local group
 * up with a fixed 16 KiB buffer, so "[roles] administrator = bigteam" onto a large local
 * group is silently never applied (the log even says the group "does not exist"): its
 * holders do not get the group. */
static void bug_snapshot_mapped_big_group(void **state)
{
    (void)state;
    char *dir = core_mkdtemp();
    big_group_namespace(dir, 1600, 1601);
    struct scimd_config cfg;
    role_config(&cfg);
    free(cfg.cache_path);
    cfg.cache_path = core_path(dir, "nss.cache");
    cfg.role_maps = calloc(2, sizeof(*cfg.role_maps));
    assert_non_null(cfg.role_maps);
    cfg.role_maps[0].scim_name = strdup("administrator");
    cfg.role_maps[0].local_group = strdup("bigteam");
    cfg.role_maps[1].scim_name = strdup("operator-role");
    cfg.role_maps[1].local_group = strdup("smallteam");
    cfg.n_role_maps = 2;
    struct store *st = core_store_open(dir, "scimd.db", true);
    struct scim_error err = { 0 };
    assert_int_equal(store_write(st, user_with_role_fn, &cfg, &err), 0);
    struct scimd_server srv = { .cfg = &cfg, .store = st };
    struct account_snapshot snap;
    char msg[512] = "";
    uint64_t generation = 0;
    assert_int_equal(account_snapshot_load(&srv, &generation, &snap, msg, sizeof(msg)), 0);
    bool small = false, big = false;
    for (size_t i = 0; i < snap.cache.n_groups; i++) {
        if (strcmp(snap.cache.groups[i].name, "smallteam") == 0)
            small = snap.cache.groups[i].gid == 1601 && snap.cache.groups[i].n_members == 1;
        if (strcmp(snap.cache.groups[i].name, "bigteam") == 0)
            big = snap.cache.groups[i].gid == 1600 && snap.cache.groups[i].n_members == 1;
    }
    account_snapshot_free(&snap);
    store_close(st);
    scimd_config_free(&cfg);
    core_rmdir(dir);
    if (!small)
        fail_msg("setup: the mapping onto the small local group was not exported");
    if (!big)
        fail_msg("the mapping onto the large local group 'bigteam' was not exported");
}

/* BUG sessions-count-zombies: kill_all() counts every kill() that returns 0, and a process it
 * just killed stays in /proc as a zombie (same Uid: line) until its parent reaps it, so the
 * next pass kills and counts it again: one process is reported as "killed 3 process(es)" and
 * the loop always runs all three passes. Processes in state Z (or X) should be skipped. */
static void bug_sessions_count_zombies(void **state)
{
    (void)state;
    const uid_t uid = 1700000077u;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgid(100) != 0 || setuid(uid) != 0)
            _exit(3);
        for (;;)
            pause();
    }
    /* Wait until the child runs as uid (it starts as root). */
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    bool switched = false;
    for (int i = 0; i < 400 && !switched; i++) {
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f))
            if (strncmp(line, "Uid:", 4) == 0 && strtoul(line + 4, NULL, 10) == uid)
                switched = true;
        if (f)
            fclose(f);
        if (!switched)
            usleep(5000);
    }
    int n = switched ? sessions_terminate(uid, "zombie-test", "/proc") : -2;
    int status = 0;
    waitpid(pid, &status, 0);
    if (!switched)
        fail_msg("the child could not switch to uid %u (this reproduction needs root)", uid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    if (n != 1)
        fail_msg("one process killed, sessions_terminate() reported %d", n);
}

/* BUG sessions-special-uids: sessions_terminate() refuses uids below 1000 "whatever the store
 * says", but not 65534 (nobody), 65535 or 4294967295, which architecture.md also keeps out of every
 * range: a damaged store naming uid 65534 would SIGKILL every daemon running as nobody. The
 * guard should refuse them too (or anything outside the configured uid range). */
static void bug_sessions_special_uids(void **state)
{
    (void)state;
    char *proc = core_mkdtemp();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (;;)
            pause();
    }
    char name[32], status[128];
    snprintf(name, sizeof(name), "%d", (int)pid);
    char *dir = core_path(proc, name);
    assert_int_equal(mkdir(dir, 0755), 0);
    int len = snprintf(status, sizeof(status), "Name:\tdnsmasq\nUid:\t65534\t65534\t65534\t65534\n");
    free(core_write(dir, "status", status, (size_t)len));
    int n = sessions_terminate(65534, "nobody", proc);
    int st = 0;
    bool killed = false;
    for (int i = 0; i < 10 && !killed; i++) {
        killed = waitpid(pid, &st, WNOHANG) == pid;
        if (!killed)
            usleep(5000);
    }
    if (!killed) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    core_rmdir(dir);
    core_rmdir(proc);
    if (n != -1 || killed)
        fail_msg("sessions_terminate(65534) returned %d and %s the nobody process", n,
                 killed ? "KILLED" : "spared");
}

/* BUG log-injection: log_msg() writes the formatted text as is, and log lines carry
 * client-controlled text: router.c logs "auth: refused %s %s" with the request URL, which
 * libmicrohttpd has percent-decoded, before any authentication. So
 *   curl 'http://127.0.0.1:8080/scim/v2/Users%0Aaudit:%20token=abcdefghijkmnpqr%20action=delete
 *         %20resource=User%20id=x%20name=root%20changed=[]'
 * writes a second line "audit: token=abcdefghijkmnpqr action=delete ..." that journald stores
 * as its own entry, indistinguishable from a real audit record (http.c's request line too).
 * log_msg should escape control bytes (\n as "\\n", others as \xNN) so one call is one line. */
static void log_forged_url(void *arg)
{
    (void)arg;
    log_msg(LOG_WARNING, "auth: refused %s %s: %s", "GET",
            "/scim/v2/Users\naudit: token=abcdefghijkmnpqr action=delete resource=User id=x",
            "missing credentials");
}

static void bug_log_injection(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = core_capture_stderr(log_forged_url, NULL, &len);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    bool forged = core_contains((const unsigned char *)text, len, "\naudit:");
    if (lines != 1 || forged)
        fail_msg("one log call wrote %zu lines%s: %.*s", lines,
                 forged ? ", one of them a forged audit record" : "", (int)len, text);
    free(text);
}

/* BUG error-detail-utf8-cut: error details quote client values with "%.128s" (identity.c,
 * roles.c, ...), which can cut a multi-byte UTF-8 character in half; json_pack then refuses
 * the detail and set_error() leaves resp->json NULL, so the client gets
 *   HTTP/1.1 400 Bad Request, Content-Type: application/scim+json, Content-Length: 0
 * Reproduction: POST /Users with "userName": 127 x "a" + "é x@example.com". The detail should
 * be cut on a character boundary (or invalid bytes replaced) so the error always has a body. */
static void bug_error_detail_utf8_cut(void **state)
{
    (void)state;
    struct scimd_config cfg;
    scimd_config_init(&cfg);
    char name[300];
    memset(name, 'a', 127);
    snprintf(name + 127, sizeof(name) - 127, "\xc3\xa9 x@example.com");
    char out[LOGIN_NAME_BUF];
    struct scim_error err = { 0 };
    assert_int_equal(identity_login_name(&cfg, name, out, &err), -1);
    scimd_config_free(&cfg);
    struct api_response resp;
    memset(&resp, 0, sizeof(resp));
    api_error_from(&resp, &err);
    bool have_body = resp.json != NULL;
    api_response_reset(&resp);
    if (!have_body)
        fail_msg("the 400 for a 127-byte + 'é' userName has no JSON body");
}

static int claim_fn(struct db *db, void *arg, struct scim_error *err)
{
    const struct scimd_config *cfg = ((void **)arg)[0];
    const uint32_t *uid = ((void **)arg)[1];
    return identity_claim_uid(db, cfg, "migrated-user", "migrated", *uid, err);
}

/* BUG claim-after-adopt: identity_claim_uid() ([accounts] accept_idp_ids) refuses only uids
 * in the id_ledger. After a lost database and 'scimctl high-water adopt' (the documented
 * recovery), the ledger is empty but every uid up to the adopted mark may have belonged to a
 * deleted user: allocation stays above the mark, a claim below it is accepted, and the new
 * user inherits the old user's files. Out-of-order claims in a healthy store (an LDAP
 * migration pushes users in any order) must keep working, so "claims must be above the mark"
 * is too strict; e.g. adopt could record a floor (ids <= floor never claimable). */
static void bug_claim_after_adopt(void **state)
{
    (void)state;
    char *dir = core_mkdtemp();
    struct scimd_config cfg;
    scimd_config_init(&cfg);
    cfg.uid_min = 1700000000u;
    cfg.uid_max = 1700000999u;
    cfg.gid_min = 1700001000u;
    cfg.gid_max = 1700001999u;
    cfg.accept_idp_ids = true;
    free(cfg.database);
    cfg.database = core_path(dir, "scimd.db");
    free(cfg.cache_path);
    cfg.cache_path = core_path(dir, "nss.cache");
    /* The guard file survived; the database with uids 1700000000-1700000004 did not. */
    char guard[4096];
    assert_int_equal(hwm_file_path(&cfg, guard, sizeof(guard)), 0);
    assert_int_equal(hwm_file_write(guard, 1700000004u, 1700001000u), 0);
    struct store *st = core_store_open(dir, "scimd.db", false);
    char msg[1024] = "";
    assert_int_equal(startup_check_hwm(&cfg, st, msg, sizeof(msg)), -1);
    uint64_t u = 0, g = 0;
    assert_int_equal(hwm_adopt(&cfg, st, &u, &g, msg, sizeof(msg)), 0);
    assert_int_equal(startup_check_hwm(&cfg, st, msg, sizeof(msg)), 0);
    uint32_t uid = 1700000002u;
    void *args[2] = { &cfg, &uid };
    struct scim_error err = { 0 };
    int r = store_write(st, claim_fn, args, &err);
    store_close(st);
    scimd_config_free(&cfg);
    core_rmdir(dir);
    if (r == 0)
        fail_msg("uid 1700000002, at or below the adopted mark 1700000004, was claimed");
}

static const struct {
    const char *name;
    CMUnitTestFunction fn;
} bugs[] = {
    { "roles-erange-shadow", bug_roles_erange_shadow },
    { "snapshot-mapped-big-group", bug_snapshot_mapped_big_group },
    { "sessions-count-zombies", bug_sessions_count_zombies },
    { "sessions-special-uids", bug_sessions_special_uids },
    { "log-injection", bug_log_injection },
    { "error-detail-utf8-cut", bug_error_detail_utf8_cut },
    { "claim-after-adopt", bug_claim_after_adopt },
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s NAME\n", argv[0]);
        return 2;
    }
    for (size_t i = 0; i < sizeof(bugs) / sizeof(bugs[0]); i++) {
        if (strcmp(bugs[i].name, argv[1]) == 0) {
            const struct CMUnitTest one[] = {
                { bugs[i].name, bugs[i].fn, NULL, NULL, NULL },
            };
            /* The verdict is in the TAP lines. Exit 0 so meson's should_fail turns "not ok"
             * into "expected fail": a non-zero exit is an ERROR that should_fail keeps. A
             * crash still exits non-zero and stays an error. */
            cmocka_run_group_tests_name(bugs[i].name, one, NULL, NULL);
            return 0;
        }
    }
    fprintf(stderr, "unknown regression test '%s'\n", argv[1]);
    return 2;
}
