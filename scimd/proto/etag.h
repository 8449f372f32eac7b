/* SPDX-License-Identifier: MIT */
/* The ETag of a SCIM resource (RFC 7644 §3.14): W/"<version>", where version is the row's
 * revision counter, and the If-Match / If-None-Match test against it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define SCIM_ETAG_BUF 32

/* W/"version": the ETag header and meta.version of a resource. */
void scim_etag_format(int64_t version, char buf[SCIM_ETAG_BUF]);

/* Whether an If-Match / If-None-Match value names version: "*", W/"n" or "n", in a
 * comma-separated list. NULL never matches. */
bool scim_etag_matches(const char *header, int64_t version);
