/* SPDX-License-Identifier: MIT */
/* roles-as-groups (roles.c): role values become validated Linux groups with ledgered gids,
 * unless [roles] maps them onto a local group; names never shadow anything. Also
 * password_hash_new (password.c), the other per-user write-path helper. */
#include <crypt.h>
#include <ctype.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include "store/db.h"

#include "core_fixture.h"
#include "store/groups_repo.h"
#include "accounts/name_skips.h"
#include "accounts/password.h"
#include "accounts/roles.h"
#include "scim_names.h"
#include "store/store.h"
#include "store/users_repo.h"

#define GLO 1700001000u

struct fx {
    char *dir;
    struct store *st;
    struct scimd_config cfg;
};

static void add_map(struct scimd_config *cfg, const char *scim, const char *local)
{
    cfg->role_maps = realloc(cfg->role_maps, (cfg->n_role_maps + 1) * sizeof(*cfg->role_maps));
    assert_non_null(cfg->role_maps);
    cfg->role_maps[cfg->n_role_maps].scim_name = strdup(scim);
    cfg->role_maps[cfg->n_role_maps].local_group = strdup(local);
    cfg->n_role_maps++;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = core_mkdtemp();
    f->st = core_store_open(f->dir, "scimd.db", true);
    scimd_config_init(&f->cfg);
    f->cfg.uid_min = 1700000000u;
    f->cfg.uid_max = 1700000999u;
    f->cfg.gid_min = GLO;
    f->cfg.gid_max = GLO + 99;
    add_map(&f->cfg, "Administrator", "sudo");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->st);
    scimd_config_free(&f->cfg);
    core_rmdir(f->dir);
    free(f);
    return 0;
}

struct sync_op {
    const struct scimd_config *cfg;
    json_t *doc;
};

static int sync_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct sync_op *op = arg;
    return roles_sync(db, op->cfg, op->doc, err);
}

/* roles_sync on {"roles": [{"value": v}, ...]} in a write. */
static int sync_roles(struct fx *f, const char *const *values, struct scim_error *err)
{
    json_t *roles = json_array();
    for (size_t i = 0; values[i]; i++)
        json_array_append_new(roles, json_pack("{s:s, s:s}", "value", values[i], "type", "x"));
    struct sync_op op = { &f->cfg, json_pack("{s:o}", "roles", roles) };
    scim_error_clear(err);
    int r = store_write(f->st, sync_fn, &op, err);
    json_decref(op.doc);
    return r;
}

#define V(...) ((const char *const[]){ __VA_ARGS__, NULL })

static int64_t role_count(struct fx *f)
{
    struct scim_error err;
    struct db *db = store_reader_get(f->st, &err);
    struct db_stmt *s = NULL;
    int64_t n = -1;
    if (db_prepare(db, "SELECT count(*) FROM role_groups", &s) == DB_OK &&
        db_step(s) == DB_ROW)
        n = db_column_int64(s, 0);
    db_finalize(s);
    store_reader_put(f->st, db);
    return n;
}

static uint32_t gid_of(struct fx *f, const char *name)
{
    struct scim_error err;
    struct db *db = store_reader_get(f->st, &err);
    uint32_t gid = roles_gid(db, name);
    store_reader_put(f->st, db);
    return gid;
}

static void expect_refused(struct fx *f, const char *const *values, int status, const char *what)
{
    struct scim_error err;
    int64_t before = role_count(f);
    assert_int_equal(sync_roles(f, values, &err), -1);
    assert_int_equal(err.status, status);
    assert_non_null(err.scim_type);
    assert_string_equal(err.scim_type, status == 400 ? "invalidValue" : "uniqueness");
    if (strstr(err.detail, what) == NULL)
        fail_msg("refusal '%s' does not mention '%s'", err.detail, what);
    assert_int_equal(role_count(f), before); /* nothing stored, not even the valid roles */
}

/* The request succeeds, the valid roles get groups, and name gets none (and is reported). */
static void expect_skipped(struct fx *f, const char *const *values, const char *name)
{
    struct scim_error err;
    if (sync_roles(f, values, &err) != 0)
        fail_msg("role '%s' blocked the request: %d %s", name, err.status, err.detail);
    if (gid_of(f, name) != 0)
        fail_msg("role group '%s' was created", name);
}

