/* SPDX-License-Identifier: MIT */
/* The module's only global state: one mapping per cache file and the enumeration cursors,
 * behind one mutex per file. */
#ifndef NSS_SCIM_SOURCE_H
#define NSS_SCIM_SOURCE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "scim_cache.h"

struct nss_map {
    struct scim_cache cache;
    unsigned long refs; /* one for being current, one per reader; atomic */
};

struct nss_source {
    pthread_mutex_t lock;
    enum scim_cache_file kind;
    const char *env_name;     /* path override for tests, read with secure_getenv */
    const char *default_path;
    struct nss_map *current;  /* guarded by lock */
    struct timespec last_check;
    uint64_t generation;      /* highest generation mapped in this process (atomic) */
    uint32_t cursor[2];       /* enumeration positions, guarded by lock */
};

extern struct nss_source nss_scim_nss_source;
extern struct nss_source nss_scim_shadow_source;

/* A reader's hold on a mapping: either the shared one (map) or, when the lock cannot be
 * taken, a private mapping for this call only (see nss_source.c). */
struct nss_ref {
    struct nss_map *map;
    struct scim_cache private_cache;
    bool is_private;
};

/* 0, or -errno when the cache is missing, untrusted or invalid (-> NSS_STATUS_UNAVAIL). */
int nss_source_acquire(struct nss_source *src, struct nss_ref *ref);
void nss_source_release(struct nss_ref *ref);

static inline const struct scim_cache *nss_ref_cache(const struct nss_ref *ref)
{
    return ref->is_private ? &ref->private_cache : &ref->map->cache;
}

/* Enumeration cursors. get returns -EBUSY if the lock cannot be taken (then the caller
 * answers UNAVAIL rather than risk a deadlock after fork), else 0. */
int nss_source_cursor_get(struct nss_source *src, int which, uint32_t *pos);
void nss_source_cursor_set(struct nss_source *src, int which, uint32_t pos);

enum { NSS_CURSOR_PASSWD = 0, NSS_CURSOR_GROUP = 1, NSS_CURSOR_SHADOW = 0 };

#endif
