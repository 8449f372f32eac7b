/* SPDX-License-Identifier: MIT */
/* The PostgreSQL driver's pure text work, apart so it is tested without a server: `?`/`?N`
 * parameters to `$N`, SQLSTATEs to DB_* codes, and bytea's hex output to bytes. */
#pragma once

#include <stddef.h>

/* The largest parameter number accepted (SQLite's default SQLITE_MAX_VARIABLE_NUMBER, so a
 * statement valid on one backend is valid on the other). */
#define DB_PG_MAX_PARAM 32766

/* Rewrites the parameters of sql to PostgreSQL's `$N`: `?N` keeps its number and a bare `?`
 * takes one more than the largest so far (SQLite's numbering). String literals ('…', E'…'),
 * quoted identifiers, dollar-quoted bodies and comments are copied untouched. Returns the
 * new text (the caller frees it) and the number of parameters in *nparams; NULL with a
 * message in err for a bad number (`?0`, too large) or when out of memory. */
char *db_pg_rewrite(const char *sql, int *nparams, char *err, size_t errlen);

/* A five-character SQLSTATE as a DB_* code; NULL or unknown is DB_ERROR. */
int db_pg_sqlstate_code(const char *sqlstate);

/* Decodes bytea's hex output (`\x0a1b…`) into out, which holds at least (strlen(text)-2)/2
 * bytes. Returns the number of bytes, or -1 when text is not hex-format bytea. */
long db_pg_bytea_hex_decode(const char *text, unsigned char *out);
