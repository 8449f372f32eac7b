/* Known bugs in scimd/, one per meson test (`test-core-known-bugs NAME`), registered with
 * should_fail: each test asserts the correct behaviour, so it fails today (meson reports
 * "expected fail") and turns into "unexpected pass" the day the bug is fixed — then move it
 * into the suite's regular tests and drop its entry from meson.build.
 * (cmocka 1.1.5 prints skip() as "not ok # SKIP", which meson counts as a failure, so these
 * cannot simply be skipped.) */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <grp.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../../scimd/config.h"
#include "core_fixture.h"
#include "identity.h"
#include "password.h"
#include "startup_checks.h"
#include "store.h"

struct cfg_fx {
    char *dir;
    char *path;
    struct scimd_config cfg;
    char err[512];
};

static int load(struct cfg_fx *f, const char *text)
{
    if (!f->dir)
        f->dir = core_mkdtemp();
    scimd_config_free(&f->cfg);
    scimd_config_init(&f->cfg);
    free(f->path);
    f->path = core_write(f->dir, "scimd.conf", text, strlen(text));
    f->err[0] = '\0';
    return scimd_config_load(&f->cfg, f->path, f->err, sizeof(f->err));
}

static void cfg_done(struct cfg_fx *f)
{
    scimd_config_free(&f->cfg);
    free(f->path);
    core_rmdir(f->dir);
}

/* BUG config-octal: config_keys.c parse_uint() calls strtoull(value, &end, 0), so a leading
 * zero means octal: "busy_timeout = 0100" gives 64 ms and "uid_min = 010000" gives 4096,
 * silently. A leading zero must mean the decimal number, or be refused. */
static void bug_config_octal(void **state)
{
    (void)state;
    struct cfg_fx f = { 0 };
    if (load(&f, "[store]\nbusy_timeout = 0100\n") == 0)
        assert_int_equal(f.cfg.busy_timeout_ms, 100);
    else
        assert_non_null(strstr(f.err, ":2: busy_timeout"));
    cfg_done(&f);
}

/* BUG config-relative-home: config_keys.c parses [accounts] home as K_STRING, so
 * "home = home/%u" is accepted and every SCIM user gets a relative home directory in passwd.
 * It must be refused with file:line like the other paths. */
static void bug_config_relative_home(void **state)
{
    (void)state;
    struct cfg_fx f = { 0 };
    assert_int_equal(load(&f, "[accounts]\nhome = home/%u\n"), -1);
    assert_non_null(strstr(f.err, ":2: home"));
    cfg_done(&f);
}

/* BUG config-hash-in-group-key: config.c strip_comment() says values such as "Team #1" in
 * [groups] keys are not cut short, but it cuts at any '#' after whitespace: the line
 * "Team #1 = developers" becomes "Team" and the file is refused ("expected 'key = value'").
 * Either the code or its comment is wrong; a group displayName containing " #" cannot be
 * mapped today. */
static void bug_config_hash_in_group_key(void **state)
{
    (void)state;
    struct cfg_fx f = { 0 };
    if (load(&f, "[groups]\nTeam #1 = developers\n") != 0)
        fail_msg("refused: %s", f.err);
    assert_int_equal(f.cfg.n_group_maps, 1);
    assert_string_equal(f.cfg.group_maps[0].scim_name, "Team #1");
    cfg_done(&f);
}

/* BUG config-empty-v6-host: config_keys.c parse_listen() accepts "listen = []:80" and sets an
 * empty listen_host; an empty bracketed address must be refused like "[::1]" without a port. */
static void bug_config_empty_v6_host(void **state)
{
    (void)state;
    struct cfg_fx f = { 0 };
    int r = load(&f, "[server]\nlisten = []:80\n");
    if (r == 0)
        fail_msg("accepted with listen_host '%s'", f.cfg.listen_host);
    assert_non_null(strstr(f.err, ":2: listen"));
    cfg_done(&f);
}

/* BUG identity-long-name-message: a userName longer than LOGIN_NAME_BUF makes
 * scim_name_login_from_username() return -ERANGE with why = "output buffer too small", and
 * identity_login_name() passes that to the IdP: "... does not give a valid Linux login name:
 * output buffer too small". Its own fallback says "name too long", which is what the admin
 * needs to read. */
