/* SPDX-License-Identifier: MIT */
/* Helpers shared by the cache reader, writer and tools; not part of the public API. */
#ifndef SCIM_CACHE_INTERNAL_H
#define SCIM_CACHE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scim_cache.h"
#include "scim_hash.h"

/* snprintf into err (NULL/0 allowed); returns rc so callers can `return seterr(...)`. */
int scim_cache_seterr(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Ids a cache never hands out as uid or non-mapped gid. */
static inline bool scim_cache_id_allowed(uint32_t id)
{
    return id >= 1000 && id != 65534 && id != 65535 && id != UINT32_MAX;
}

/* A subordinate id slice a cache may hold: non-empty, clear of the system's ids, and ending
 * before 4294967295 (the id that means "none"). */
static inline bool scim_cache_subid_slice_ok(uint32_t start, uint32_t count)
{
    return count > 0 && start >= 1000 && (uint64_t)start + count <= UINT32_MAX;
}

uint32_t scim_cache_header_crc(const uint8_t *hdr_bytes, uint32_t header_size);

#endif
