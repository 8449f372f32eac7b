/* SPDX-License-Identifier: MIT */
/* A bounded cache of rendered GET /Users/{id} bodies, so the reads IdPs and monitors do mostly
 * skip SQLite and JSON work. Correct under concurrent writes: every committed change bumps a
 * generation, and a reader may only insert what it read under the generation it started
 * with, so a rendering older than a commit never enters the cache.
 *
 * Bounded by entries and by bytes (entries, their keys and the hash table itself). When full,
 * one entry at a time leaves, by CLOCK (second chance): an entry read since the hand last
 * passed it stays for another round. Entries are kept in the compact form of render_body.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct render_cache;

struct render_cache_stats {
    size_t entries;
    size_t bytes;     /* charged: the tables plus every entry's allocation */
    size_t max_bytes;
    uint64_t hits, misses, evictions;
};

/* NULL on allocation failure or a zero bound. */
struct render_cache *render_cache_new(size_t max_entries, size_t max_bytes);
void render_cache_free(struct render_cache *rc);

uint64_t render_cache_generation(struct render_cache *rc);

/* A malloc'd copy of the cached body for (id, base_url), with its version; NULL on a miss. */
char *render_cache_get(struct render_cache *rc, const char *id, const char *base_url,
                       int64_t *version);
/* Stores body (copied) if no change was committed since generation was read. A cached entry
 * for the key stays (it is current: changes remove entries). */
void render_cache_put(struct render_cache *rc, uint64_t generation, const char *id,
                      const char *base_url, int64_t version, const char *body);
/* After a committed change: drops id's entries (NULL: everything) and bumps the generation. */
void render_cache_invalidate(struct render_cache *rc, const char *id);

void render_cache_stats(struct render_cache *rc, struct render_cache_stats *out);
