/* SPDX-License-Identifier: MIT */
/* users.home: the home directory fixed when a user is created, which no rename changes
 * (docs/architecture.md, "Home directories"). Users stored before schema v5 have none
 * recorded until users_homes_pin records theirs. */
#pragma once

#include "store/db.h"

#include "proto/scim_error.h"

/* The home for a login (malloc'd), or NULL when out of memory. */
typedef char *(*users_home_fn)(const char *login, void *arg);

/* Inside a write: records home = fn(login) for every user without one.
 * The number of users it recorded (>= 0), or -1 with err set (nothing recorded). */
int users_homes_pin(struct db *db, users_home_fn fn, void *arg, struct scim_error *err);
