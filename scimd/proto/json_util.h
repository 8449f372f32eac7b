/* SPDX-License-Identifier: MIT */
/* Small jansson helpers shared inside the library. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Member of obj whose key equals key case-insensitively (exact match preferred); borrowed.
 * NULL when obj is not an object or has no such member. key_out gets the stored key. */
json_t *scim_json_get_ci(const json_t *obj, const char *key, const char **key_out);
json_t *scim_json_get_ci_n(const json_t *obj, const char *key, size_t len, const char **key_out);

/* Removes every member whose key equals key case-insensitively. */
void scim_json_del_ci(json_t *obj, const char *key);

/* Sets obj[key] = value (stolen), first removing members that differ only in case. */
int scim_json_set_ci_new(json_t *obj, const char *key, json_t *value);

/* Case-insensitive equality of a counted string and a NUL-terminated one. */
bool scim_streq_ci_n(const char *a, size_t alen, const char *b);

/* "true"/"false" in any case (Entra sends "True"/"False") -> 1/0; anything else -> -1. */
int scim_bool_from_string(const char *s);

/* The JSON value as a boolean: JSON true/false or a boolean string; -1 if neither. */
int scim_json_bool(const json_t *v);

struct scim_error;
/* Prepends printf-formatted context to err->detail (truncating the end if needed). */
void scim_error_prefix(struct scim_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
