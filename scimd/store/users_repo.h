/* SPDX-License-Identifier: MIT */
/* Rows of the users table and their SCIM representation. */
#pragma once

#include <jansson.h>
#include "store/db.h"
#include <stdbool.h>
#include <stdint.h>

#include "proto/scim_error.h"

#define SCIM_ID_LEN 36

struct user_row {
    char id[SCIM_ID_LEN + 1];
    char *user_name;
    char *login;
    char *external_id;
    bool active;
    uint32_t uid;
    int64_t version;
    char created[32];
    char modified[32];
    char *password_hash;
    int64_t password_day;
    json_t *doc;   /* SCIM attributes without id, meta and password */
    char *home;    /* written by users_repo_insert only (NULL: none recorded); no update
                    * changes it, so a rename keeps the home (store/users_homes.h). Not read
                    * by USERS_COLUMNS lookups. */
};

void user_row_clear(struct user_row *row);

/* 1 found, 0 not found, -1 error (err set). Other lookups: store/users_query.h. */
int users_repo_get(struct db *db, const char *id, struct user_row *row, struct scim_error *err);
/* Both keep users.deactivated_at: set to row->modified when active turns false (or a user is
 * created inactive), cleared when it turns true, unchanged otherwise. */
int users_repo_insert(struct db *db, const struct user_row *row, struct scim_error *err);
int users_repo_update(struct db *db, const struct user_row *row, struct scim_error *err);
int users_repo_delete(struct db *db, const char *id, struct scim_error *err);

/* Fills row from the current statement row (columns in USERS_COLUMNS order). */
int users_repo_from_stmt(struct db_stmt *s, struct user_row *row);
#define USERS_COLUMNS                                                                           \
    "id, user_name, login, external_id, active, uid, version, created, modified, password_hash," \
    " password_day, doc"

/* The passwd gecos for a doc: displayName, else name.formatted, else given + family name;
 * ':' and control characters become spaces. */
char *users_gecos_new(const json_t *doc);

/* The lower-cased uniqueness key of a userName (case-insensitive, RFC 7643 §4.1.1). */
char *users_name_key_new(const char *user_name);



/* A random version-4 UUID. */
int users_new_id(char out[SCIM_ID_LEN + 1]);
