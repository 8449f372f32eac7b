/* SPDX-License-Identifier: MIT */
/* The change log's sequence reservation (docs/fleet.md, "Restoring a hub from backup"):
 * an upper bound on every sequence this process handed out, kept outside the database in
 * the guard file next to it (uid-high-water, which a restore keeps), so that a database put
 * back from an older backup is recognised at start and the feed moves past everything the
 * hosts may hold instead of numbering new changes again from where the backup ends. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/scim_error.h"

struct store;

/* A running scimd reserves this many sequences at a time: one fsync'd guard write per
 * SEQ_RESERVE_STEP changes. scimctl reserves 0 ahead (each sequence it passes, once). */
#define SEQ_RESERVE_STEP 10000
#define SEQ_RESERVE_KEY "feed_seq_reserved"

/* The guard file's "key N" lines. guard_file_get: 1 found, 0 when the file or the key is
 * absent, -1 when it cannot be read or a line does not parse (errno EBADMSG). */
int guard_file_get(const char *path, const char *key, uint64_t *out);
/* Sets the n keys and keeps every other line, atomically (temporary file, fsync, rename,
 * fsync of the directory), serialised within the process. strict: refuse (-1, EBADMSG) to
 * replace a file whose lines do not parse, rather than drop what it held. 0, or -1. */
int guard_file_set(const char *path, size_t n, const char *const *keys, const uint64_t *vals,
                   bool strict);

/* What seq_reserve_start found. */
struct seq_restore {
    int64_t db_seq;   /* the change log's sequence in the database */
    int64_t reserved; /* the guard file's reservation (0: none, e.g. an older guard file) */
    int64_t moved_to; /* the new sequence and floor when the database was behind, else 0 */
};

/* Turns the reservation on for this process (guard_path copied) and checks the database
 * against it: when the change log ends below the recorded reservation, changes were handed
 * out that this database lacks (restored from a backup, or scimd was not stopped cleanly),
 * so the sequence and changes_floor move to reservation + 1 in one write: every host then
 * gets 410 and takes a snapshot numbered above anything it holds. Then reserves
 * step sequences ahead. 0, or -1 with err (nothing reserved). */
int seq_reserve_start(struct store *st, const char *guard_path, uint64_t step,
                      struct seq_restore *out, char *err, size_t errlen);

/* The warning for a start that moved the sequence (out->moved_to != 0). */
void seq_restore_describe(const struct seq_restore *r, const char *guard_path, char *buf,
                          size_t len);

/* scimctl: covers what it writes (reserving nothing ahead, so the file stays level with
 * the database when scimd is stopped) without checking the database against the file,
 * which a running scimd's reservation is always ahead of. 0, or -1 with err. */
int seq_reserve_attach(const char *guard_path, char *err, size_t errlen);

/* Called by changes_record with the sequence of each change it appends, inside the write's
 * transaction: when seq passes the reservation, a new one is written and fsync'd before the
 * commit that holds seq can be acknowledged. A no-op until seq_reserve_start. 0, or -1 with
 * err set (the write fails: a sequence the guard does not cover must not reach a host). */
int seq_reserve_cover(int64_t seq, struct scim_error *err);

/* At a clean stop, with no more writes from this process: the reservation comes down to the
 * change log's sequence, so the next start finds the database level with it and moves
 * nothing. 0, or -1 (the reservation stays, and the next start moves the sequence). */
int seq_reserve_stop(struct store *st);
