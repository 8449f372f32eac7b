/* SPDX-License-Identifier: MIT */
#include "store_config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "scimd_config.h"
#include "secret_file.h"
#include "store/db_pg.h"
#include "store/store_file.h"
#include "store/store.h"

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

static int open_store(const struct scimd_config *cfg, struct store **out, bool writer_thread,
                      bool must_exist, char *err, size_t errlen)
{
    char password[1024] = "";
    struct store_target t = {
        .path = cfg->database,
        .busy_timeout_ms = cfg->busy_timeout_ms,
    };
    int ret = -1;
    if (store_config_is_postgresql(cfg)) {
        t.pg_url = cfg->store_url;
        if (cfg->store_password_file) {
            if (secret_file_read("[store] password_file", cfg->store_password_file, password,
                                 sizeof(password), err, errlen) < 0)
                goto out;
            t.pg_password = password;
        }
    } else if (must_exist && store_file_check(cfg->database, err, errlen) < 0) {
        goto out; /* opening a missing SQLite file creates it: a read must leave none */
    }
    ret = store_open_target(out, &t, writer_thread, err, errlen);
out:
    explicit_bzero(password, sizeof(password));
    return ret;
}

int store_config_open(const struct scimd_config *cfg, struct store **out, bool writer_thread,
                      char *err, size_t errlen)
{
    return open_store(cfg, out, writer_thread, false, err, errlen);
}

int store_config_open_existing(const struct scimd_config *cfg, struct store **out, char *err,
                               size_t errlen)
{
    return open_store(cfg, out, false, true, err, errlen);
}
