/* SPDX-License-Identifier: MIT */
#include "config_keys.h"

#include "scimd_config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum key_kind { K_STRING, K_OPT_STRING, K_PATH, K_OPT_PATH, K_UINT, K_BOOL, K_LISTEN, K_BASE_PATH, K_LOGIN_RULE };

struct key_def {
    const char *section;
    const char *key;
    enum key_kind kind;
    size_t offset;
    uint64_t min, max; /* for K_UINT */
    unsigned width;    /* bytes of the integer field for K_UINT */
};

#define OFF(field) offsetof(struct scimd_config, field)
#define UINTK(sec, k, field, lo, hi) \
    { sec, k, K_UINT, OFF(field), lo, hi, sizeof(((struct scimd_config *)0)->field) }

static const struct key_def keys[] = {
    { "server", "listen", K_LISTEN, 0, 0, 0, 0 },
    { "server", "base_path", K_BASE_PATH, OFF(base_path), 0, 0, 0 },
    UINTK("server", "max_connections", max_connections, 1, 100000),
    UINTK("server", "connection_timeout", connection_timeout, 1, 3600),
    UINTK("server", "request_head_timeout", request_head_timeout, 1, 3600),
    UINTK("server", "max_connections_per_client", max_connections_per_client, 0, 100000),
    UINTK("server", "reserved_connections", reserved_connections, 0, 100000),
    UINTK("server", "max_body_size", max_body_size, 1024, 256u * 1024 * 1024),
    UINTK("server", "max_request_head", max_request_head, 4096, 65536),
    { "server", "tls_cert", K_OPT_PATH, OFF(tls_cert), 0, 0, 0 },
    { "server", "tls_key", K_OPT_PATH, OFF(tls_key), 0, 0, 0 },
    { "server", "metrics_auth", K_BOOL, OFF(metrics_auth), 0, 0, 0 },
    UINTK("server", "auth_failure_limit", auth_failure_limit, 0, 1000000),
    UINTK("server", "auth_failure_ban", auth_failure_ban, 1, 86400),
    UINTK("server", "render_cache_size", render_cache_size, 0, 1024ull * 1024 * 1024),
    { "store", "database", K_PATH, OFF(database), 0, 0, 0 },
    UINTK("store", "busy_timeout", busy_timeout_ms, 0, 600000),
    { "store", "backend", K_OPT_STRING, OFF(store_backend), 0, 0, 0 },
    { "store", "url", K_OPT_STRING, OFF(store_url), 0, 0, 0 },
    { "store", "password_file", K_OPT_PATH, OFF(store_password_file), 0, 0, 0 },
    { "cache", "path", K_PATH, OFF(cache_path), 0, 0, 0 },
    { "cache", "shadow_path", K_PATH, OFF(shadow_path), 0, 0, 0 },
    UINTK("cache", "export_delay", export_delay_ms, 0, 60000),
    UINTK("cache", "export_max_delay", export_max_delay_ms, 0, 600000),
    { "cache", "invalidate_nscd", K_BOOL, OFF(invalidate_nscd), 0, 0, 0 },
    { "cache", "nonstandard_path_ok", K_BOOL, OFF(cache_nonstandard_path_ok), 0, 0, 0 },
    UINTK("accounts", "uid_min", uid_min, 1000, UINT32_MAX - 1),
    UINTK("accounts", "uid_max", uid_max, 1000, UINT32_MAX - 1),
    UINTK("accounts", "gid_min", gid_min, 1000, UINT32_MAX - 1),
    UINTK("accounts", "gid_max", gid_max, 1000, UINT32_MAX - 1),
    { "accounts", "login_name", K_LOGIN_RULE, 0, 0, 0, 0 },
    UINTK("accounts", "max_name_length", max_name_length, 1, 255),
    { "accounts", "home", K_PATH, OFF(home), 0, 0, 0 },
    { "accounts", "shell", K_PATH, OFF(shell), 0, 0, 0 },
    { "accounts", "accept_idp_ids", K_BOOL, OFF(accept_idp_ids), 0, 0, 0 },
    { "accounts", "reserved_names", K_STRING, OFF(reserved_names), 0, 0, 0 },
    UINTK("accounts", "max_roles_per_user", max_roles_per_user, 1, 100000),
    UINTK("accounts", "max_role_groups", max_role_groups, 1, 10000000),
    UINTK("accounts", "remove_deactivated_after", remove_deactivated_after_days, 0, 36500),
    { "accounts", "subids", K_BOOL, OFF(subids), 0, 0, 0 },
    UINTK("accounts", "subid_min", subid_min, 65536, UINT32_MAX - 1),
    UINTK("accounts", "subid_max", subid_max, 65536, UINT32_MAX - 1),
    { "sessions", "terminate_on_deactivate", K_BOOL, OFF(terminate_on_deactivate), 0, 0, 0 },
    { "fleet", "signing_key", K_PATH, OFF(fleet_signing_key), 0, 0, 0 },
    UINTK("fleet", "retention_days", fleet_retention_days, 1, 3650),
    { "fleet", "share_password_hashes", K_BOOL, OFF(fleet_share_password_hashes), 0, 0, 0 },
    { "fleet", "login_host", K_BOOL, OFF(fleet_login_host), 0, 0, 0 },
    { "follow", "hub", K_OPT_STRING, OFF(follow_hub), 0, 0, 0 },
    { "follow", "token", K_OPT_STRING, OFF(follow_token), 0, 0, 0 },
    { "follow", "token_file", K_OPT_PATH, OFF(follow_token_file), 0, 0, 0 },
    { "follow", "hub_keys", K_OPT_STRING, OFF(follow_hub_keys), 0, 0, 0 },
    { "follow", "feed_id", K_OPT_STRING, OFF(follow_feed_id), 0, 0, 0 },
    { "follow", "groups", K_OPT_STRING, OFF(follow_groups), 0, 0, 0 },
    UINTK("follow", "max_offline", follow_max_offline, 0, 365u * 86400),
    UINTK("follow", "wait", follow_wait, 1, 300),
};