static void bug_identity_long_name_message(void **state)
{
    (void)state;
    struct scimd_config cfg;
    scimd_config_init(&cfg);
    char *huge = malloc(1000);
    assert_non_null(huge);
    memset(huge, 'b', 999);
    huge[999] = '\0';
    char out[LOGIN_NAME_BUF];
    struct scim_error err = { 0 };
    assert_int_equal(identity_login_name(&cfg, huge, out, &err), -1);
    assert_int_equal(err.status, 400);
    if (strstr(err.detail, "too long") == NULL)
        fail_msg("detail: %s", err.detail + strlen(err.detail) - 60);
    free(huge);
    scimd_config_free(&cfg);
}

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

static int alloc_fn(sqlite3 *db, void *arg, struct scim_error *err)
{
    const struct scimd_config *cfg = ((void **)arg)[0];
    uint32_t *uid = ((void **)arg)[1];
    return identity_allocate_uid(db, cfg, "owner-1", "bigteam-user", uid, err);
}

/* BUG identity-erange-fail-open: identity_check_host() and id_taken_on_host() use a fixed
 * 16 KiB buffer with getgrnam_r/getgrgid_r (and getpw*_r) and treat every non-zero return as
 * "not found". A local group whose member list exceeds 16 KiB (an LDAP/sssd "domain users"
 * group, here a files group with 3000 members) gives ERANGE, so its name is accepted for a
 * SCIM user (the user's private group then shadows it) and its gid is handed out as a uid.
 * Both must retry with a larger buffer, and fail closed on any other error. */
static void bug_identity_erange_fail_open(void **state)
{
    (void)state;
    char *dir = core_mkdtemp();
    const uint32_t big_gid = 1700000000u;
    size_t cap = 64 * 1024, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    n += (size_t)snprintf(text + n, cap - n, "root:x:0:\nsmallteam:x:%u:a,b\nbigteam:x:%u:",
                          big_gid + 1, big_gid);
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(text + n, cap - n, "%smember%04d", i ? "," : "", i);
    snprintf(text + n, cap - n, "\n");
    private_group_file(dir, text);
    free(text);

    /* Ranges that do not contain the local gids: both names belong to the host, not to us. */
    struct scimd_config cfg;
    scimd_config_init(&cfg);
    cfg.uid_min = big_gid + 100;
    cfg.uid_max = big_gid + 110;
    cfg.gid_min = big_gid + 111;
    cfg.gid_max = big_gid + 120;
    struct scim_error err = { 0 };
    /* Control: the private /etc/group is in effect, and a small group is refused. */
    if (identity_check_host(&cfg, "smallteam", &err) != -1)
        fail_msg("setup: the private /etc/group is not in effect");
    int check = identity_check_host(&cfg, "bigteam", &err);

    /* Allocation from a range starting at the big group's gid must skip it (and smallteam's). */
    uint32_t uid = 0;
    cfg.uid_min = big_gid;
    cfg.uid_max = big_gid + 10;
    cfg.gid_min = big_gid + 11;
    cfg.gid_max = big_gid + 20;
    struct store *st = core_store_open(dir, "scimd.db", false);
    void *args[2] = { &cfg, &uid };
    struct scim_error aerr = { 0 };
    assert_int_equal(store_write(st, alloc_fn, args, &aerr), 0);
    store_close(st);
    scimd_config_free(&cfg);
    core_rmdir(dir);
    if (check == 0 || uid != big_gid + 2)
        fail_msg("local group 'bigteam' (gid %u, 3000 members): name %s; first uid allocated %u "
                 "(want %u)", big_gid, check == 0 ? "ACCEPTED for a SCIM user" : "refused",
                 uid, big_gid + 2);
}

/* Open descriptors of this process on path. */
static int fds_open_to(const char *path)
{
    char want[PATH_MAX], got[PATH_MAX];
    if (!realpath(path, want))
        fail_msg("realpath(%s): %s", path, strerror(errno));
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        ssize_t len = readlinkat(dirfd(d), e->d_name, got, sizeof(got) - 1);
        if (len > 0) {
            got[len] = '\0';
            if (strcmp(got, want) == 0)
                n++;
        }
    }
    closedir(d);
    return n;
}

static int cached_lookup_fn(sqlite3 *db, void *arg, struct scim_error *err)
{
    (void)arg;
    sqlite3_stmt *s = store_stmt(db, "SELECT count(*) FROM meta");
    if (!s)
        return scim_error_set(err, 500, NULL, "store_stmt failed");
    sqlite3_step(s);
    store_stmt_done(s);
    return 0;
}

/* BUG store-close-leaks-cached-statements: store_stmt() keeps prepared statements on the
 * writer and reader connections, but store_close() (and store_reader_put() when the pool is
 * full) still use sqlite3_close(), which returns SQLITE_BUSY and closes nothing while a
 * statement exists. Every connection that served users_repo_find_by_key() or a group lookup
 * leaks its memory and its file descriptors; under ASan every test closing such a store
 * reports the leak. Finalize the cached statements first, or use sqlite3_close_v2(). */
