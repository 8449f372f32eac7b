/* SPDX-License-Identifier: MIT */
#include "scim_error.h"

#include <stdio.h>

int scim_error_set(struct scim_error *err, int status, const char *scim_type,
                   const char *fmt, ...)
{
    if (!err)
        return -1;
    err->status = status;
    err->scim_type = scim_type;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
    return -1;
}
