/* Cache image assembly shared by the NSS and shadow builders. */
#ifndef SCIM_CACHE_IMAGE_H
#define SCIM_CACHE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "scim_cache.h"

struct sect_in {
    uint32_t type, entry_size, count;
    const void *data;
};

/* Slots for n records: a power of two, at least 2n and at least 8. */
uint32_t cache_index_size(size_t n);
void cache_index_put_name(struct scim_cache_slot *slots, uint32_t size, uint64_t seed,
                    const char *name, uint32_t idx);
void cache_index_put_id(struct scim_cache_slot *slots, uint32_t size, uint64_t seed, uint32_t id,
                  uint32_t idx);
/* Lays out header, section table and sections (8-aligned) into a malloc'd image. */
int cache_image_assemble(const char *magic, const struct scim_cache_snapshot *snap,
                         uint64_t seed, const struct sect_in *in, uint32_t n, uint8_t **out,
                         size_t *out_len);
/* Random per-file seed for the index hashes. */
uint64_t cache_new_seed(void);

#endif
