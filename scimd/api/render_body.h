/* SPDX-License-Identifier: MIT */
/* A compact, lossless form of a rendered JSON body for the render cache. JSON text never holds
 * raw bytes 0x01-0x1f (a serializer escapes them), so those bytes can stand for the base URL
 * and the id the body was rendered for (kept once, in the cache key) and for attribute names
 * and URNs every SCIM user repeats. A body that does hold such a byte is not encoded. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct render_body_ctx {
    const char *id;
    size_t id_len;
    const char *base;
    size_t base_len;
};

/* Writes the encoded form of body[0..len) to out (room for len bytes: encoding never grows
 * a body) and returns its length; returns false if body holds a byte in 0x01-0x1f. */
bool render_body_encode(const struct render_body_ctx *ctx, const char *body, size_t len,
                        char *out, size_t *out_len);

/* Expands enc[0..enc_len) into out[0..cap) and returns the expanded length; false if it does
 * not fit (the caller keeps the original length, so that means enc is not an encoding). */
bool render_body_decode(const struct render_body_ctx *ctx, const char *enc, size_t enc_len,
                        char *out, size_t cap, size_t *out_len);
