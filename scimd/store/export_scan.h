/* SPDX-License-Identifier: MIT */
/* The export's read of the store (accounts/account_snapshot.c shapes it into the cache): one
 * read transaction over users, SCIM groups with their members, and the high-water marks, so
 * they all agree. Each statement is prepared once per export and stepped over every row; the
 * users scan reads in uid order, the groups scan joins members through their indexes. */
#pragma once

#include "store/db.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* One users row; the strings are valid only during the callback. */
struct export_user_row {
    const char *login;
    uint32_t uid;
    bool active;
    const char *password_hash; /* NULL: none */
    int64_t password_day;
    const char *gecos;
    const char *roles;    /* the stored roles column, for roles_for_export */
    const char *ssh_keys; /* one key per line, or NULL */
    const char *home;     /* fixed at creation; NULL: none recorded yet (store/users_homes.h) */
};

/* One SCIM group, once per member (once with has_member false when it has none). */
struct export_group_row {
    const char *name;
    bool has_gid; /* false: a group mapped onto a local group ([groups]) */
    uint32_t gid;
    const char *display_name;
    bool has_member;
    uint32_t member_uid;
};

/* A callback returns 0 to go on, -1 to stop the scan (it has set err). */
typedef int (*export_user_fn)(const struct export_user_row *row, void *arg, char *err,
                              size_t errlen);
typedef int (*export_group_fn)(const struct export_group_row *row, void *arg, char *err,
                               size_t errlen);

/* A read connection inside BEGIN, or NULL with err set. The callbacks may read through it
 * (role gids) and see the same snapshot. */
struct db *export_scan_begin(struct store *st, char *err, size_t errlen);
/* Ends the transaction and gives the connection back; NULL is allowed. */
void export_scan_end(struct store *st, struct db *db);

/* Every user, in uid order. 0, or -1 with err set ("reading users: ..."). */
int export_scan_users(struct db *db, export_user_fn fn, void *arg, char *err, size_t errlen);
/* Every SCIM group with its members, by group id. 0, or -1 with err set. */
int export_scan_groups(struct db *db, export_group_fn fn, void *arg, char *err, size_t errlen);
/* The uid and gid high-water marks, 0 when unset. */
void export_scan_marks(struct db *db, uint64_t *uid_hwm, uint64_t *gid_hwm);
