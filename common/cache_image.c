/* SPDX-License-Identifier: MIT */
/* Cache image pieces shared by the NSS and shadow builders: hash indexes, the header and
 * section table, and the per-file hash seed. */
#include "cache_image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cache_internal.h"

uint32_t cache_index_size(size_t n)
{
    uint32_t size = 8;
    while (size < n * 2)
        size *= 2;
    return size;
}

static void cache_index_put(struct scim_cache_slot *slots, uint32_t size, uint64_t bucket_hash,
                      uint32_t tag, uint32_t idx)
{
    uint32_t b = (uint32_t)bucket_hash & (size - 1);
    while (slots[b].idx_plus1 != 0)
        b = (b + 1) & (size - 1);
    slots[b] = (struct scim_cache_slot){tag, idx + 1};
}

void cache_index_put_name(struct scim_cache_slot *slots, uint32_t size, uint64_t seed,
                           const char *name, uint32_t idx)
{
    uint64_t h = scim_hash_bytes(seed, name, strlen(name));
    cache_index_put(slots, size, h, (uint32_t)(h >> 32), idx);
}

void cache_index_put_id(struct scim_cache_slot *slots, uint32_t size, uint64_t seed,
                         uint32_t id, uint32_t idx)
{
    cache_index_put(slots, size, scim_hash_u32(seed, id), id, idx);
}

static size_t align_up(size_t n)
{
    return (n + SCIM_CACHE_ALIGN - 1) & ~(size_t)(SCIM_CACHE_ALIGN - 1);
}

int cache_image_begin(struct cache_image *im, const struct sect_in *in, uint32_t n,
                      size_t tail_cap)
{
    memset(im, 0, sizeof(*im));
    if (n + 1 > SCIM_CACHE_MAX_SECTIONS)
        return -E2BIG;
    im->n = n;
    im->header_size = (uint32_t)(sizeof(struct scim_cache_header) +
                                 (n + 1) * sizeof(struct scim_cache_section));
    size_t off = align_up(im->header_size);
    for (uint32_t i = 0; i < n; i++) {
        im->in[i] = in[i];
        im->off[i] = off;
        off = align_up(off + (size_t)in[i].count * in[i].entry_size);
    }
    im->fixed_len = off;
    im->off[n] = off;
    im->tail_cap = tail_cap;
    if (tail_cap > SIZE_MAX - off)
        return -E2BIG;
    im->img = calloc(1, off + tail_cap);
    return im->img ? 0 : -ENOMEM;
}

void *cache_image_at(const struct cache_image *im, uint32_t i)
{
    return im->img + im->off[i];
}

void cache_image_free(struct cache_image *im)
{
    free(im->img);
    im->img = NULL;
}

int cache_image_finish(struct cache_image *im, const char *magic,
                       const struct scim_cache_snapshot *snap, uint64_t seed,
                       const struct sect_in *tail, uint8_t **out, size_t *out_len)
{
    size_t tail_len = (size_t)tail->count * tail->entry_size;
    if (tail_len > im->tail_cap)
        return -E2BIG;
    /* No padding after the last section: a truncated file then always cuts into a section.
     * Shrinking a large (mmap'd) block gives pages back without copying. */
    size_t total = im->fixed_len + tail_len;
    uint8_t *img = realloc(im->img, total);
    if (img)
        im->img = img;
    img = im->img; /* a failed shrink leaves the larger block, still valid */
    im->in[im->n] = *tail;

    struct scim_cache_header *h = (struct scim_cache_header *)img;
    struct scim_cache_section *tab = (struct scim_cache_section *)(img + sizeof(*h));
    memcpy(h->magic, magic, SCIM_CACHE_MAGIC_LEN);
    h->version = SCIM_CACHE_VERSION;
    h->byte_order = SCIM_CACHE_BYTE_ORDER;
    h->header_size = im->header_size;
    h->section_count = im->n + 1;
    h->generation = snap->generation;
    h->uid_hwm = snap->uid_hwm;
    h->created = snap->created ? snap->created : (int64_t)time(NULL);
    h->file_size = total;
    h->hash_seed = seed;
    for (uint32_t i = 0; i <= im->n; i++) {
        size_t len = (size_t)im->in[i].count * im->in[i].entry_size;
        tab[i] = (struct scim_cache_section){.type = im->in[i].type,
                                             .count = im->in[i].count,
                                             .offset = im->off[i],
                                             .length = len,
                                             .entry_size = im->in[i].entry_size,
                                             .crc = scim_crc32c(img + im->off[i], len)};
    }
    h->header_crc = scim_cache_header_crc(img, im->header_size);
    *out = img;
    *out_len = total;
    im->img = NULL;
    return 0;
}

uint64_t cache_new_seed(void)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
        return seed;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return scim_hash_u32((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20), (uint32_t)getpid());
}