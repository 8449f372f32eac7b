/* SPDX-License-Identifier: MIT */
/* The export snapshot (account_snapshot.c): what the NSS/PAM cache is built from. Users in
 * uid order with private groups, sanitised passwd fields, SSH keys, role groups, SCIM groups
 * and mapped local groups with de-duplicated members; and the cache writer accepts it. */
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

#include "accounts/account_snapshot.h"
#include "core_fixture.h"
#include "store/groups_repo.h"
#include "proto/schema.h"
#include "accounts/roles.h"
#include "server.h"
#include "store/store.h"
#include "store/users_repo.h"

#define ULO 1700000000u
#define GLO 1700001000u

/* The generation counter an exporter owns: one for the whole run, as one scimd has one. */
static uint64_t generation;

struct fx {
    char *dir;
    struct store *st;
    struct scimd_config cfg;
    struct scimd_server srv;
    char alice[SCIM_ID_LEN + 1], bob[SCIM_ID_LEN + 1], carol[SCIM_ID_LEN + 1];
};

static void add_map(struct local_group_map **maps, size_t *n, const char *scim, const char *local)
{
    *maps = realloc(*maps, (*n + 1) * sizeof(**maps));
    assert_non_null(*maps);
    (*maps)[*n].scim_name = strdup(scim);
    (*maps)[*n].local_group = strdup(local);
    (*n)++;
}

static int insert_user(struct db *db, const struct scimd_config *cfg, char id_out[SCIM_ID_LEN + 1],
                       const char *login, uint32_t uid, bool active, const char *hash,
                       json_t *doc, struct scim_error *err)
{
    struct user_row u;
    memset(&u, 0, sizeof(u));
    if (users_new_id(u.id) < 0)
        return scim_error_set(err, 500, NULL, "no id");
    memcpy(id_out, u.id, sizeof(u.id));
    char user_name[128];
    snprintf(user_name, sizeof(user_name), "%s@example.com", login);
    json_object_set_new(doc, "userName", json_string(user_name));
    u.user_name = strdup(user_name);
    u.login = strdup(login);
    u.active = active;
    u.uid = uid;
    u.version = 1;
    snprintf(u.created, sizeof(u.created), "2026-11-24T00:00:00.000Z");
    snprintf(u.modified, sizeof(u.modified), "2026-11-24T00:00:00.000Z");
    u.password_hash = hash ? strdup(hash) : NULL;
    u.password_day = 20000 + uid % 10;
    u.doc = doc;
    int r = roles_sync(db, cfg, doc, err);
    if (r == 0)
        r = users_repo_insert(db, &u, err);
    user_row_clear(&u);
    return r;
}

static int insert_group(struct db *db, const char *display, const char *name, uint32_t gid,
                        json_t *members, struct scim_error *err)
{
    struct group_row g;
    memset(&g, 0, sizeof(g));
    assert_int_equal(users_new_id(g.id), 0);
    g.display_name = strdup(display);
    g.name = strdup(name);
    g.gid = gid;
    g.version = 1;
    snprintf(g.created, sizeof(g.created), "2026-11-24T00:00:00.000Z");
    snprintf(g.modified, sizeof(g.modified), "2026-11-24T00:00:00.000Z");
    g.doc = json_pack("{s:s}", "displayName", display);
    int r = groups_repo_insert(db, &g, err);
    if (r == 0)
        r = groups_repo_set_members(db, g.id, members, err);
    group_row_clear(&g);
    json_decref(members);
    return r;
}

