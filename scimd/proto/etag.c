/* SPDX-License-Identifier: MIT */
#include "etag.h"

#include <stdio.h>
#include <string.h>

void scim_etag_format(int64_t version, char buf[SCIM_ETAG_BUF])
{
    snprintf(buf, SCIM_ETAG_BUF, "W/\"%lld\"", (long long)version);
}

bool scim_etag_matches(const char *header, int64_t version)
{
    if (!header)
        return false;
    char weak[SCIM_ETAG_BUF], strong[SCIM_ETAG_BUF];
    scim_etag_format(version, weak);
    snprintf(strong, sizeof(strong), "\"%lld\"", (long long)version);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t len = n;
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if ((len == 1 && p[0] == '*') || (len == strlen(weak) && strncmp(p, weak, len) == 0) ||
            (len == strlen(strong) && strncmp(p, strong, len) == 0))
            return true;
        p += n;
    }
    return false;
}
