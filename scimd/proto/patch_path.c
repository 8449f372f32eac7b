/* SPDX-License-Identifier: MIT */
#include "patch_path.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "json_util.h"

void patch_path_clear(struct patch_path *pp)
{
    scim_filter_free(pp->filter);
    memset(pp, 0, sizeof(*pp));
}

/* Index of the ']' closing the '[' at open, skipping quoted strings; len if none. */
static size_t closing_bracket(const char *s, size_t len, size_t open)
{
    bool in_str = false;

    for (size_t i = open + 1; i < len; i++) {
        if (in_str) {
            if (s[i] == '\\')
                i++;
            else if (s[i] == '"')
                in_str = false;
        } else if (s[i] == '"') {
            in_str = true;
        } else if (s[i] == ']') {
            return i;
        }
    }
    return len;
}

static int bad_path(const char *path, size_t len, struct scim_error *err, const char *why)
{
    return scim_error_set(err, 400, "invalidPath", "path '%.*s': %s",
                          (int)(len > 200 ? 200 : len), path, why);
}

int patch_path_parse(const char *path, size_t len, const struct scim_resource_type *rt,
                     struct patch_path *out, struct scim_error *err)
{
    const struct scim_attr *parent = NULL, *a;
    const char *lb;

    memset(out, 0, sizeof(*out));
    while (len > 0 && (path[0] == ' ' || path[0] == '\t')) {
        path++;
        len--;
    }
    while (len > 0 && (path[len - 1] == ' ' || path[len - 1] == '\t'))
        len--;
    if (len == 0)
        return bad_path(path, len, err, "empty");
    if (len > SCIM_FILTER_MAX_LEN)
        return bad_path(path, len, err, "too long");

    for (size_t i = 1; i <= rt->n_extensions; i++) {
        if (scim_streq_ci_n(path, len, rt->extensions[i - 1]->urn)) {
            out->schema = rt->extensions[i - 1];
            return 0;
        }
    }

    lb = memchr(path, '[', len);
    if (!lb) {
        a = scim_attr_resolve_n(rt, path, len, &out->schema, &parent);
        if (!a)
            return bad_path(path, len, err, "no such attribute");
        out->attr = parent ? parent : a;
        out->sub = parent ? a : NULL;
        return 0;
    }

    size_t open = (size_t)(lb - path);
    a = scim_attr_resolve_n(rt, path, open, &out->schema, &parent);
    if (!a)
        return bad_path(path, len, err, "no such attribute");
    if (parent || a->type != SCIM_T_COMPLEX)
        return bad_path(path, len, err, "a filter needs a complex attribute before '['");
    size_t close = closing_bracket(path, len, open);
    if (close == len)
        return bad_path(path, len, err, "'[' without ']'");
    out->attr = a;
    if (close + 1 < len) {
        if (path[close + 1] != '.' || close + 2 >= len)
            return bad_path(path, len, err, "only '.subAttribute' may follow ']'");
        out->sub = scim_attr_find_n(a->sub, a->n_sub, path + close + 2, len - close - 2);
        if (!out->sub)
            return bad_path(path, len, err, "no such sub-attribute after ']'");
    }
    out->filter = scim_filter_parse_element(path + open + 1, close - open - 1, rt, a, err);
    if (!out->filter) {
        scim_error_prefix(err, "path '%.*s': ", (int)(len > 200 ? 200 : len), path);
        memset(out, 0, sizeof(*out));
        return -1;
    }
    return 0;
}