static void test_sync_creates_groups(void **state)
{
    struct fx *f = *state;
    struct scim_error err;
    assert_int_equal(sync_roles(f, V("Linux Admins", "administrator", "Developers"), &err), 0);
    assert_int_equal(role_count(f), 2);
    assert_int_equal(gid_of(f, "linux-admins"), GLO);
    assert_int_equal(gid_of(f, "developers"), GLO + 1);
    assert_int_equal(gid_of(f, "administrator"), 0); /* mapped onto sudo: no group of ours */
    assert_int_equal(gid_of(f, "nope"), 0);
    /* Again, and with case and spacing variants of the same names: nothing new. */
    assert_int_equal(sync_roles(f, V("Developers", "DEVELOPERS", "linux admins", "ADMINISTRATOR"),
                                &err),
                     0);
    assert_int_equal(role_count(f), 2);
    assert_int_equal(sync_roles(f, V("Ops"), &err), 0);
    assert_int_equal(gid_of(f, "ops"), GLO + 2);
    struct db *db = store_reader_get(f->st, &err);
    assert_int_equal(roles_name_taken(db, "ops", &err), 1);
    assert_int_equal(roles_name_taken(db, "opz", &err), 0);
    store_reader_put(f->st, db);

    /* Roles without a string value are not roles. */
    json_t *doc = json_pack("{s:[{s:s}, {s:i}, {s:n}, s]}", "roles", "display", "Admin", "value", 5,
                            "value", "loose string");
    struct sync_op op = { &f->cfg, doc };
    assert_int_equal(store_write(f->st, sync_fn, &op, &err), 0);
    json_decref(doc);
    assert_int_equal(role_count(f), 3);
}

static int user_insert_fn(struct db *db, void *arg, struct scim_error *err)
{
    return users_repo_insert(db, arg, err);
}

static int group_insert_fn(struct db *db, void *arg, struct scim_error *err)
{
    return groups_repo_insert(db, arg, err);
}

/* A role that gives no valid Linux group name at all (a Japanese app role, digits, 70
 * bytes) never blocks the user either (architecture.md, issue 11): no group, the valid roles of
 * the same request get theirs, logged once per value, and scimctl says why. */
static void test_sync_skips_invalid_names(void **state)
{
    struct fx *f = *state;
    struct scim_error err;
    char long_role[80];
    memset(long_role, 'r', 70);
    long_role[70] = '\0';
    unsigned long logged = name_skip_logged();
    assert_int_equal(sync_roles(f, V("Valid Role", "!!!", "\u7ba1\u7406\u8005", "12345", "--",
                                     long_role),
                                &err),
                     0);
    assert_int_equal(role_count(f), 1);
    assert_int_not_equal(gid_of(f, "valid-role"), 0);
    assert_int_equal(name_skip_logged() - logged, 5);
    /* Once per value, though none of them has a name to tell them apart. */
    assert_int_equal(sync_roles(f, V("!!!", "\u7ba1\u7406\u8005", "12345"), &err), 0);
    assert_int_equal(name_skip_logged() - logged, 5);
    assert_int_equal(role_count(f), 1);
    /* Such values still count towards max_roles_per_user. */
    f->cfg.max_roles_per_user = 2;
    expect_refused(f, V("Valid Role", "!!!", "12345"), 400, "3 roles on one user");
    f->cfg.max_roles_per_user = 64;

    struct db *db = store_reader_get(f->st, &err);
    char said[256];
    assert_int_equal(roles_describe(db, &f->cfg, "12345", said, sizeof(said)), 0);
    if (!strstr(said, "not a Linux group") || !strstr(said, "all digits"))
        fail_msg("scimctl would say '%s'", said);
    assert_int_equal(roles_describe(db, &f->cfg, long_role, said, sizeof(said)), 0);
    if (!strstr(said, "not a Linux group") || !strstr(said, "too long"))
        fail_msg("scimctl would say '%s'", said);
    store_reader_put(f->st, db);
}

