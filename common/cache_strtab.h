/* String table builder for cache images (shells and homes repeat 100k times, so
 * cache_strtab_add de-duplicates; cache_strtab_push appends a fresh copy). */
#ifndef SCIM_CACHE_STRTAB_H
#define SCIM_CACHE_STRTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scim_cache_format.h"

struct strtab_slot {
    uint64_t hash;
    uint32_t off, len;
    bool used;
};

struct strtab {
    char *data;
    size_t len, cap;
    struct strtab_slot *slots;
    size_t n_slots, n_used;
};

/* 0 or -ENOMEM; offset 0 is the empty string. */
int cache_strtab_init(struct strtab *t);
void cache_strtab_free(struct strtab *t);
/* Append without de-duplication. 0, -ENOMEM or -E2BIG (table past 4 GiB). */
int cache_strtab_push(struct strtab *t, const char *s, size_t len, struct scim_cache_strref *ref);
/* Append unless the same bytes are already in the table. */
int cache_strtab_add(struct strtab *t, const char *s, size_t len, struct scim_cache_strref *ref);
/* cache_strtab_add of a C string; NULL adds "". */
int cache_strtab_add_str(struct strtab *t, const char *s, struct scim_cache_strref *ref);

#endif
