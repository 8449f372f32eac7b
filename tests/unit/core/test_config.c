/* SPDX-License-Identifier: MIT */
/* scimd.conf parsing (config.c, config_keys.c) and the cross-key checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Two headers share the name config.h: meson's generated one (paths, shipped ranges) is found
 * on the include path; scimd's is named by its path relative to this file. */
#include "scimd_config.h"
#include "config.h"
#include "core_fixture.h"

struct fx {
    char *dir;
    char *path;
    struct scimd_config cfg;
    char err[512];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = core_mkdtemp();
    scimd_config_init(&f->cfg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    scimd_config_free(&f->cfg);
    free(f->path);
    core_rmdir(f->dir);
    free(f);
    return 0;
}

/* Loads len bytes of config text (NULs allowed) into a fresh config. */
static int load_bytes(struct fx *f, const char *text, size_t len)
{
    scimd_config_free(&f->cfg);
    scimd_config_init(&f->cfg);
    free(f->path);
    f->path = core_write(f->dir, "scimd.conf", text, len);
    f->err[0] = '\0';
    return scimd_config_load(&f->cfg, f->path, f->err, sizeof(f->err));
}

static int load(struct fx *f, const char *text)
{
    return load_bytes(f, text, strlen(text));
}

/* The load must fail, and the message must start with "PATH:LINE: " and contain what. */
static void expect_error_len(struct fx *f, const char *text, size_t len, unsigned line,
                             const char *what)
{
    int r = load_bytes(f, text, len);
    if (r != -1)
        fail_msg("accepted (expected '%s' at line %u):\n%s", what, line, text);
    char prefix[600];
    snprintf(prefix, sizeof(prefix), "%s:%u: ", f->path, line);
    if (strncmp(f->err, prefix, strlen(prefix)) != 0)
        fail_msg("error '%s' does not start with '%s'", f->err, prefix);
    if (strstr(f->err, what) == NULL)
        fail_msg("error '%s' does not mention '%s'", f->err, what);
}

static void expect_error(struct fx *f, const char *text, unsigned line, const char *what)
{
    expect_error_len(f, text, strlen(text), line, what);
}

static void check_ok(struct fx *f)
{
    char err[512] = "";
    if (scimd_config_check(&f->cfg, err, sizeof(err)) != 0)
        fail_msg("scimd_config_check refused a valid config: %s", err);
}

static void expect_check_error(struct fx *f, const char *what)
{
    char err[512] = "";
    if (scimd_config_check(&f->cfg, err, sizeof(err)) != -1)
        fail_msg("scimd_config_check accepted a config that should fail with '%s'", what);
    if (strstr(err, what) == NULL)
        fail_msg("check error '%s' does not mention '%s'", err, what);
}

static void test_defaults(void **state)
{
    struct fx *f = *state;
    const struct scimd_config *c = &f->cfg;
    assert_string_equal(c->listen_host, "127.0.0.1");
    assert_int_equal(c->listen_port, 8080);
    assert_string_equal(c->base_path, "/scim/v2");
    assert_string_equal(c->database, SCIMD_DB_PATH);
    assert_string_equal(c->cache_path, SCIMD_NSS_CACHE_PATH);
    assert_string_equal(c->shadow_path, SCIMD_SHADOW_CACHE_PATH);
    /* architecture.md's shipped ranges: 0x70000000 plus one million uids, then one million gids. */
    assert_int_equal(c->uid_min, 1879048192u);
    assert_int_equal(c->uid_max, 1880096767u);
    assert_int_equal(c->gid_min, 1880096768u);
    assert_int_equal(c->gid_max, 1881145343u);
    assert_int_equal(c->login_name, LOGIN_NAME_LOCALPART);
    assert_int_equal(c->max_name_length, 64);
    assert_string_equal(c->home, "/home/%u");
    assert_string_equal(c->shell, "/bin/bash");
    assert_null(c->tls_cert);
    assert_null(c->tls_key);
    assert_int_equal(c->n_role_maps, 0);
    assert_int_equal(c->n_group_maps, 0);
    assert_false(c->terminate_on_deactivate);
    assert_true(c->invalidate_nscd);
    assert_true(c->max_connections > 0);
    assert_true(c->connection_timeout > 0);
    assert_true(c->max_body_size >= 1024);
    assert_int_equal(c->render_cache_size, 40u * 1024 * 1024);
    assert_int_equal(c->max_request_head, 8 * 1024);
    assert_true(c->export_max_delay_ms >= c->export_delay_ms);
    /* The shipped defaults must pass the daemon's own start-up checks. */
    check_ok(f);
    /* An empty file is valid and keeps every default. */
    assert_int_equal(load(f, ""), 0);
    assert_string_equal(f->cfg.listen_host, "127.0.0.1");
    assert_int_equal(f->cfg.uid_min, 1879048192u);
    assert_string_equal(f->cfg.path, f->path);
    check_ok(f);
}

static void test_every_key(void **state)
{
    struct fx *f = *state;
    const char *text =
        "# a comment line\n"
        "; another comment\n"
        "\n"
        "[server]\n"
        "listen = 0.0.0.0:9443   # trailing comment\n"
        "base_path = /api/scim/\n"
        "max_connections = 17\n"
        "connection_timeout = 9\n"
        "max_body_size = 2048\n"
        "max_request_head = 6144\n"
        "tls_cert = /etc/scimd/cert.pem\n"
        "tls_key = /etc/scimd/key.pem\n"
        "metrics_auth = false\n"
        "auth_failure_limit = 0\n"
        "auth_failure_ban = 86400\n"
        "render_cache_size = 0\n"
        "  [store]  \n"
        "database=/srv/scim/db.sqlite\n"
        "busy_timeout = 250\n"
        "[cache]\n"
        "path = /srv/scim/nss.cache\n"
        "shadow_path = /srv/scim/shadow.cache\n"
        "export_delay = 5\n"
        "export_max_delay = 600000\n"
        "invalidate_nscd = no\n"
        "[accounts]\n"
        "uid_min = 200000000\n"
        "uid_max = 200000999\n"
        "gid_min = 200001000\n"
        "gid_max = 4294967294\n"
        "login_name = username\n"
        "max_name_length = 32\n"
        "home = /srv/home/%u\n"
        "shell = /bin/zsh\n"
        "accept_idp_ids = yes\n"
        "[roles]\n"
        "administrator = sudo\n"
        "Linux Admins = adm\n"
        "[groups]\n"
        "Developers = developers\n"
        "[sessions]\n"
        "terminate_on_deactivate = On\n";
    if (load(f, text) != 0)
        fail_msg("load failed: %s", f->err);
    const struct scimd_config *c = &f->cfg;
    assert_string_equal(c->listen_host, "0.0.0.0");
    assert_int_equal(c->listen_port, 9443);
    assert_string_equal(c->base_path, "/api/scim"); /* trailing slash dropped */
    assert_int_equal(c->max_connections, 17);
    assert_int_equal(c->connection_timeout, 9);
    assert_int_equal(c->max_body_size, 2048);
    assert_int_equal(c->max_request_head, 6144);
    assert_string_equal(c->tls_cert, "/etc/scimd/cert.pem");
    assert_string_equal(c->tls_key, "/etc/scimd/key.pem");
    assert_false(c->metrics_auth);
    assert_int_equal(c->auth_failure_limit, 0);
    assert_int_equal(c->auth_failure_ban, 86400);
    assert_int_equal(c->render_cache_size, 0); /* no render cache */
    assert_string_equal(c->database, "/srv/scim/db.sqlite");
    assert_int_equal(c->busy_timeout_ms, 250);
    assert_string_equal(c->cache_path, "/srv/scim/nss.cache");
    assert_string_equal(c->shadow_path, "/srv/scim/shadow.cache");
    assert_int_equal(c->export_delay_ms, 5);
    assert_int_equal(c->export_max_delay_ms, 600000);
    assert_false(c->invalidate_nscd);
    assert_int_equal(c->uid_min, 200000000u);
    assert_int_equal(c->uid_max, 200000999u);
    assert_int_equal(c->gid_min, 200001000u);
    assert_int_equal(c->gid_max, 4294967294u);
    assert_int_equal(c->login_name, LOGIN_NAME_USERNAME);
    assert_int_equal(c->max_name_length, 32);
    assert_string_equal(c->home, "/srv/home/%u");
    assert_string_equal(c->shell, "/bin/zsh");
    assert_true(c->accept_idp_ids);
    assert_int_equal(c->n_role_maps, 2);
    assert_string_equal(c->role_maps[0].scim_name, "administrator");
    assert_string_equal(c->role_maps[0].local_group, "sudo");
    assert_string_equal(c->role_maps[1].scim_name, "Linux Admins");
    assert_string_equal(c->role_maps[1].local_group, "adm");
    assert_int_equal(c->n_group_maps, 1);
    assert_string_equal(c->group_maps[0].scim_name, "Developers");
    assert_string_equal(c->group_maps[0].local_group, "developers");
    assert_true(c->terminate_on_deactivate);
    check_ok(f);
}

static void test_values_in_other_forms(void **state)
{
    struct fx *f = *state;
    /* Booleans: true/false, yes/no, on/off, 1/0, any case. */
    static const struct { const char *v; bool want; } bools[] = {
        { "true", true }, { "TRUE", true }, { "yes", true }, { "on", true }, { "1", true },
        { "false", false }, { "No", false }, { "OFF", false }, { "0", false },
    };
    for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), "[accounts]\naccept_idp_ids = %s\n", bools[i].v);
        if (load(f, text) != 0)
            fail_msg("bool '%s' refused: %s", bools[i].v, f->err);
        assert_int_equal(f->cfg.accept_idp_ids, bools[i].want);
    }
    /* A bare port listens on loopback; [v6]:port keeps the address without brackets. */
    assert_int_equal(load(f, "[server]\nlisten = 8081\n"), 0);
    assert_string_equal(f->cfg.listen_host, "127.0.0.1");
    assert_int_equal(f->cfg.listen_port, 8081);
    assert_int_equal(load(f, "[server]\nlisten = [::1]:8443\n"), 0);
    assert_string_equal(f->cfg.listen_host, "::1");
    assert_int_equal(f->cfg.listen_port, 8443);
    assert_int_equal(load(f, "[server]\nlisten = [::]:0\n"), 0);
    assert_string_equal(f->cfg.listen_host, "::");
    assert_int_equal(f->cfg.listen_port, 0);
    assert_int_equal(load(f, "[server]\nlisten = localhost:65535\n"), 0);
    assert_string_equal(f->cfg.listen_host, "localhost");
    assert_int_equal(f->cfg.listen_port, 65535);
    /* base_path "/" puts the API at the root. */
    assert_int_equal(load(f, "[server]\nbase_path = /\n"), 0);
    assert_string_equal(f->cfg.base_path, "");
    /* Integer bounds are inclusive. */
    assert_int_equal(load(f, "[accounts]\nuid_min = 1000\nmax_name_length = 255\n"), 0);
    assert_int_equal(f->cfg.uid_min, 1000);
    assert_int_equal(f->cfg.max_name_length, 255);
    /* An empty tls_cert/tls_key unsets it (so a drop-in can switch TLS off). */
    assert_int_equal(load(f, "[server]\ntls_cert = /a\ntls_cert =\n"), 0);
    assert_null(f->cfg.tls_cert);
    /* A later assignment wins and the earlier string is freed (ASan checks the leak). */
    assert_int_equal(load(f, "[store]\ndatabase = /a\ndatabase = /b\n"), 0);
    assert_string_equal(f->cfg.database, "/b");
    /* '#' inside a value without whitespace before it is not a comment. */
    assert_int_equal(load(f, "[accounts]\nhome = /home/#%u\n"), 0);
    assert_string_equal(f->cfg.home, "/home/#%u");
    /* Comments: whole lines, or after whitespace in a value; never inside a key, so a
     * [groups] displayName such as "Team #1" can be mapped; also after a section header. */
    assert_int_equal(load(f, "[groups] # SCIM groups\nTeam #1 = developers # the dev team\n"
                             "Ops;EU = adm\n  ; indented comment\n  # another\n"),
                     0);
    assert_int_equal(f->cfg.n_group_maps, 2);
    assert_string_equal(f->cfg.group_maps[0].scim_name, "Team #1");
    assert_string_equal(f->cfg.group_maps[0].local_group, "developers");
    assert_string_equal(f->cfg.group_maps[1].scim_name, "Ops;EU");
    assert_string_equal(f->cfg.group_maps[1].local_group, "adm");
    /* CRLF line endings are accepted. */
    assert_int_equal(load(f, "[server]\r\nlisten = 127.0.0.1:9000\r\n"), 0);
    assert_int_equal(f->cfg.listen_port, 9000);
}