static void test_sync_refusals(void **state)
{
    struct fx *f = *state;
    /* System group names are never created without an explicit [roles] mapping, and they
     * never block the user (docs/architecture.md; before issue 11 this was a 409). */
    expect_skipped(f, V("Valid Role", "Wheel"), "wheel");
    assert_int_not_equal(gid_of(f, "valid-role"), 0);
    expect_skipped(f, V("sudo"), "sudo");
    expect_skipped(f, V("Root"), "root");
    int64_t created = role_count(f);
    /* A user's login (and private group) name. */
    struct scim_error err;
    struct user_row u;
    memset(&u, 0, sizeof(u));
    assert_int_equal(users_new_id(u.id), 0);
    u.user_name = strdup("ops@example.com");
    u.login = strdup("ops");
    u.active = true;
    u.uid = 1700000000u;
    u.version = 1;
    snprintf(u.created, sizeof(u.created), "2026-11-24T00:00:00.000Z");
    snprintf(u.modified, sizeof(u.modified), "2026-11-24T00:00:00.000Z");
    u.doc = json_pack("{s:s}", "userName", "ops@example.com");
    if (store_write(f->st, user_insert_fn, &u, &err) != 0)
        fail_msg("insert user: %s", err.detail);
    user_row_clear(&u);
    expect_skipped(f, V("OPS"), "ops");

    /* A SCIM group's Linux name. */
    struct group_row g;
    memset(&g, 0, sizeof(g));
    assert_int_equal(users_new_id(g.id), 0);
    g.display_name = strdup("Platform Team");
    g.name = strdup("platform-team");
    g.gid = GLO + 50;
    g.version = 1;
    snprintf(g.created, sizeof(g.created), "2026-11-24T00:00:00.000Z");
    snprintf(g.modified, sizeof(g.modified), "2026-11-24T00:00:00.000Z");
    g.doc = json_pack("{s:s}", "displayName", "Platform Team");
    if (store_write(f->st, group_insert_fn, &g, &err) != 0)
        fail_msg("insert group: %s", err.detail);
    group_row_clear(&g);
    expect_skipped(f, V("Platform Team"), "platform-team");
    assert_int_equal(role_count(f), created);
}

/* A local group name that is valid, not reserved and outside our ranges, or NULL. */
static char *local_plain_group(const struct scimd_config *cfg)
{
    char *name = NULL;
    setgrent();
    for (struct group *gr; (gr = getgrent()) != NULL;) {
        if (scim_name_validate(gr->gr_name, 64, NULL) == 0 && !scim_name_is_reserved(gr->gr_name) &&
            (gr->gr_gid < cfg->gid_min || gr->gr_gid > cfg->gid_max)) {
            name = strdup(gr->gr_name);
            break;
        }
    }
    endgrent();
    return name;
}

static void test_sync_local_groups(void **state)
{
    struct fx *f = *state;
    char *local = local_plain_group(&f->cfg);
    if (!local) {
        print_message("# no plain local group on this host: shadowing not checked\n");
        return;
    }
    /* Skipped, not refused: the role stays in the user's SCIM data. */
    expect_skipped(f, V(local), local);
    assert_int_equal(role_count(f), 0);
    struct scim_error derr = { 0 };
    char said[256], want[128];
    snprintf(want, sizeof(want), "'%s' is a local group", local);
    struct db *db = store_reader_get(f->st, &derr);
    assert_int_equal(roles_describe(db, &f->cfg, local, said, sizeof(said)), 0);
    store_reader_put(f->st, db);
    if (!strstr(said, want))
        fail_msg("scimctl would say '%s'", said);
    /* Mapped explicitly, it is allowed and creates nothing. */
    add_map(&f->cfg, local, local);
    struct scim_error err;
    assert_int_equal(sync_roles(f, V(local), &err), 0);
    assert_int_equal(role_count(f), 0);
    free(local);
}

struct seen {
    char names[8][64];
    bool mapped[8];
    size_t n;
};

static int collect(void *ctx, const struct role_target *t)
{
    struct seen *s = ctx;
    if (s->n == 8)
        return -1;
    snprintf(s->names[s->n], sizeof(s->names[s->n]), "%s", t->group_name);
    s->mapped[s->n] = t->mapped_local;
    s->n++;
    return 0;
}

