/* SPDX-License-Identifier: MIT */
/* PATCH operations (RFC 7644 §3.5.2) applied to a working copy of the resource. */
#include "patch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_util.h"
#include "patch_path.h"
#include "validate.h"
#include "value.h"

enum op_kind { OP_ADD, OP_REPLACE, OP_REMOVE };

struct op {
    enum op_kind kind;
    json_t *res; /* the working copy */
    const struct scim_resource_type *rt;
    struct scim_error *err;
};

static const char *attr_label(const struct patch_path *pp, char *buf, size_t size)
{
    if (!pp->attr)
        snprintf(buf, size, "%s", pp->schema->urn);
    else if (pp->sub)
        snprintf(buf, size, "%s.%s", pp->attr->name, pp->sub->name);
    else
        snprintf(buf, size, "%s", pp->attr->name);
    return buf;
}

/* The object holding pp's attribute; created on demand for extensions. */
static json_t *container(struct op *o, const struct patch_path *pp, bool create)
{
    const char *key = NULL;
    json_t *c;

    if (pp->schema == o->rt->core)
        return o->res;
    c = scim_json_get_ci(o->res, pp->schema->urn, &key);
    if (json_is_object(c) || !create)
        return json_is_object(c) ? c : NULL;
    c = json_object();
    if (scim_json_set_ci_new(o->res, pp->schema->urn, c) != 0)
        return NULL;
    return c;
}

static int oom(struct op *o)
{
    return scim_error_set(o->err, 500, NULL, "out of memory");
}

static bool strings_equal(const json_t *x, const json_t *y, bool exact)
{
    if (!json_is_string(x) || !json_is_string(y))
        return json_equal(x, y);
    return exact ? strcmp(json_string_value(x), json_string_value(y)) == 0
                 : strcasecmp(json_string_value(x), json_string_value(y)) == 0;
}

/* Refuses to change an immutable (sub-)attribute that already has a different value. */
static int check_immutable(struct op *o, const struct scim_attr *a, const json_t *old,
                           const json_t *new_value, const char *label)
{
    if (a->mutability != SCIM_M_IMMUTABLE || !old || json_is_null(old))
        return 0;
    if (new_value && strings_equal(old, new_value, a->case_exact))
        return 0;
    return scim_error_set(o->err, 400, "mutability", "attribute '%s' is immutable", label);
}

/* Sets obj[sub] = v (stolen; NULL removes), honouring immutability. */
static int set_sub(struct op *o, json_t *obj, const struct scim_attr *parent,
                   const struct scim_attr *sub, json_t *v)
{
    char label[256];

    snprintf(label, sizeof(label), "%s.%s", parent->name, sub->name);
    if (check_immutable(o, sub, scim_json_get_ci(obj, sub->name, NULL), v, label) != 0) {
        json_decref(v);
        return -1;
    }
    if (!v) {
        scim_json_del_ci(obj, sub->name);
        return 0;
    }
    return scim_json_set_ci_new(obj, sub->name, v) == 0 ? 0 : oom(o);
}

/* Merges the members of src (a canonical complex value) into dst. With keep_immutable,
 * immutable sub-attributes dst already has are kept instead of refused: re-adding a member
 * the IdP knows by another $ref is not an attempt to change it. */
static int merge_complex(struct op *o, json_t *dst, const struct scim_attr *a, const json_t *src,
                         bool keep_immutable)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)src, k, v) {
        const struct scim_attr *sub = scim_attr_find(a->sub, a->n_sub, k);
        if (!sub)
            continue;
        if (keep_immutable && sub->mutability == SCIM_M_IMMUTABLE &&
            scim_json_get_ci(dst, sub->name, NULL))
            continue;
        if (set_sub(o, dst, a, sub, json_incref(v)) != 0)
            return -1;
    }
    return 0;
}

/* Do two elements of a multi-valued attribute denote the same value? With a "value"
 * sub-attribute: equal values and, when both have one, equal types; else deep equality. */
static bool same_element(const struct scim_attr *a, const json_t *x, const json_t *y)
{
    const struct scim_attr *vs = a->type == SCIM_T_COMPLEX
                                     ? scim_attr_find(a->sub, a->n_sub, "value") : NULL;
    if (!vs)
        return json_equal(x, y);
    const json_t *xv = scim_json_get_ci(x, "value", NULL), *yv = scim_json_get_ci(y, "value", NULL);
    if (!xv || !yv || !strings_equal(xv, yv, vs->case_exact))
        return false;
    const json_t *xt = scim_json_get_ci(x, "type", NULL), *yt = scim_json_get_ci(y, "type", NULL);
    return !xt || !yt || strings_equal(xt, yt, false);
}

