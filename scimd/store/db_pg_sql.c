/* SPDX-License-Identifier: MIT */
#include "store/db_pg_sql.h"

#include "store/db.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    char *p;
    size_t len, cap;
};

static bool put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return false;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return true;
}

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

/* Where a quoted run that opens at sql[i] ends (one past its closing quote, or the end of
 * the text when it is unterminated: the server reports that, not the rewriter). */
static size_t skip_quoted(const char *sql, size_t i, char q, bool backslash_escapes)
{
    size_t j = i + 1;
    while (sql[j]) {
        if (backslash_escapes && sql[j] == '\\' && sql[j + 1]) {
            j += 2;
            continue;
        }
        if (sql[j] == q) {
            if (sql[j + 1] == q) { /* '' or "" is the quote itself */
                j += 2;
                continue;
            }
            return j + 1;
        }
        j++;
    }
    return j;
}

/* PostgreSQL's block comments nest. */
static size_t skip_block_comment(const char *sql, size_t i)
{
    size_t j = i + 2;
    int depth = 1;
    while (sql[j] && depth > 0) {
        if (sql[j] == '/' && sql[j + 1] == '*') {
            depth++;
            j += 2;
        } else if (sql[j] == '*' && sql[j + 1] == '/') {
            depth--;
            j += 2;
        } else {
            j++;
        }
    }
    return j;
}

/* A dollar quote $tag$…$tag$ opening at sql[i], or i itself when there is none there. */
static size_t skip_dollar_quoted(const char *sql, size_t i)
{
    size_t j = i + 1;
    if (sql[j] != '$' && !(isalpha((unsigned char)sql[j]) || sql[j] == '_'))
        return i;
    while (sql[j] && sql[j] != '$') {
        if (!isalnum((unsigned char)sql[j]) && sql[j] != '_')
            return i;
        j++;
    }
    if (sql[j] != '$')
        return i;
    size_t taglen = j - i + 1;
    const char *close = NULL;
    for (const char *p = sql + j + 1; *p && !close; p++)
        if (*p == '$' && strncmp(p, sql + i, taglen) == 0)
            close = p;
    return close ? (size_t)(close - sql) + taglen : j + 1 + strlen(sql + j + 1);
}

char *db_pg_rewrite(const char *sql, int *nparams, char *err, size_t errlen)
{
    struct buf b = {0};
    char *ret = NULL;
    long max = 0;
    size_t i = 0, from = 0;
    *nparams = 0;
    while (sql[i]) {
        char c = sql[i];
        size_t next = i + 1;
        if (c == '\'') {
            bool e = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                     !(i > 1 && ident_char(sql[i - 2]));
            next = skip_quoted(sql, i, '\'', e);
        } else if (c == '"') {
            next = skip_quoted(sql, i, '"', false);
        } else if (c == '-' && sql[i + 1] == '-') {
            next = i + strcspn(sql + i, "\n");
        } else if (c == '/' && sql[i + 1] == '*') {
            next = skip_block_comment(sql, i);
        } else if (c == '$' && !(i > 0 && ident_char(sql[i - 1]))) {
            size_t j = skip_dollar_quoted(sql, i);
            next = j > i ? j : i + 1;
        } else if (c == '?') {
            long n;
            size_t j = i + 1;
            if (isdigit((unsigned char)sql[j])) {
                n = 0;
                while (isdigit((unsigned char)sql[j])) {
                    if (n <= DB_PG_MAX_PARAM)
                        n = n * 10 + (sql[j] - '0');
                    j++;
                }
                if (n < 1 || n > DB_PG_MAX_PARAM) {
                    snprintf(err, errlen, "parameter ?%.*s out of range 1..%d", (int)(j - i - 1),
                             sql + i + 1, DB_PG_MAX_PARAM);
                    goto out;
                }
            } else {
                n = max + 1;
                if (n > DB_PG_MAX_PARAM) {
                    snprintf(err, errlen, "more than %d parameters", DB_PG_MAX_PARAM);
                    goto out;
                }
            }
            if (n > max)
                max = n;
            char num[16];
            int len = snprintf(num, sizeof(num), "$%ld", n);
            if (!put(&b, sql + from, i - from) || !put(&b, num, (size_t)len))
                goto oom;
            from = next = j;
        }
        i = next;
    }
    if (!put(&b, sql + from, i - from))
        goto oom;
    *nparams = (int)max;
    ret = b.p;
    b.p = NULL;
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    free(b.p);
    return ret;
}

int db_pg_sqlstate_code(const char *s)
{
    if (!s || strlen(s) != 5)
        return DB_ERROR;
    if (strncmp(s, "23", 2) == 0)
        return DB_CONSTRAINT;
    /* Serialization failure, deadlock, lock not available: the transaction may be retried. */
    if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 || strcmp(s, "55P03") == 0)
        return DB_BUSY;
    if (strcmp(s, "53100") == 0) /* disk full */
        return DB_FULL;
    /* Connection exceptions, and the server shutting down, restarting or still starting. */
    if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 ||
        strcmp(s, "57P03") == 0)
        return DB_UNAVAILABLE;
    if (strcmp(s, "XX001") == 0 || strcmp(s, "XX002") == 0) /* data or index corrupted */
        return DB_IOERR;
    return DB_ERROR;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long db_pg_bytea_hex_decode(const char *text, unsigned char *out)
{
    if (text[0] != '\\' || text[1] != 'x')
        return -1;
    long n = 0;
    for (const char *p = text + 2; *p; p += 2) {
        int hi = hexval(p[0]);
        int lo = hi < 0 ? -1 : hexval(p[1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[n++] = (unsigned char)(hi << 4 | lo);
    }
    return n;
}