static int populate_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct fx *f = arg;
    json_t *alice = json_pack(
        "{s:s, s:[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}], s:{s:[{s:s}, {s:s}, {s:s}, {s:s}]}}", "displayName",
        "Alice: The\nAdmin", "roles", "value", "Linux Admins", "value", "administrator", "value",
        "linux admins", "value", "ghost", "value", "wheel-ish", SCIM_URN_LINUX_USER, "sshPublicKeys", "value",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN080GsNXQsWRjbanLGtuDSaXS06lcnlUtP7QA1zfFo2 alice@laptop", "value",
        "ssh-rsa AAAA\ncommand=\"evil\" ssh-rsa BBBB", "value", "", "value",
        "command=\"evil\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN080GsNXQsWRjbanLGtuDSaXS06lcnlUtP7QA1zfFo2");
    json_t *bob = json_pack("{s:{s:s, s:s}, s:[{s:s}]}", "name", "givenName", "Bob", "familyName",
                            "Builder", "roles", "value", "Linux Admins");
    json_t *carol = json_pack("{s:{s:s, s:s}}", "name", "formatted", "Carol C", "givenName", "X");
    if (insert_user(db, &f->cfg, f->alice, "alice", ULO + 2, true, "$y$j9T$salt$hash", alice, err) ||
        insert_user(db, &f->cfg, f->bob, "bob", ULO, false, NULL, bob, err) ||
        insert_user(db, &f->cfg, f->carol, "carol", ULO + 1, true, NULL, carol, err))
        return -1;
    if (insert_group(db, "Developers", "developers", GLO + 50,
                     json_pack("[{s:s}, {s:s}, {s:s}]", "value", f->carol, "value", f->alice,
                               "value", f->alice),
                     err) ||
        /* gid 0: mapped by [groups] onto the local group adm. */
        insert_group(db, "Platform Admins", "platform-admins", 0,
                     json_pack("[{s:s}]", "value", f->bob), err) ||
        insert_group(db, "Empty", "empty", GLO + 51, json_array(), err) ||
        /* Mapped onto sudo like alice's role: she must appear once. */
        insert_group(db, "Sudoers", "sudoers", 0, json_pack("[{s:s}]", "value", f->alice), err))
        return -1;
    if (store_meta_set(db, "uid_hwm", "1700000002") < 0 || store_meta_set(db, "gid_hwm", "1700001001") < 0)
        return scim_error_set(err, 500, NULL, "meta");
    return 0;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = core_mkdtemp();
    f->st = core_store_open(f->dir, "scimd.db", true);
    scimd_config_init(&f->cfg);
    f->cfg.uid_min = ULO;
    f->cfg.uid_max = ULO + 999;
    f->cfg.gid_min = GLO;
    f->cfg.gid_max = GLO + 999;
    free(f->cfg.cache_path);
    f->cfg.cache_path = core_path(f->dir, "nss.cache");
    free(f->cfg.shadow_path);
    f->cfg.shadow_path = core_path(f->dir, "shadow.cache");
    free(f->cfg.home);
    f->cfg.home = strdup("/srv/home/%u/100%%");
    add_map(&f->cfg.role_maps, &f->cfg.n_role_maps, "administrator", "sudo");
    add_map(&f->cfg.role_maps, &f->cfg.n_role_maps, "ghost", "no-such-local-group-scimd");
    add_map(&f->cfg.role_maps, &f->cfg.n_role_maps, "wheel-ish", "root");
    add_map(&f->cfg.group_maps, &f->cfg.n_group_maps, "Platform Admins", "adm");
    add_map(&f->cfg.group_maps, &f->cfg.n_group_maps, "sudoers", "sudo");
    f->srv.cfg = &f->cfg;
    f->srv.store = f->st;
    struct scim_error err = { 0 };
    if (store_write(f->st, populate_fn, f, &err) != 0)
        fail_msg("populate: %s", err.detail);
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

static const struct scim_cache_group *find_group(const struct account_snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->cache.n_groups; i++)
        if (strcmp(s->cache.groups[i].name, name) == 0)
            return &s->cache.groups[i];
    return NULL;
}

/* The group's members as login names, in member order, comma-separated. */
static void members(const struct account_snapshot *s, const struct scim_cache_group *g, char *buf,
                    size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < g->n_members; i++) {
        assert_true(g->member_user_idx[i] < s->cache.n_users);
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", i ? "," : "",
                 s->cache.users[g->member_user_idx[i]].name);
    }
}

static void test_users(void **state)
{
    struct fx *f = *state;
    struct account_snapshot s;
    char err[512] = "";
    if (account_snapshot_load(&f->srv, &generation, &s, err, sizeof(err)) != 0)
        fail_msg("load: %s", err);
    assert_int_equal(s.cache.n_users, 3);
    const struct scim_cache_user *u = s.cache.users;
    /* uid order (members are found by bsearch on it). */
    assert_string_equal(u[0].name, "bob");
    assert_string_equal(u[1].name, "carol");
    assert_string_equal(u[2].name, "alice");
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(u[i].uid, ULO + i);
        assert_int_equal(u[i].gid, u[i].uid); /* private group */
        assert_string_equal(u[i].shell, "/bin/bash");
        assert_int_equal(u[i].last_change_day, 20000 + (ULO + i) % 10);
    }
    assert_string_equal(u[2].home, "/srv/home/alice/100%");
    assert_string_equal(u[0].home, "/srv/home/bob/100%");
    /* gecos: displayName, else name.formatted, else given + family; no ':' or line breaks. */
    assert_string_equal(u[2].gecos, "Alice  The Admin");
    assert_string_equal(u[0].gecos, "Bob Builder");
    assert_string_equal(u[1].gecos, "Carol C");
    assert_true(u[2].active);
    assert_false(u[0].active);
    assert_string_equal(u[2].password_hash, "$y$j9T$salt$hash");
    assert_null(u[0].password_hash);
    /* SSH keys: one line each; a value hiding a second line (an extra key with options), an
     * empty value and a stored key with options (not a plain key, ssh_key.h) are dropped. */
    assert_int_equal(u[2].n_ssh_keys, 1);
    assert_string_equal(u[2].ssh_keys[0], "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN080GsNXQsWRjbanLGtuDSaXS06lcnlUtP7QA1zfFo2 alice@laptop");
    assert_int_equal(u[0].n_ssh_keys, 0);
    assert_int_equal(s.cache.uid_hwm, 1700000002u);
    assert_int_equal(s.gid_hwm, 1700001001u);
    assert_int_equal(s.cache.name_max, 64);
    uint64_t gen = s.cache.generation;
    assert_true(gen >= 1);
    account_snapshot_free(&s);
    assert_int_equal(account_snapshot_load(&f->srv, &generation, &s, err, sizeof(err)), 0);
    assert_int_equal(s.cache.generation, gen + 1);
    account_snapshot_free(&s);
}

