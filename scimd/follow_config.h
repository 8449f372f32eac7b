/* SPDX-License-Identifier: MIT */
/* The [follow] section's rules: what makes a hub URL, a key list and a token file
 * acceptable, and reading them back in the form the follower uses. */
#pragma once

#include <stddef.h>

struct scimd_config;

#define FOLLOW_MAX_HUB_KEYS 2
/* base64 of 32 bytes is 44 characters */
#define FOLLOW_KEY_B64_LEN 44

/* Cross-key checks for [follow]; 0 when the section is absent or sound, else -1 with err. */
int follow_config_check(const struct scimd_config *cfg, char *err, size_t errlen);

/* Splits hub_keys into out (each a NUL-terminated base64 key); returns how many (1-2) or -1
 * with err set when a key is not base64 of exactly 32 bytes or there are none or too many. */
int follow_config_keys(const char *list, char out[FOLLOW_MAX_HUB_KEYS][FOLLOW_KEY_B64_LEN + 1],
                       char *err, size_t errlen);

/* The host token: token, or the first line of token_file, which must be a regular file owned
 * by root that no one else may read or write. 0, or -1 with err set. */
int follow_config_token(const struct scimd_config *cfg, char *buf, size_t buflen, char *err,
                        size_t errlen);

/* 0 when url is https://HOST[:PORT][/] or http:// to a loopback address, else -1. */
int follow_config_hub_ok(const char *url, char *err, size_t errlen);
