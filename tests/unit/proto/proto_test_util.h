/* SPDX-License-Identifier: MIT */
/* Helpers shared by the proto unit tests. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "scim_error.h"

/* Parsed data/<name> (fails the test if missing or invalid). */
json_t *fixture(const char *name);
/* Parsed JSON text (fails the test if invalid). */
json_t *jparse(const char *text);

/* Fails with both documents printed unless actual equals the JSON text `expected`. */
void assert_json_text(const json_t *actual, const char *expected, const char *file, int line);
#define assert_json(actual, expected) assert_json_text((actual), (expected), __FILE__, __LINE__)

/* Fails unless err holds status/scim_type (scim_type may be NULL). */
void assert_error_is(const struct scim_error *err, int status, const char *scim_type,
                     const char *file, int line);
#define assert_scim_error(err, status, type) \
    assert_error_is((err), (status), (type), __FILE__, __LINE__)

/* json_object_get along a dotted path of object keys ("name.givenName"). */
json_t *jget(const json_t *obj, const char *dotted);
