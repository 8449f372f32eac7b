/* SPDX-License-Identifier: MIT */
#include "api/render_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "api/render_body.h"
#include "scim_hash.h"

/* Lock striping: the thread pool's readers rarely meet on one mutex. A stripe holds at least
 * this many entries, so small caches (and their tests) have one stripe and exact CLOCK order. */
#define MAX_STRIPES 16
#define MIN_ENTRIES_PER_STRIPE 1024
/* Base URLs differ only by the Host header a client sends: a handful in practice. A rendering
 * under yet another one is served but not cached until an old one has no entries left. */
#define MAX_BASES 8
/* What malloc adds to an allocation (header and rounding), so the budget tracks real memory. */
#define ALLOC_OVERHEAD 16

struct entry {
    int64_t version;
    uint32_t body_len; /* expanded */
    uint32_t enc_len;
    uint8_t id_len;
    uint8_t base; /* index into the stripe's bases */
    bool raw;     /* body kept as is (it held bytes the encoding uses) */
    char data[];  /* id, then the body */
};

struct slot {
    struct entry *e; /* NULL: empty */
    uint32_t hash;
    bool referenced; /* CLOCK's second chance: read since the hand last passed */
};

struct base_url {
    char *url;
    size_t len;
    size_t refs; /* entries under it; 0: the slot may take another URL */
};

struct stripe {
    pthread_mutex_t lock;
    struct slot *slots; /* linear probing, at most 3/4 full */
    size_t cap, hand, count, bytes, max_count, max_bytes, table_bytes;
    uint64_t hits, misses, evictions;
    struct base_url bases[MAX_BASES];
} __attribute__((aligned(64)));

struct render_cache {
    _Atomic uint64_t generation;
    size_t n_stripes;
    struct stripe *stripes;
};

struct key {
    const char *id, *base_url;
    size_t id_len, base_len;
    uint64_t id_hash;
};

static bool make_key(struct key *k, const char *id, const char *base_url)
{
    k->id = id;
    k->base_url = base_url;
    k->id_len = strlen(id);
    k->base_len = strlen(base_url);
    if (k->id_len == 0 || k->id_len > UINT8_MAX)
        return false;
    k->id_hash = scim_hash_bytes(0, id, k->id_len);
    return true;
}

/* The stripe follows the id alone, so dropping an id's entries locks one stripe. */
static struct stripe *stripe_of(struct render_cache *rc, const struct key *k)
{
    return &rc->stripes[(k->id_hash >> 40) & (rc->n_stripes - 1)];
}

static uint32_t slot_hash(const struct key *k, unsigned base)
{
    return (uint32_t)k->id_hash ^ (base * 0x9e3779b9u);
}

static size_t home(const struct stripe *st, uint32_t hash)
{
    return (size_t)(((uint64_t)hash * st->cap) >> 32);
}

static size_t next(const struct stripe *st, size_t i)
{
    return i + 1 == st->cap ? 0 : i + 1;
}

static int find_base(const struct stripe *st, const struct key *k)
{
    for (int b = 0; b < MAX_BASES; b++) {
        const struct base_url *u = &st->bases[b];
        if (u->url && u->len == k->base_len && memcmp(u->url, k->base_url, u->len) == 0)
            return b;
    }
    return -1;
}

/* The slot holding (k, base), else the empty slot ending its probe sequence. */
static size_t probe(const struct stripe *st, const struct key *k, int base, bool *found)
{
    uint32_t h = slot_hash(k, (unsigned)base);
    size_t i = home(st, h);
    for (; st->slots[i].e; i = next(st, i)) {
        const struct entry *e = st->slots[i].e;
        if (st->slots[i].hash == h && e->base == base && e->id_len == k->id_len &&
            memcmp(e->data, k->id, k->id_len) == 0) {
            *found = true;
            return i;
        }
    }
    *found = false;
    return i;
}

static size_t entry_charge(const struct entry *e)
{
    return sizeof(*e) + e->id_len + e->enc_len + ALLOC_OVERHEAD;
}

/* Backward-shift deletion: no tombstones, so probe sequences stay as short as the load. */
static void remove_at(struct stripe *st, size_t i)
{
    struct entry *e = st->slots[i].e;
    st->bases[e->base].refs--;
    st->bytes -= entry_charge(e);
    st->count--;
    free(e);
    for (size_t j = next(st, i); st->slots[j].e; j = next(st, j)) {
        size_t h = home(st, st->slots[j].hash);
        bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (stays)
            continue;
        st->slots[i] = st->slots[j];
        i = j;
    }
    st->slots[i] = (struct slot){ 0 };
}

