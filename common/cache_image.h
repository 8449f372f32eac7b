/* SPDX-License-Identifier: MIT */
/* Cache image assembly shared by the NSS and shadow builders. */
#ifndef SCIM_CACHE_IMAGE_H
#define SCIM_CACHE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "scim_cache.h"

/* A section's type and size; its bytes are built in place (cache_image_at). */
struct sect_in {
    uint32_t type, entry_size, count;
};

/* Slots for n records: a power of two, at least 2n and at least 8. */
uint32_t cache_index_size(size_t n);
void cache_index_put_name(struct scim_cache_slot *slots, uint32_t size, uint64_t seed,
                    const char *name, uint32_t idx);
void cache_index_put_id(struct scim_cache_slot *slots, uint32_t size, uint64_t seed, uint32_t id,
                  uint32_t idx);
/* An image built in place: every section lives in its final place from the start, so
 * nothing is copied and no second copy of a 30 MB file is ever held. The last section (the
 * strings, whose exact size is known only at the end) gets an upper bound of room, and
 * finish shrinks the image to what it used. */
struct cache_image {
    uint8_t *img;
    size_t fixed_len; /* header, table and fixed sections, aligned */
    size_t tail_cap;
    uint32_t header_size, n;
    struct sect_in in[SCIM_CACHE_MAX_SECTIONS];
    size_t off[SCIM_CACHE_MAX_SECTIONS];
};

/* Lays out header, section table and in[0..n-1] (8-aligned) in one zeroed allocation, plus
 * tail_cap bytes for the last section. 0 or -ENOMEM / -E2BIG. */
int cache_image_begin(struct cache_image *im, const struct sect_in *in, uint32_t n,
                      size_t tail_cap);
/* Where section i is built; i == n is the tail. */
void *cache_image_at(const struct cache_image *im, uint32_t i);
/* Closes the image with the tail section of tail->count entries (already built at
 * cache_image_at(im, n)), fills in header, table and checksums and
 * hands the image to *out. */
int cache_image_finish(struct cache_image *im, const char *magic,
                       const struct scim_cache_snapshot *snap, uint64_t seed,
                       const struct sect_in *tail, uint8_t **out, size_t *out_len);
void cache_image_free(struct cache_image *im);
/* One image of a snapshot already validated (scim_cache_validate_snapshot). */
int cache_build_image(const struct scim_cache_snapshot *snap, enum scim_cache_file kind,
                      uint8_t **out, size_t *out_len, char *errbuf, size_t errlen);
/* Random per-file seed for the index hashes. */
uint64_t cache_new_seed(void);

#endif
