/* SPDX-License-Identifier: MIT */
/* A follower applies one verified fleet feed document (docs/fleet.md, "Feed document") to its
 * own store in one transaction: users by SCIM id with the hub's uid, role groups and SCIM
 * groups with the hub's gids, deletions, and the sequence it reached. It never allocates an
 * id; every id it takes is recorded in the id ledger like the hub's, and never reused. The
 * parsed types live here (not in fleet/) because the store may not include fleet/. */
#pragma once

#include "store/db.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/scim_error.h"

/* Strings point into the parsed document and live as long as it does. */
struct mat_user {
    const char *id, *user_name, *login, *gecos, *password_hash; /* password_hash may be NULL */
    uint32_t uid;
    int64_t password_day;
    bool active;
    const char **roles; /* role group names */
    size_t n_roles;
    const char **ssh_keys;
    size_t n_ssh_keys;
};

struct mat_group {
    const char *id, *display_name, *name;
    uint32_t gid;
    const char **members; /* user ids */
    size_t n_members;
};

struct mat_role {
    const char *name;
    uint32_t gid;
};

enum mat_kind { MAT_USER, MAT_GROUP, MAT_ROLE };

struct mat_deleted {
    enum mat_kind kind;
    const char *id; /* SCIM id, or the role's name */
};

struct mat_doc {
    char feed[33];
    bool snapshot;
    int64_t from, to;
    struct mat_user *users;
    size_t n_users;
    struct mat_group *groups;
    size_t n_groups;
    struct mat_role *roles;
    size_t n_roles;
    struct mat_deleted *deleted;
    size_t n_deleted;
};

/* Says whether a hub user or group must stay off this host (local wins): 0 apply, 1 skip,
 * -1 the host cannot tell (the whole batch is then not applied). kind is "user" or "group". */
typedef int (*mat_skip_fn)(void *arg, const char *kind, const char *id, const char *name,
                           uint32_t id_number);

/* The home directory of a user new on this host (a new string, NULL for want of memory). */
typedef char *(*mat_home_fn)(const char *login, void *arg);

struct mat_options {
    const char *const *scope; /* [follow] groups: group display names, group or role names */
    size_t n_scope;           /* 0: every user */
    mat_skip_fn skip;         /* NULL: nothing is skipped */
    void *skip_arg;
    /* Fixes a new user's home in the row the apply inserts (docs/architecture.md, "Home
     * directories"), so no second pass rewrites every row a snapshot wrote. NULL: left NULL
     * for users_homes_pin. */
    mat_home_fn home;
    void *home_arg;
};

/* A user who lost access in this document (deactivated or removed). */
struct mat_lost {
    uint32_t uid;
    char login[256];
};

/* An account this document added to, disabled, enabled or removed from this host: its
 * kernel audit record after the commit (accounts/audit_kernel.h). A user added inactive is
 * listed twice (added, disabled), as the hub records it. */
enum mat_change_kind { MAT_USER_ADDED, MAT_USER_DISABLED, MAT_USER_ENABLED, MAT_USER_REMOVED };
struct mat_change {
    enum mat_change_kind kind;
    uint32_t uid;
    char id[64];     /* SCIM id */
    char login[256];
};

/* The outcome of one apply, filled inside the write; free with materialize_result_free. */
struct mat_result {
    size_t users_applied, users_removed, skipped;
    bool deactivated_or_removed; /* someone lost access: end sessions after the export */
    bool need_snapshot; /* a scoped group gained a member this host does not hold */
    struct mat_lost *lost; /* whose sessions to end after the commit */
    size_t n_lost;
    struct mat_change *changes; /* for the audit trail after the commit */
    size_t n_changes;
};

void materialize_result_free(struct mat_result *res);

/* Applies doc inside a write (store_write's fn context): 0, or -1 with err set (the caller's
 * savepoint then rolls everything back). Checks again what the parser checked about ids
 * against the ledger: a uid or gid the ledger holds for another owner is refused. */
int materialize_apply(struct db *db, const struct mat_doc *doc, const struct mat_options *opt,
                      struct mat_result *res, struct scim_error *err);

/* [follow] max_offline passed without a verified answer from the hub: inside a write, every
 * user becomes inactive (pam_scim and the shadow lock then refuse them) and meta
 * follow_offline is set; the next snapshot applied restores the hub's state and clears it. */
int materialize_fail_closed(struct db *db, struct scim_error *err);

/* 1 when follow_offline is set (a snapshot is owed), 0 when not, -1 on error. */
int materialize_offline(struct db *db);

/* meta follow_seq (-1 when absent) and follow_feed_id ("" when absent), on any connection. */
int materialize_state(struct db *db, int64_t *seq, char feed_id[33]);

/* Forgets the hub sequence this host holds (scimctl follow resync), inside a write: its next
 * request takes a snapshot. 0, or -1 with err set. */
int materialize_forget_seq(struct db *db, struct scim_error *err);

/* Gives back the page cache a snapshot's transaction grew (SQLite; nothing on PostgreSQL),
 * on the connection that owns it (the writer). */
void materialize_release_cache(struct db *db);