static void evict_one(struct stripe *st)
{
    for (;;) {
        struct slot *s = &st->slots[st->hand];
        if (s->e && !s->referenced) {
            /* The hand stays: the slot may now hold the next entry of the cluster. */
            remove_at(st, st->hand);
            st->evictions++;
            return;
        }
        s->referenced = false;
        st->hand = next(st, st->hand);
    }
}

static void clear_stripe(struct stripe *st)
{
    for (size_t i = 0; i < st->cap; i++) {
        free(st->slots[i].e);
        st->slots[i] = (struct slot){ 0 };
    }
    for (int b = 0; b < MAX_BASES; b++)
        st->bases[b].refs = 0;
    st->count = 0;
    st->bytes = st->table_bytes;
}

struct render_cache *render_cache_new(size_t max_entries, size_t max_bytes)
{
    if (max_entries == 0 || max_bytes == 0)
        return NULL;
    struct render_cache *rc = calloc(1, sizeof(*rc));
    if (!rc)
        return NULL;
    rc->n_stripes = 1;
    while (rc->n_stripes < MAX_STRIPES &&
           max_entries / (rc->n_stripes * 2) >= MIN_ENTRIES_PER_STRIPE)
        rc->n_stripes *= 2;
    rc->stripes = aligned_alloc(64, rc->n_stripes * sizeof(*rc->stripes));
    if (!rc->stripes) {
        free(rc);
        return NULL;
    }
    memset(rc->stripes, 0, rc->n_stripes * sizeof(*rc->stripes));
    size_t per_count = (max_entries + rc->n_stripes - 1) / rc->n_stripes;
    for (size_t n = 0; n < rc->n_stripes; n++) {
        struct stripe *st = &rc->stripes[n];
        pthread_mutex_init(&st->lock, NULL);
        st->max_count = per_count;
        st->cap = per_count + per_count / 3 + 1;
        st->slots = calloc(st->cap, sizeof(*st->slots));
        st->table_bytes = st->cap * sizeof(*st->slots) + sizeof(*st);
        st->bytes = st->table_bytes;
        st->max_bytes = max_bytes / rc->n_stripes;
        if (!st->slots) {
            render_cache_free(rc);
            return NULL;
        }
    }
    return rc;
}

void render_cache_free(struct render_cache *rc)
{
    if (!rc)
        return;
    for (size_t n = 0; n < rc->n_stripes; n++) {
        struct stripe *st = &rc->stripes[n];
        if (st->slots)
            clear_stripe(st);
        free(st->slots);
        for (int b = 0; b < MAX_BASES; b++)
            free(st->bases[b].url);
        pthread_mutex_destroy(&st->lock);
    }
    free(rc->stripes);
    free(rc);
}

uint64_t render_cache_generation(struct render_cache *rc)
{
    return atomic_load(&rc->generation);
}

char *render_cache_get(struct render_cache *rc, const char *id, const char *base_url,
                       int64_t *version)
{
    struct key k;
    char *copy = NULL;
    if (!make_key(&k, id, base_url))
        return NULL;
    struct stripe *st = stripe_of(rc, &k);
    pthread_mutex_lock(&st->lock);
    int base = find_base(st, &k);
    bool found = false;
    size_t i = base >= 0 ? probe(st, &k, base, &found) : 0;
    if (!found) {
        st->misses++;
        goto out;
    }
    const struct entry *e = st->slots[i].e;
    copy = malloc((size_t)e->body_len + 1);
    if (!copy)
        goto out;
    size_t len = e->enc_len;
    const char *body = e->data + e->id_len;
    if (e->raw)
        memcpy(copy, body, len);
    else if (!render_body_decode(&(struct render_body_ctx){ id, k.id_len, base_url, k.base_len },
                                 body, e->enc_len, copy, e->body_len, &len) ||
             len != e->body_len) {
        free(copy); /* cannot happen: the entry is our own encoding */
        copy = NULL;
        goto out;
    }
    copy[len] = '\0';
    *version = e->version;
    st->slots[i].referenced = true;
    st->hits++;
out:
    pthread_mutex_unlock(&st->lock);
    return copy;
}

/* The base URL's index in the stripe, taking a free one if it is new; -1 if none is free. */
static int claim_base(struct stripe *st, const struct key *k)
{
    int b = find_base(st, k);
    if (b >= 0)
        return b;
    for (b = 0; b < MAX_BASES; b++) {
        struct base_url *u = &st->bases[b];
        if (u->refs)
            continue;
        char *url = strndup(k->base_url, k->base_len);
        if (!url)
            return -1;
        free(u->url);
        u->url = url;
        u->len = k->base_len;
        return b;
    }
    return -1;
}

