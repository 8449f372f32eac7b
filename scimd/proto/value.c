/* SPDX-License-Identifier: MIT */
#include "value.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "datetime.h"
#include "json_util.h"

static const char *type_noun(enum scim_type t)
{
    switch (t) {
    case SCIM_T_BOOLEAN: return "a boolean (true or false)";
    case SCIM_T_DECIMAL: return "a number";
    case SCIM_T_INTEGER: return "an integer";
    case SCIM_T_DATETIME: return "a dateTime string such as \"2024-01-31T12:00:00Z\"";
    case SCIM_T_BINARY: return "a base64 string";
    case SCIM_T_REFERENCE: return "a URI string";
    case SCIM_T_COMPLEX: return "an object";
    default: return "a string";
    }
}

static int wrong_type(const struct scim_attr *a, const char *name, struct scim_error *err)
{
    return scim_error_set(err, 400, "invalidValue", "attribute '%s': expected %s", name,
                          type_noun(a->type));
}

static bool is_base64(const char *s)
{
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=' || c == '\n' || c == '\r' || c == ' '))
            return false;
    }
    return true;
}

int scim_value_is_primary(const json_t *element)
{
    return scim_json_bool(scim_json_get_ci(element, "primary", NULL)) == 1;
}

static int canon_complex(const struct scim_attr *a, const json_t *v, const char *name,
                         json_t **out, struct scim_error *err)
{
    json_t *o = NULL, *sv = NULL;
    const char *k;
    json_t *x;
    char sub_name[256];
    int rc = -1;

    *out = NULL;
    if (!json_is_object(v)) {
        const struct scim_attr *value_sub = scim_attr_find(a->sub, a->n_sub, "value");
        if (!value_sub || json_is_array(v))
            return wrong_type(a, name, err);
        snprintf(sub_name, sizeof(sub_name), "%s.value", name);
        if (scim_value_canon_single(value_sub, v, sub_name, &sv, err) != 0)
            return -1;
        o = json_object();
        if (!o || (sv && json_object_set_new(o, value_sub->name, sv) != 0))
            goto oom;
        goto check;
    }
    o = json_object();
    if (!o)
        goto oom;
    json_object_foreach((json_t *)v, k, x) {
        const struct scim_attr *s = scim_attr_find(a->sub, a->n_sub, k);
        if (!s || s->mutability == SCIM_M_READ_ONLY)
            continue;
        if (json_object_get(o, s->name)) {
            scim_error_set(err, 400, "invalidSyntax", "attribute '%s.%s' given twice", name,
                           s->name);
            goto out;
        }
        snprintf(sub_name, sizeof(sub_name), "%s.%s", name, s->name);
        if (scim_value_canon(s, x, sub_name, &sv, err) != 0)
            goto out;
        if (sv && json_object_set_new(o, s->name, sv) != 0)
            goto oom;
    }
check:
    if (json_object_size(o) == 0) {
        rc = 0; /* an empty complex value is unassigned */
        goto out;
    }
    for (size_t i = 0; i < a->n_sub; i++) {
        const struct scim_attr *s = &a->sub[i];
        if (s->required && s->mutability != SCIM_M_READ_ONLY && !json_object_get(o, s->name)) {
            scim_error_set(err, 400, "invalidValue", "attribute '%s.%s' is required", name,
                           s->name);
            goto out;
        }
    }
    *out = o;
    o = NULL;
    rc = 0;
    goto out;
oom:
    scim_error_set(err, 500, NULL, "out of memory");
out:
    json_decref(o);
    return rc;
}

int scim_value_canon_single(const struct scim_attr *a, const json_t *v, const char *name,
                            json_t **out, struct scim_error *err)
{
    struct scim_time t;

    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    switch (a->type) {
    case SCIM_T_COMPLEX:
        return canon_complex(a, v, name, out, err);
    case SCIM_T_BOOLEAN: {
        int b = scim_json_bool(v);
        if (b < 0)
            return wrong_type(a, name, err);
        *out = json_boolean(b);
        return 0;
    }
    case SCIM_T_INTEGER:
        if (!json_is_integer(v))
            return wrong_type(a, name, err);
        break;
    case SCIM_T_DECIMAL:
        if (!json_is_number(v))
            return wrong_type(a, name, err);
        break;
    case SCIM_T_DATETIME:
        if (!json_is_string(v) || scim_datetime_parse(json_string_value(v), &t) != 0)
            return wrong_type(a, name, err);
        break;
    case SCIM_T_BINARY:
        if (!json_is_string(v) || !is_base64(json_string_value(v)))
            return wrong_type(a, name, err);
        break;
    default:
        if (!json_is_string(v))
            return wrong_type(a, name, err);
        break;
    }
    *out = json_incref((json_t *)v);
    return 0;
}

static int canon_multi(const struct scim_attr *a, const json_t *v, const char *name,
                       json_t **out, struct scim_error *err)
{
    json_t *arr = json_array(), *ev = NULL;
    size_t i, primaries = 0;
    json_t *x;
    int rc = -1;

    *out = NULL;
    if (!arr)
        goto oom;
    if (!json_is_array(v)) {
        if (scim_value_canon_single(a, v, name, &ev, err) != 0)
            goto out;
        if (ev && json_array_append_new(arr, ev) != 0)
            goto oom;
    } else {
        json_array_foreach(v, i, x) {
            if (scim_value_canon_single(a, x, name, &ev, err) != 0)
                goto out;
            if (ev && json_array_append_new(arr, ev) != 0)
                goto oom;
        }
    }
    json_array_foreach(arr, i, x) {
        if (scim_value_is_primary(x))
            primaries++;
    }
    if (primaries > 1) {
        scim_error_set(err, 400, "invalidValue",
                       "attribute '%s': at most one value may have primary=true", name);
        goto out;
    }
    if (json_array_size(arr) > 0) {
        *out = arr;
        arr = NULL;
    }
    rc = 0;
    goto out;
oom:
    scim_error_set(err, 500, NULL, "out of memory");
out:
    json_decref(arr);
    return rc;
}

int scim_value_canon(const struct scim_attr *a, const json_t *v, const char *name, json_t **out,
                     struct scim_error *err)
{
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (a->multi_valued)
        return canon_multi(a, v, name, out, err);
    if (json_is_array(v)) {
        /* Entra's pre-2020 dialect: a single value sent as [{"value": x}] or [x]. */
        const json_t *only = json_array_size(v) == 1 ? json_array_get(v, 0) : NULL;
        if (only && json_is_object(only) &&
            json_object_size(only) == 1 && scim_json_get_ci(only, "value", NULL))
            only = scim_json_get_ci(only, "value", NULL);
        if (json_array_size(v) == 0)
            return 0;
        if (!only || a->type == SCIM_T_COMPLEX || json_is_array(only) || json_is_object(only))
            return scim_error_set(err, 400, "invalidValue",
                                  "attribute '%s' is single-valued: expected %s, not an array",
                                  name, type_noun(a->type));
        return scim_value_canon_single(a, only, name, out, err);
    }
    return scim_value_canon_single(a, v, name, out, err);
}
