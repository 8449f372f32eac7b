/* SPDX-License-Identifier: MIT */
#include "http/ratelimit.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A small fixed table: when full, the oldest window is reused. Bounded memory whatever the
 * number of attacking addresses. */
#define SLOTS 4096

struct slot {
    unsigned char addr[16];
    bool used;
    time_t window_start;
    unsigned failures;
    time_t banned_until;
};

struct ratelimit {
    pthread_mutex_t mu;
    unsigned limit, ban;
    struct slot slots[SLOTS];
};

struct ratelimit *ratelimit_new(unsigned limit_per_minute, unsigned ban_seconds)
{
    struct ratelimit *rl = calloc(1, sizeof(*rl));
    if (!rl)
        return NULL;
    pthread_mutex_init(&rl->mu, NULL);
    rl->limit = limit_per_minute;
    rl->ban = ban_seconds;
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl);
}

static bool key_of(const struct sockaddr *addr, unsigned char key[16])
{
    memset(key, 0, 16);
    if (!addr)
        return false;
    if (addr->sa_family == AF_INET) {
        memcpy(key + 12, &((const struct sockaddr_in *)addr)->sin_addr, 4);
        key[10] = key[11] = 0xff;
        return true;
    }
    if (addr->sa_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)addr)->sin6_addr, 16);
        return true;
    }
    return false;
}

static uint32_t hash_key(const unsigned char key[16])
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ key[i]) * 16777619u;
    return h;
}

/* Open addressing over 8 probes; falls back to the stalest slot among them. */
static struct slot *find(struct ratelimit *rl, const unsigned char key[16], bool create, time_t now)
{
    uint32_t h = hash_key(key);
    struct slot *stalest = NULL;
    for (unsigned i = 0; i < 8; i++) {
        struct slot *s = &rl->slots[(h + i) % SLOTS];
        if (s->used && memcmp(s->addr, key, 16) == 0)
            return s;
        if (!stalest || !s->used ||
            (stalest->used && s->window_start < stalest->window_start && s->banned_until < now))
            stalest = s;
    }
    if (!create)
        return NULL;
    memset(stalest, 0, sizeof(*stalest));
    memcpy(stalest->addr, key, 16);
    stalest->used = true;
    stalest->window_start = now;
    return stalest;
}

unsigned ratelimit_banned(struct ratelimit *rl, const struct sockaddr *addr)
{
    unsigned char key[16];
    unsigned left = 0;
    if (!rl || rl->limit == 0 || !key_of(addr, key))
        return 0;
    time_t now = time(NULL);
    pthread_mutex_lock(&rl->mu);
    struct slot *s = find(rl, key, false, now);
    if (s && s->banned_until > now)
        left = (unsigned)(s->banned_until - now);
    pthread_mutex_unlock(&rl->mu);
    return left;
}

unsigned ratelimit_fail(struct ratelimit *rl, const struct sockaddr *addr)
{
    unsigned char key[16];
    unsigned started = 0;
    if (!rl || rl->limit == 0 || !key_of(addr, key))
        return 0;
    time_t now = time(NULL);
    pthread_mutex_lock(&rl->mu);
    struct slot *s = find(rl, key, true, now);
    /* A ban that ran out starts a fresh count: Retry-After means the next try is heard. */
    if (now - s->window_start >= 60 || (s->banned_until && s->banned_until <= now)) {
        s->banned_until = 0;
        s->window_start = now;
        s->failures = 0;
    }
    s->failures++;
    if (s->failures >= rl->limit && s->banned_until <= now) {
        s->banned_until = now + rl->ban;
        started = rl->ban;
    }
    pthread_mutex_unlock(&rl->mu);
    return started;
}
