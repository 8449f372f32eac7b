/* SPDX-License-Identifier: MIT */
/* Temp directories, files and stores shared by the core unit tests. */
#ifndef CORE_FIXTURE_H
#define CORE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scimd_config.h" /* not the build's generated config.h */

struct store;
#include "store/db.h"

/* A fresh private temp directory; core_rmdir removes it and every file in it (no subdirs). */
char *core_mkdtemp(void);
void core_rmdir(char *dir);

/* dir + "/" + name, malloc'd. */
char *core_path(const char *dir, const char *name);

/* Writes len bytes (so NUL bytes can be embedded) and returns the path, malloc'd. */
char *core_write(const char *dir, const char *name, const void *data, size_t len);

/* Whole-file read; returns NULL (and *len 0) when the file does not exist. */
unsigned char *core_read(const char *path, size_t *len);

/* A raw SQLite connection on path (flags: SQLITE_OPEN_* flags, 0 for read-write and
 * create), wrapped for the db_* API; NULL on failure. For tests that shape a database file
 * below the store (downgrades, direct rows). */
struct db *core_sqlite_open(const char *path, int flags);

/* store_open on dir/name, failing the test on error. */
struct store *core_store_open(const char *dir, const char *name, bool writer_thread);

/* The plainest fixture: a temporary directory and a store (scimd.db, writer thread) in it.
 * cmocka setup/teardown, *state a struct core_store_fx. */
struct core_store_fx {
    char *dir;
    struct store *st;
};
int core_store_fx_setup(void **state);
int core_store_fx_teardown(void **state);

/* True when needle occurs anywhere in the len bytes of hay. */
bool core_contains(const unsigned char *hay, size_t len, const char *needle);

/* A store with a writer thread in a temp dir, and a config whose uid range is
 * [lo, lo + 99] and gid range [lo + 1000, lo + 1099]: the identity and ledger tests. */
struct core_ledger_fx {
    char *dir;
    struct store *st;
    struct scimd_config cfg;
};
struct core_ledger_fx *core_ledger_fx_new(uint32_t lo);
void core_ledger_fx_free(struct core_ledger_fx *f);

/* The first column of the first row of sql (-1 when there is none), on a pooled reader. */
int64_t core_query_int(struct store *st, const char *sql);

/* Host-lookup tests: a private mount namespace in which files are bound over /etc's and
 * nscd is hidden. core_private_ns() returns false (after a TAP note naming what goes
 * unchecked) when the namespace cannot be made, e.g. without root. */
bool core_private_ns(const char *unchecked);
void core_bind_file(const char *dir, const char *name, const char *text, const char *target);
void core_hide_nscd(void);

/* Runs fn(arg) with fd 2 redirected to a temp file; returns what it wrote (malloc'd,
 * NUL-terminated, *len bytes before the NUL). */
char *core_capture_stderr(void (*fn)(void *arg), void *arg, size_t *len);

/* Inserts a minimal user (userName "<login>@example.com", uid, active) inside a write fn;
 * its new SCIM id goes to id_out unless NULL. 0 or -1 with err set. */
struct scim_error;
int core_insert_user(struct db *db, const char *login, uint32_t uid, bool active, char *id_out,
                     struct scim_error *err);

/* qsort comparator for uint32_t. */
int core_cmp_u32(const void *a, const void *b);

#endif
