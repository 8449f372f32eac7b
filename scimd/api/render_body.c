/* SPDX-License-Identifier: MIT */
#include "api/render_body.h"

#include <stdint.h>
#include <string.h>

#include "proto/schema.h"

enum { TOKEN_BASE = 0x01, TOKEN_ID = 0x02, TOKEN_FIRST_WORD = 0x03, TOKEN_LAST = 0x1f };

struct word {
    const char *s;
    size_t len;
};
#define W(lit) { lit, sizeof(lit) - 1 }

/* What a rendered user repeats: our own meta and extension, and the attributes Okta, Entra ID
 * and OneLogin send. Only a size optimisation: any text encodes and decodes exactly. */
static const struct word words[] = {
    W("{\"schemas\":[\"" SCIM_URN_USER "\""),
    W("\"" SCIM_URN_ENTERPRISE_USER "\""),
    W("\"" SCIM_URN_LINUX_USER "\""),
    W("\"userName\":\""),
    W("\"active\":true"),
    W("\"active\":false"),
    W("\"name\":{"),
    W("\"givenName\":\""),
    W("\"familyName\":\""),
    W("\"formatted\":\""),
    W("\"displayName\":\""),
    W("\"emails\":[{\"value\":\""),
    W("\",\"type\":\"work\""),
    W("\"primary\":true"),
    W("\"roles\":[{\"value\":\""),
    W("{\"value\":\""),
    W("\"externalId\":\""),
    W("\"id\":\""),
    W("{\"uidNumber\":"),
    W(",\"gidNumber\":"),
    W("\"meta\":{\"resourceType\":\"User\",\"created\":\""),
    W("\",\"lastModified\":\""),
    W("\",\"location\":\""),
    W("/Users/"),
    W("\",\"version\":\"W/\\\""),
    W("\"groups\":["),
    W("\",\"$ref\":\""),
    W("/Groups/"),
    W("\",\"display\":\""),
};
_Static_assert(sizeof(words) / sizeof(words[0]) == TOKEN_LAST - TOKEN_FIRST_WORD + 1,
               "one word per token byte");

static bool is_token_byte(unsigned char c)
{
    return c >= TOKEN_BASE && c <= TOKEN_LAST;
}

static bool matches(const char *p, size_t left, const char *s, size_t n)
{
    return n >= 2 && n <= left && p[0] == s[0] && p[1] == s[1] && memcmp(p, s, n) == 0;
}

bool render_body_encode(const struct render_body_ctx *ctx, const char *body, size_t len,
                        char *out, size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)body[i];
        if (c == '\0' || is_token_byte(c))
            return false;
        const char *p = body + i;
        size_t left = len - i, best = 0;
        unsigned char token = 0;
        if (matches(p, left, ctx->base, ctx->base_len)) {
            best = ctx->base_len;
            token = TOKEN_BASE;
        }
        if (ctx->id_len > best && matches(p, left, ctx->id, ctx->id_len)) {
            best = ctx->id_len;
            token = TOKEN_ID;
        }
        /* Every word starts with one of these; most positions are none of them. */
        if (c == '"' || c == '{' || c == ',' || c == '/') {
            for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
                if (words[w].len > best && matches(p, left, words[w].s, words[w].len)) {
                    best = words[w].len;
                    token = (unsigned char)(TOKEN_FIRST_WORD + w);
                }
            }
        }
        if (token) {
            out[o++] = (char)token;
            i += best;
        } else {
            out[o++] = (char)c;
            i++;
        }
    }
    *out_len = o;
    return true;
}

bool render_body_decode(const struct render_body_ctx *ctx, const char *enc, size_t enc_len,
                        char *out, size_t cap, size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < enc_len;) {
        size_t run = i;
        while (run < enc_len && !is_token_byte((unsigned char)enc[run]) && enc[run] != '\0')
            run++;
        const char *piece = enc + i;
        size_t n = run - i;
        if (n == 0) {
            unsigned char t = (unsigned char)enc[i];
            if (t == TOKEN_BASE) {
                piece = ctx->base;
                n = ctx->base_len;
            } else if (t == TOKEN_ID) {
                piece = ctx->id;
                n = ctx->id_len;
            } else if (t >= TOKEN_FIRST_WORD && t <= TOKEN_LAST) {
                piece = words[t - TOKEN_FIRST_WORD].s;
                n = words[t - TOKEN_FIRST_WORD].len;
            } else {
                return false; /* a NUL: never written by the encoder */
            }
            run = i + 1;
        }
        if (cap - o < n)
            return false;
        memcpy(out + o, piece, n);
        o += n;
        i = run;
    }
    *out_len = o;
    return true;
}
