/* SPDX-License-Identifier: MIT */
/* SCIM errors (RFC 7644 §3.12) carried from deep code up to the HTTP layer. */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>

struct scim_error {
    int status;             /* HTTP status: 400, 404, 409, 412, 413, 500, ... */
    const char *scim_type;  /* "invalidFilter", "invalidValue", ...; NULL when none applies */
    char detail[512];       /* human-readable, never contains secrets */
};

/* Fills err (if non-NULL) and returns -1, so callers can `return scim_error_set(...)`. */
int scim_error_set(struct scim_error *err, int status, const char *scim_type,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static inline void scim_error_clear(struct scim_error *err)
{
    if (err) {
        err->status = 0;
        err->scim_type = NULL;
        err->detail[0] = '\0';
    }
}
