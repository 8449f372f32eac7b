/* SPDX-License-Identifier: MIT */
/* xsd:dateTime (RFC 7643 §2.3.5) parsing for chronological comparison. */
#pragma once

#include <stdint.h>

struct scim_time {
    int64_t sec;  /* seconds since 1970-01-01T00:00:00Z */
    int32_t nsec; /* 0..999999999 */
};

/* Parses "YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|-HH:MM]" (no zone means UTC).
 * Returns 0, or -1 if s is not such a value. */
int scim_datetime_parse(const char *s, struct scim_time *out);

/* <0, 0, >0 like strcmp. */
int scim_time_cmp(const struct scim_time *a, const struct scim_time *b);
