/* SPDX-License-Identifier: MIT */
#include "accounts/preprobe.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "accounts/host_probe.h"

/* Probing a candidate id costs two NSS misses (100-380 us each through nss-systemd). The
 * store has one writer thread, so probing inside the write would make the whole group
 * commit wait; instead request threads probe the ids just above the last allocated uid
 * before they queue their write, and the writer reads the verdicts. A verdict is a fact
 * about the host, not the database: the writer still computes the next id from the ledger
 * and the high-water mark, and uses a verdict only for exactly that id and only while it is
 * fresh; for anything else it probes inline as before. */
#define PREPROBE_SLOTS 64 /* direct-mapped by id; more than the ids probed ahead */
#define PREPROBE_AHEAD 32 /* ids above the last allocated uid that request threads probe */
#define PREPROBE_TTL_NS 1000000000LL

enum verdict { VERDICT_NONE, VERDICT_PROBING, VERDICT_FREE, VERDICT_TAKEN };

struct preprobe_slot {
    uint32_t id;
    enum verdict verdict;
    int64_t probed_at; /* CLOCK_MONOTONIC ns when the probe started */
};

static struct {
    pthread_mutex_t mu;
    bool have_last;
    uint32_t last; /* the uid the writer allocated last */
    struct preprobe_slot slot[PREPROBE_SLOTS];
} preprobe = { .mu = PTHREAD_MUTEX_INITIALIZER };

static _Atomic int64_t preprobe_ttl_ns = PREPROBE_TTL_NS;
static _Atomic uint64_t inline_probes;

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Called with preprobe.mu held. */
static struct preprobe_slot *slot_of(uint32_t id)
{
    return &preprobe.slot[id % PREPROBE_SLOTS];
}

static bool slot_current(const struct preprobe_slot *s, uint32_t id, int64_t now)
{
    return s->id == id && s->verdict != VERDICT_NONE && now - s->probed_at < preprobe_ttl_ns;
}

void identity_preprobe_uid(const struct scimd_config *cfg)
{
    uint64_t id = 0;
    int64_t now = monotonic_ns();
    pthread_mutex_lock(&preprobe.mu);
    if (preprobe.have_last && preprobe.last >= cfg->uid_min && preprobe.last < cfg->uid_max) {
        /* The lowest id ahead without a current verdict or a probe under way. */
        for (uint64_t c = (uint64_t)preprobe.last + 1;
             c <= cfg->uid_max && c <= (uint64_t)preprobe.last + PREPROBE_AHEAD; c++) {
            struct preprobe_slot *s = slot_of((uint32_t)c);
            if (!slot_current(s, (uint32_t)c, now)) {
                *s = (struct preprobe_slot){ (uint32_t)c, VERDICT_PROBING, now };
                id = c;
                break;
            }
        }
    }
    pthread_mutex_unlock(&preprobe.mu);
    if (id == 0)
        return;
    int state = host_probe_id_state((uint32_t)id);
    pthread_mutex_lock(&preprobe.mu);
    struct preprobe_slot *s = slot_of((uint32_t)id);
    /* A failed probe leaves no verdict: the writer asks again and fails closed itself. */
    if (s->id == id && s->verdict == VERDICT_PROBING && s->probed_at == now)
        s->verdict = state < 0 ? VERDICT_NONE : state ? VERDICT_TAKEN : VERDICT_FREE;
    pthread_mutex_unlock(&preprobe.mu);
}

void identity_preprobe_set_ttl_ms(unsigned ms)
{
    preprobe_ttl_ns = (int64_t)ms * 1000000LL;
}

int preprobe_writer_id_state(uint32_t id)
{
    int64_t now = monotonic_ns();
    enum verdict v = VERDICT_NONE;
    pthread_mutex_lock(&preprobe.mu);
    const struct preprobe_slot *s = slot_of(id);
    if (slot_current(s, id, now))
        v = s->verdict;
    pthread_mutex_unlock(&preprobe.mu);
    if (v == VERDICT_FREE || v == VERDICT_TAKEN)
        return v == VERDICT_TAKEN;
    inline_probes++;
    return host_probe_id_state(id);
}

void preprobe_note_allocation(uint32_t id)
{
    pthread_mutex_lock(&preprobe.mu);
    preprobe.have_last = true;
    preprobe.last = id;
    pthread_mutex_unlock(&preprobe.mu);
}

uint64_t identity_inline_probes(void)
{
    return inline_probes;
}
