/* SPDX-License-Identifier: MIT */
/* Mapping lifecycle.
 *
 * Readers take the mutex only to pick up a reference to the current mapping (and, at most
 * once a second or when the mapped header says "superseded", to check for a replaced
 * file and remap); the lookup itself runs unlocked. A mapping is unmapped when its last
 * reference goes: the source holds one while it is current, each reader one while it reads.
 *
 * Fork safety without pthread_atfork: a child forked while another thread held the mutex
 * inherits it locked forever. So the mutex is only ever try-locked, a bounded number of
 * times; if that fails the call maps the file privately, answers from that and unmaps it
 * (an open+mmap per call: slower, never a deadlock). Under ordinary contention the critical
 * section is a few instructions, so in a healthy process the fallback is taken only when
 * the lock holder was preempted inside it. A child that inherited the held lock keeps
 * answering through the fallback until it execs. */
#include "nss_source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* Helgrind does not model C11 atomics; these annotations (header-only client requests,
 * a few no-op instructions outside valgrind) tell it the last reference's release
 * happens after every other reader finished with the mapping. */
#if __has_include(<valgrind/helgrind.h>)
#include <valgrind/helgrind.h>
#else
#define ANNOTATE_HAPPENS_BEFORE(obj) ((void)(obj))
#define ANNOTATE_HAPPENS_AFTER(obj) ((void)(obj))
#endif

#define LOCK_ATTEMPTS 200
#define RECHECK_SECONDS 1

struct nss_source nss_scim_nss_source = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .kind = SCIM_CACHE_FILE_NSS,
    .env_name = "SCIM_NSS_CACHE",
    .default_path = SCIMD_NSS_CACHE_PATH,
};

struct nss_source nss_scim_shadow_source = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .kind = SCIM_CACHE_FILE_SHADOW,
    .env_name = "SCIM_SHADOW_CACHE",
    .default_path = SCIMD_SHADOW_CACHE_PATH,
};

static const char *source_path(const struct nss_source *src)
{
    const char *p = secure_getenv(src->env_name);
    return p && p[0] == '/' ? p : src->default_path;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Spins briefly (a few microseconds at most) and never sleeps or yields: in a forked child
 * the inherited lock never comes free, and each call there should fall back quickly. */
static bool try_lock(struct nss_source *src)
{
    for (int i = 0; i < LOCK_ATTEMPTS; i++) {
        if (pthread_mutex_trylock(&src->lock) == 0)
            return true;
        for (int k = 0; k < 8; k++)
            cpu_relax();
    }
    return false;
}

static void map_put(struct nss_map *m)
{
    ANNOTATE_HAPPENS_BEFORE(&m->refs);
    if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        ANNOTATE_HAPPENS_AFTER(&m->refs);
        scim_cache_close(&m->cache);
        free(m);
    }
}

static void drop_current(struct nss_source *src)
{
    struct nss_map *m = src->current;
    src->current = NULL;
    if (m)
        map_put(m);
}

/* Generations only grow (docs/cache-format.md): a file older than one this process has
 * mapped is an old export put back (a resurrected user), so the cache reads as unavailable
 * until a file at least as new is in place. A thread that opened the path just before
 * another thread mapped the file renamed over it sees an older generation too: opening
 * again then finds the newer file, while a file put back stays there. */
#define ROLLBACK_REOPENS 3

static int open_checked(struct nss_source *src, struct scim_cache *c, const char *path)
{
    for (int attempt = 0;; attempt++) {
        int rc = scim_cache_open(c, path, src->kind, 0, NULL, 0);
        if (rc < 0)
            return rc;
        uint64_t gen = scim_cache_generation(c);
        uint64_t seen = __atomic_load_n(&src->generation, __ATOMIC_RELAXED);
        while (gen > seen && !__atomic_compare_exchange_n(&src->generation, &seen, gen, false,
                                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            ;
        if (gen >= seen)
            return 0;
        scim_cache_close(c);
        if (attempt == ROLLBACK_REOPENS)
            return -ESTALE;
    }
}

static int map_new(struct nss_source *src, const char *path)
{
    struct nss_map *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    int rc = open_checked(src, &m->cache, path);
    if (rc < 0) {
        free(m);
        return rc;
    }
    m->refs = 1;
    src->current = m;
    return 0;
}

static bool recheck_due(struct nss_source *src, const struct timespec *now)
{
    return now->tv_sec - src->last_check.tv_sec >= RECHECK_SECONDS ||
           now->tv_sec < src->last_check.tv_sec;
}

/* Called with the lock held. */
static int refresh_locked(struct nss_source *src)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    if (src->current) {
        if (scim_cache_superseded(&src->current->cache))
            drop_current(src);
        else if (recheck_due(src, &now)) {
            src->last_check = now;
            if (scim_cache_stale(&src->current->cache, source_path(src)))
                drop_current(src);
        }
    }
    if (src->current)
        return 0;
    src->last_check = now;
    return map_new(src, source_path(src));
}

int nss_source_acquire(struct nss_source *src, struct nss_ref *ref)
{
    int rc;
    memset(ref, 0, sizeof(*ref));
    if (!try_lock(src)) {
        rc = open_checked(src, &ref->private_cache, source_path(src));
        if (rc == 0)
            ref->is_private = true;
        return rc;
    }
    rc = refresh_locked(src);
    if (rc == 0) {
        ref->map = src->current;
        __atomic_add_fetch(&ref->map->refs, 1, __ATOMIC_ACQ_REL);
    }
    pthread_mutex_unlock(&src->lock);
    return rc;
}

void nss_source_release(struct nss_ref *ref)
{
    if (ref->is_private)
        scim_cache_close(&ref->private_cache);
    else if (ref->map)
        map_put(ref->map);
    memset(ref, 0, sizeof(*ref));
}

int nss_source_cursor_get(struct nss_source *src, int which, uint32_t *pos)
{
    if (!try_lock(src))
        return -EBUSY;
    *pos = src->cursor[which];
    pthread_mutex_unlock(&src->lock);
    return 0;
}

void nss_source_cursor_set(struct nss_source *src, int which, uint32_t pos)
{
    if (!try_lock(src))
        return;
    src->cursor[which] = pos;
    pthread_mutex_unlock(&src->lock);
}