static void test_groups(void **state)
{
    struct fx *f = *state;
    struct account_snapshot s;
    char err[512] = "", buf[256];
    if (account_snapshot_load(&f->srv, &generation, &s, err, sizeof(err)) != 0)
        fail_msg("load: %s", err);

    const struct scim_cache_group *g = find_group(&s, "linux-admins");
    assert_non_null(g);
    assert_int_equal(g->kind, SCIM_GROUP_ROLE);
    assert_int_equal(g->gid, GLO);
    members(&s, g, buf, sizeof(buf));
    assert_string_equal(buf, "bob,alice"); /* alice listed the role twice: once here */

    g = find_group(&s, "developers");
    assert_non_null(g);
    assert_int_equal(g->kind, SCIM_GROUP_SCIM);
    assert_int_equal(g->gid, GLO + 50);
    members(&s, g, buf, sizeof(buf));
    assert_string_equal(buf, "carol,alice");

    g = find_group(&s, "empty");
    assert_non_null(g);
    assert_int_equal(g->n_members, 0);

    /* Mapped local groups carry the host's gid; a role and a SCIM group both feeding sudo
     * give alice one membership. */
    struct group *sudo = getgrnam("sudo");
    g = find_group(&s, "sudo");
    if (sudo) {
        assert_non_null(g);
        assert_int_equal(g->kind, SCIM_GROUP_MAPPED_LOCAL);
        assert_int_equal(g->gid, sudo->gr_gid);
        members(&s, g, buf, sizeof(buf));
        assert_string_equal(buf, "alice");
    } else {
        assert_null(g);
    }
    struct group *adm = getgrnam("adm");
    g = find_group(&s, "adm");
    if (adm) {
        assert_non_null(g);
        assert_int_equal(g->kind, SCIM_GROUP_MAPPED_LOCAL);
        assert_int_equal(g->gid, adm->gr_gid);
        members(&s, g, buf, sizeof(buf));
        assert_string_equal(buf, "bob");
    }
    /* A mapping onto a local group that does not exist serves nothing; SCIM group names of
     * mapped groups are not served under their own name. */
    assert_null(find_group(&s, "no-such-local-group-scimd"));
    assert_null(find_group(&s, "ghost"));
    /* Even when configured, gid 0 is never handed to a SCIM user. */
    assert_null(find_group(&s, "root"));
    assert_null(find_group(&s, "wheel-ish"));
    assert_null(find_group(&s, "platform-admins"));
    assert_null(find_group(&s, "sudoers"));
    assert_null(find_group(&s, "administrator"));
    account_snapshot_free(&s);
}

static void test_writer_accepts(void **state)
{
    struct fx *f = *state;
    struct account_snapshot s;
    char err[512] = "";
    assert_int_equal(account_snapshot_load(&f->srv, &generation, &s, err, sizeof(err)), 0);
    if (scim_cache_write(f->cfg.cache_path, f->cfg.shadow_path, &s.cache, err, sizeof(err)) != 0)
        fail_msg("scim_cache_write refused the snapshot: %s", err);
    account_snapshot_free(&s);
    /* The written cache carries the store's uid high-water mark (the guard against reuse). */
    struct scim_cache c;
    assert_int_equal(scim_cache_open(&c, f->cfg.cache_path, SCIM_CACHE_FILE_NSS,
                                     SCIM_CACHE_OPEN_UNTRUSTED, err, sizeof(err)),
                     0);
    assert_int_equal(scim_cache_uid_hwm(&c), 1700000002u);
    scim_cache_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_accepts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
