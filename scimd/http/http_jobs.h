/* SPDX-License-Identifier: MIT */
/* The request workers: a fixed pool of threads that run complete requests (routing,
 * validation, password hashing, NSS probes, store writes — whatever blocks) off
 * libmicrohttpd's event threads, which only move bytes. Two lanes: SCIM and everything else
 * first, and the fleet feed, which may take at most half the workers at once, so ten thousand
 * long-polls woken by one commit (or re-polling after it) cannot starve an IdP's writes. */
#pragma once

#include <stdbool.h>

struct http_jobs;

/* One queued request, embedded in the caller's request state. */
struct http_job {
    struct http_job *next;
    bool fleet; /* the feed's lane */
};

typedef void (*http_job_fn)(struct http_job *job);

/* Starts threads workers (stack_bytes each) running run for each pushed job. NULL on failure. */
struct http_jobs *http_jobs_start(unsigned threads, unsigned long stack_bytes, http_job_fn run);
/* Queues job; any thread. */
void http_jobs_push(struct http_jobs *jobs, struct http_job *job);
/* Runs what is queued, then joins the workers and frees. NULL is a no-op. */
void http_jobs_stop(struct http_jobs *jobs);
