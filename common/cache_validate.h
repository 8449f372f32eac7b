/* SPDX-License-Identifier: MIT */
#ifndef SCIM_CACHE_VALIDATE_H
#define SCIM_CACHE_VALIDATE_H

#include <stddef.h>

#include "scim_cache.h"

/* Checks a writer snapshot against the identity rules. 0 or -EINVAL/-ENOMEM with err set. */
int scim_cache_validate_snapshot(const struct scim_cache_snapshot *snap, char *err, size_t errlen);

#endif
