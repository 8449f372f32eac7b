/* SPDX-License-Identifier: MIT */
/* Identity mapping (identity.c): login names from userName, refusing names the host already
 * knows, and the never-reused uid/gid ledger. */
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include "store/db.h"

#include "core_fixture.h"
#include "accounts/host_probe.h"
#include "accounts/identity.h"
#include "accounts/login_names.h"
#include "store/store.h"

/* A range no Debian host resolves (above the default subuid/subgid blocks, below systemd's). */
#define LO 1700000000u


static int setup(void **state)
{
    *state = core_ledger_fx_new(LO);
    return 0;
}

static int teardown(void **state)
{
    core_ledger_fx_free(*state);
    return 0;
}

/* ---- login names ---- */

static void expect_login(const struct scimd_config *cfg, const char *user_name, const char *want)
{
    char out[LOGIN_NAME_BUF];
    struct scim_error err = { 0 };
    if (identity_login_name(cfg, user_name, out, &err) != 0)
        fail_msg("'%.80s' refused: %s", user_name, err.detail);
    assert_string_equal(out, want);
}

static void expect_login_refused(const struct scimd_config *cfg, const char *user_name,
                                 const char *why)
{
    char out[LOGIN_NAME_BUF];
    struct scim_error err = { 0 };
    if (identity_login_name(cfg, user_name, out, &err) != -1)
        fail_msg("'%.80s' accepted as '%s'", user_name, out);
    assert_int_equal(err.status, 400);
    assert_non_null(err.scim_type);
    assert_string_equal(err.scim_type, "invalidValue");
    if (strstr(err.detail, why) == NULL)
        fail_msg("refusal of '%.80s' says '%s', expected it to mention '%s'", user_name, err.detail,
                 why);
}

