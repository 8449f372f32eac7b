/* SPDX-License-Identifier: MIT */
/* Reading SCIM groups: by id, by a typed key the listings match exactly, or every row. The
 * only place that holds the SELECTs on the groups table. */
#pragma once

#include "store/db.h"

#include "proto/scim_error.h"
#include "store/groups_repo.h"

enum groups_key {
    GROUPS_KEY_ID,
    GROUPS_KEY_DISPLAY_NAME, /* case-insensitive, as SCIM compares displayName */
    GROUPS_KEY_EXTERNAL_ID,
};

enum groups_query_kind {
    GROUPS_QUERY_ALL, /* every row, oldest first */
    GROUPS_QUERY_KEY, /* the rows whose key equals value */
};

struct groups_query {
    enum groups_query_kind kind;
    enum groups_key key; /* GROUPS_QUERY_KEY */
    const char *value;   /* GROUPS_QUERY_KEY */
};

/* Called for each row in order; a row that cannot be read is skipped. A negative return
 * stops the query and is returned (err set by fn). */
typedef int (*groups_row_fn)(struct db *db, const struct group_row *row, void *arg,
                             struct scim_error *err);

/* 0 after every row, -1 on an error (err set; "what" names it, e.g. "list groups"). */
int groups_query_each(struct db *db, const struct groups_query *q, groups_row_fn fn, void *arg,
                      const char *what, struct scim_error *err);
