/* SPDX-License-Identifier: MIT */
/* PUT/POST body validation: check types, canonicalise names, drop what clients may not set. */
#include "validate.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "json_util.h"
#include "ssh_key.h"
#include "value.h"

static int put_attr(json_t *dst, const struct scim_attr *a, const json_t *v, const char *name,
                    struct scim_error *err)
{
    json_t *cv = NULL;

    if (a->mutability == SCIM_M_READ_ONLY)
        return 0;
    if (json_object_get(dst, a->name))
        return scim_error_set(err, 400, "invalidSyntax", "attribute '%s' given twice", name);
    if (scim_value_canon(a, v, name, &cv, err) != 0)
        return -1;
    if (cv && json_object_set_new(dst, a->name, cv) != 0)
        return scim_error_set(err, 500, NULL, "out of memory");
    return 0;
}

static json_t *ext_object(json_t *out, const struct scim_schema *s)
{
    json_t *o = json_object_get(out, s->urn);

    if (!o) {
        o = json_object();
        if (json_object_set_new(out, s->urn, o) != 0)
            return NULL;
    }
    return o;
}

static int put_extension(json_t *out, const struct scim_schema *s, const json_t *v,
                         struct scim_error *err)
{
    const char *k;
    json_t *x;
    char name[512];

    if (json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return scim_error_set(err, 400, "invalidSyntax", "'%s' must be an object", s->urn);
    json_t *dst = ext_object(out, s);
    if (!dst)
        return scim_error_set(err, 500, NULL, "out of memory");
    json_object_foreach((json_t *)v, k, x) {
        const struct scim_attr *a = scim_attr_find(s->attrs, s->n_attrs, k);
        if (!a)
            continue;
        snprintf(name, sizeof(name), "%s:%s", s->urn, a->name);
        if (put_attr(dst, a, x, name, err) != 0)
            return -1;
    }
    return 0;
}

static bool blank(const json_t *v)
{
    if (!json_is_string(v))
        return false;
    for (const char *s = json_string_value(v); *s; s++) {
        if (!isspace((unsigned char)*s))
            return false;
    }
    return true;
}

static int check_required(const json_t *obj, const struct scim_schema *s, struct scim_error *err)
{
    for (size_t i = 0; i < s->n_attrs; i++) {
        const struct scim_attr *a = &s->attrs[i];
        if (!a->required || a->mutability == SCIM_M_READ_ONLY)
            continue;
        json_t *v = json_object_get(obj, a->name);
        if (!v || blank(v))
            return scim_error_set(err, 400, "invalidValue", "attribute '%s' is required%s",
                                  a->name, v ? " and must not be blank" : "");
    }
    return 0;
}

int scim_resource_fix_schemas(json_t *res, const struct scim_resource_type *rt)
{
    json_t *schemas = json_array();

    if (!schemas || json_array_append_new(schemas, json_string(rt->core->urn)) != 0)
        goto fail;
    for (size_t i = 0; i < rt->n_extensions; i++) {
        const struct scim_schema *s = rt->extensions[i];
        const char *key = NULL;
        json_t *o = scim_json_get_ci(res, s->urn, &key);
        if (!o)
            continue;
        if (json_is_object(o) && json_object_size(o) > 0) {
            if (json_array_append_new(schemas, json_string(s->urn)) != 0)
                goto fail;
        } else {
            json_object_del(res, key);
        }
    }
    /* Replaced in place: "schemas" stays where it was (first, in what validate builds). */
    return scim_json_set_ci_new(res, "schemas", schemas);
fail:
    json_decref(schemas);
    return -1;
}

static int check_schemas(const json_t *v, struct scim_error *err)
{
    size_t i;
    json_t *x;

    if (!json_is_array(v))
        return scim_error_set(err, 400, "invalidSyntax", "'schemas' must be an array of URIs");
    json_array_foreach(v, i, x) {
        if (!json_is_string(x))
            return scim_error_set(err, 400, "invalidSyntax",
                                  "'schemas' must be an array of URIs");
    }
    return 0;
}

int scim_resource_validate(json_t *res, const struct scim_resource_type *rt,
                           enum scim_write_mode mode, struct scim_error *err)
{
    json_t *out = NULL;
    const char *k;
    json_t *v;
    int rc = -1;

    (void)mode;
    if (!json_is_object(res))
        return scim_error_set(err, 400, "invalidSyntax", "the resource must be a JSON object");
    out = json_object();
    if (!out || json_object_set_new(out, "schemas", json_array()) != 0) {
        json_decref(out);
        return scim_error_set(err, 500, NULL, "out of memory");
    }

    json_object_foreach(res, k, v) {
        const struct scim_schema *s = NULL;
        const struct scim_attr *a, *parent = NULL;

        if (strcasecmp(k, "schemas") == 0) {
            if (check_schemas(v, err) != 0)
                goto out;
            continue;
        }
        s = scim_schema_find(rt, k);
        if (s && s != rt->core) {
            if (put_extension(out, s, v, err) != 0)
                goto out;
            continue;
        }
        if (s) /* core attributes nested under the core URN: not a SCIM form */
            continue;
        a = scim_attr_find(rt->core->attrs, rt->core->n_attrs, k);
        if (a) {
            if (put_attr(out, a, v, a->name, err) != 0)
                goto out;
            continue;
        }
        /* "urn:...:User:userName" keys, and bare extension attribute names
         * ("employeeNumber" at top level), go where their schema says. */
        a = scim_attr_resolve(rt, k, &s, &parent);
        if (!a || parent)
            continue;
        json_t *dst = s == rt->core ? out : ext_object(out, s);
        if (!dst) {
            scim_error_set(err, 500, NULL, "out of memory");
            goto out;
        }
        if (put_attr(dst, a, v, k, err) != 0)
            goto out;
    }
    if (check_required(out, rt->core, err) != 0)
        goto out;
    for (size_t i = 0; i < rt->n_extensions; i++) {
        json_t *o = json_object_get(out, rt->extensions[i]->urn);
        if (o && check_required(o, rt->extensions[i], err) != 0)
            goto out;
    }
    /* sshPublicKeys reach sshd's authorized_keys: only plain keys (ssh_key.h). */
    if (rt == &scim_rt_user && scim_user_ssh_keys_check(out, err) != 0)
        goto out;
    if (scim_resource_fix_schemas(out, rt) != 0 || json_object_clear(res) != 0 ||
        json_object_update(res, out) != 0) {
        scim_error_set(err, 500, NULL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(out);
    return rc;
}