static void test_login_localpart(void **state)
{
    struct core_ledger_fx *f = *state;
    f->cfg.login_name = LOGIN_NAME_LOCALPART;
    expect_login(&f->cfg, "alice@example.com", "alice");
    expect_login(&f->cfg, "Test_User_0f8fad5b-d9cb-469f-a165-70867728950e@contoso.com",
                 "test_user_0f8fad5b-d9cb-469f-a165-70867728950e");
    expect_login(&f->cfg, "first.last+tag@example.com", "first.last+tag");
    expect_login(&f->cfg, "Alice.Smith@Contoso.COM", "alice.smith");
    expect_login(&f->cfg, "bob", "bob");
    expect_login(&f->cfg, "a@b@example.com", "a@b"); /* the part before the last '@' */
    expect_login(&f->cfg, "x9@example.com", "x9");

    expect_login_refused(&f->cfg, "root@x", "reserved");
    expect_login_refused(&f->cfg, "daemon@x", "reserved");
    expect_login_refused(&f->cfg, "Root@Example.com", "reserved");
    expect_login_refused(&f->cfg, "nobody@contoso.com", "reserved");
    expect_login_refused(&f->cfg, "sudo@contoso.com", "reserved");
    expect_login_refused(&f->cfg, "systemd-network@x", "reserved");

    expect_login_refused(&f->cfg, "", "empty");
    expect_login_refused(&f->cfg, "@example.com", "empty");
    expect_login_refused(&f->cfg, "-alice@x", "starts with");
    expect_login_refused(&f->cfg, ".alice@x", "starts with");
    expect_login_refused(&f->cfg, "+alice@x", "starts with");
    expect_login_refused(&f->cfg, "12345@example.com", "all digits");
    expect_login_refused(&f->cfg, "al ice@example.com", "character");
    expect_login_refused(&f->cfg, "alice!@example.com", "character");
    expect_login_refused(&f->cfg, "al/ice@example.com", "character");
    expect_login_refused(&f->cfg, "\xc3\xa5lice@example.com", "character");
    expect_login_refused(&f->cfg, "tab\there@x", "character");
    expect_login_refused(&f->cfg, "new\nline@x", "character");
    /* The detail names the userName it refused. */
    expect_login_refused(&f->cfg, "al ice@example.com", "'al ice@example.com'");

    char name[128];
    memset(name, 'a', 64);
    snprintf(name + 64, sizeof(name) - 64, "@example.com");
    expect_login(&f->cfg, name, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    memset(name, 'a', 65);
    snprintf(name + 65, sizeof(name) - 65, "@example.com");
    expect_login_refused(&f->cfg, name, "too long");
    /* A huge userName is refused cleanly, and quoted only in part. */
    char *huge = malloc(5000);
    assert_non_null(huge);
    memset(huge, 'b', 4999);
    huge[4999] = '\0';
    expect_login_refused(&f->cfg, huge, "name too long");
    free(huge);

    /* max_name_length is configurable. */
    f->cfg.max_name_length = 8;
    expect_login(&f->cfg, "abcdefgh@example.com", "abcdefgh");
    expect_login_refused(&f->cfg, "abcdefghi@example.com", "too long");
}

/* Issue 11: logins a package creates later are refused with the reason, under both rules,
 * and [accounts] reserved_names adds to the built-in list. */
static void test_login_package_names(void **state)
{
    struct core_ledger_fx *f = *state;
    static const char *const names[] = { "mysql@contoso.com", "Redis@contoso.com", "_rpc",
                                         "nginx@x", "lxd@x", "sssd@x", "postfix@x", "_chrony@x",
                                         "microk8s@x", NULL };
    for (int rule = 0; rule < 2; rule++) {
        f->cfg.login_name = rule ? LOGIN_NAME_USERNAME : LOGIN_NAME_LOCALPART;
        for (size_t i = 0; names[i]; i++) {
            if (rule && strchr(names[i], '@'))
                continue; /* the whole userName is the login under this rule */
            expect_login_refused(&f->cfg, names[i], "reserved for a system or package account");
        }
    }
    f->cfg.login_name = LOGIN_NAME_LOCALPART;
    expect_login_refused(&f->cfg, "mysql@contoso.com", "login name 'mysql'");
    expect_login(&f->cfg, "buildbot@contoso.com", "buildbot");
    f->cfg.reserved_names = strdup("jenkins2, BuildBot");
    assert_non_null(f->cfg.reserved_names);
    expect_login_refused(&f->cfg, "buildbot@contoso.com", "[accounts] reserved_names");
    expect_login_refused(&f->cfg, "jenkins2@contoso.com", "[accounts] reserved_names");
    expect_login(&f->cfg, "jenkins3@contoso.com", "jenkins3");
}

static void test_login_username(void **state)
{
    struct core_ledger_fx *f = *state;
    f->cfg.login_name = LOGIN_NAME_USERNAME;
    expect_login(&f->cfg, "Test_User_0f8fad5b-d9cb-469f-a165-70867728950e@contoso.com",
                 "test_user_0f8fad5b-d9cb-469f-a165-70867728950e@contoso.com");
    expect_login(&f->cfg, "alice@contoso.com", "alice@contoso.com");
    expect_login(&f->cfg, "First.Last+Tag@Example.com", "first.last+tag@example.com");
    expect_login(&f->cfg, "bob", "bob");
    expect_login_refused(&f->cfg, "root", "reserved");
    expect_login_refused(&f->cfg, "Daemon", "reserved");
    expect_login_refused(&f->cfg, "@contoso.com", "starts with");
    expect_login_refused(&f->cfg, "alice smith@contoso.com", "character");
    expect_login_refused(&f->cfg, "", "empty");
    expect_login_refused(&f->cfg, "4242", "all digits");
    /* 65 bytes with the domain: over the default limit under this rule. */
    char name[80];
    memset(name, 'c', 53);
    snprintf(name + 53, sizeof(name) - 53, "@contoso.com");
    assert_int_equal(strlen(name), 65);
    expect_login_refused(&f->cfg, name, "too long");
}

/* ---- names the host already knows ---- */

static void expect_host_refused(const struct scimd_config *cfg, const char *login,
                                const char *what)
{
    struct scim_error err = { 0 };
    if (identity_check_host(cfg, login, &err) != -1)
        fail_msg("'%s' is known to the host but was accepted", login);
    assert_int_equal(err.status, 409);
    assert_non_null(err.scim_type);
    assert_string_equal(err.scim_type, "uniqueness");
    assert_non_null(strstr(err.detail, login));
    if (strstr(err.detail, what) == NULL)
        fail_msg("refusal of '%s' says '%s', expected '%s'", login, err.detail, what);
}

/* The first passwd entry with a regular-user uid, or NULL. Copies the name. */
static char *local_regular_user(uint32_t *uid)
{
    char *name = NULL;
    setpwent();
    struct passwd *pw;
    while ((pw = getpwent()) != NULL) {
        if (pw->pw_uid >= 1000 && pw->pw_uid < 65534) {
            name = strdup(pw->pw_name);
            *uid = pw->pw_uid;
            break;
        }
    }
    endpwent();
    return name;
}

/* A group name that is not also a user name (Debian: adm, sudo, ...), or NULL. */
static char *local_group_only(void)
{
    char *name = NULL;
    setgrent();
    struct group *gr;
    while ((gr = getgrent()) != NULL) {
        if (getpwnam(gr->gr_name) == NULL) {
            name = strdup(gr->gr_name);
            break;
        }
    }
    endgrent();
    return name;
}

static void test_check_host(void **state)
{
    struct core_ledger_fx *f = *state;
    expect_host_refused(&f->cfg, "root", "local account (uid 0)");
    expect_host_refused(&f->cfg, "nobody", "local account");
    expect_host_refused(&f->cfg, "bin", "local account");

    char *grp = local_group_only();
    if (grp) {
        expect_host_refused(&f->cfg, grp, "local group");
        free(grp);
    } else {
        print_message("# no group-only name in the group database; group refusal not checked\n");
    }

    uint32_t uid = 0;
    char *user = local_regular_user(&uid);
    if (user) {
        /* The whole flow: a valid, unreserved login that a local user already has. */
        char out[LOGIN_NAME_BUF], un[300];
        struct scim_error err = { 0 };
        snprintf(un, sizeof(un), "%s@example.com", user);
        assert_int_equal(identity_login_name(&f->cfg, un, out, &err), 0);
        assert_string_equal(out, user);
        expect_host_refused(&f->cfg, out, "local account");
        /* A name resolving to an id inside our own ranges is one of ours (our NSS module
         * answering), so it is not a conflict. */
        f->cfg.uid_min = uid;
        f->cfg.uid_max = uid + 10;
        f->cfg.gid_min = uid + 11;
        f->cfg.gid_max = uid + 20;
        assert_int_equal(identity_check_host(&f->cfg, user, &err), 0);
        free(user);
    } else {
        print_message("# no passwd entry with 1000 <= uid < 65534; local-user case not checked\n");
    }

    struct scim_error err = { 0 };
    assert_int_equal(identity_check_host(&f->cfg, "zz-scimd-core-test-unknown", &err), 0);
    assert_int_equal(err.status, 0);
}

/* ---- the uid/gid ledger ---- */

enum what { ALLOC_UID, ALLOC_GID, CLAIM_UID, RELEASE, RENAME, SET_HWM, DROP_LEDGER };

struct ledger_op {
    const struct scimd_config *cfg;
    enum what what;
    const char *owner;
    const char *name;
    uint32_t id;
};

static int ledger_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct ledger_op *op = arg;
    switch (op->what) {
    case ALLOC_UID:
        return identity_allocate_uid(db, op->cfg, op->owner, op->name, &op->id, err);
    case ALLOC_GID:
        return identity_allocate_gid(db, op->cfg, op->owner, op->name, &op->id, err);
    case CLAIM_UID:
        return identity_claim_uid(db, op->cfg, op->owner, op->name, op->id, err);
    case RELEASE:
        return identity_release(db, op->owner, err);
    case RENAME:
        return identity_rename(db, op->owner, op->name, err);
    case SET_HWM:
        return store_meta_set(db, op->owner, op->name) == 0
                   ? 0
                   : scim_error_set(err, 500, NULL, "meta set failed");
    case DROP_LEDGER:
        return db_exec(db, "DELETE FROM id_ledger") == DB_OK
                   ? 0
                   : scim_error_set(err, 500, NULL, "delete failed");
    }
    return -1;
}

