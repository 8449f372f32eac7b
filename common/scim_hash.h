/* SPDX-License-Identifier: MIT */
/* Checksums and hashes shared by the cache writer and readers (libc only). */
#ifndef SCIM_HASH_H
#define SCIM_HASH_H

#include <stddef.h>
#include <stdint.h>

/* CRC32C (Castagnoli), as in iSCSI/ext4: init 0xFFFFFFFF, reflected, final xor.
 * scim_crc32c_update() chains: crc = update(update(0, a), b) == crc of a||b. */
uint32_t scim_crc32c_update(uint32_t crc, const void *data, size_t len);
static inline uint32_t scim_crc32c(const void *data, size_t len)
{
    return scim_crc32c_update(0, data, len);
}

/* Seeded 64-bit non-cryptographic hash for the on-disk name indexes. The seed is
 * random per cache file, so a tenant cannot pick names that collide on every host. */
uint64_t scim_hash_bytes(uint64_t seed, const void *data, size_t len);
/* Hash of a 32-bit id for the id indexes. */
uint64_t scim_hash_u32(uint64_t seed, uint32_t id);

#endif
