/* libFuzzer target: filter parsing and matching, projection lists and sortBy paths. */
#include <stdint.h>
#include <string.h>

#include "filter.h"
#include "fuzz_common.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *user, *group;
    struct scim_error err;

    if (!user) {
        user = fuzz_load("user_full.json");
        group = fuzz_load("group_sample.json");
    }
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    struct scim_filter *f = scim_filter_parse(s, &scim_rt_user, &err);
    if (f) {
        scim_filter_match(f, user);
        scim_filter_match(f, group);
        scim_filter_simple_eq(f, "userName");
        scim_filter_free(f);
    }
    f = scim_filter_parse(s, &scim_rt_group, &err);
    if (f) {
        scim_filter_match(f, group);
        scim_filter_free(f);
    }
    const struct scim_attr *emails = scim_attr_resolve(&scim_rt_user, "emails", NULL, NULL);
    f = scim_filter_parse_element(s, size, &scim_rt_user, emails, &err);
    if (f) {
        json_t *tmpl = json_object();
        scim_filter_element_template(f, tmpl);
        json_decref(tmpl);
        scim_filter_match_element(f, json_array_get(json_object_get(user, "emails"), 0));
        scim_filter_free(f);
    }
    json_decref(scim_resource_project(user, &scim_rt_user, s, s));
    scim_resource_compare(user, group, &scim_rt_user, s);
    free(s);
    return 0;
}