static int run(struct core_ledger_fx *f, enum what what, const char *owner, const char *name, uint32_t *id,
               struct scim_error *err)
{
    struct ledger_op op = { .cfg = &f->cfg, .what = what, .owner = owner, .name = name,
                            .id = id ? *id : 0 };
    scim_error_clear(err);
    int r = store_write(f->st, ledger_fn, &op, err);
    if (id)
        *id = op.id;
    return r;
}

static uint32_t alloc_uid(struct core_ledger_fx *f, const char *owner)
{
    uint32_t id = 0;
    struct scim_error err = { 0 };
    if (run(f, ALLOC_UID, owner, owner, &id, &err) != 0)
        fail_msg("allocate uid for %s: %s", owner, err.detail);
    return id;
}

static void must(struct core_ledger_fx *f, enum what what, const char *owner, const char *name)
{
    struct scim_error err = { 0 };
    if (run(f, what, owner, name, NULL, &err) != 0)
        fail_msg("ledger op %d on %s: %s", what, owner ? owner : "(none)", err.detail);
}

static int64_t query_int(struct core_ledger_fx *f, const char *sql)
{
    return core_query_int(f->st, sql);
}

static void meta(struct core_ledger_fx *f, const char *key, char *buf, size_t len)
{
    struct scim_error err = { 0 };
    struct db *db = store_reader_get(f->st, &err);
    assert_non_null(db);
    assert_int_equal(store_meta_get(db, key, buf, len), 1);
    store_reader_put(f->st, db);
}

