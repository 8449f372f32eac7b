/* SPDX-License-Identifier: MIT */
/* String table builder for cache images. Shells (and homes without %u) repeat 100k times,
 * names never do: cache_strtab_add de-duplicates through a hash table (for the few strings
 * that repeat anywhere, like group names), cache_strtab_add_repeat only against the previous
 * value of the same field (cheap, and catches the 100k-times repeats), and
 * cache_strtab_push appends a fresh copy. */
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

/* data is the caller's buffer (inside the image being built): never grown, moved or freed, so
 * strings may be pushed from the table itself. */
struct strtab {
    char *data;
    size_t len, cap;
    struct strtab_slot *slots;
    size_t n_slots, n_used;
};

/* Over buf of cap bytes (cap >= 1); offset 0 is the empty string. 0, -E2BIG or -ENOMEM. */
int cache_strtab_init(struct strtab *t, char *buf, size_t cap);
/* Frees the de-duplication slots (not the buffer). */
void cache_strtab_free(struct strtab *t);
/* Append without de-duplication. 0, -ENOMEM or -E2BIG (past cap, or past 4 GiB). */
int cache_strtab_push(struct strtab *t, const char *s, size_t len, struct scim_cache_strref *ref);
/* Append unless the same bytes are already in the table. */
int cache_strtab_add(struct strtab *t, const char *s, size_t len, struct scim_cache_strref *ref);
/* Reuses *prev when s has the same bytes, else pushes; *prev becomes the result either way.
 * Start with *prev = {0, 0} (the empty string). */
int cache_strtab_add_repeat(struct strtab *t, const char *s, size_t len,
                            struct scim_cache_strref *prev, struct scim_cache_strref *ref);
/* cache_strtab_add of a C string; NULL adds "". */
int cache_strtab_add_str(struct strtab *t, const char *s, struct scim_cache_strref *ref);

#endif
