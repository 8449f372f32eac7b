/* SPDX-License-Identifier: MIT */
/* Reads for offboarding (scimctl users purge, scimctl orphans): the released rows of the id
 * ledger — the tombstones that keep a deleted user's uid or a group's gid reserved for ever,
 * with the name it last had — and where the live users' homes are. */
#pragma once

#include "store/db.h"
#include <stdbool.h>
#include <stdint.h>

/* One released ledger row. kind is "user" or "group"; name the login (or group name) it had
 * when it was released; released its time (store_timestamp's form). Valid during the call. */
struct tombstone {
    uint32_t id;
    const char *kind;
    const char *name;
    const char *released;
};

typedef int (*tombstone_fn)(void *arg, const struct tombstone *t);

/* Calls fn for every tombstone by id, or, with login, for the users' tombstones that had that
 * login (several when a login was deleted, created again and deleted again), newest first. A
 * non-zero return of fn stops the walk and is returned. 0, or -1 on a store error (db_errmsg
 * says why). */
int tombstones_each(struct db *db, const char *login, tombstone_fn fn, void *arg);

/* A live user as purge needs it: home is NULL for a row stored before homes were recorded
 * (the [accounts] home template then gives it). Valid during the call. */
struct live_home {
    const char *id;
    const char *login;
    uint32_t uid;
    bool active;
    const char *home;
};

typedef int (*live_home_fn)(void *arg, const struct live_home *u);

/* Calls fn for every live user, or only for the one with login when it is not NULL. A
 * non-zero return of fn stops the walk and is returned. 0, or -1 on a store error. */
int tombstones_live_homes(struct db *db, const char *login, live_home_fn fn, void *arg);
