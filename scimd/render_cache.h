/* A bounded cache of rendered GET /Users/{id} bodies, so the read IdPs and monitors do most
 * skips SQLite and JSON work. Correct under concurrent writes: every committed change bumps a
 * generation, and a reader may only insert what it read under the generation it started
 * with, so a rendering older than a commit never enters the cache. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct render_cache;

struct render_cache *render_cache_new(size_t capacity);
void render_cache_free(struct render_cache *rc);

uint64_t render_cache_generation(struct render_cache *rc);

/* A malloc'd copy of the cached body for (id, base_url), with its version; NULL on a miss. */
char *render_cache_get(struct render_cache *rc, const char *id, const char *base_url,
                       int64_t *version);
/* Stores body (copied) if no change was committed since generation was read. */
void render_cache_put(struct render_cache *rc, uint64_t generation, const char *id,
                      const char *base_url, int64_t version, const char *body);
/* After a committed change: drops id's entry (NULL: everything) and bumps the generation. */
void render_cache_invalidate(struct render_cache *rc, const char *id);
