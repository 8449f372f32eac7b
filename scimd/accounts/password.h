/* SPDX-License-Identifier: MIT */
/* Password hashing for IdP-synced passwords: yescrypt via libxcrypt. */
#pragma once

#include <stddef.h>

#include "proto/scim_error.h"

#include <crypt.h>

/* libxcrypt refuses longer passphrases. */
#define PASSWORD_MAX_LEN (CRYPT_MAX_PASSPHRASE_SIZE - 1)

/* Hashes a clear-text password into a newly allocated "$y$..." string. */
char *password_hash_new(const char *clear, struct scim_error *err);