static void test_structure_errors(void **state)
{
    struct fx *f = *state;
    expect_error(f, "[server]\nlisten = 1\n[bogus]\n", 3, "unknown section [bogus]");
    expect_error(f, "[Server]\n", 1, "unknown section");
    expect_error(f, "[server\n", 1, "malformed section header");
    expect_error(f, "[server] x\n", 1, "malformed section header");
    expect_error(f, "\n\n[server]\nlisten_on = 1.2.3.4:5\n", 4, "unknown key 'listen_on' in [server]");
    expect_error(f, "[store]\nlisten = 1.2.3.4:5\n", 2, "unknown key 'listen' in [store]");
    expect_error(f, "# comment\nlisten = 127.0.0.1:80\n", 2, "outside of any section");
    expect_error(f, "[server]\nlisten 127.0.0.1:80\n", 2, "expected 'key = value'");
    expect_error(f, "[server]\n= 127.0.0.1:80\n", 2, "empty key");
    /* A NUL byte would silently cut the line short. */
    static const char nul[] = "[server]\nlisten = 127.0.0.1:80\0 junk\n";
    expect_error_len(f, nul, sizeof(nul) - 1, 2, "NUL byte");
    /* A missing file names the path. */
    scimd_config_free(&f->cfg);
    scimd_config_init(&f->cfg);
    char *missing = core_path(f->dir, "missing.conf");
    assert_int_equal(scimd_config_load(&f->cfg, missing, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, missing));
    free(missing);
}

