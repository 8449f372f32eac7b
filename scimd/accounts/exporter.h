/* SPDX-License-Identifier: MIT */
/* The cache exporter: after committed changes, rebuilds nss.cache and shadow.cache from the
 * store on its own thread, coalescing bursts (export_delay after the last change, at most
 * export_max_delay after the first). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct scimd_server;
struct exporter;

int exporter_start(struct exporter **out, struct scimd_server *srv, char *err, size_t errlen);
/* Seconds since the oldest change no exported cache holds yet; 0 when every change is
 * exported (or for NULL, no exporter). */
double exporter_pending_seconds(struct exporter *ex);
/* Asks for an export soon; cheap and non-blocking; NULL is allowed (no exporter). */
void exporter_notify(struct exporter *ex);
/* Runs one export now on the calling thread: exporter_start's initial export and each of the
 * export thread's runs. */
int exporter_run_once(struct exporter *ex, char *err, size_t errlen);
/* Flushes a pending export, then stops the thread. */
void exporter_stop(struct exporter *ex);
