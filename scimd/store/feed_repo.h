/* SPDX-License-Identifier: MIT */
/* What the fleet feed reads from the hub's store (docs/architecture.md, fleet): the change log's
 * bounds, and the current state of the entities whose latest change lies in a sequence range
 * (or of every live entity, for a snapshot). Every function runs its queries on db as given:
 * call them inside one read transaction (BEGIN ... COMMIT on a reader) so that a snapshot and
 * its "to" come from the same state. 0, or -1 on an error (or the callback's non-zero value). */
#pragma once

#include "store/db.h"
#include <stddef.h>
#include <stdint.h>

struct feed_user {
    const char *id, *user_name, *login, *gecos, *password_hash; /* password_hash may be NULL */
    int64_t uid, password_day;
    int active;
    const char *roles_json, *ssh_keys_json; /* JSON arrays of strings */
};

struct feed_group {
    const char *id, *display_name, *name;
    int64_t gid; /* gid 0: none (mapped onto a local group) */
};

struct feed_role {
    const char *name;
    int64_t gid;
};

int feed_max_seq(struct db *db, int64_t *out); /* 0 when no change yet */
int feed_floor(struct db *db, int64_t *out);   /* the lowest since still answerable */

/* since < 0: every live entity (snapshot); else entities whose latest change is in
 * (since, upto]. The pointers are valid only during the callback; a non-zero return from it
 * stops the walk and is returned. */
int feed_each_user(struct db *db, int64_t since, int64_t upto,
                   int (*cb)(void *, const struct feed_user *), void *arg);
int feed_each_group(struct db *db, int64_t since, int64_t upto,
                    int (*cb)(void *, const struct feed_group *, const char *const *member_ids,
                              size_t n),
                    void *arg);
int feed_each_role(struct db *db, int64_t since, int64_t upto,
                   int (*cb)(void *, const struct feed_role *), void *arg);
/* Entities whose latest change is in (since, upto] and that no longer exist; kind is "user",
 * "group" or "role". Nothing for since < 0 (a snapshot lists only what exists). */
int feed_each_deleted(struct db *db, int64_t since, int64_t upto,
                      int (*cb)(void *, const char *kind, const char *id), void *arg);

/* The feed's id (32 lower-case hex digits, made at the v4 migration). 0, or -1. */
int feed_id_get(struct db *db, char out[33]);

/* Deletes the changes older than older_than (an RFC 3339 UTC timestamp like store_timestamp's),
 * always keeping the newest one, and raises changes_floor to the newest seq it deleted (a
 * follower at since >= floor still finds every change after it). Run it inside a write. The
 * number of changes deleted (>= 0), or -1. */
long long feed_prune(struct db *db, const char *older_than);