static void test_integer_errors(void **state)
{
    struct fx *f = *state;
    expect_error(f, "[server]\nmax_connections = many\n", 2, "max_connections: expected an integer");
    expect_error(f, "[server]\nmax_connections = 12abc\n", 2, "expected an integer");
    expect_error(f, "[server]\nmax_connections = -1\n", 2, "expected an integer");
    expect_error(f, "[server]\nmax_connections = +5\n", 2, "expected an integer");
    expect_error(f, "[server]\nmax_connections = 1.5\n", 2, "expected an integer");
    expect_error(f, "[server]\nmax_connections = 0\n", 2, "from 1 to 100000");
    expect_error(f, "[server]\nmax_connections = 100001\n", 2, "from 1 to 100000");
    expect_error(f, "[server]\nmax_body_size = 1023\n", 2, "max_body_size");
    expect_error(f, "[server]\nmax_request_head = 4095\n", 2, "from 4096 to 65536");
    expect_error(f, "[server]\nmax_request_head = 65537\n", 2, "max_request_head");
    expect_error(f, "[server]\nconnection_timeout = 3601\n", 2, "connection_timeout");
    expect_error(f, "[server]\nauth_failure_ban = 0\n", 2, "auth_failure_ban");
    expect_error(f, "[server]\nrender_cache_size = 1073741825\n", 2, "render_cache_size");
    expect_error(f, "[server]\nrender_cache_size = 40M\n", 2, "render_cache_size: expected an integer");
    expect_error(f, "[store]\nbusy_timeout = 600001\n", 2, "busy_timeout");
    expect_error(f, "[cache]\nexport_delay = 60001\n", 2, "export_delay");
    expect_error(f, "[accounts]\nuid_min = 999\n", 2, "uid_min");
    expect_error(f, "[accounts]\ngid_min = 0\n", 2, "gid_min");
    /* 4294967295 is (uid_t)-1 and 2^32 would wrap: both are out of range, not truncated. */
    expect_error(f, "[accounts]\nuid_max = 4294967295\n", 2, "uid_max");
    expect_error(f, "[accounts]\ngid_max = 4294967296\n", 2, "gid_max");
    expect_error(f, "[accounts]\nuid_max = 18446744073709551616\n", 2, "uid_max");
    expect_error(f, "[accounts]\nmax_name_length = 256\n", 2, "max_name_length");
    expect_error(f, "[accounts]\nmax_name_length = 0\n", 2, "max_name_length");
    /* Decimal only: no octal surprises from a leading zero, no hex. */
    expect_error(f, "[accounts]\nuid_min = 0x70000000\n", 2, "uid_min: expected an integer");
    expect_error(f, "[store]\nbusy_timeout = 08x\n", 2, "busy_timeout");
}

