/* SPDX-License-Identifier: MIT */
/* Shared by the libFuzzer targets: fixed sample resources, and a helper that turns the
 * fuzzer's bytes into a NUL-terminated string (the parsers take C strings). */
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* A user and a group with every attribute kind the matchers and PATCH paths walk:
 * multi-valued complex (emails, roles, members), the enterprise extension, dateTime,
 * booleans and references. */
#define FUZZ_SAMPLE_USER                                                                   \
    "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\","                      \
    "\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"],"                   \
    "\"id\":\"2819c223-7f76-453a-919d-413861904646\",\"externalId\":\"00u1abcd\","        \
    "\"userName\":\"Alice@Example.com\",\"displayName\":\"Alice Smith\","                 \
    "\"name\":{\"givenName\":\"Alice\",\"familyName\":\"Smith\",\"formatted\":\"Alice "   \
    "Smith\"},\"active\":true,\"title\":\"Engineer\",\"userType\":\"Employee\","          \
    "\"emails\":[{\"value\":\"alice@example.com\",\"type\":\"work\",\"primary\":true},"   \
    "{\"value\":\"a@home.example\",\"type\":\"home\"}],"                                  \
    "\"phoneNumbers\":[{\"value\":\"+1 555 0100\",\"type\":\"work\"}],"                   \
    "\"addresses\":[{\"type\":\"work\",\"streetAddress\":\"1 Main St\",\"locality\":"     \
    "\"Springfield\",\"country\":\"US\",\"primary\":true}],"                              \
    "\"roles\":[{\"value\":\"developer\",\"primary\":true,\"type\":\"WindowsAzureActive"  \
    "DirectoryRole\"},{\"value\":\"administrator\"}],"                                    \
    "\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"employeeNumber\":" \
    "\"701984\",\"department\":\"R&D\",\"manager\":{\"value\":\"26118915-6090-4610-87e4-" \
    "49d8ca9f808d\"}},"                                                                   \
    "\"meta\":{\"resourceType\":\"User\",\"created\":\"2024-01-23T04:56:22Z\","           \
    "\"lastModified\":\"2024-05-13T04:42:34.5Z\",\"version\":\"W/\\\"3\\\"\"}}"

#define FUZZ_SAMPLE_GROUP                                                                  \
    "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:Group\"],"                    \
    "\"id\":\"e9e30dba-f08f-4109-8486-d5c6a331660a\",\"displayName\":\"Tour Guides\","    \
    "\"externalId\":\"00g1emaKYZTWRYYLSKFM\",\"members\":[{\"value\":"                    \
    "\"2819c223-7f76-453a-919d-413861904646\",\"display\":\"alice\"},{\"value\":"         \
    "\"902c246b-6245-4190-8e05-00816be7344a\",\"display\":\"bob\"}],"                     \
    "\"meta\":{\"resourceType\":\"Group\",\"created\":\"2024-01-23T04:56:22Z\"}}"

static inline json_t *fuzz_json(const char *text)
{
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    if (!v)
        abort(); /* a broken sample is a harness bug, not a finding */
    return v;
}

/* The caller frees. NULL only when out of memory. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}
