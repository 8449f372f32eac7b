/* SPDX-License-Identifier: MIT */
#include "scimd_config.h"

#include "config_dropins.h"
#include "config_keys.h"
#include "follow_config.h"
#include "store_config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

void scimd_config_init(struct scimd_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->listen_host = strdup("127.0.0.1");
    cfg->listen_port = 8080;
    cfg->base_path = strdup("/scim/v2");
    cfg->max_connections = 256;
    cfg->connection_timeout = 30;
    cfg->request_head_timeout = 5;
    cfg->max_connections_per_client = 32;
    cfg->reserved_connections = 64;
    cfg->max_body_size = 1024 * 1024;
    /* What nginx (large_client_header_buffers 8k) and Apache (LimitRequestLine 8190) in
     * front of scimd let through; longer queries go in a POST .search body. */
    cfg->max_request_head = 8 * 1024;
    cfg->metrics_auth = true;
    cfg->auth_failure_limit = 20;
    cfg->auth_failure_ban = 60;
    cfg->render_cache_size = 40u * 1024 * 1024;
    cfg->database = strdup(SCIMD_DB_PATH);
    cfg->busy_timeout_ms = 5000;
    cfg->cache_path = strdup(SCIMD_NSS_CACHE_PATH);
    cfg->shadow_path = strdup(SCIMD_SHADOW_CACHE_PATH);
    cfg->export_delay_ms = 100;
    cfg->export_max_delay_ms = 1000;
    cfg->invalidate_nscd = true;
    cfg->uid_min = SCIMD_DEFAULT_UID_MIN;
    cfg->uid_max = SCIMD_DEFAULT_UID_MAX;
    cfg->gid_min = SCIMD_DEFAULT_GID_MIN;
    cfg->gid_max = SCIMD_DEFAULT_GID_MAX;
    /* Above the default uid and gid ranges and useradd's pool: 32,767 slices. */
    cfg->subid_min = 2147483648u;
    cfg->subid_max = 4294901759u;
    cfg->login_name = LOGIN_NAME_LOCALPART;
    cfg->max_name_length = 64;
    cfg->home = strdup("/home/%u");
    cfg->shell = strdup("/bin/bash");
    cfg->max_roles_per_user = 64;
    cfg->max_role_groups = 10000;
    cfg->follow_wait = 60;
    cfg->fleet_signing_key = strdup("/etc/scimd/fleet.key");
    cfg->fleet_retention_days = 7;
    cfg->fleet_login_host = true;
}

static void free_maps(struct local_group_map *maps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(maps[i].scim_name);
        free(maps[i].local_group);
    }
    free(maps);
}

