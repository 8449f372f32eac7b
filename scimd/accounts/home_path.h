/* SPDX-License-Identifier: MIT */
/* Home directories: the path the [accounts] home template gives a login (%u = the login,
 * %% = '%'), taken once when a user is created and stored with it, so a rename keeps the home
 * (docs/architecture.md, "Home directories"). */
#pragma once

#include <stddef.h>

struct scimd_config;
struct store;

/* Bytes home_path_write writes, the terminating NUL included. */
size_t home_path_size(const char *tmpl, const char *login);
/* Writes the path into out (home_path_size bytes). */
void home_path_write(char *out, const char *tmpl, const char *login);
/* The path, malloc'd, or NULL when out of memory. */
char *home_path_new(const char *tmpl, const char *login);

/* Records the home of every user stored before homes were (schema v5): the template with the
 * login each has now, the path passwd already shows them. Run before the first export and
 * before any request can rename someone. 0, or -1 with err set. */
int home_path_pin_existing(const struct scimd_config *cfg, struct store *st, char *err,
                           size_t errlen);