static void test_leading_zeros_are_decimal(void **state)
{
    struct fx *f = *state;
    /* strtoull(..., 0) once read "0100" as 64 and "010000" as 4096. */
    assert_int_equal(load(f, "[store]\nbusy_timeout = 0100\n[accounts]\nuid_min = 010000\n"
                             "[server]\nlisten = 127.0.0.1:08080\nmax_connections = 09\n"),
                     0);
    assert_int_equal(f->cfg.busy_timeout_ms, 100);
    assert_int_equal(f->cfg.uid_min, 10000);
    assert_int_equal(f->cfg.listen_port, 8080);
    assert_int_equal(f->cfg.max_connections, 9);
}

static void test_value_errors(void **state)
{
    struct fx *f = *state;
    expect_error(f, "[server]\nmetrics_auth = maybe\n", 2, "metrics_auth: expected true or false");
    expect_error(f, "[cache]\ninvalidate_nscd = \n", 2, "invalidate_nscd");
    expect_error(f, "[sessions]\nterminate_on_deactivate = yes please\n", 2, "terminate_on_deactivate");
    expect_error(f, "[accounts]\nlogin_name = email\n", 2, "login_name");
    expect_error(f, "[accounts]\nlogin_name = Localpart\n", 2, "login_name");
    expect_error(f, "[server]\nbase_path = scim/v2\n", 2, "base_path");
    expect_error(f, "[server]\nbase_path = /scim?x\n", 2, "base_path");
    expect_error(f, "[server]\nbase_path = /sc im\n", 2, "base_path");
    expect_error(f, "[server]\nbase_path =\n", 2, "base_path");
}

