#include "render_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *key;   /* "id\nbase_url" */
    char *body;
    int64_t version;
};

struct render_cache {
    pthread_rwlock_t lock;
    uint64_t generation;
    size_t capacity, used;
    struct entry *slots;
    size_t *occupied; /* indices of the used slots: clearing costs O(used), not O(capacity) */
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct render_cache *render_cache_new(size_t capacity)
{
    struct render_cache *rc = calloc(1, sizeof(*rc));
    if (!rc)
        return NULL;
    rc->capacity = capacity < 16 ? 16 : capacity;
    rc->slots = calloc(rc->capacity, sizeof(*rc->slots));
    rc->occupied = calloc(rc->capacity, sizeof(*rc->occupied));
    if (!rc->slots || !rc->occupied) {
        free(rc->slots);
        free(rc->occupied);
        free(rc);
        return NULL;
    }
    pthread_rwlock_init(&rc->lock, NULL);
    return rc;
}

static void clear_all(struct render_cache *rc)
{
    for (size_t n = 0; n < rc->used; n++) {
        struct entry *e = &rc->slots[rc->occupied[n]];
        free(e->key);
        free(e->body);
        *e = (struct entry){ 0 };
    }
    rc->used = 0;
}

void render_cache_free(struct render_cache *rc)
{
    if (!rc)
        return;
    clear_all(rc);
    free(rc->slots);
    free(rc->occupied);
    pthread_rwlock_destroy(&rc->lock);
    free(rc);
}

uint64_t render_cache_generation(struct render_cache *rc)
{
    pthread_rwlock_rdlock(&rc->lock);
    uint64_t g = rc->generation;
    pthread_rwlock_unlock(&rc->lock);
    return g;
}

static char *make_key(const char *id, const char *base_url)
{
    size_t a = strlen(id), b = strlen(base_url);
    char *key = malloc(a + b + 2);
    if (!key)
        return NULL;
    memcpy(key, id, a);
    key[a] = '\n';
    memcpy(key + a + 1, base_url, b + 1);
    return key;
}

/* Linear probing; the table is kept at most 3/4 full. */
static struct entry *find(struct render_cache *rc, const char *key, bool *found)
{
    size_t i = hash_str(key) % rc->capacity;
    for (size_t n = 0; n < rc->capacity; n++, i = (i + 1) % rc->capacity) {
        struct entry *e = &rc->slots[i];
        if (!e->key) {
            *found = false;
            return e;
        }
        if (strcmp(e->key, key) == 0) {
            *found = true;
            return e;
        }
    }
    *found = false;
    return NULL;
}

char *render_cache_get(struct render_cache *rc, const char *id, const char *base_url,
                       int64_t *version)
{
    char *key = make_key(id, base_url), *copy = NULL;
    if (!key)
        return NULL;
    bool found;
    pthread_rwlock_rdlock(&rc->lock);
    struct entry *e = find(rc, key, &found);
    if (found) {
        copy = strdup(e->body);
        *version = e->version;
    }
    pthread_rwlock_unlock(&rc->lock);
    free(key);
    return copy;
}

void render_cache_put(struct render_cache *rc, uint64_t generation, const char *id,
                      const char *base_url, int64_t version, const char *body)
{
    char *key = make_key(id, base_url), *copy = strdup(body);
    bool found;
    pthread_rwlock_wrlock(&rc->lock);
    if (!key || !copy || generation != rc->generation)
        goto out;
    if (rc->used + 1 > rc->capacity * 3 / 4)
        clear_all(rc); /* bounded memory; a full table is rare and cheap to rebuild */
    struct entry *e = find(rc, key, &found);
    if (!e || found)
        goto out;
    e->key = key;
    e->body = copy;
    e->version = version;
    rc->occupied[rc->used++] = (size_t)(e - rc->slots);
    key = copy = NULL;
out:
    pthread_rwlock_unlock(&rc->lock);
    free(key);
    free(copy);
}

void render_cache_invalidate(struct render_cache *rc, const char *id)
{
    if (!rc)
        return;
    pthread_rwlock_wrlock(&rc->lock);
    rc->generation++;
    /* Open addressing cannot delete one slot without rehashing its cluster, and changes are
     * rare next to reads: dropping everything keeps this simple and obviously correct. */
    (void)id;
    if (rc->used)
        clear_all(rc);
    pthread_rwlock_unlock(&rc->lock);
}