static void bug_store_close_leaks_cached_statements(void **state)
{
    (void)state;
    char *dir = core_mkdtemp();
    char *db_path = core_path(dir, "scimd.db");
    struct store *st = core_store_open(dir, "scimd.db", true);
    struct scim_error err = { 0 };
    assert_int_equal(store_write(st, cached_lookup_fn, NULL, &err), 0);
    sqlite3 *reader = store_reader_get(st, &err);
    assert_non_null(reader);
    sqlite3_stmt *s = store_stmt(reader, "SELECT count(*) FROM meta");
    assert_non_null(s);
    sqlite3_step(s);
    store_stmt_done(s);
    store_reader_put(st, reader);
    assert_true(fds_open_to(db_path) >= 2);
    store_close(st);
    int left = fds_open_to(db_path);
    free(db_path);
    core_rmdir(dir);
    if (left != 0)
        fail_msg("%d descriptor(s) on the database still open after store_close()", left);
}

/* BUG hwm-guard-unreadable-ignored: hwm_file_read() returns 0 with both marks 0 for a guard
 * file it cannot parse (or cannot read: a directory in its place, EIO), and guard_marks()
 * ignores every error, so startup_check_hwm() lets an empty or restored database start and
 * hand out old uids again: the guard fails open exactly when it is damaged. A guard file that
 * exists but yields no valid marks must be an error. */
static void bug_hwm_guard_unreadable_ignored(void **state)
{
    (void)state;
    char *dir = core_mkdtemp();
    struct scimd_config cfg;
    scimd_config_init(&cfg);
    free(cfg.database);
    cfg.database = core_path(dir, "scimd.db");
    free(cfg.cache_path);
    cfg.cache_path = core_path(dir, "nss.cache");
    char path[4096];
    assert_int_equal(hwm_file_path(&cfg, path, sizeof(path)), 0);
    static const char damaged[] = "uid_hwm=1879048500\ngid_hwm=1880096900\n";
    free(core_write(dir, "uid-high-water", damaged, strlen(damaged)));
    uint64_t u = 0, g = 0;
    int read_ret = hwm_file_read(path, &u, &g);
    struct store *st = core_store_open(dir, "scimd.db", false); /* empty: marks 0 */
    char err[1024] = "";
    int check = startup_check_hwm(&cfg, st, err, sizeof(err));
    core_store_close(st);
    scimd_config_free(&cfg);
    core_rmdir(dir);
    if (read_ret == 0 || check == 0)
        fail_msg("damaged guard file: hwm_file_read() = %d (marks %llu/%llu), "
                 "startup_check_hwm() = %d on an empty database",
                 read_ret, (unsigned long long)u, (unsigned long long)g, check);
}

/* BUG password-length-500: password.h allows PASSWORD_MAX_LEN = 1024 bytes, but libxcrypt
 * refuses passphrases of CRYPT_MAX_PASSPHRASE_SIZE (512) bytes or more with a "*" hash, so a
 * 512..1024-byte password from the IdP gets 500 "cannot hash the password" instead of being
 * stored or refused with 400 invalidValue. PASSWORD_MAX_LEN should be
 * CRYPT_MAX_PASSPHRASE_SIZE - 1 (or the long password prehashed). */
static void bug_password_length_500(void **state)
{
    (void)state;
    char pw[600];
    memset(pw, 'p', sizeof(pw) - 1);
    pw[sizeof(pw) - 1] = '\0';
    struct scim_error err = { 0 };
    char *hash = password_hash_new(pw, &err);
    if (!hash && err.status != 400)
        fail_msg("599-byte password: %d %s", err.status, err.detail);
    free(hash);
}

static const struct {
    const char *name;
    CMUnitTestFunction fn;
} bugs[] = {
    { "config-octal", bug_config_octal },
    { "config-relative-home", bug_config_relative_home },
    { "config-hash-in-group-key", bug_config_hash_in_group_key },
    { "config-empty-v6-host", bug_config_empty_v6_host },
    { "identity-long-name-message", bug_identity_long_name_message },
    { "identity-erange-fail-open", bug_identity_erange_fail_open },
    { "store-close-leaks-cached-statements", bug_store_close_leaks_cached_statements },
    { "hwm-guard-unreadable-ignored", bug_hwm_guard_unreadable_ignored },
    { "password-length-500", bug_password_length_500 },
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s BUG\n", argv[0]);
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
    fprintf(stderr, "unknown bug '%s'\n", argv[1]);
    return 2;
}
