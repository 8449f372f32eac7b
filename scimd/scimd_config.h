/* SPDX-License-Identifier: MIT */
/* scimd.conf: an INI file whose every key is known; anything else is an error with file:line. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct local_group_map {
    char *scim_name;   /* role value or SCIM group displayName, as written in the file */
    char *local_group; /* existing local group it feeds */
};

enum login_name_rule { LOGIN_NAME_LOCALPART, LOGIN_NAME_USERNAME };

struct scimd_config {
    char *path;

    /* [server] */
    char *listen_host;       /* "127.0.0.1", "::1", "0.0.0.0" */
    uint16_t listen_port;    /* 0: let the kernel choose */
    char *base_path;         /* "/scim/v2", no trailing slash */
    unsigned max_connections;
    unsigned connection_timeout; /* seconds */
    unsigned request_head_timeout; /* seconds a new client has for a complete request head */
    unsigned max_connections_per_client; /* per client address; 0: no limit */
    unsigned reserved_connections; /* kept for clients that authenticated (at most half) */
    size_t max_body_size;
    unsigned max_request_head; /* bytes of request line and headers; each connection keeps
                                * this plus HTTP_POOL_MARGIN in memory once it has answered
                                * a request (http/http.h) */
    char *tls_cert;
    char *tls_key;
    bool metrics_auth;
    unsigned auth_failure_limit; /* per address per minute; 0 disables */
    unsigned auth_failure_ban;   /* seconds */
    size_t render_cache_size;    /* bytes of rendered GET bodies kept; 0 disables the cache */

    /* [store] */
    char *database;           /* SQLite's file; with PostgreSQL, where local state files go */
    unsigned busy_timeout_ms;
    char *store_backend;      /* "sqlite" (NULL) or "postgresql" */
    char *store_url;          /* postgresql://...: a libpq URI without a password */
    char *store_password_file; /* the PostgreSQL password, in a root-only file */

    /* [cache] */
    char *cache_path;
    char *shadow_path;
    unsigned export_delay_ms;
    unsigned export_max_delay_ms;
    bool invalidate_nscd;
    bool cache_nonstandard_path_ok; /* every reader was pointed at a non-default path */

    /* [accounts] */
    uint32_t uid_min, uid_max, gid_min, gid_max;
    enum login_name_rule login_name;
    unsigned max_name_length;
    char *home;   /* template, %u = login name */
    char *shell;
    bool accept_idp_ids;
    char *reserved_names;        /* extra names never handed out, comma-separated; or NULL */
    unsigned max_roles_per_user; /* more roles on one user: 400 */
    unsigned max_role_groups;    /* role groups ever created; past it new roles stay SCIM-only */
    unsigned remove_deactivated_after_days; /* 0: deactivated users are kept */
    bool subids;                 /* a 65,536-id subordinate slice per user (accounts/subids.h) */
    uint32_t subid_min, subid_max;

    /* [roles], [groups] */
    struct local_group_map *role_maps;
    size_t n_role_maps;
    struct local_group_map *group_maps;
    size_t n_group_maps;

    /* [sessions] */
    bool terminate_on_deactivate;

    /* [fleet]: this scimd as a fleet hub (docs/fleet.md) */
    char *fleet_signing_key;          /* Ed25519 secret key file made by scimctl fleet init */
    unsigned fleet_retention_days;    /* changes kept for followers; older: 410, snapshot */
    bool fleet_share_password_hashes; /* passwordHash in the feed; false: null */
    bool fleet_login_host;            /* false: hub-only, no accounts of its own host to check */

    /* [follow]: a follower of a fleet hub (docs/fleet.md); follow_hub NULL: not a follower */
    char *follow_hub;        /* https://HOST[:PORT], or http:// to a loopback address */
    char *follow_token;      /* host bearer token, or NULL when follow_token_file holds it */
    char *follow_token_file; /* root-only file holding the token */
    char *follow_hub_keys;   /* 1-2 base64 Ed25519 public keys, comma-separated */
    char *follow_feed_id;    /* 32 hex digits; NULL: pinned from the first verified snapshot */
    char *follow_groups;     /* comma-separated SCIM group displayNames or role names; NULL: all */
    unsigned follow_max_offline; /* seconds without a verified answer before failing closed; 0 off */
    unsigned follow_wait;        /* long-poll seconds per changes request */
};

/* Sets every default (docs/architecture.md's shipped values). */
void scimd_config_init(struct scimd_config *cfg);

/* Loads path over the defaults, then its drop-ins (the *.conf files in path.d, in name order, see
 * config_dropins.h): a later file's key replaces an earlier one's, [roles] and [groups]
 * entries add up (a later file may remap a name). On error returns -1 and writes
 * "file:line: message" to err, naming the drop-in when one is at fault; errno is ENOENT
 * only when path itself does not exist. */
int scimd_config_load(struct scimd_config *cfg, const char *path, char *err, size_t errlen);

/* Cross-key checks (ranges sane and disjoint, never below 1000, ...). */
int scimd_config_check(const struct scimd_config *cfg, char *err, size_t errlen);

void scimd_config_free(struct scimd_config *cfg);

/* The local group a [roles] or [groups] entry maps a SCIM name onto, matched case-insensitively
 * on the raw SCIM value or on its normalised Linux name; NULL if not mapped. */
const char *scimd_config_map_lookup(const struct local_group_map *maps, size_t n, const char *raw,
                                    const char *name);