/* After `keep` became primary, no other element may be. */
static void clear_other_primaries(json_t *arr, const json_t *keep)
{
    size_t i;
    json_t *x;

    json_array_foreach(arr, i, x) {
        if (x != keep && scim_value_is_primary(x))
            scim_json_set_ci_new(x, "primary", json_false());
    }
}

static int check_primaries(struct op *o, const struct scim_attr *a, const json_t *arr)
{
    size_t i, n = 0;
    json_t *x;

    json_array_foreach(arr, i, x) {
        n += scim_value_is_primary(x) ? 1 : 0;
    }
    if (n > 1)
        return scim_error_set(o->err, 400, "invalidValue",
                              "attribute '%s': at most one value may have primary=true", a->name);
    return 0;
}

/* The array of multi-valued attribute a in c, created (empty) when asked. */
static json_t *multi_array(json_t *c, const struct scim_attr *a, bool create)
{
    json_t *arr = scim_json_get_ci(c, a->name, NULL);

    if (json_is_array(arr) || !create)
        return json_is_array(arr) ? arr : NULL;
    arr = json_array();
    if (scim_json_set_ci_new(c, a->name, arr) != 0)
        return NULL;
    return arr;
}

/* Elements left with no sub-attribute at all carry no value. */
static void drop_empty_elements(json_t *arr)
{
    size_t i = 0;

    while (i < json_array_size(arr)) {
        json_t *x = json_array_get(arr, i);
        if (json_is_object(x) && json_object_size(x) == 0)
            json_array_remove(arr, i);
        else
            i++;
    }
}

/* Drops the attribute when its array or object became empty. */
static void prune(json_t *c, const struct scim_attr *a)
{
    json_t *v = scim_json_get_ci(c, a->name, NULL);

    if ((json_is_array(v) && json_array_size(v) == 0) ||
        (json_is_object(v) && json_object_size(v) == 0))
        scim_json_del_ci(c, a->name);
}

/* Lookup key of an element: its "value" sub-attribute, ASCII-lowercased unless that is
 * caseExact (the same equality same_element uses). NULL when it has none. Large groups make
 * membership changes hot: keys keep add/remove linear instead of quadratic. */
