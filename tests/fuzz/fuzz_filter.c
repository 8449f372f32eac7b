/* SPDX-License-Identifier: MIT */
/* libFuzzer target: SCIM filter parser (RFC 7644 §3.4.2.2) and matcher.
 * The input is a filter expression as scimd receives it after URL decoding. It is parsed
 * against the User and Group resource types; each filter that parses is matched against a
 * fixed user and group (a User filter against the group too), and parsed again as an element
 * filter of emails (as in a PATCH value path), whose template is built the way PATCH builds a
 * new element. The same text is also tried as attributes/excludedAttributes lists and as a
 * sortBy path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "fuzz_common.h"
#include "validate.h"

static json_t *sample_user, *sample_group, *empty_resource;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sample_user = fuzz_json(FUZZ_SAMPLE_USER);
    sample_group = fuzz_json(FUZZ_SAMPLE_GROUP);
    empty_resource = fuzz_json("{}");
    return 0;
}

static void try_resource_filter(const char *text, const struct scim_resource_type *rt,
                                const json_t *sample, const json_t *other)
{
    struct scim_error err;
    scim_error_clear(&err);
    struct scim_filter *f = scim_filter_parse(text, rt, &err);
    if (!f) {
        /* a refusal must say why, with an HTTP status the server can send */
        if (err.status != 400 || err.detail[0] == '\0')
            abort();
        return;
    }
    (void)scim_filter_match(f, sample);
    (void)scim_filter_match(f, other); /* a resource of another type */
    (void)scim_filter_match(f, empty_resource); /* every attribute absent */
    const char *eq = scim_filter_simple_eq(f, rt == &scim_rt_user ? "userName" : "displayName");
    if (eq)
        (void)strlen(eq);
    (void)scim_filter_simple_eq(f, "externalId");
    scim_filter_free(f);
}

static void try_element_filter(const char *text, size_t len, const char *attr_name,
                               const json_t *sample, const struct scim_resource_type *rt)
{
    const struct scim_attr *complex = scim_attr_resolve(rt, attr_name, NULL, NULL);
    if (!complex)
        abort();
    struct scim_error err;
    scim_error_clear(&err);
    struct scim_filter *f = scim_filter_parse_element(text, len, rt, complex, &err);
    if (!f)
        return;
    const json_t *values = json_object_get(sample, attr_name);
    size_t i;
    json_t *el;
    json_array_foreach(values, i, el)
        (void)scim_filter_match_element(f, el);
    json_t *tmpl = json_object();
    if (tmpl)
        (void)scim_filter_element_template(f, tmpl);
    json_decref(tmpl);
    scim_filter_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    if (!text)
        return 0;
    try_resource_filter(text, &scim_rt_user, sample_user, sample_group);
    try_resource_filter(text, &scim_rt_group, sample_group, sample_user);
    /* element filters take (text, len): pass the raw bytes, embedded NULs included */
    try_element_filter((const char *)data, size, "emails", sample_user, &scim_rt_user);
    try_element_filter(text, strlen(text), "members", sample_group, &scim_rt_group);
    /* the same text as projection lists and a sortBy path */
    json_decref(scim_resource_project(sample_user, &scim_rt_user, text, text));
    (void)scim_resource_compare(sample_user, sample_group, &scim_rt_user, text);
    free(text);
    return 0;
}