static void test_allocate_sequential_never_reused(void **state)
{
    struct core_ledger_fx *f = *state;
    assert_int_equal(alloc_uid(f, "user-a"), LO);
    assert_int_equal(alloc_uid(f, "user-b"), LO + 1);
    assert_int_equal(alloc_uid(f, "user-c"), LO + 2);
    char buf[32];
    meta(f, "uid_hwm", buf, sizeof(buf));
    assert_string_equal(buf, "1700000002");

    /* Deleting users keeps their ids reserved: the next user never inherits their files. */
    must(f, RELEASE, "user-c", NULL);
    must(f, RELEASE, "user-a", NULL);
    assert_int_equal(query_int(f, "SELECT count(*) FROM id_ledger WHERE released IS NOT NULL"), 2);
    assert_int_equal(alloc_uid(f, "user-d"), LO + 3);
    /* Releasing an unknown owner is harmless. */
    must(f, RELEASE, "no-such-owner", NULL);

    /* A lost ledger (restored or damaged table) still cannot bring ids back: the mark holds. */
    must(f, DROP_LEDGER, NULL, NULL);
    assert_int_equal(alloc_uid(f, "user-e"), LO + 4);

    /* Renames keep the id. */
    must(f, RENAME, "user-e", "renamed-e");
    assert_int_equal(query_int(f, "SELECT id FROM id_ledger WHERE name = 'renamed-e'"), LO + 4);

    /* Group ids come from the gid range with their own mark. */
    uint32_t gid = 0;
    struct scim_error err = { 0 };
    assert_int_equal(run(f, ALLOC_GID, "group-1", "ops", &gid, &err), 0);
    assert_int_equal(gid, LO + 1000);
    assert_int_equal(run(f, ALLOC_GID, "group-2", "devs", &gid, &err), 0);
    assert_int_equal(gid, LO + 1001);
    meta(f, "gid_hwm", buf, sizeof(buf));
    assert_string_equal(buf, "1700001001");
    assert_int_equal(alloc_uid(f, "user-f"), LO + 5);
    assert_int_equal(query_int(f, "SELECT count(*) FROM id_ledger WHERE kind = 'group'"), 2);
}

static void test_allocate_respects_hwm(void **state)
{
    struct core_ledger_fx *f = *state;
    assert_int_equal(alloc_uid(f, "user-a"), LO);
    /* A higher mark (from the guard file or the cache) wins over the ledger. */
    must(f, SET_HWM, "uid_hwm", "1700000040");
    assert_int_equal(alloc_uid(f, "user-b"), LO + 41);
    assert_int_equal(alloc_uid(f, "user-c"), LO + 42);
    /* A lower mark never pulls allocation back below the ledger. */
    must(f, SET_HWM, "uid_hwm", "1700000001");
    assert_int_equal(alloc_uid(f, "user-d"), LO + 43);
    /* A mark below the range start is simply below it. */
    must(f, SET_HWM, "gid_hwm", "5");
    uint32_t gid = 0;
    struct scim_error err = { 0 };
    assert_int_equal(run(f, ALLOC_GID, "g", "g", &gid, &err), 0);
    assert_int_equal(gid, LO + 1000);
}

