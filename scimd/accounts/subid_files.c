/* SPDX-License-Identifier: MIT */
#include "accounts/subid_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int subid_file_overlap(const char *path, const struct id_span *spans, size_t n,
                       struct subid_file_hit *hit, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int ret = 0;
    while (ret == 0 && getline(&line, &cap, f) >= 0) {
        unsigned long long start, count;
        lineno++;
        if (sscanf(line, "%255[^:]:%llu:%llu", hit->owner, &start, &count) != 3 || count == 0)
            continue;
        uint64_t end = start + count - 1;
        for (size_t i = 0; i < n && ret == 0; i++) {
            if (start <= spans[i].hi && spans[i].lo <= end) {
                hit->start = start;
                hit->end = end;
                hit->lineno = lineno;
                ret = 1;
            }
        }
    }
    free(line);
    fclose(f);
    return ret;
}