static char *element_key(const struct scim_attr *a, const json_t *el)
{
    const struct scim_attr *vs = a->type == SCIM_T_COMPLEX
                                     ? scim_attr_find(a->sub, a->n_sub, "value") : NULL;
    const char *v = vs ? json_string_value(scim_json_get_ci(el, "value", NULL)) : NULL;
    char *key = v ? strdup(v) : NULL;

    for (char *p = key; p && !vs->case_exact && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return key;
}

/* index[key] = position in arr of the first element with that key. */
static int index_elements(const struct scim_attr *a, const json_t *arr, json_t *index)
{
    size_t i;
    json_t *x;

    json_array_foreach(arr, i, x) {
        char *key = element_key(a, x);
        int rc = 0;
        if (key && !json_object_get(index, key))
            rc = json_object_set_new(index, key, json_integer((json_int_t)i));
        free(key);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* The element of arr denoting the same value as e, or NULL. */
static json_t *find_same(const struct scim_attr *a, json_t *arr, const json_t *index,
                         const json_t *e)
{
    char *key = element_key(a, e);
    json_t *hit = key ? json_object_get(index, key) : NULL;
    json_t *cand = hit ? json_array_get(arr, (size_t)json_integer_value(hit)) : NULL;
    bool keyed = key != NULL;
    size_t j;
    json_t *x;

    free(key);
    if (cand && same_element(a, cand, e))
        return cand;
    if (keyed && !hit)
        return NULL; /* no element has this value */
    json_array_foreach(arr, j, x) {
        if (same_element(a, x, e))
            return x;
    }
    return NULL;
}

/* add to a multi-valued attribute: append, merging elements that denote the same value. */
static int append_values(struct op *o, json_t *c, const struct scim_attr *a, const json_t *vals)
{
    json_t *arr = multi_array(c, a, true), *index = json_object();
    size_t i;
    json_t *e;
    int rc = -1;

    if (!arr || !index || index_elements(a, arr, index) != 0)
        goto oom;
    json_array_foreach(vals, i, e) {
        json_t *target = find_same(a, arr, index, e);
        if (target) {
            if (a->type == SCIM_T_COMPLEX && merge_complex(o, target, a, e, true) != 0)
                goto out;
        } else {
            target = json_deep_copy(e);
            if (json_array_append_new(arr, target) != 0)
                goto oom;
            char *key = element_key(a, target);
            int set_rc = key && !json_object_get(index, key)
                ? json_object_set_new(index, key, json_integer((json_int_t)json_array_size(arr) - 1))
                : 0;
            free(key);
            if (set_rc != 0)
                goto oom;
        }
        if (scim_value_is_primary(e))
            clear_other_primaries(arr, target);
    }
    if (check_primaries(o, a, arr) != 0)
        goto out;
    prune(c, a); /* may free arr */
    rc = 0;
    goto out;
oom:
    rc = oom(o);
out:
    json_decref(index);
    return rc;
}

static int remove_required(struct op *o, const struct scim_attr *a, const char *label)
{
    if (a->required)
        return scim_error_set(o->err, 400, "mutability",
                              "attribute '%s' is required and cannot be removed", label);
    return 0;
}

/* add/replace of a whole attribute: path "attr" (no filter, no sub-attribute). */
static int set_whole(struct op *o, const struct patch_path *pp, const json_t *value)
{
    const struct scim_attr *a = pp->attr;
    json_t *cv = NULL, *c;
    char label[256];
    int rc = -1;

    attr_label(pp, label, sizeof(label));
    if (scim_value_canon(a, value, label, &cv, o->err) != 0)
        return -1;
    c = container(o, pp, cv != NULL);
    if (!cv) {
        /* add of nothing changes nothing; replace with null/empty unassigns */
        rc = 0;
        if (o->kind == OP_REPLACE && c) {
            if (remove_required(o, a, label) != 0 ||
                check_immutable(o, a, scim_json_get_ci(c, a->name, NULL), NULL, label) != 0)
                return -1;
            scim_json_del_ci(c, a->name);
        }
        return rc;
    }
    if (!c)
        goto oom;
    json_t *old = scim_json_get_ci(c, a->name, NULL);
    if (a->multi_valued && o->kind == OP_ADD) {
        rc = append_values(o, c, a, cv);
        goto out;
    }
    if (!a->multi_valued) {
        if (a->type == SCIM_T_COMPLEX && json_is_object(old)) {
            /* RFC 7644 §3.5.2.1/.3: sub-attributes not given are left unchanged */
            rc = merge_complex(o, old, a, cv, false);
            goto out;
        }
        if (check_immutable(o, a, old, cv, label) != 0)
            goto out;
    }
    /* A multi-valued replace, or a single value: cv replaces what was there. */
    if (scim_json_set_ci_new(c, a->name, cv) != 0) {
        cv = NULL;
        goto oom;
    }
    cv = NULL;
    rc = 0;
    goto out;
oom:
    rc = oom(o);
out:
    json_decref(cv);
    return rc;
}

/* add/replace of "attr.sub" without a filter. */
static int set_sub_all(struct op *o, const struct patch_path *pp, const json_t *value)
{
    json_t *cv = NULL, *c, *v;
    char label[256];

    attr_label(pp, label, sizeof(label));
    if (scim_value_canon(pp->sub, value, label, &cv, o->err) != 0)
        return -1;
    if (!cv && o->kind == OP_ADD)
        return 0;
    if (!cv && remove_required(o, pp->sub, label) != 0)
        return -1;
    c = container(o, pp, true);
    if (!c) {
        json_decref(cv);
        return oom(o);
    }
    v = scim_json_get_ci(c, pp->attr->name, NULL);
    if (pp->attr->multi_valued) {
        json_t *arr = multi_array(c, pp->attr, true);
        size_t i;
        json_t *x;
        if (!arr) {
            json_decref(cv);
            return oom(o);
        }
        if (json_array_size(arr) == 0 && cv) {
            json_t *e = json_object();
            if (json_array_append_new(arr, e) != 0) {
                json_decref(cv);
                return oom(o);
            }
        }
        json_array_foreach(arr, i, x) {
            if (json_is_object(x) && set_sub(o, x, pp->attr, pp->sub, json_incref(cv)) != 0) {
                json_decref(cv);
                return -1;
            }
        }
        json_decref(cv);
        if (check_primaries(o, pp->attr, arr) != 0)
            return -1;
        prune(c, pp->attr); /* may free arr */
        return 0;
    }
    if (!json_is_object(v)) {
        if (!cv)
            return 0;
        v = json_object();
        if (scim_json_set_ci_new(c, pp->attr->name, v) != 0) {
            json_decref(cv);
            return oom(o);
        }
    }
    if (set_sub(o, v, pp->attr, pp->sub, cv) != 0)
        return -1;
    prune(c, pp->attr);
    return 0;
}

/* Elements of pp->attr matching pp->filter, collected into `hits` (borrowed refs). */
static void matching_elements(json_t *c, const struct patch_path *pp, json_t *hits)
{
    json_t *v = scim_json_get_ci(c, pp->attr->name, NULL);
    size_t i;
    json_t *x;

    if (json_is_object(v)) {
        if (scim_filter_match_element(pp->filter, v))
            json_array_append(hits, v);
        return;
    }
    json_array_foreach(v, i, x) {
        if (scim_filter_match_element(pp->filter, x))
            json_array_append(hits, x);
    }
}

static int no_target(struct op *o, const struct patch_path *pp)
{
    char label[256];
    return scim_error_set(o->err, 400, "noTarget", "no value of '%s' matches the filter",
                          attr_label(pp, label, sizeof(label)));
}

/* add/replace with a filter where nothing matched: build the element the filter describes
 * (Entra: add emails[type eq "work"].value on a user without a work email). */
static int create_from_filter(struct op *o, json_t *c, const struct patch_path *pp,
                              const json_t *value)
{
    const struct scim_attr *a = pp->attr;
    json_t *e = json_object(), *cv = NULL, *ce = NULL;
    char label[256];
    int rc = -1;

    attr_label(pp, label, sizeof(label));
    if (!e)
        return oom(o);
    if (scim_filter_element_template(pp->filter, e) != 0) {
        rc = no_target(o, pp);
        goto out;
    }
    if (pp->sub) {
        if (scim_value_canon(pp->sub, value, label, &cv, o->err) != 0)
            goto out;
        if (!cv) {
            rc = 0; /* nothing to create */
            goto out;
        }
        if (json_object_set_new(e, pp->sub->name, cv) != 0)
            goto oom;
    } else {
        const json_t *src = value;
        if (json_is_array(src) && json_array_size(src) == 1)
            src = json_array_get(src, 0);
        if (scim_value_canon_single(a, src, label, &cv, o->err) != 0)
            goto out;
        if (cv && json_object_update(e, cv) != 0) {
            json_decref(cv);
            goto oom;
        }
        json_decref(cv);
    }
    if (scim_value_canon_single(a, e, label, &ce, o->err) != 0)
        goto out;
    if (!ce) {
        rc = 0;
        goto out;
    }
    json_t *one = json_array();
    if (!one || json_array_append_new(one, ce) != 0) {
        json_decref(one);
        goto oom;
    }
    rc = append_values(o, c, a, one);
    json_decref(one);
    goto out;
oom:
    rc = oom(o);
out:
    json_decref(e);
    return rc;
}

/* add/replace with a value filter: attr[filter] or attr[filter].sub. */
static int set_filtered(struct op *o, const struct patch_path *pp, const json_t *value)
{
    json_t *c = container(o, pp, true), *hits = json_array(), *cv = NULL, *arr;
    const struct scim_attr *a = pp->attr;
    char label[256];
    size_t i;
    json_t *x;
    int rc = -1;

    attr_label(pp, label, sizeof(label));
    if (!c || !hits)
        goto oom;
    matching_elements(c, pp, hits);
    if (json_array_size(hits) == 0) {
        /* Creating is for multi-valued attributes: a single complex value that does not
         * match the filter is not ours to overwrite. */
        if (a->multi_valued && (pp->sub || o->kind == OP_ADD))
            rc = create_from_filter(o, c, pp, value);
        else
            rc = no_target(o, pp);
        goto out;
    }
    if (pp->sub) {
        if (scim_value_canon(pp->sub, value, label, &cv, o->err) != 0)
            goto out;
        if (!cv && o->kind == OP_ADD) {
            rc = 0;
            goto out;
        }
        if (!cv && remove_required(o, pp->sub, label) != 0)
            goto out;
    } else {
        const json_t *src = value;
        if (json_is_array(src) && json_array_size(src) == 1)
            src = json_array_get(src, 0);
        if (scim_value_canon_single(a, src, label, &cv, o->err) != 0)
            goto out;
        if (!cv) {
            rc = 0;
            goto out;
        }
    }
    bool sets_primary = pp->sub ? strcmp(pp->sub->name, "primary") == 0 && json_is_true(cv)
                                : scim_value_is_primary(cv);
    json_array_foreach(hits, i, x) {
        if (pp->sub) {
            if (set_sub(o, x, a, pp->sub, json_incref(cv)) != 0)
                goto out;
        } else if (merge_complex(o, x, a, cv, false) != 0) {
            goto out;
        }
    }
    arr = scim_json_get_ci(c, a->name, NULL);
    if (json_is_array(arr)) {
        if (sets_primary && json_array_size(hits) == 1)
            clear_other_primaries(arr, json_array_get(hits, 0));
        drop_empty_elements(arr);
        if (check_primaries(o, a, arr) != 0)
            goto out;
    }
    prune(c, a);
    rc = 0;
    goto out;
oom:
    rc = oom(o);
out:
    json_decref(cv);
    json_decref(hits);
    return rc;
}

/* remove of attr.sub (all elements) or attr[filter].sub / attr[filter]. */
static int remove_in_elements(struct op *o, const struct patch_path *pp)
{
    json_t *c = container(o, pp, false), *v, *hits = NULL;
    const struct scim_attr *a = pp->attr;
    char label[256];
    size_t i;
    json_t *x;
    int rc = -1;

    attr_label(pp, label, sizeof(label));
    if (pp->sub && remove_required(o, pp->sub, label) != 0)
        return -1;
    v = c ? scim_json_get_ci(c, a->name, NULL) : NULL;
    if (!pp->filter) {
        /* "name.givenName" / "emails.type": from the value or every element */
        if (json_is_object(v)) {
            if (set_sub(o, v, a, pp->sub, NULL) != 0)
                return -1;
        } else {
            json_array_foreach(v, i, x) {
                if (json_is_object(x) && set_sub(o, x, a, pp->sub, NULL) != 0)
                    return -1;
            }
            drop_empty_elements(v);
        }
        if (c)
            prune(c, a);
        return 0;
    }
    hits = json_array();
    if (!hits)
        return oom(o);
    if (c)
        matching_elements(c, pp, hits);
    if (json_array_size(hits) == 0) {
        rc = no_target(o, pp);
        goto out;
    }
    json_array_foreach(hits, i, x) {
        if (pp->sub) {
            if (set_sub(o, x, a, pp->sub, NULL) != 0)
                goto out;
        } else if (json_is_object(v)) {
            scim_json_del_ci(c, a->name);
        } else {
            for (size_t j = 0; j < json_array_size(v); j++) {
                if (json_array_get(v, j) == x) {
                    json_array_remove(v, j);
                    break;
                }
            }
        }
    }
    v = scim_json_get_ci(c, a->name, NULL);
    if (json_is_array(v))
        drop_empty_elements(v);
    prune(c, a);
    rc = 0;
out:
    json_decref(hits);
    return rc;
}

/* Removes from c's multi-valued attribute a the elements denoting a value in cv (stolen). */
static int remove_values(struct op *o, json_t *c, const struct scim_attr *a, json_t *cv)
{
    json_t *arr = scim_json_get_ci(c, a->name, NULL), *index = json_object(),
           *kept = json_array();
    size_t i;
    json_t *x;
    int rc = -1;

    if (!index || !kept || index_elements(a, cv, index) != 0)
        goto oom;
    json_array_foreach(arr, i, x) {
        if (find_same(a, cv, index, x))
            continue;
        if (json_array_append(kept, x) != 0)
            goto oom;
    }
    if (json_is_array(arr) && json_array_size(kept) != json_array_size(arr)) {
        if (scim_json_set_ci_new(c, a->name, kept) != 0) {
            kept = NULL;
            goto oom;
        }
        kept = NULL;
        prune(c, a);
    }
    rc = 0;
    goto out;
oom:
    rc = oom(o);
out:
    json_decref(kept);
    json_decref(index);
    json_decref(cv);
    return rc;
}

/* remove of a whole attribute; with a value on a multi-valued attribute, only the elements
 * denoting those values (Entra: remove "members" with [{"value": id}]). */
static int remove_whole(struct op *o, const struct patch_path *pp, const json_t *value)
{
    const struct scim_attr *a = pp->attr;
    json_t *c = container(o, pp, false), *cv = NULL;
    char label[256];

    attr_label(pp, label, sizeof(label));
    if (remove_required(o, a, label) != 0)
        return -1;
    if (!c)
        return 0;
    if (a->multi_valued && value && !json_is_null(value)) {
        if (scim_value_canon(a, value, label, &cv, o->err) != 0)
            return -1;
        return remove_values(o, c, a, cv);
    }
    if (check_immutable(o, a, scim_json_get_ci(c, a->name, NULL), NULL, label) != 0)
        return -1;
    scim_json_del_ci(c, a->name);
    return 0;
}

static int apply_path(struct op *o, const struct patch_path *pp, const json_t *value);

/* No path (or a path naming an extension): value is an object of attributes to add/replace.
 * Members naming readOnly or unknown attributes are ignored, as in a PUT body (Okta sends
 * the group's "id" along with a new displayName). */
static int apply_object(struct op *o, const struct scim_schema *only, const json_t *value)
{
    const char *k;
    json_t *v;

    if (!json_is_object(value))
        return scim_error_set(o->err, 400, "invalidValue",
                              "an operation without a path needs an object value");
    json_object_foreach((json_t *)value, k, v) {
        struct patch_path pp = {0};
        const struct scim_schema *s = NULL;
        const struct scim_attr *parent = NULL, *a;

        if (only) {
            a = scim_attr_find(only->attrs, only->n_attrs, k);
            s = only;
        } else if (strcasecmp(k, "schemas") == 0) {
            continue;
        } else if ((s = scim_schema_find(o->rt, k))) {
            if (json_is_null(v) && s != o->rt->core && o->kind == OP_REPLACE) {
                scim_json_del_ci(o->res, s->urn);
                continue;
            }
            if (!json_is_object(v))
                return scim_error_set(o->err, 400, "invalidValue", "'%s' must be an object",
                                      s->urn);
            if (apply_object(o, s, v) != 0)
                return -1;
            continue;
        } else if (strchr(k, '[')) {
            /* a value-path key ("emails[type eq \"work\"].value": ...) */
            struct scim_error ignored;
            if (patch_path_parse(k, strlen(k), o->rt, &pp, &ignored) != 0)
                continue;
            int rc = 0;
            if (pp.attr->mutability != SCIM_M_READ_ONLY &&
                !(pp.sub && pp.sub->mutability == SCIM_M_READ_ONLY))
                rc = apply_path(o, &pp, v);
            patch_path_clear(&pp);
            if (rc != 0)
                return -1;
            continue;
        } else {
            a = scim_attr_resolve(o->rt, k, &s, &parent);
        }
        if (!a)
            continue;
        pp.schema = s;
        pp.attr = parent ? parent : a;
        pp.sub = parent ? a : NULL;
        if (pp.attr->mutability == SCIM_M_READ_ONLY ||
            (pp.sub && pp.sub->mutability == SCIM_M_READ_ONLY))
            continue;
        if (apply_path(o, &pp, v) != 0)
            return -1;
    }
    return 0;
}

static int apply_path(struct op *o, const struct patch_path *pp, const json_t *value)
{
    char label[256];

    if (!pp->attr) {
        if (o->kind == OP_REMOVE) {
            scim_json_del_ci(o->res, pp->schema->urn);
            return 0;
        }
        return apply_object(o, pp->schema, value);
    }
    if (pp->attr->mutability == SCIM_M_READ_ONLY ||
        (pp->sub && pp->sub->mutability == SCIM_M_READ_ONLY))
        return scim_error_set(o->err, 400, "mutability", "attribute '%s' is readOnly",
                              attr_label(pp, label, sizeof(label)));
    if (o->kind == OP_REMOVE) {
        if (pp->filter || pp->sub)
            return remove_in_elements(o, pp);
        return remove_whole(o, pp, value);
    }
    if (pp->filter)
        return set_filtered(o, pp, value);
    if (pp->sub)
        return set_sub_all(o, pp, value);
    return set_whole(o, pp, value);
}

static int parse_op_kind(const json_t *opv, enum op_kind *kind, struct scim_error *err)
{
    const char *s = json_string_value(opv);

    if (!s)
        return scim_error_set(err, 400, "invalidSyntax", "\"op\" must be a string");
    if (strcasecmp(s, "add") == 0)
        *kind = OP_ADD;
    else if (strcasecmp(s, "replace") == 0)
        *kind = OP_REPLACE;
    else if (strcasecmp(s, "remove") == 0)
        *kind = OP_REMOVE;
    else
        return scim_error_set(err, 400, "invalidSyntax",
                              "\"op\" must be add, replace or remove, not '%.40s'", s);
    return 0;
}

static int apply_operation(json_t *work, const json_t *opj, const struct scim_resource_type *rt,
                           struct scim_error *err)
{
    struct op o = {.res = work, .rt = rt, .err = err};
    struct patch_path pp = {0};
    const json_t *path, *value;
    int rc;

    if (!json_is_object(opj))
        return scim_error_set(err, 400, "invalidSyntax", "an operation must be an object");
    if (parse_op_kind(scim_json_get_ci(opj, "op", NULL), &o.kind, err) != 0)
        return -1;
    path = scim_json_get_ci(opj, "path", NULL);
    value = scim_json_get_ci(opj, "value", NULL);
    if (o.kind != OP_REMOVE && !value)
        return scim_error_set(err, 400, "invalidSyntax", "\"%s\" needs a \"value\"",
                              o.kind == OP_ADD ? "add" : "replace");
    if (!path || json_is_null(path)) {
        if (o.kind == OP_REMOVE)
            return scim_error_set(err, 400, "noTarget", "\"remove\" needs a \"path\"");
        return apply_object(&o, NULL, value);
    }
    if (!json_is_string(path) || strlen(json_string_value(path)) != json_string_length(path))
        return scim_error_set(err, 400, "invalidPath", "\"path\" must be a string");
    if (patch_path_parse(json_string_value(path), json_string_length(path), rt, &pp, err) != 0)
        return -1;
    rc = apply_path(&o, &pp, value);
    patch_path_clear(&pp);
    return rc;
}

static bool has_patch_schema(const json_t *schemas)
{
    size_t i;
    json_t *x;

    json_array_foreach(schemas, i, x) {
        if (json_is_string(x) && strcasecmp(json_string_value(x), SCIM_URN_PATCH_OP) == 0)
            return true;
    }
    return false;
}

/* Required attributes may not be left blank by a sequence of operations. */
static int check_required(const json_t *res, const struct scim_schema *s, struct scim_error *err)
{
    for (size_t i = 0; i < s->n_attrs; i++) {
        const struct scim_attr *a = &s->attrs[i];
        if (!a->required || a->mutability == SCIM_M_READ_ONLY)
            continue;
        const json_t *v = scim_json_get_ci(res, a->name, NULL);
        const char *str = json_string_value(v);
        while (str && isspace((unsigned char)*str))
            str++;
        if (!v || (str && !*str))
            return scim_error_set(err, 400, "invalidValue", "attribute '%s' is required",
                                  a->name);
    }
    return 0;
}

int scim_patch_apply(json_t *res, const json_t *request, const struct scim_resource_type *rt,
                     struct scim_error *err)
{
    json_t *work = NULL;
    const json_t *ops, *opj;
    size_t i;
    int rc = -1;

    if (!json_is_object(res) || !rt)
        return scim_error_set(err, 500, NULL, "PATCH applied to something not a resource");
    if (!json_is_object(request))
        return scim_error_set(err, 400, "invalidSyntax", "the PATCH body must be an object");
    if (!has_patch_schema(scim_json_get_ci(request, "schemas", NULL)))
        return scim_error_set(err, 400, "invalidSyntax",
                              "\"schemas\" must contain \"" SCIM_URN_PATCH_OP "\"");
    ops = scim_json_get_ci(request, "Operations", NULL);
    if (!json_is_array(ops) || json_array_size(ops) == 0)
        return scim_error_set(err, 400, "invalidSyntax",
                              "\"Operations\" must be a non-empty array");
    work = json_deep_copy(res);
    if (!work)
        return scim_error_set(err, 500, NULL, "out of memory");
    json_array_foreach(ops, i, opj) {
        if (apply_operation(work, opj, rt, err) != 0) {
            scim_error_prefix(err, "Operations[%zu]: ", i);
            goto out;
        }
    }
    if (check_required(work, rt->core, err) != 0)
        goto out;
    if (scim_resource_fix_schemas(work, rt) != 0 || json_object_clear(res) != 0 ||
        json_object_update(res, work) != 0) {
        scim_error_set(err, 500, NULL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_decref(work);
    return rc;
}
