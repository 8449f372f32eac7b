/* SPDX-License-Identifier: MIT */
/* Replacing several owned strings of a row at once: all change, or (out of memory) none. */
#pragma once

#include <stddef.h>

/* fields[i] (owned) becomes a copy of values[i] (NULL allowed: the field becomes NULL).
 * Returns 0, or -1 with every field untouched. */
int strings_replace_all(char **const fields[], const char *const values[], size_t n);