static void test_listen_errors(void **state)
{
    struct fx *f = *state;
    static const char *const bad[] = {
        "::1:8080",        /* IPv6 without brackets */
        "fe80::1",         /* IPv6 without brackets or port */
        "[::1]8080",       /* no ':' after ']' */
        "[::1]:",          /* no port */
        "[::1",            /* unclosed */
        "[]:80",           /* empty address */
        "127.0.0.1:",      /* no port */
        ":8080",           /* no host */
        "127.0.0.1:65536", /* port out of range */
        "127.0.0.1:http",  /* not a number */
        "127.0.0.1:-1",
        "eighty",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), "[server]\n\nlisten = %s\n", bad[i]);
        expect_error(f, text, 3, "listen: expected host:port or [ipv6]:port");
        /* The refused value is quoted back so the admin sees what was read. */
        char quoted[64];
        snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
        assert_non_null(strstr(f->err, quoted));
    }
    /* A host longer than any address is refused, not truncated. */
    char text[700];
    char host[400];
    memset(host, 'a', sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    snprintf(text, sizeof(text), "[server]\nlisten = %s:80\n", host);
    expect_error(f, text, 2, "listen");
}

static void test_path_errors(void **state)
{
    struct fx *f = *state;
    expect_error(f, "[store]\ndatabase = scimd.db\n", 2, "database: expected an absolute path");
    expect_error(f, "[store]\ndatabase = ./scimd.db\n", 2, "expected an absolute path");
    expect_error(f, "[cache]\npath = nss.cache\n", 2, "path: expected an absolute path");
    expect_error(f, "[cache]\nshadow_path = ~/shadow\n", 2, "shadow_path");
    expect_error(f, "[accounts]\nshell = bash\n", 2, "shell: expected an absolute path");
    expect_error(f, "[server]\ntls_cert = cert.pem\n", 2, "tls_cert");
    expect_error(f, "[server]\ntls_key = key.pem\n", 2, "tls_key");
    /* Empty values of required keys. */
    expect_error(f, "[store]\ndatabase =\n", 2, "database");
    expect_error(f, "[cache]\npath = \n", 2, "path");
    expect_error(f, "[accounts]\nshell =\n", 2, "shell");
    expect_error(f, "[accounts]\nhome =\n", 2, "home");
    /* A relative home would give every SCIM user a home relative to wherever login runs. */
    expect_error(f, "[accounts]\nhome = home/%u\n", 2, "home: expected an absolute path");
    expect_error(f, "[server]\nlisten =\n", 2, "listen");
    expect_error(f, "[accounts]\nuid_min =\n", 2, "uid_min");
    expect_error(f, "[roles]\nadministrator =\n", 2, "needs a local group name");
}

