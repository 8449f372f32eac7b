/* SPDX-License-Identifier: MIT */
/* Reading users: by a typed key (the unique ones and externalId), a page in creation order,
 * or every row. The only place that holds the SELECTs on the users table; the listings in
 * api/ and the uniqueness checks go through it. */
#pragma once

#include "store/db.h"
#include <stdint.h>

#include "proto/scim_error.h"
#include "store/users_repo.h"

/* An indexed column. USERS_KEY_USER_NAME takes the lower-cased key (users_name_key_new),
 * not the userName itself. */
enum users_key {
    USERS_KEY_ID,
    USERS_KEY_USER_NAME,
    USERS_KEY_LOGIN,
    USERS_KEY_EXTERNAL_ID,
};

/* 1 found, 0 not found, -1 error (err set). externalId is not unique: the oldest row. */
int users_repo_find_by_key(struct db *db, enum users_key key, const char *value,
                           struct user_row *row, struct scim_error *err);

enum users_query_kind {
    USERS_QUERY_ALL,  /* every row, oldest first */
    USERS_QUERY_PAGE, /* limit rows from offset, oldest first */
    USERS_QUERY_KEY,  /* the rows whose key equals value */
};

struct users_query {
    enum users_query_kind kind;
    enum users_key key;  /* USERS_QUERY_KEY */
    const char *value;   /* USERS_QUERY_KEY; NULL is an error (a key that could not be made) */
    int64_t limit;       /* USERS_QUERY_PAGE */
    int64_t offset;      /* USERS_QUERY_PAGE */
};

/* Called for each row in order; a row that cannot be read is skipped. A negative return
 * stops the query and is returned (err set by fn). */
typedef int (*users_row_fn)(struct db *db, const struct user_row *row, void *arg,
                            struct scim_error *err);

/* 0 after every row, -1 on an error (err set; "what" names it, e.g. "list users"). */
int users_query_each(struct db *db, const struct users_query *q, users_row_fn fn, void *arg,
                     const char *what, struct scim_error *err);

/* The number of users. */
int users_count(struct db *db, int64_t *count, const char *what, struct scim_error *err);
