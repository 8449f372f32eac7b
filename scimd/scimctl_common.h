/* SPDX-License-Identifier: MIT */
/* What scimctl's command files share: opening the store (without ever creating one for a
 * command that only reads), --json output, and naming a mistyped word. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "scimd_config.h"

struct store;

/* Opens the configured store; with existing, a missing SQLite file is an error (a read never
 * leaves an empty store behind) and permission denied says "needs root". Prints the error;
 * 0 or -1. */
int scimctl_open_store(const struct scimd_config *cfg, bool existing, struct store **st);

/* Removes every `flag` word from argv (shifting the rest down): true if there was one. */
bool scimctl_take_flag(int *argc, char **argv, const char *flag);

/* Prints doc (its reference is taken) as one JSON document on stdout. 0, or 1 on failure. */
int scimctl_print_json(json_t *doc);

/* choices: a NULL-terminated list. The one closest to word (an edit distance of at most 2,
 * or a prefix), or NULL. */
const char *scimctl_closest(const char *word, const char *const *choices);

/* Whether word is one of choices. */
bool scimctl_is_one_of(const char *word, const char *const *choices);

/* "scimctl: unknown WHAT 'word'; did you mean 'x'?" on stderr (the suggestion when there is
 * a close one). Returns 2, the usage error status. */
int scimctl_unknown(const char *what, const char *word, const char *const *choices);
