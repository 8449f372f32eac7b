/* SPDX-License-Identifier: MIT */
/* Opening the configured store: apart from store_config.c's checks, which the configuration
 * parser (and its fuzz target) needs without the store. */
#include "store_config.h"

#include <string.h>

#include "scimd_config.h"
#include "secret_file.h"
#include "store/store.h"
#include "store/store_file.h"

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
