/* SPDX-License-Identifier: MIT */
/* A small seeded multiply-xorshift hash (in the spirit of wyhash/murmur finalisers).
 * Names are short, so the loop handles 8 bytes per step and one tail word. */
#include "scim_hash.h"

#include <string.h>

#define HASH_M1 0x9E3779B97F4A7C15ull
#define HASH_M2 0xBF58476D1CE4E5B9ull
#define HASH_M3 0x94D049BB133111EBull

static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * HASH_M2;
    z = (z ^ (z >> 27)) * HASH_M3;
    return z ^ (z >> 31);
}

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

uint64_t scim_hash_bytes(uint64_t seed, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t h = seed ^ ((uint64_t)len * HASH_M1);
    while (len >= 8) {
        h = mix64(h ^ load_le64(p)) + HASH_M1;
        p += 8;
        len -= 8;
    }
    if (len > 0) {
        uint64_t tail = 0;
        for (size_t i = 0; i < len; i++)
            tail |= (uint64_t)p[i] << (8 * i);
        h = mix64(h ^ tail ^ ((uint64_t)len << 56)) + HASH_M1;
    }
    return mix64(h);
}

uint64_t scim_hash_u32(uint64_t seed, uint32_t id)
{
    return mix64(seed ^ ((uint64_t)id * HASH_M1));
}
