/* SPDX-License-Identifier: MIT */
/* Which hosts asked the feed and how far they got (`scimctl host list`, `scimctl fleet wait`,
 * the hosts metrics), written to the store for all hosts heard from in the last second in one
 * transaction, not once per request: after each change every host asks again at once, and at
 * 10,000 hosts a write per request was 10,000 store writes (about 4,000 fsync'd commits) for
 * one change, which held back the next change's delivery by seconds (BENCHMARKS.md, Fleet). */
#pragma once

#include <stdint.h>

struct store;
struct seen_log;

/* Starts the writer thread; NULL when out of memory or threads. st must outlive the log. */
struct seen_log *seen_log_start(struct store *st);

/* Notes a request from host_id that had reached seq, at the current time. Any thread; the
 * store gets it within about a second. A NULL log does nothing. */
void seen_log_note(struct seen_log *log, const char *host_id, int64_t seq);

/* Writes what is pending now and waits for it (tests, scimctl-facing reads need not). */
void seen_log_flush(struct seen_log *log);

/* Writes what is pending, stops the thread and frees the log. NULL is a no-op. */
void seen_log_stop(struct seen_log *log);
