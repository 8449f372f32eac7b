/* SPDX-License-Identifier: MIT */
#include "accounts/name_skips.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "scim_hash.h"

/* Names already logged. A fixed table: an IdP that sends thousands of distinct unusable
 * roles gets a line again for a name evicted from it, never a log that grows with input. */
#define SEEN_SLOTS 1024

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t seen[SEEN_SLOTS];
static unsigned long logged;

static bool first_time(bool is_role, const char *name, enum name_skip_reason reason)
{
    uint64_t h = scim_hash_bytes(0x5c1d5c1d5c1d5c1dull ^ ((uint64_t)is_role << 8) ^ reason, name,
                                 strlen(name));
    h |= 1; /* 0 marks a free slot */
    bool fresh;
    pthread_mutex_lock(&seen_lock);
    uint64_t *slot = &seen[h % SEEN_SLOTS];
    fresh = *slot != h;
    *slot = h;
    if (fresh)
        logged++;
    pthread_mutex_unlock(&seen_lock);
    return fresh;
}

void name_skip_report(bool is_role, const char *value, const char *name,
                      enum name_skip_reason reason, const char *why)
{
    metrics_not_materialized(is_role, reason);
    /* A value that gives no name is remembered by the value itself. */
    if (!first_time(is_role, name[0] ? name : value, reason))
        return;
    if (!name[0]) {
        log_warn("%s '%.128s' is not a Linux group (it gives no valid Linux group name: %s); it "
                 "stays in the SCIM data", is_role ? "role" : "group", value, why);
        return;
    }
    log_warn("%s '%.128s' is not a Linux group (name '%s' %s); it stays in the SCIM data, and "
             "[%s] can map it onto a local group if its %s belong there",
             is_role ? "role" : "group", value, name, why, is_role ? "roles" : "groups",
             is_role ? "holders" : "members");
}

unsigned long name_skip_logged(void)
{
    pthread_mutex_lock(&seen_lock);
    unsigned long n = logged;
    pthread_mutex_unlock(&seen_lock);
    return n;
}
