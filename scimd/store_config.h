/* SPDX-License-Identifier: MIT */
/* The [store] section: which backend holds the store (SQLite's file, or a PostgreSQL
 * database several scimd instances share) and opening it as configured, for scimd and
 * scimctl alike (docs/architecture.md, "Store backends"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct scimd_config;
struct store;

/* Cross-key checks: a known backend; for postgresql a postgresql:// URL that carries no
 * password (it goes in password_file or libpq's environment, so it is never in a file
 * others may read, nor logged); no url or password_file for sqlite. 0, or -1 with err. */
int store_config_check(const struct scimd_config *cfg, char *err, size_t errlen);

bool store_config_is_postgresql(const struct scimd_config *cfg);

/* Opens the configured store (store_open_target). 0, or -1 with err. */
int store_config_open(const struct scimd_config *cfg, struct store **out, bool writer_thread,
                      char *err, size_t errlen);

/* The same for scimctl's commands that must not create a store: a missing SQLite file is an
 * error (and "needs root" when permission is denied), never a new empty store. */
int store_config_open_existing(const struct scimd_config *cfg, struct store **out, char *err,
                               size_t errlen);

/* What the store is, for messages: the SQLite path, or the PostgreSQL URL (password-free). */
const char *store_config_describe(const struct scimd_config *cfg);
