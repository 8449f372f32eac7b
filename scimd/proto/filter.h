/* SPDX-License-Identifier: MIT */
/* SCIM filters (RFC 7644 §3.4.2.2): parse once, match many resources. A parsed filter is
 * immutable, so one may be matched from several threads at once. */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "scim_error.h"
#include "schema.h"

/* Bounds that keep hostile filters cheap: longer input or deeper nesting (parentheses,
 * "not", value paths) is refused with invalidFilter before any work is done. A GET's filter
 * is also bounded by [server] max_request_head; this bounds a POST .search body's, where an
 * IdP's lookup of a thousand userNames at once (about 40 kB) fits. */
#define SCIM_FILTER_MAX_LEN 65536
#define SCIM_FILTER_MAX_DEPTH 64

struct scim_filter;

/* The full grammar: eq ne co sw ew pr gt ge lt le (case-insensitive), and/or/not with
 * precedence not > and > or, parentheses, sub-attributes, value paths
 * (emails[type eq "work" and value co "@example.com"]) and, beyond the RFC grammar, a value
 * path's sub-attribute compared (emails[type eq "work"].value eq "x": one element matches
 * both), URN-qualified names, literals
 * true/false/null, numbers and JSON strings. A value may also come unquoted (userName sw O,
 * meta.created gt 2015-10-10T14:38:21): a token that is wholly a number, true, false or null
 * keeps that meaning, any other is a string; one holding ( [ " ' \ or a control character,
 * or that is and/or/not, is refused. Errors -> 400 invalidFilter naming the offset.
 * Semantics: comparisons are case-insensitive unless the attribute is caseExact; dateTime
 * compares chronologically; a multi-valued attribute matches if any value matches, and "ne"
 * matches when no value equals; "eq null" means "not present". A complex attribute compared
 * without a sub-attribute compares its "value" sub-attribute. For boolean attributes the
 * strings "true"/"false" (any case) are taken as booleans (Entra sends
 * roles[primary eq "True"]). */
struct scim_filter *scim_filter_parse(const char *text, const struct scim_resource_type *rt,
                                      struct scim_error *err);
void scim_filter_free(struct scim_filter *f);
bool scim_filter_match(const struct scim_filter *f, const json_t *resource);

/* If the whole filter is `<attr> eq "<string>"` where <attr> resolves to attr_path
 * (case-insensitive, URN-qualified allowed), returns the string (borrowed from f); else NULL. */
const char *scim_filter_simple_eq(const struct scim_filter *f, const char *attr_path);

/* Value filters of a complex attribute, as in the brackets of a PATCH path
 * (members[value eq "x"]): attribute names are the sub-attributes of `complex`. */
struct scim_filter *scim_filter_parse_element(const char *text, size_t len,
                                              const struct scim_resource_type *rt,
                                              const struct scim_attr *complex,
                                              struct scim_error *err);
/* Matches one element (a JSON object) of `complex` against a filter from
 * scim_filter_parse_element. */
bool scim_filter_match_element(const struct scim_filter *f, const json_t *element);

/* If an element filter is an "eq" comparison or an "and" of them (type eq "work",
 * primary eq "True"), sets each compared sub-attribute in obj to its literal and returns 0:
 * that is the element a PATCH add/replace creates when nothing matches. Otherwise -1. */
int scim_filter_element_template(const struct scim_filter *f, json_t *obj);
