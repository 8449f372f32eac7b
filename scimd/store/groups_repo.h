/* SPDX-License-Identifier: MIT */
/* Rows of the groups and group_members tables and their SCIM representation. */
#pragma once

#include <jansson.h>
#include "store/db.h"
#include <stdbool.h>
#include <stdint.h>

#include "proto/scim_error.h"
#include "store/users_repo.h"

struct group_row {
    char id[SCIM_ID_LEN + 1];
    char *display_name;
    char *name;          /* Linux group name */
    char *external_id;
    uint32_t gid;        /* 0 while mapped onto a local group */
    int64_t version;
    char created[32];
    char modified[32];
    json_t *doc;         /* SCIM attributes without id, meta and members */
};

void group_row_clear(struct group_row *row);

#define GROUPS_COLUMNS "id, display_name, name, external_id, gid, version, created, modified, doc"
int groups_repo_from_stmt(struct db_stmt *s, struct group_row *row);
/* 1 found, 0 not found, -1 error. Other lookups: store/groups_query.h. */
int groups_repo_get(struct db *db, const char *id, struct group_row *row, struct scim_error *err);
int groups_repo_insert(struct db *db, const struct group_row *row, struct scim_error *err);
int groups_repo_update(struct db *db, const struct group_row *row, struct scim_error *err);
int groups_repo_delete(struct db *db, const char *id, struct scim_error *err);

/* The member user ids, as a JSON array of {"value": id} (what PATCH filters match on). */
json_t *groups_repo_members(struct db *db, const char *group_id, struct scim_error *err);
/* Replaces the stored member set with the values of members (a SCIM members array): every
 * value must be a known user (else 400 invalidValue, nothing changed). */
int groups_repo_set_members(struct db *db, const char *group_id, const json_t *members,
                            struct scim_error *err);

/* Called with an id and the name a client shows for it. */
typedef void (*groups_ref_fn)(const char *id, const char *display, void *arg);

/* Each member of a group: its user id and displayName, else userName. 0, or -1 on an error
 * (the members before it were given). */
int groups_repo_each_member(struct db *db, const char *group_id, groups_ref_fn fn, void *arg);

/* Each SCIM group user_id belongs to: its id and displayName. 0, or -1 on an error. */
int groups_repo_each_of_user(struct db *db, const char *user_id, groups_ref_fn fn, void *arg);

/* Bumps version/lastModified of every group user_id belongs to (before a delete). */
int groups_touch_for_user(struct db *db, const char *user_id, struct scim_error *err);