static void test_export(void **state)
{
    struct fx *f = *state;
    add_map(&f->cfg, "db-admins", "adm"); /* matched on the normalised name too */
    /* The users table keeps role values one per line (users_repo.c writes them). */
    static const char values[] = "Linux Admins\nADMINISTRATOR\n!!!\nDB Admins\nDevelopers\n";
    struct seen s = { .n = 0 };
    assert_int_equal(roles_for_export(&f->cfg, values, collect, &s), 0);
    assert_int_equal(s.n, 4); /* the invalid one is skipped */
    assert_string_equal(s.names[0], "linux-admins");
    assert_false(s.mapped[0]);
    assert_string_equal(s.names[1], "sudo");
    assert_true(s.mapped[1]);
    assert_string_equal(s.names[2], "adm");
    assert_true(s.mapped[2]);
    assert_string_equal(s.names[3], "developers");
    assert_false(s.mapped[3]);
    /* A callback's error stops the walk and is returned. */
    s.n = 8;
    assert_int_equal(roles_for_export(&f->cfg, "x1\n", collect, &s), -1);
}

/* Issue 11: names packages create later, Microsoft's example app role, and role groups
 * privileged on container and virtualisation hosts never become role groups, never block the
 * user, are logged once per name and are explained to scimctl. */
