/* SPDX-License-Identifier: MIT */
#include "store/tokens_query.h"

#include <stddef.h>

#include "store/store.h"

struct token_walk {
    tokens_row_fn fn;
    void *arg;
};

static int read_token(struct db_stmt *s, void *arg)
{
    const struct token_walk *w = arg;
    const struct token_row t = {
        .id = db_column_text(s, 0),
        .name = db_column_text(s, 1),
        .created = db_column_text(s, 2),
        .last_used = db_column_text(s, 3),
        .revoked = db_column_text(s, 4),
    };
    return w->fn(w->arg, &t);
}

int tokens_each(struct db *db, tokens_row_fn fn, void *arg)
{
    struct token_walk w = { .fn = fn, .arg = arg };
    struct db_stmt *s = NULL;
    int rc = db_prepare(db, "SELECT id, name, created, last_used, revoked FROM tokens "
                            "ORDER BY created, id", &s);
    int ret = store_stmt_walk(rc, s, read_token, &w);
    db_finalize(s);
    return ret;
}
