/* SPDX-License-Identifier: MIT */
/* Lookups over the static schema tables. */
#include "schema.h"

#include <string.h>
#include <strings.h>

#include "json_util.h"

const struct scim_attr *scim_attr_find_n(const struct scim_attr *attrs, size_t n, const char *name,
                                         size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (scim_streq_ci_n(name, len, attrs[i].name))
            return &attrs[i];
    }
    return NULL;
}

const struct scim_attr *scim_attr_find(const struct scim_attr *attrs, size_t n, const char *name)
{
    return scim_attr_find_n(attrs, n, name, strlen(name));
}

static const struct scim_schema *schema_at(const struct scim_resource_type *rt, size_t i)
{
    return i == 0 ? rt->core : rt->extensions[i - 1];
}

const struct scim_schema *scim_schema_find(const struct scim_resource_type *rt, const char *urn)
{
    for (size_t i = 0; i <= rt->n_extensions; i++) {
        if (strcasecmp(schema_at(rt, i)->urn, urn) == 0)
            return schema_at(rt, i);
    }
    return NULL;
}

/* "attr" or "attr.sub" inside one schema. */
static const struct scim_attr *resolve_in(const struct scim_schema *s, const char *p, size_t len,
                                          const struct scim_attr **parent_out)
{
    const char *dot = memchr(p, '.', len);
    size_t name_len = dot ? (size_t)(dot - p) : len;
    const struct scim_attr *a = scim_attr_find_n(s->attrs, s->n_attrs, p, name_len);

    if (!a || name_len == 0)
        return NULL;
    if (!dot) {
        *parent_out = NULL;
        return a;
    }
    if (a->type != SCIM_T_COMPLEX)
        return NULL;
    const char *sub = dot + 1;
    size_t sub_len = len - name_len - 1;
    if (sub_len == 0 || memchr(sub, '.', sub_len))
        return NULL;
    const struct scim_attr *sa = scim_attr_find_n(a->sub, a->n_sub, sub, sub_len);
    if (sa)
        *parent_out = a;
    return sa;
}

const struct scim_attr *scim_attr_resolve_n(const struct scim_resource_type *rt, const char *path,
                                            size_t len, const struct scim_schema **schema_out,
                                            const struct scim_attr **parent_out)
{
    const struct scim_schema *found_schema = NULL;
    const struct scim_attr *found = NULL, *parent = NULL;

    if (!rt || !path)
        return NULL;
    if (len > 4 && strncasecmp(path, "urn:", 4) == 0) {
        for (size_t i = 0; i <= rt->n_extensions && !found; i++) {
            const struct scim_schema *s = schema_at(rt, i);
            size_t ul = strlen(s->urn);
            if (len > ul + 1 && path[ul] == ':' && strncasecmp(path, s->urn, ul) == 0) {
                found = resolve_in(s, path + ul + 1, len - ul - 1, &parent);
                found_schema = s;
            }
        }
    } else {
        found = resolve_in(rt->core, path, len, &parent);
        found_schema = rt->core;
        /* Bare extension attribute names: accepted only when unambiguous. */
        for (size_t i = 1; i <= rt->n_extensions && !found; i++) {
            const struct scim_attr *p2 = NULL;
            const struct scim_attr *a = resolve_in(schema_at(rt, i), path, len, &p2);
            for (size_t j = i + 1; a && j <= rt->n_extensions; j++) {
                const struct scim_attr *p3;
                if (resolve_in(schema_at(rt, j), path, len, &p3))
                    a = NULL;
            }
            if (a) {
                found = a;
                parent = p2;
                found_schema = schema_at(rt, i);
            }
        }
    }
    if (!found)
        return NULL;
    if (schema_out)
        *schema_out = found_schema;
    if (parent_out)
        *parent_out = parent;
    return found;
}

const struct scim_attr *scim_attr_resolve(const struct scim_resource_type *rt, const char *path,
                                          const struct scim_schema **schema_out,
                                          const struct scim_attr **parent_out)
{
    if (!path)
        return NULL;
    return scim_attr_resolve_n(rt, path, strlen(path), schema_out, parent_out);
}

const struct scim_resource_type *scim_resource_type_find(const char *name)
{
    static const struct scim_resource_type *const all[] = {&scim_rt_user, &scim_rt_group};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (strcasecmp(name, all[i]->id) == 0 || strcasecmp(name, all[i]->endpoint) == 0 ||
            strcasecmp(name, all[i]->endpoint + 1) == 0)
            return all[i];
    }
    return NULL;
}