static void test_sync_skips_package_names(void **state)
{
    struct fx *f = *state;
    static const char *const skipped[] = { "Admin", "mysql", "_rpc", "microk8s", "incus-admin",
                                           "libvirt", "kvm", "redis", "lxd", "docker", "Extra",
                                           NULL };
    free(f->cfg.reserved_names);
    f->cfg.reserved_names = strdup("foo, extra ,bar");
    unsigned long logged = name_skip_logged();
    for (size_t i = 0; skipped[i]; i++) {
        char lower[64];
        size_t j = 0;
        for (; skipped[i][j]; j++)
            lower[j] = (char)tolower((unsigned char)skipped[i][j]);
        lower[j] = '\0';
        expect_skipped(f, V("Site Reliability", skipped[i]), lower);
    }
    assert_int_equal(role_count(f), 1); /* site-reliability only */
    assert_int_equal(name_skip_logged() - logged, 11);
    /* Once per name: the next pushes of the same users log nothing new. */
    expect_skipped(f, V("Admin", "mysql"), "admin");
    assert_int_equal(name_skip_logged() - logged, 11);

    struct scim_error err = { 0 };
    char said[256];
    struct db *db = store_reader_get(f->st, &err);
    assert_int_equal(roles_describe(db, &f->cfg, "Admin", said, sizeof(said)), 0);
    if (!strstr(said, "not a Linux group") || !strstr(said, "reserved for a system or package"))
        fail_msg("scimctl would say '%s'", said);
    assert_int_equal(roles_describe(db, &f->cfg, "Extra", said, sizeof(said)), 0);
    if (!strstr(said, "[accounts] reserved_names"))
        fail_msg("scimctl would say '%s'", said);
    assert_int_equal(roles_describe(db, &f->cfg, "Site Reliability", said, sizeof(said)), 0);
    assert_string_equal(said, "group site-reliability (gid 1700001000)");
    assert_int_equal(roles_describe(db, &f->cfg, "Administrator", said, sizeof(said)), 0);
    assert_string_equal(said, "mapped to the local group sudo ([roles])");
    store_reader_put(f->st, db);

    /* Mapped explicitly, a reserved name is the admin's choice. */
    add_map(&f->cfg, "Admin", "sudo");
    struct seen s = { .n = 0 };
    assert_int_equal(roles_for_export(&f->cfg, "Admin\nmysql\nSite Reliability\n", collect, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.names[0], "sudo");
    assert_string_equal(s.names[1], "site-reliability");
}

/* A role group created before its name was reserved (an upgrade, or reserved_names added
 * later) is left out of the export instead of failing it in the cache writer. */
static void test_export_skips_names_reserved_later(void **state)
{
    struct fx *f = *state;
    struct scim_error err;
    assert_int_equal(sync_roles(f, V("Warehouse", "Ops"), &err), 0);
    assert_int_equal(role_count(f), 2);
    free(f->cfg.reserved_names);
    f->cfg.reserved_names = strdup("warehouse");
    struct seen s = { .n = 0 };
    assert_int_equal(roles_for_export(&f->cfg, "Warehouse\nOps\n", collect, &s), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.names[0], "ops");
}

static void test_roles_per_user_cap(void **state)
{
    struct fx *f = *state;
    struct scim_error err;
    f->cfg.max_roles_per_user = 3;
    expect_refused(f, V("r1", "r2", "r3", "r4"), 400, "at most 3");
    expect_refused(f, V("r1", "r2", "r3", "r4"), 400, "max_roles_per_user");
    assert_int_equal(role_count(f), 0); /* refused whole: not even r1 took a gid */
    /* Empty values are no roles and do not count. */
    assert_int_equal(sync_roles(f, V("r1", "", "r2", "", "r3"), &err), 0);
    assert_int_equal(role_count(f), 3);

    /* 20,000 roles in one request (the default cap is 64): refused, no gid taken. */
    f->cfg.max_roles_per_user = 64;
    json_t *roles = json_array();
    for (int i = 0; i < 20000; i++) {
        char v[32];
        snprintf(v, sizeof(v), "flood-%d", i);
        json_array_append_new(roles, json_pack("{s:s}", "value", v));
    }
    struct sync_op op = { &f->cfg, json_pack("{s:o}", "roles", roles) };
    scim_error_clear(&err);
    assert_int_equal(store_write(f->st, sync_fn, &op, &err), -1);
    json_decref(op.doc);
    assert_int_equal(err.status, 400);
    if (!strstr(err.detail, "20000 roles") || !strstr(err.detail, "at most 64"))
        fail_msg("detail: %s", err.detail);
    assert_int_equal(role_count(f), 3);
}

static void test_role_groups_cap(void **state)
{
    struct fx *f = *state;
    struct scim_error err;
    f->cfg.max_role_groups = 2;
    assert_int_equal(sync_roles(f, V("alpha"), &err), 0);
    /* beta is the second and last; gamma is past the cap: kept as SCIM data only. */
    expect_skipped(f, V("beta", "gamma"), "gamma");
    assert_int_not_equal(gid_of(f, "beta"), 0);
    assert_int_equal(role_count(f), 2);
    /* Existing role groups keep working at the cap. */
    assert_int_equal(sync_roles(f, V("alpha", "beta"), &err), 0);
    struct db *db = store_reader_get(f->st, &err);
    char said[256];
    assert_int_equal(roles_describe(db, &f->cfg, "gamma", said, sizeof(said)), 0);
    store_reader_put(f->st, db);
    if (!strstr(said, "max_role_groups = 2"))
        fail_msg("scimctl would say '%s'", said);
    /* Raised, the next write of a holder creates it. */
    f->cfg.max_role_groups = 3;
    assert_int_equal(sync_roles(f, V("gamma"), &err), 0);
    assert_int_not_equal(gid_of(f, "gamma"), 0);
}

static void test_password_hash(void **state)
{
    (void)state;
    struct scim_error err = { 0 };
    char *h1 = password_hash_new("correct horse battery staple", &err);
    assert_non_null(h1);
    assert_memory_equal(h1, "$y$", 3);
    /* The hash verifies with libxcrypt and no other password does. */
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    assert_non_null(cd);
    assert_string_equal(crypt_r("correct horse battery staple", h1, cd), h1);
    const char *other = crypt_r("correct horse battery stapler", h1, cd);
    assert_true(other == NULL || strcmp(other, h1) != 0);
    /* Salted: the same password hashes differently each time. */
    char *h2 = password_hash_new("correct horse battery staple", &err);
    assert_non_null(h2);
    assert_string_not_equal(h1, h2);
    free(h1);
    free(h2);
    free(cd);

    scim_error_clear(&err);
    assert_null(password_hash_new("", &err));
    assert_int_equal(err.status, 400);
    assert_string_equal(err.scim_type, "invalidValue");
    char *big = malloc(PASSWORD_MAX_LEN + 2);
    assert_non_null(big);
    memset(big, 'p', PASSWORD_MAX_LEN + 1);
    big[PASSWORD_MAX_LEN + 1] = '\0';
    scim_error_clear(&err);
    assert_null(password_hash_new(big, &err));
    assert_int_equal(err.status, 400);
    /* PASSWORD_MAX_LEN is libxcrypt's own limit: a longer password is a 400, never the 500
     * of a hash libxcrypt refuses. */
    assert_true(PASSWORD_MAX_LEN < CRYPT_MAX_PASSPHRASE_SIZE);
    big[PASSWORD_MAX_LEN] = '\0';
    char *h3 = password_hash_new(big, &err);
    assert_non_null(h3);
    free(h3);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sync_creates_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_skips_invalid_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_local_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_skips_package_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_skips_names_reserved_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roles_per_user_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_role_groups_cap, setup, teardown),
        cmocka_unit_test(test_password_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