static void test_allocate_exhaustion(void **state)
{
    struct core_ledger_fx *f = *state;
    f->cfg.uid_max = LO + 2;
    assert_int_equal(alloc_uid(f, "u1"), LO);
    assert_int_equal(alloc_uid(f, "u2"), LO + 1);
    assert_int_equal(alloc_uid(f, "u3"), LO + 2);
    uint32_t id = 12345;
    struct scim_error err = { 0 };
    assert_int_equal(run(f, ALLOC_UID, "u4", "u4", &id, &err), -1);
    assert_int_equal(err.status, 500);
    assert_non_null(strstr(err.detail, "exhausted"));
    assert_non_null(strstr(err.detail, "1700000000"));
    assert_non_null(strstr(err.detail, "1700000002"));
    /* Releasing does not make room: ids are never reused. */
    must(f, RELEASE, "u1", NULL);
    assert_int_equal(run(f, ALLOC_UID, "u5", "u5", &id, &err), -1);
    assert_non_null(strstr(err.detail, "exhausted"));
    /* Nothing was written by the refused allocations. */
    assert_int_equal(query_int(f, "SELECT count(*) FROM id_ledger"), 3);
    char buf[32];
    meta(f, "uid_hwm", buf, sizeof(buf));
    assert_string_equal(buf, "1700000002");
    /* A mark beyond the range (range shrunk after use) is exhaustion too, not a wrap. */
    f->cfg.uid_max = LO + 99;
    must(f, SET_HWM, "uid_hwm", "99999999999");
    assert_int_equal(run(f, ALLOC_UID, "u6", "u6", &id, &err), -1);
    assert_non_null(strstr(err.detail, "exhausted"));
}

static void test_allocate_top_of_id_space(void **state)
{
    struct core_ledger_fx *f = *state;
    /* The highest legal range ends at 4294967294: allocation stops there, never wraps to 0. */
    f->cfg.uid_min = 4294967292u;
    f->cfg.uid_max = 4294967294u;
    f->cfg.gid_min = LO;
    f->cfg.gid_max = LO + 10;
    assert_int_equal(alloc_uid(f, "u1"), 4294967292u);
    assert_int_equal(alloc_uid(f, "u2"), 4294967293u);
    assert_int_equal(alloc_uid(f, "u3"), 4294967294u);
    uint32_t id = 0;
    struct scim_error err = { 0 };
    assert_int_equal(run(f, ALLOC_UID, "u4", "u4", &id, &err), -1);
    assert_non_null(strstr(err.detail, "exhausted"));
    assert_int_equal(query_int(f, "SELECT min(id) FROM id_ledger"), 4294967292u);
    assert_int_equal(query_int(f, "SELECT count(*) FROM id_ledger"), 3);
}

static int64_t local_id(void);

static int claim(struct core_ledger_fx *f, const char *owner, uint32_t uid, struct scim_error *err)
{
    return run(f, CLAIM_UID, owner, owner, &uid, err);
}

static void test_claim_uid(void **state)
{
    struct core_ledger_fx *f = *state;
    struct scim_error err = { 0 };
    /* An IdP-chosen uid ([accounts] accept_idp_ids, an LDAP migration) is ledgered like an
     * allocated one and raises the mark: later allocations go above it. */
    assert_int_equal(claim(f, "migrated-1", LO + 5, &err), 0);
    assert_int_equal(query_int(f, "SELECT count(*) FROM id_ledger WHERE id = 1700000005 AND "
                                  "owner = 'migrated-1' AND kind = 'user'"),
                     1);
    char buf[32];
    meta(f, "uid_hwm", buf, sizeof(buf));
    assert_string_equal(buf, "1700000005");
    assert_int_equal(alloc_uid(f, "new-1"), LO + 6);
    /* Below the mark but never handed out (allocation started above the claim's gap) is free. */
    assert_int_equal(claim(f, "migrated-2", LO + 2, &err), 0);
    meta(f, "uid_hwm", buf, sizeof(buf));
    assert_string_equal(buf, "1700000006"); /* never lowered */
    /* Ever handed out: refused, also after a delete. */
    assert_int_equal(claim(f, "again", LO + 5, &err), -1);
    assert_int_equal(err.status, 409);
    assert_string_equal(err.scim_type, "uniqueness");
    assert_non_null(strstr(err.detail, "never reused"));
    must(f, RELEASE, "new-1", NULL);
    assert_int_equal(claim(f, "again", LO + 6, &err), -1);
    assert_non_null(strstr(err.detail, "already handed out"));
    /* A gid already in the ledger is not a free uid either (one id space on the host). */
    uint32_t gid = 0;
    assert_int_equal(run(f, ALLOC_GID, "g", "g", &gid, &err), 0);
    assert_int_equal(claim(f, "onto-gid", gid, &err), -1);
    assert_int_equal(query_int(f, "SELECT count(*) FROM id_ledger"), 4);
}