static const char *const sections[] = { "server", "store", "cache", "accounts", "roles", "groups",
                                        "sessions", "follow", "fleet" };

bool config_section_known(const char *section)
{
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        if (strcmp(sections[i], section) == 0)
            return true;
    return false;
}

static int parse_uint(const char *value, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (value[0] < '0' || value[0] > '9')
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(value, &end, 10); /* "0100" is one hundred */
    if (errno || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *value, bool *out)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(value, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int replace_string(char **field, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

/* host:port, [v6]:port or a bare port. */
static int parse_listen(struct scimd_config *cfg, const char *value, char *msg, size_t msglen)
{
    char host[256];
    const char *port_str;
    if (value[0] == '[') {
        const char *close = strchr(value, ']');
        if (!close || close == value + 1 || close[1] != ':' ||
            (size_t)(close - value - 1) >= sizeof(host))
            goto bad;
        memcpy(host, value + 1, close - value - 1);
        host[close - value - 1] = '\0';
        port_str = close + 2;
    } else {
        const char *colon = strrchr(value, ':');
        if (!colon) {
            snprintf(host, sizeof(host), "127.0.0.1");
            port_str = value;
        } else {
            if ((size_t)(colon - value) >= sizeof(host) || colon == value)
                goto bad;
            memcpy(host, value, colon - value);
            host[colon - value] = '\0';
            if (strchr(host, ':'))
                goto bad; /* an IPv6 address must be bracketed */
            port_str = colon + 1;
        }
    }
    uint64_t port;
    if (parse_uint(port_str, 0, 65535, &port) < 0)
        goto bad;
    if (replace_string(&cfg->listen_host, host) < 0)
        goto bad;
    cfg->listen_port = (uint16_t)port;
    return 0;
bad:
    snprintf(msg, msglen, "listen: expected host:port or [ipv6]:port, got '%s'", value);
    return -1;
}

int config_set_key(struct scimd_config *cfg, const char *section, const char *key,
                   const char *value, char *msg, size_t msglen)
{
    const struct key_def *def = NULL;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0) {
            def = &keys[i];
            break;
        }
    }
    if (!def) {
        snprintf(msg, msglen, "unknown key '%s' in [%s]", key, section);
        return -1;
    }
    char *base = (char *)cfg;
    switch (def->kind) {
    case K_LISTEN:
        return parse_listen(cfg, value, msg, msglen);
    case K_BASE_PATH: {
        size_t n = strlen(value);
        if (n == 0 || value[0] != '/' || strpbrk(value, "?#% \t") != NULL) {
            snprintf(msg, msglen, "base_path: must start with '/' and contain no ?, #, %% or spaces");
            return -1;
        }
        while (n > 1 && value[n - 1] == '/')
            n--;
        char *copy = strndup(value, n);
        if (!copy) {
            snprintf(msg, msglen, "out of memory");
            return -1;
        }
        if (n == 1)
            copy[0] = '\0'; /* "/" means the API lives at the root */
        free(cfg->base_path);
        cfg->base_path = copy;
        return 0;
    }
    case K_LOGIN_RULE:
        if (strcmp(value, "localpart") == 0)
            cfg->login_name = LOGIN_NAME_LOCALPART;
        else if (strcmp(value, "username") == 0)
            cfg->login_name = LOGIN_NAME_USERNAME;
        else {
            snprintf(msg, msglen, "login_name: expected 'localpart' or 'username', got '%s'", value);
            return -1;
        }
        return 0;
    case K_BOOL:
        if (parse_bool(value, (bool *)(base + def->offset)) < 0) {
            snprintf(msg, msglen, "%s: expected true or false, got '%s'", key, value);
            return -1;
        }
        return 0;
    case K_UINT: {
        uint64_t v;
        if (parse_uint(value, def->min, def->max, &v) < 0) {
            snprintf(msg, msglen, "%s: expected an integer from %llu to %llu, got '%s'", key,
                     (unsigned long long)def->min, (unsigned long long)def->max, value);
            return -1;
        }
        if (def->width == sizeof(uint32_t))
            *(uint32_t *)(base + def->offset) = (uint32_t)v;
        else if (def->width == sizeof(size_t))
            *(size_t *)(base + def->offset) = (size_t)v;
        else
            return -1;
        return 0;
    }
    case K_PATH:
    case K_OPT_PATH:
    case K_OPT_STRING:
        /* An empty optional value means unset (the shipped file's "#hub =" uncommented). */
        if (value[0] == '\0' && def->kind != K_PATH) {
            free(*(char **)(base + def->offset));
            *(char **)(base + def->offset) = NULL;
            return 0;
        }
        if (value[0] != '/' && def->kind != K_OPT_STRING) {
            snprintf(msg, msglen, "%s: expected an absolute path, got '%s'", key, value);
            return -1;
        }
        /* fall through */
    case K_STRING:
        if (value[0] == '\0') {
            snprintf(msg, msglen, "%s: must not be empty", key);
            return -1;
        }
        if (replace_string((char **)(base + def->offset), value) < 0) {
            snprintf(msg, msglen, "out of memory");
            return -1;
        }
        return 0;
    }
    return -1;
}
