/* SPDX-License-Identifier: MIT */
/* The token table as scimctl lists it: every token, never its key or HMAC. */
#pragma once

#include "store/db.h"

struct token_row {
    const char *id;
    const char *name;
    const char *created;
    const char *last_used; /* NULL: never (recorded to the minute, tokens_used.h) */
    const char *revoked;   /* NULL: active */
};

/* Called for each token, oldest first; the strings last until it returns. A non-zero
 * return stops the walk and is returned. */
typedef int (*tokens_row_fn)(void *arg, const struct token_row *t);

/* 0 after every row, fn's non-zero return, or -1 on a store error (db_errmsg says why). */
int tokens_each(struct db *db, tokens_row_fn fn, void *arg);