static void test_map_errors(void **state)
{
    struct fx *f = *state;
    expect_error(f, "[roles]\nadministrator = sudo\nbackup = adm\nAdministrator = wheel\n", 4,
                 "'Administrator' is mapped twice");
    expect_error(f, "[groups]\nOps = adm\nops = sudo\n", 3, "mapped twice");
    /* The same name may appear once in [roles] and once in [groups]: different namespaces. */
    assert_int_equal(load(f, "[roles]\nops = adm\n[groups]\nops = sudo\n"), 0);
    assert_int_equal(f->cfg.n_role_maps, 1);
    assert_int_equal(f->cfg.n_group_maps, 1);
}

static void test_map_lookup(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, "[roles]\nAdministrator = sudo\nlinux-admins = adm\n"
                             "[groups]\nPlatform Team = docker\n"),
                     0);
    const struct scimd_config *c = &f->cfg;
    /* The raw SCIM value or its Linux name, case-insensitively. */
    assert_string_equal(scimd_config_map_lookup(c->role_maps, c->n_role_maps, "administrator", NULL),
                        "sudo");
    assert_string_equal(scimd_config_map_lookup(c->role_maps, c->n_role_maps, "ADMINISTRATOR", NULL),
                        "sudo");
    assert_string_equal(
        scimd_config_map_lookup(c->role_maps, c->n_role_maps, "Linux Admins", "linux-admins"), "adm");
    assert_null(scimd_config_map_lookup(c->role_maps, c->n_role_maps, "Linux Admins", NULL));
    assert_null(scimd_config_map_lookup(c->role_maps, c->n_role_maps, "admin", "admin"));
    assert_null(scimd_config_map_lookup(c->role_maps, c->n_role_maps, NULL, NULL));
    /* [roles] and [groups] are separate tables. */
    assert_null(scimd_config_map_lookup(c->role_maps, c->n_role_maps, "Platform Team", NULL));
    assert_string_equal(
        scimd_config_map_lookup(c->group_maps, c->n_group_maps, "platform team", NULL), "docker");
    assert_null(scimd_config_map_lookup(NULL, 0, "x", "x"));
}