/* One allocation per entry, encoded outside any lock. */
static struct entry *entry_new(const struct key *k, int64_t version, const char *body)
{
    size_t len = strlen(body);
    if (len > UINT32_MAX)
        return NULL;
    struct entry *e = malloc(sizeof(*e) + k->id_len + len);
    if (!e)
        return NULL;
    *e = (struct entry){ .version = version, .body_len = (uint32_t)len, .id_len = (uint8_t)k->id_len };
    memcpy(e->data, k->id, k->id_len);
    char *out = e->data + k->id_len;
    size_t enc_len;
    if (!render_body_encode(&(struct render_body_ctx){ k->id, k->id_len, k->base_url, k->base_len },
                            body, len, out, &enc_len)) {
        memcpy(out, body, len);
        enc_len = len;
        e->raw = true;
    }
    e->enc_len = (uint32_t)enc_len;
    struct entry *shrunk = realloc(e, sizeof(*e) + k->id_len + enc_len);
    return shrunk ? shrunk : e;
}

void render_cache_put(struct render_cache *rc, uint64_t generation, const char *id,
                      const char *base_url, int64_t version, const char *body)
{
    struct key k;
    if (!make_key(&k, id, base_url))
        return;
    struct entry *e = entry_new(&k, version, body);
    if (!e)
        return;
    struct stripe *st = stripe_of(rc, &k);
    pthread_mutex_lock(&st->lock);
    /* Invalidations bump the generation holding this stripe's lock: a put either precedes an
     * invalidation of its id (and is dropped by it) or sees the new generation. */
    if (atomic_load(&rc->generation) != generation)
        goto out;
    size_t charge = entry_charge(e);
    if (st->table_bytes + charge > st->max_bytes)
        goto out; /* larger than the whole stripe's budget */
    int base = claim_base(st, &k);
    if (base < 0)
        goto out;
    bool found;
    probe(st, &k, base, &found);
    if (found)
        goto out;
    /* Keep the base claimed while evicting: its last entry may be the one to go. */
    st->bases[base].refs++;
    while (st->count > 0 && (st->count + 1 > st->max_count || st->bytes + charge > st->max_bytes))
        evict_one(st);
    e->base = (uint8_t)base;
    size_t i = probe(st, &k, base, &found); /* evictions shift entries */
    st->slots[i] = (struct slot){ .e = e, .hash = slot_hash(&k, (unsigned)base) };
    st->count++;
    st->bytes += charge;
    e = NULL;
out:
    pthread_mutex_unlock(&st->lock);
    free(e);
}

void render_cache_invalidate(struct render_cache *rc, const char *id)
{
    if (!rc)
        return;
    struct key k;
    if (id && make_key(&k, id, "")) {
        struct stripe *st = stripe_of(rc, &k);
        pthread_mutex_lock(&st->lock);
        atomic_fetch_add(&rc->generation, 1);
        for (int b = 0; b < MAX_BASES; b++) {
            if (!st->bases[b].refs)
                continue;
            bool found;
            size_t i = probe(st, &k, b, &found);
            if (found)
                remove_at(st, i);
        }
        pthread_mutex_unlock(&st->lock);
        return;
    }
    /* Everything (or an id no entry can have): all stripes held while the generation moves. */
    for (size_t n = 0; n < rc->n_stripes; n++)
        pthread_mutex_lock(&rc->stripes[n].lock);
    atomic_fetch_add(&rc->generation, 1);
    for (size_t n = 0; n < rc->n_stripes; n++)
        clear_stripe(&rc->stripes[n]);
    for (size_t n = rc->n_stripes; n-- > 0;)
        pthread_mutex_unlock(&rc->stripes[n].lock);
}

void render_cache_stats(struct render_cache *rc, struct render_cache_stats *out)
{
    *out = (struct render_cache_stats){ 0 };
    for (size_t n = 0; n < rc->n_stripes; n++) {
        struct stripe *st = &rc->stripes[n];
        pthread_mutex_lock(&st->lock);
        out->entries += st->count;
        out->bytes += st->bytes;
        out->max_bytes += st->max_bytes;
        out->hits += st->hits;
        out->misses += st->misses;
        out->evictions += st->evictions;
        pthread_mutex_unlock(&st->lock);
    }
}