void scimd_config_free(struct scimd_config *cfg)
{
    free(cfg->path);
    free(cfg->listen_host);
    free(cfg->base_path);
    free(cfg->tls_cert);
    free(cfg->tls_key);
    free(cfg->database);
    free(cfg->store_backend);
    free(cfg->store_url);
    free(cfg->store_password_file);
    free(cfg->cache_path);
    free(cfg->shadow_path);
    free(cfg->home);
    free(cfg->shell);
    free(cfg->reserved_names);
    free(cfg->follow_hub);
    free(cfg->follow_token);
    free(cfg->follow_token_file);
    free(cfg->follow_hub_keys);
    free(cfg->follow_feed_id);
    free(cfg->follow_groups);
    free(cfg->fleet_signing_key);
    free_maps(cfg->role_maps, cfg->n_role_maps);
    free_maps(cfg->group_maps, cfg->n_group_maps);
    memset(cfg, 0, sizeof(*cfg));
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* A '#' or ';' at the start of a line, or after whitespace in a value, starts a comment.
 * Keys are never cut: a [groups] key may be a displayName such as "Team #1". */
static void strip_comment(char *s)
{
    for (char *p = s; *p; p++) {
        if ((*p == '#' || *p == ';') && (p == s || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            return;
        }
    }
}

/* Entries from own_from on came from the file being read: a key twice in one file is a
 * mistake, while a later file (a drop-in) replaces what an earlier one mapped. */
static int add_map(struct local_group_map **maps, size_t *n, size_t own_from, const char *key,
                   const char *value, char *msg, size_t msglen)
{
    if (value[0] == '\0') {
        snprintf(msg, msglen, "'%s' needs a local group name", key);
        return -1;
    }
    for (size_t i = 0; i < *n; i++) {
        if (strcasecmp((*maps)[i].scim_name, key) != 0)
            continue;
        if (i >= own_from) {
            snprintf(msg, msglen, "'%s' is mapped twice", key);
            return -1;
        }
        char *copy = strdup(value);
        if (!copy) {
            snprintf(msg, msglen, "out of memory");
            return -1;
        }
        free((*maps)[i].local_group);
        (*maps)[i].local_group = copy;
        return 0;
    }
    struct local_group_map *grown = realloc(*maps, (*n + 1) * sizeof(**maps));
    if (!grown) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    *maps = grown;
    grown[*n].scim_name = strdup(key);
    grown[*n].local_group = strdup(value);
    if (!grown[*n].scim_name || !grown[*n].local_group) {
        free(grown[*n].scim_name);
        free(grown[*n].local_group);
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    (*n)++;
    return 0;
}

/* One file over what cfg holds: the main file, then each drop-in. */
static int load_file(struct scimd_config *cfg, const char *path, char *err, size_t errlen)
{
    int ret = -1;
    FILE *f = NULL;
    char *line = NULL;
    size_t cap = 0;
    char section[64] = "";
    unsigned lineno = 0;
    char msg[256] = "";
    size_t own_roles = cfg->n_role_maps, own_groups = cfg->n_group_maps;

    f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }

    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if ((size_t)len != strlen(line)) {
            snprintf(msg, sizeof(msg), "NUL byte in line");
            goto bad_line;
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (close)
                strip_comment(close + 1);
            if (!close || trim(close + 1)[0] != '\0') {
                snprintf(msg, sizeof(msg), "malformed section header");
                goto bad_line;
            }
            *close = '\0';
            char *name = trim(s + 1);
            if (!config_section_known(name)) {
                snprintf(msg, sizeof(msg), "unknown section [%s]", name);
                goto bad_line;
            }
            snprintf(section, sizeof(section), "%s", name);
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(msg, sizeof(msg), "expected 'key = value'");
            goto bad_line;
        }
        *eq = '\0';
        char *key = trim(s);
        strip_comment(eq + 1);
        char *value = trim(eq + 1);
        if (section[0] == '\0') {
            snprintf(msg, sizeof(msg), "key '%s' outside of any section", key);
            goto bad_line;
        }
        if (*key == '\0') {
            snprintf(msg, sizeof(msg), "empty key");
            goto bad_line;
        }
        int r;
        if (strcmp(section, "roles") == 0)
            r = add_map(&cfg->role_maps, &cfg->n_role_maps, own_roles, key, value, msg,
                        sizeof(msg));
        else if (strcmp(section, "groups") == 0)
            r = add_map(&cfg->group_maps, &cfg->n_group_maps, own_groups, key, value, msg,
                        sizeof(msg));
        else
            r = config_set_key(cfg, section, key, value, msg, sizeof(msg));
        if (r < 0)
            goto bad_line;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto out;
    }
    ret = 0;
    goto out;

bad_line:
    snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
out:
    free(line);
    if (f)
        fclose(f);
    return ret;
}

int scimd_config_load(struct scimd_config *cfg, const char *path, char *err, size_t errlen)
{
    struct config_dropins d = { 0 };
    int ret = -1;

    free(cfg->path);
    cfg->path = strdup(path);
    if (load_file(cfg, path, err, errlen) < 0)
        goto out; /* errno as fopen left it: callers tell a missing file apart */
    if (config_dropins_list(path, &d, err, errlen) < 0)
        goto dropin_failed;
    for (size_t i = 0; i < d.n; i++)
        if (load_file(cfg, d.files[i], err, errlen) < 0)
            goto dropin_failed;
    ret = 0;
    goto out;

dropin_failed:
    /* The main file exists: a missing drop-in must not read as "no configuration". */
    errno = EINVAL;
out:
    config_dropins_free(&d);
    return ret;
}

static bool ranges_overlap(uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1)
{
    return a0 <= b1 && b0 <= a1;
}

static bool range_has_special_id(uint32_t lo, uint32_t hi)
{
    return (lo <= 65534 && 65534 <= hi) || (lo <= 65535 && 65535 <= hi) || hi == UINT32_MAX;
}

int scimd_config_check(const struct scimd_config *cfg, char *err, size_t errlen)
{
    const char *file = cfg->path ? cfg->path : "(defaults)";
    if (cfg->uid_min > cfg->uid_max || cfg->gid_min > cfg->gid_max) {
        snprintf(err, errlen, "%s: [accounts] a range has min above max", file);
        return -1;
    }
    if (cfg->uid_min < 1000 || cfg->gid_min < 1000) {
        snprintf(err, errlen, "%s: [accounts] ids below 1000 belong to the system", file);
        return -1;
    }
    if (range_has_special_id(cfg->uid_min, cfg->uid_max) ||
        range_has_special_id(cfg->gid_min, cfg->gid_max)) {
        snprintf(err, errlen, "%s: [accounts] ranges must not contain 65534, 65535 or 4294967295", file);
        return -1;
    }
    if (ranges_overlap(cfg->uid_min, cfg->uid_max, cfg->gid_min, cfg->gid_max)) {
        snprintf(err, errlen,
                 "%s: [accounts] uid range (user private groups) and gid range overlap", file);
        return -1;
    }
    if (cfg->tls_cert && cfg->tls_key == NULL) {
        snprintf(err, errlen, "%s: [server] tls_cert is set but tls_key is not", file);
        return -1;
    }
    if (cfg->tls_key && cfg->tls_cert == NULL) {
        snprintf(err, errlen, "%s: [server] tls_key is set but tls_cert is not", file);
        return -1;
    }
    if (cfg->export_max_delay_ms < cfg->export_delay_ms) {
        snprintf(err, errlen, "%s: [cache] export_max_delay must be >= export_delay", file);
        return -1;
    }
    if (follow_config_check(cfg, err, errlen) < 0 || store_config_check(cfg, err, errlen) < 0)
        return -1;
    return 0;
}

const char *scimd_config_map_lookup(const struct local_group_map *maps, size_t n, const char *raw,
                                    const char *name)
{
    for (size_t i = 0; i < n; i++)
        if ((raw && strcasecmp(maps[i].scim_name, raw) == 0) ||
            (name && strcasecmp(maps[i].scim_name, name) == 0))
            return maps[i].local_group;
    return NULL;
}
