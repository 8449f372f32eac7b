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

int cache_image_assemble(const char *magic, const struct scim_cache_snapshot *snap, uint64_t seed,
                    const struct sect_in *in, uint32_t n, uint8_t **out, size_t *out_len)
{
    uint32_t header_size = (uint32_t)(sizeof(struct scim_cache_header) +
                                      n * sizeof(struct scim_cache_section));
    size_t total = align_up(header_size);
    for (uint32_t i = 0; i < n; i++)
        total = align_up(total + (size_t)in[i].count * in[i].entry_size);
    uint8_t *img = calloc(1, total);
    if (!img)
        return -ENOMEM;

    struct scim_cache_header *h = (struct scim_cache_header *)img;
    struct scim_cache_section *tab = (struct scim_cache_section *)(img + sizeof(*h));
    memcpy(h->magic, magic, SCIM_CACHE_MAGIC_LEN);
    h->version = SCIM_CACHE_VERSION;
    h->byte_order = SCIM_CACHE_BYTE_ORDER;
    h->header_size = header_size;
    h->section_count = n;
    h->generation = snap->generation;
    h->uid_hwm = snap->uid_hwm;
    h->created = snap->created ? snap->created : (int64_t)time(NULL);
    h->file_size = total;
    h->hash_seed = seed;

    size_t off = align_up(header_size);
    for (uint32_t i = 0; i < n; i++) {
        size_t len = (size_t)in[i].count * in[i].entry_size;
        tab[i] = (struct scim_cache_section){.type = in[i].type,
                                             .count = in[i].count,
                                             .offset = off,
                                             .length = len,
                                             .entry_size = in[i].entry_size};
        if (len)
            memcpy(img + off, in[i].data, len);
        tab[i].crc = scim_crc32c(img + off, len);
        off = align_up(off + len);
    }
    h->header_crc = scim_cache_header_crc(img, header_size);
    *out = img;
    *out_len = total;
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