static void test_claim_host_id(void **state)
{
    struct core_ledger_fx *f = *state;
    int64_t x = local_id();
    if (x < 0) {
        print_message("# no local user or group with 1000 <= id < 65534: not checked\n");
        return;
    }
    struct scim_error err = { 0 };
    assert_int_equal(claim(f, "collides", (uint32_t)x, &err), -1);
    assert_int_equal(err.status, 409);
    assert_non_null(strstr(err.detail, "on this host"));
    assert_int_equal(query_int(f, "SELECT count(*) FROM id_ledger"), 0);
}

struct alloc_thread {
    struct core_ledger_fx *f;
    uint32_t ids[10];
    int failures;
};

static void *alloc_main(void *arg)
{
    struct alloc_thread *t = arg;
    for (int i = 0; i < 10; i++) {
        char owner[64];
        snprintf(owner, sizeof(owner), "owner-%p-%d", (void *)t, i);
        struct scim_error err = { 0 };
        if (run(t->f, ALLOC_UID, owner, owner, &t->ids[i], &err) != 0)
            t->failures++;
    }
    return NULL;
}

static void test_allocate_concurrently(void **state)
{
    struct core_ledger_fx *f = *state;
    /* Allocations from many request threads meet in the writer's batches: each gets its own
     * id, none is handed out twice, none skipped. */
    struct alloc_thread t[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        memset(&t[i], 0, sizeof(t[i]));
        t[i].f = f;
        assert_int_equal(pthread_create(&th[i], NULL, alloc_main, &t[i]), 0);
    }
    uint32_t all[80];
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(t[i].failures, 0);
        memcpy(all + 10 * i, t[i].ids, sizeof(t[i].ids));
    }
    qsort(all, 80, sizeof(all[0]), core_cmp_u32);
    for (uint32_t i = 0; i < 80; i++)
        assert_int_equal(all[i], LO + i);
    assert_int_equal(query_int(f, "SELECT count(DISTINCT owner) FROM id_ledger"), 80);
}

/* The smallest id >= 1000 (and below 65534) that the passwd or group database resolves. */
static int64_t local_id(void)
{
    int64_t best = -1;
    setpwent();
    for (struct passwd *pw; (pw = getpwent()) != NULL;)
        if (pw->pw_uid >= 1000 && pw->pw_uid < 65534 && (best < 0 || pw->pw_uid < best))
            best = pw->pw_uid;
    endpwent();
    setgrent();
    for (struct group *gr; (gr = getgrent()) != NULL;)
        if (gr->gr_gid >= 1000 && gr->gr_gid < 65534 && (best < 0 || gr->gr_gid < best))
            best = gr->gr_gid;
    endgrent();
    return best;
}

static void test_allocate_skips_host_ids(void **state)
{
    struct core_ledger_fx *f = *state;
    int64_t x = local_id();
    if (x < 0) {
        /* cmocka 1.1.5 prints a skip as "not ok ... # SKIP", which meson counts as a failure. */
        print_message("# no local user or group with 1000 <= id < 65534: nothing to skip\n");
        return;
    }
    f->cfg.uid_min = (uint32_t)x;
    f->cfg.uid_max = (uint32_t)x + 50;
    f->cfg.gid_min = (uint32_t)x + 51;
    f->cfg.gid_max = (uint32_t)x + 60;
    uint32_t id = alloc_uid(f, "u1");
    assert_true(id > (uint32_t)x);
    assert_null(getpwuid(id));
    assert_null(getgrgid(id));
    /* Every id from x up to the allocated one is resolved by the host (that is why it was
     * skipped), and the next allocation continues above. */
    for (uint32_t i = (uint32_t)x; i < id; i++)
        assert_true(getpwuid(i) != NULL || getgrgid(i) != NULL);
    assert_true(alloc_uid(f, "u2") > id);

    /* A range made only of host ids is exhausted, not handed out. */
    f->cfg.uid_min = (uint32_t)x;
    f->cfg.uid_max = (uint32_t)x;
    must(f, DROP_LEDGER, NULL, NULL);
    must(f, SET_HWM, "uid_hwm", "0");
    struct scim_error err = { 0 };
    assert_int_equal(run(f, ALLOC_UID, "u3", "u3", &id, &err), -1);
    assert_non_null(strstr(err.detail, "exhausted"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_login_localpart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_username, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_package_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocate_sequential_never_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocate_respects_hwm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocate_exhaustion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocate_top_of_id_space, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocate_concurrently, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_uid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_host_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocate_skips_host_ids, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
