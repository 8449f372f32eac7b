/* SPDX-License-Identifier: MIT */
#include "fleet/fleet_status.h"

#include <stdio.h>
#include <string.h>

#include "store/feed_repo.h"

struct walk {
    struct fleet_status *out;
    char cutoff[32]; /* last_seen before this is silent; same format, so strcmp orders */
    void (*lagging)(void *, const struct host_row *);
    void *arg;
};

static int classify(void *arg, const struct host_row *h)
{
    struct walk *w = arg;
    if (h->revoked)
        return 0;
    if (!h->last_seen || strcmp(h->last_seen, w->cutoff) < 0)
        w->out->silent++;
    else if (h->seq_reached >= w->out->seq)
        w->out->current++;
    else {
        w->out->lagging++;
        if (w->lagging)
            w->lagging(w->arg, h);
    }
    return 0;
}

int fleet_status_read(struct db *db, time_t now, int64_t target, struct fleet_status *out,
                      void (*lagging)(void *arg, const struct host_row *h), void *arg)
{
    struct walk w = { .out = out, .lagging = lagging, .arg = arg };
    time_t cut = now - FLEET_SILENT_AFTER;
    struct tm tm;
    memset(out, 0, sizeof(*out));
    out->seq = target;
    if (target < 0 && feed_max_seq(db, &out->seq) < 0)
        return -1;
    gmtime_r(&cut, &tm);
    /* store_timestamp's format: "2026-11-24T02:33:32.123Z" */
    strftime(w.cutoff, sizeof(w.cutoff), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
    return hosts_each(db, classify, &w) < 0 ? -1 : 0;
}
