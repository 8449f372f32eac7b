/* SPDX-License-Identifier: MIT */
/* Recording when each SCIM token last authenticated a request (tokens.last_used, shown by
 * scimctl token list and status): at most once a minute per token, so a busy IdP costs one
 * small write a minute rather than one per request. */
#pragma once

struct store;
struct token_use;

struct token_use *token_use_new(void);
void token_use_free(struct token_use *u);

/* After a request authenticated with id: writes last_used when this process has not in the
 * last minute. A failed write is logged once and otherwise ignored: the request goes on. */
void token_use_note(struct token_use *u, struct store *st, const char *id);
