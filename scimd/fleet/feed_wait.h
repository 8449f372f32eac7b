/* SPDX-License-Identifier: MIT */
/* The hub's long-poll waiter: the latest committed change sequence behind a mutex and a
 * condition variable. Request threads holding GET /fleet/v1/changes?wait= block in
 * feed_wait_for until the sequence passes what they have, their deadline, or shutdown. One
 * refresher thread reads the sequence (read_seq) when kicked — main kicks it from the
 * store's batch observer, right after each COMMIT — and once a second while anyone waits,
 * for writes made by another process (scimctl). Waiters never run SQL while they wait, so
 * ten thousand of them cost one query per commit, not ten thousand. */
#pragma once

#include <stdint.h>
#include <time.h>

struct feed_wait;

/* Reads the current highest sequence into *out: 0, or -1 (the refresher retries later). */
typedef int (*feed_wait_read_fn)(void *arg, int64_t *out);

/* Starts the refresher thread; poll_ms is the fallback period while someone waits. NULL on
 * failure. */
struct feed_wait *feed_wait_start(feed_wait_read_fn read_seq, void *arg, unsigned poll_ms);
/* Wakes every waiter (FEED_WAIT_STOPPING), joins the refresher and frees. NULL is a no-op. */
void feed_wait_stop(struct feed_wait *fw);

/* After a COMMIT: the refresher reads the sequence now. Safe on any thread, NULL a no-op. */
void feed_wait_kick(struct feed_wait *fw);
/* Raises the known sequence to seq (never lowers it) and wakes the waiters if it grew. */
void feed_wait_publish(struct feed_wait *fw, int64_t seq);

/* The highest sequence known to have committed (0 before the first read). */
int64_t feed_wait_latest(struct feed_wait *fw);

enum feed_wait_result { FEED_WAIT_CHANGED, FEED_WAIT_TIMEOUT, FEED_WAIT_STOPPING };
/* Blocks until the known sequence is above since (CHANGED), the CLOCK_MONOTONIC deadline
 * passes (TIMEOUT) or feed_wait_shutdown (STOPPING). */
enum feed_wait_result feed_wait_for(struct feed_wait *fw, int64_t since,
                                    const struct timespec *deadline);
/* Makes every present and future feed_wait_for return STOPPING at once: SIGTERM must not
 * wait for long-polls to time out. */
void feed_wait_shutdown(struct feed_wait *fw);
