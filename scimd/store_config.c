/* SPDX-License-Identifier: MIT */
#include "store_config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "scimd_config.h"
#include "store/db_pg.h"

bool store_config_is_postgresql(const struct scimd_config *cfg)
{
    return cfg->store_backend && strcmp(cfg->store_backend, "postgresql") == 0;
}

int store_config_check(const struct scimd_config *cfg, char *err, size_t errlen)
{
    const char *file = cfg->path ? cfg->path : "(defaults)";
    if (cfg->store_backend && strcmp(cfg->store_backend, "sqlite") != 0 &&
        !store_config_is_postgresql(cfg)) {
        snprintf(err, errlen, "%s: [store] backend must be sqlite or postgresql, not '%s'", file,
                 cfg->store_backend);
        return -1;
    }
    if (!store_config_is_postgresql(cfg)) {
        if (cfg->store_url || cfg->store_password_file) {
            snprintf(err, errlen, "%s: [store] %s is only for backend = postgresql", file,
                     cfg->store_url ? "url" : "password_file");
            return -1;
        }
        return 0;
    }
    if (!cfg->store_url) {
        snprintf(err, errlen, "%s: [store] backend = postgresql needs url = postgresql://...",
                 file);
        return -1;
    }
    if (strncmp(cfg->store_url, "postgresql://", 13) != 0 &&
        strncmp(cfg->store_url, "postgres://", 11) != 0) {
        snprintf(err, errlen, "%s: [store] url must start with postgresql://", file);
        return -1;
    }
    char why[256];
    int has = db_pg_conninfo_has_password(cfg->store_url, why, sizeof(why));
    if (has < 0) {
        snprintf(err, errlen, "%s: [store] url: %s", file, why);
        return -1;
    }
    if (has > 0) {
        snprintf(err, errlen,
                 "%s: [store] url must not contain a password: put it in password_file (a "
                 "root-only file) or PGPASSWORD/PGPASSFILE in the service's environment",
                 file);
        return -1;
    }
    return 0;
}

const char *store_config_describe(const struct scimd_config *cfg)
{
    return store_config_is_postgresql(cfg) ? cfg->store_url : cfg->database;
}
