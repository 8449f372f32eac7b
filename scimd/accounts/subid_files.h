/* SPDX-License-Identifier: MIT */
/* Reading shadow-utils' /etc/subuid and /etc/subgid ("owner:start:count" lines), for the
 * checks that scimd's id ranges and its subordinate id range stay clear of the slices local
 * users already hold. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* An inclusive range of ids. */
struct id_span {
    uint64_t lo, hi;
};

/* The first entry found to overlap. */
struct subid_file_hit {
    char owner[256];
    uint64_t start, end;
    unsigned lineno;
};

/* Looks through path for an entry overlapping any of the n spans. 1 with *hit, 0 when none
 * does (a missing file has none; unparsable lines are shadow-utils' to judge), -1 with err
 * when the file cannot be read. */
int subid_file_overlap(const char *path, const struct id_span *spans, size_t n,
                       struct subid_file_hit *hit, char *err, size_t errlen);
