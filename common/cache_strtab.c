/* SPDX-License-Identifier: MIT */
/* The string table builder over a fixed buffer: append with or without de-duplication. */
#include "cache_strtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scim_hash.h"

static int cache_strtab_grow_slots(struct strtab *t)
{
    size_t n = t->n_slots ? t->n_slots * 2 : 1024;
    struct strtab_slot *s = calloc(n, sizeof(*s));
    if (!s)
        return -ENOMEM;
    for (size_t i = 0; i < t->n_slots; i++) {
        if (!t->slots[i].used)
            continue;
        size_t b = t->slots[i].hash & (n - 1);
        while (s[b].used)
            b = (b + 1) & (n - 1);
        s[b] = t->slots[i];
    }
    free(t->slots);
    t->slots = s;
    t->n_slots = n;
    return 0;
}

int cache_strtab_init(struct strtab *t, char *buf, size_t cap)
{
    memset(t, 0, sizeof(*t));
    if (cap < 1)
        return -E2BIG;
    t->data = buf;
    t->cap = cap;
    t->data[0] = '\0'; /* offset 0 is the empty string */
    t->len = 1;
    return cache_strtab_grow_slots(t);
}

void cache_strtab_free(struct strtab *t)
{
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

/* Appends without de-duplication. */
int cache_strtab_push(struct strtab *t, const char *s, size_t len, struct scim_cache_strref *ref)
{
    if (len + 1 > t->cap - t->len || t->len + len + 1 > UINT32_MAX)
        return -E2BIG;
    memcpy(t->data + t->len, s, len);
    t->data[t->len + len] = '\0';
    *ref = (struct scim_cache_strref){(uint32_t)t->len, (uint32_t)len};
    t->len += len + 1;
    return 0;
}

int cache_strtab_add(struct strtab *t, const char *s, size_t len, struct scim_cache_strref *ref)
{
    if (len == 0) {
        *ref = (struct scim_cache_strref){0, 0};
        return 0;
    }
    uint64_t h = scim_hash_bytes(0, s, len);
    size_t b = h & (t->n_slots - 1);
    for (; t->slots[b].used; b = (b + 1) & (t->n_slots - 1)) {
        struct strtab_slot *e = &t->slots[b];
        if (e->hash == h && e->len == len && memcmp(t->data + e->off, s, len) == 0) {
            *ref = (struct scim_cache_strref){e->off, e->len};
            return 0;
        }
    }
    int rc = cache_strtab_push(t, s, len, ref);
    if (rc < 0)
        return rc;
    t->slots[b] = (struct strtab_slot){h, ref->off, ref->len, true};
    if (++t->n_used * 2 > t->n_slots)
        return cache_strtab_grow_slots(t);
    return 0;
}

int cache_strtab_add_repeat(struct strtab *t, const char *s, size_t len,
                            struct scim_cache_strref *prev, struct scim_cache_strref *ref)
{
    if (len == 0) {
        *ref = (struct scim_cache_strref){0, 0};
        return 0;
    }
    if (prev->len == len && memcmp(t->data + prev->off, s, len) == 0) {
        *ref = *prev;
        return 0;
    }
    int rc = cache_strtab_push(t, s, len, ref);
    if (rc == 0)
        *prev = *ref;
    return rc;
}

int cache_strtab_add_str(struct strtab *t, const char *s, struct scim_cache_strref *ref)
{
    return cache_strtab_add(t, s ? s : "", s ? strlen(s) : 0, ref);
}