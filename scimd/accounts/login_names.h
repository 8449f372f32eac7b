/* SPDX-License-Identifier: MIT */
/* userName -> Linux login name: the [accounts] login_name rule, the character set and length
 * (common/scim_names.c) and the reserved names (accounts/linux_names.c). */
#pragma once

#include "scimd_config.h"
#include "proto/scim_error.h"

#define LOGIN_NAME_BUF 256

/* userName -> login name per [accounts] login_name; refuses invalid and reserved names
 * (400 invalidValue, the detail says why). */
int identity_login_name(const struct scimd_config *cfg, const char *user_name,
                        char out[LOGIN_NAME_BUF], struct scim_error *err);
