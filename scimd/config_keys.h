/* SPDX-License-Identifier: MIT */
/* The table of known [section] keys and how each value is parsed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct scimd_config;

bool config_section_known(const char *section);
/* Returns -1 with msg filled for an unknown key or a bad value. */
int config_set_key(struct scimd_config *cfg, const char *section, const char *key,
                   const char *value, char *msg, size_t msglen);
