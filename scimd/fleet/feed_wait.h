/* SPDX-License-Identifier: MIT */
/* The hub's long-poll waiter: the latest committed change sequence behind a mutex, and the
 * polls waiting for it to pass theirs. A poll waits without a thread: the HTTP side parks it
 * here (feed_wait_park, a struct feed_waiter inside the request's own state) and gets it back
 * through its fire callback when the sequence passes, its deadline comes (one deadline heap,
 * kept by the refresher thread) or shutdown. feed_wait_for is the blocking form of the same
 * wait for callers that own a thread. One refresher thread reads the sequence (read_seq) when
 * told that a change committed — main tells it from the store's batch observer, right after
 * each COMMIT — and once per poll_ms while anyone waits, for writes made by another process
 * (scimctl). Waiters never run SQL while they wait, so ten thousand of them cost one query per
 * commit, not ten thousand. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct feed_wait;

/* Reads the current highest sequence into *out: 0, or -1 (the refresher retries later). */
typedef int (*feed_wait_read_fn)(void *arg, int64_t *out);

/* Starts the refresher thread; poll_ms is the fallback period while someone waits. NULL on
 * failure. */
struct feed_wait *feed_wait_start(feed_wait_read_fn read_seq, void *arg, unsigned poll_ms);
/* Shuts down (feed_wait_shutdown), joins the refresher and frees. NULL is a no-op. */
void feed_wait_stop(struct feed_wait *fw);

/* THE wake-up entry point: "a change committed" (this process's store writer after a COMMIT
 * today; a PostgreSQL LISTEN thread later). The refresher reads the sequence at once and
 * wakes whoever it concerns. Thread-safe, cheap, never blocks on the store; NULL a no-op. */
void feed_wait_committed(struct feed_wait *fw);
/* The same when the caller already knows the committed sequence (a NOTIFY payload): raises
 * the known sequence to seq (never lowers it) and wakes the waiters below it. Thread-safe;
 * parked waiters' fire callbacks run on the calling thread. */
void feed_wait_publish(struct feed_wait *fw, int64_t seq);

/* The highest sequence known to have committed (0 before the first read). */
int64_t feed_wait_latest(struct feed_wait *fw);

enum feed_wait_result { FEED_WAIT_CHANGED, FEED_WAIT_TIMEOUT, FEED_WAIT_STOPPING };

/* A parked poll, owned by the caller (embedded in its request state) and untouched by
 * feed_wait once fired. */
struct feed_waiter {
    int64_t since;                /* in: wake when the sequence is above this */
    struct timespec deadline;     /* in: CLOCK_MONOTONIC */
    void (*fire)(struct feed_waiter *w); /* in: called exactly once, on whichever thread
                                          * published, timed out or shut down, with no lock
                                          * held; it must be quick (hand the request on) */
    enum feed_wait_result result; /* out: why it fired or resolved */
    struct feed_waiter *next;     /* feed_wait's own */
};

/* Parks w: true when fire will be called later; false when it resolved at once (w->result:
 * already changed, deadline passed, or shutting down) and fire will not be called. After a
 * true return the caller must not touch w until fire: fire may already be running. */
bool feed_wait_park(struct feed_wait *fw, struct feed_waiter *w);
/* How many waiters are parked now. */
size_t feed_wait_parked(struct feed_wait *fw);

/* Blocks until the known sequence is above since (CHANGED), the CLOCK_MONOTONIC deadline
 * passes (TIMEOUT) or feed_wait_shutdown (STOPPING). */
enum feed_wait_result feed_wait_for(struct feed_wait *fw, int64_t since,
                                    const struct timespec *deadline);
/* Makes every present and future wait end with STOPPING at once (parked ones are fired on the
 * calling thread): SIGTERM must not wait for long-polls to time out. */
void feed_wait_shutdown(struct feed_wait *fw);