static void test_check_ranges(void **state)
{
    struct fx *f = *state;
    struct scimd_config *c = &f->cfg;
    const uint32_t umin = c->uid_min, umax = c->uid_max, gmin = c->gid_min, gmax = c->gid_max;
#define RESET() (c->uid_min = umin, c->uid_max = umax, c->gid_min = gmin, c->gid_max = gmax)

    c->uid_min = umax + 1;
    expect_check_error(f, "min above max");
    RESET();
    c->gid_max = gmin - 1;
    expect_check_error(f, "min above max");
    RESET();
    /* A single-id range is fine. */
    c->uid_max = c->uid_min;
    check_ok(f);
    RESET();

    c->uid_min = 999;
    c->uid_max = 5000;
    expect_check_error(f, "below 1000");
    RESET();
    c->gid_min = 0;
    c->gid_max = 5000;
    expect_check_error(f, "below 1000");
    RESET();

    static const uint32_t special[][2] = {
        { 60000, 65534 }, { 65534, 65534 }, { 65535, 70000 }, { 60000, 70000 },
        { 4294967000u, 4294967295u },
    };
    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
        c->uid_min = special[i][0];
        c->uid_max = special[i][1];
        c->gid_min = 100000;
        c->gid_max = 100010;
        expect_check_error(f, "65534, 65535 or 4294967295");
        RESET();
        c->uid_min = 100000;
        c->uid_max = 100010;
        c->gid_min = special[i][0];
        c->gid_max = special[i][1];
        expect_check_error(f, "65534, 65535 or 4294967295");
        RESET();
    }
    /* Right next to the special ids is allowed. */
    c->uid_min = 65536;
    c->uid_max = 70000;
    c->gid_min = 4294967000u;
    c->gid_max = 4294967294u;
    check_ok(f);
    RESET();
    c->uid_min = 1000;
    c->uid_max = 65533;
    check_ok(f);
    RESET();

    /* uids double as private group ids, so the ranges must be disjoint. */
    c->gid_min = umax;
    c->gid_max = umax + 10;
    expect_check_error(f, "overlap");
    RESET();
    c->gid_min = umin - 10;
    c->gid_max = umax + 10; /* contains the uid range */
    expect_check_error(f, "overlap");
    RESET();
    c->gid_min = umax + 1; /* adjacent is fine */
    check_ok(f);
    RESET();
#undef RESET
}

static void test_check_tls_and_delays(void **state)
{
    struct fx *f = *state;
    assert_int_equal(load(f, "[server]\ntls_cert = /etc/scimd/cert.pem\n"), 0);
    expect_check_error(f, "tls_cert is set but tls_key is not");
    /* The message names the file the setting came from. */
    char err[512];
    assert_int_equal(scimd_config_check(&f->cfg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, f->path));
    assert_int_equal(load(f, "[server]\ntls_key = /etc/scimd/key.pem\n"), 0);
    expect_check_error(f, "tls_key is set but tls_cert is not");
    assert_int_equal(load(f, "[server]\ntls_key = /k\ntls_cert = /c\n"), 0);
    check_ok(f);
    assert_int_equal(load(f, "[cache]\nexport_delay = 500\nexport_max_delay = 499\n"), 0);
    expect_check_error(f, "export_max_delay");
    assert_int_equal(load(f, "[accounts]\nuid_min = 5000\nuid_max = 4000\n"), 0);
    expect_check_error(f, "min above max");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_in_other_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_structure_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_integer_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leading_zeros_are_decimal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listen_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_tls_and_delays, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
