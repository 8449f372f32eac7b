/* SPDX-License-Identifier: MIT */
/* attributes / excludedAttributes (RFC 7644 §3.4.2.5): which attributes a response carries. */
#include "validate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter.h"
#include "json_util.h"

#define ALL_SUBS UINT64_MAX

/* What one list says about one top-level attribute. */
struct pick {
    bool all;
    uint64_t subs; /* bit i: sub-attribute i of the attribute */
    /* attributes=emails[type eq "work"]: only the values some filter matches, unless the
     * attribute was also named plainly (then every value). */
    struct scim_filter **where;
    size_t n_where;
    bool plain;
};

/* Picks for every attribute of every schema of rt; schema i's attributes start at off[i]. */
struct picks {
    struct pick *p;
    size_t off[8];
    size_t total;
    bool given; /* the list was present and non-empty */
};

static const struct scim_schema *schema_at(const struct scim_resource_type *rt, size_t i)
{
    return i == 0 ? rt->core : rt->extensions[i - 1];
}

static size_t schema_index(const struct scim_resource_type *rt, const struct scim_schema *s)
{
    for (size_t i = 1; i <= rt->n_extensions; i++) {
        if (rt->extensions[i - 1] == s)
            return i;
    }
    return 0;
}

/* Index of the ']' closing the '[' at s[open], skipping quoted strings; len if none. */
static size_t closing_bracket(const char *s, size_t len, size_t open)
{
    bool quoted = false;

    for (size_t i = open + 1; i < len; i++) {
        if (quoted && s[i] == '\\')
            i++;
        else if (s[i] == '"')
            quoted = !quoted;
        else if (!quoted && s[i] == ']')
            return i;
    }
    return len;
}

/* A value path (emails[type eq "work"] or emails[type eq "work"].value) names its attribute
 * (or that sub-attribute). For `attributes` its filter also narrows the values returned;
 * a filter that does not parse leaves the attribute whole. Anything else is ignored, like
 * an unknown name. */
static int pick_value_path(struct picks *pk, const struct scim_resource_type *rt,
                           const char *tok, size_t len, size_t open, bool filtering)
{
    const struct scim_schema *s = NULL;
    const struct scim_attr *parent = NULL, *sub = NULL;
    const struct scim_attr *a = scim_attr_resolve_n(rt, tok, open, &s, &parent);
    size_t close = closing_bracket(tok, len, open);

    if (!a || parent || a->type != SCIM_T_COMPLEX || close == len)
        return 0;
    if (close + 1 < len) {
        if (tok[close + 1] != '.' ||
            !(sub = scim_attr_find_n(a->sub, a->n_sub, tok + close + 2, len - close - 2)))
            return 0;
    }
    struct pick *pick = &pk->p[pk->off[schema_index(rt, s)] + (size_t)(a - s->attrs)];
    size_t si = sub ? (size_t)(sub - a->sub) : 0;
    if (!sub)
        pick->all = true;
    else if (si < 64)
        pick->subs |= UINT64_C(1) << si;
    if (!filtering || !a->multi_valued)
        return 0;
    struct scim_error err = {0};
    struct scim_filter *f = scim_filter_parse_element(tok + open + 1, close - open - 1, rt, a,
                                                      &err);
    if (!f) {
        pick->plain = true;
        return err.status == 500 ? -1 : 0;
    }
    struct scim_filter **where = realloc(pick->where, (pick->n_where + 1) * sizeof(*where));
    if (!where) {
        scim_filter_free(f);
        return -1;
    }
    pick->where = where;
    pick->where[pick->n_where++] = f;
    return 0;
}

static int pick_token(struct picks *pk, const struct scim_resource_type *rt, const char *tok,
                      size_t len, bool filtering)
{
    const char *open = memchr(tok, '[', len);

    if (open)
        return pick_value_path(pk, rt, tok, len, (size_t)(open - tok), filtering);
    for (size_t i = 0; i <= rt->n_extensions; i++) {
        const struct scim_schema *s = schema_at(rt, i);
        if (scim_streq_ci_n(tok, len, s->urn)) {
            for (size_t j = 0; j < s->n_attrs; j++) {
                pk->p[pk->off[i] + j].all = true;
                pk->p[pk->off[i] + j].plain = true;
            }
            return 0;
        }
    }
    const struct scim_schema *s = NULL;
    const struct scim_attr *parent = NULL;
    const struct scim_attr *a = scim_attr_resolve_n(rt, tok, len, &s, &parent);
    if (!a)
        return 0; /* unknown names are ignored (RFC 7644 §3.4.2.5 leaves it open) */
    size_t base = pk->off[schema_index(rt, s)];
    if (parent) {
        size_t si = (size_t)(a - parent->sub);
        if (si < 64)
            pk->p[base + (size_t)(parent - s->attrs)].subs |= UINT64_C(1) << si;
        pk->p[base + (size_t)(parent - s->attrs)].plain = true;
    } else {
        pk->p[base + (size_t)(a - s->attrs)].all = true;
        pk->p[base + (size_t)(a - s->attrs)].plain = true;
    }
    return 0;
}

/* End of the list item starting at s: the next ',' outside brackets and quoted strings. */
static const char *item_end(const char *s)
{
    bool quoted = false;
    int depth = 0;

    for (; *s; s++) {
        if (quoted && *s == '\\' && s[1])
            s++;
        else if (*s == '"')
            quoted = !quoted;
        else if (!quoted && *s == '[')
            depth++;
        else if (!quoted && *s == ']' && depth > 0)
            depth--;
        else if (!quoted && depth == 0 && *s == ',')
            break;
    }
    return s;
}

static void picks_free(struct picks *pk)
{
    if (!pk->p)
        return;
    for (size_t i = 0; i < pk->total; i++) {
        for (size_t j = 0; j < pk->p[i].n_where; j++)
            scim_filter_free(pk->p[i].where[j]);
        free(pk->p[i].where);
    }
    free(pk->p);
    pk->p = NULL;
}

static int picks_init(struct picks *pk, const struct scim_resource_type *rt, const char *list,
                      bool filtering)
{
    size_t total = 0;

    memset(pk, 0, sizeof(*pk));
    if (rt->n_extensions + 1 > sizeof(pk->off) / sizeof(pk->off[0]))
        return -1;
    for (size_t i = 0; i <= rt->n_extensions; i++) {
        pk->off[i] = total;
        total += schema_at(rt, i)->n_attrs;
    }
    pk->p = calloc(total, sizeof(*pk->p));
    if (!pk->p)
        return -1;
    pk->total = total;
    for (const char *s = list; s && *s;) {
        while (*s == ' ' || *s == ',')
            s++;
        const char *e = item_end(s);
        const char *t = e;
        while (t > s && t[-1] == ' ')
            t--;
        if (t > s) {
            pk->given = true;
            if (pick_token(pk, rt, s, (size_t)(t - s), filtering) < 0)
                return -1;
        }
        s = e;
    }
    return 0;
}

/* Copy of v (a value of complex attribute a) keeping the sub-attributes in mask and never
 * those returned "never"; NULL when nothing is left. */
static json_t *keep_subs(const struct scim_attr *a, const json_t *v, uint64_t mask)
{
    if (json_is_array(v)) {
        json_t *arr = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            json_t *e = keep_subs(a, x, mask);
            if (e)
                json_array_append_new(arr, e);
        }
        if (json_array_size(arr) == 0) {
            json_decref(arr);
            return NULL;
        }
        return arr;
    }
    if (!json_is_object(v))
        return json_deep_copy(v);
    json_t *o = json_object();
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) {
        const struct scim_attr *s = scim_attr_find(a->sub, a->n_sub, k);
        if (!s) {
            if (mask == ALL_SUBS)
                json_object_set_new(o, k, json_deep_copy(x));
            continue;
        }
        size_t si = (size_t)(s - a->sub);
        if (s->returned == SCIM_R_NEVER || si >= 64 || !(mask & (UINT64_C(1) << si)))
            continue;
        json_object_set_new(o, k, json_deep_copy(x));
    }
    if (json_object_size(o) == 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The values of multi-valued v that one of the pick's filters matches; NULL if none. */
static json_t *matching_values(const struct pick *inc, const json_t *v)
{
    json_t *arr = json_array();
    size_t i;
    json_t *x;

    if (!arr)
        return NULL;
    json_array_foreach(v, i, x) {
        for (size_t j = 0; j < inc->n_where; j++) {
            if (scim_filter_match_element(inc->where[j], x)) {
                json_array_append(arr, x);
                break;
            }
        }
    }
    if (json_array_size(arr) == 0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static bool is_meta(const struct scim_resource_type *rt, const struct scim_attr *a)
{
    return a == scim_attr_find(rt->core->attrs, rt->core->n_attrs, "meta");
}

/* The projected value of attribute a, or NULL to leave it out. */
static json_t *project_attr(const struct scim_resource_type *rt, const struct scim_attr *a,
                            const json_t *v, const struct pick *inc, bool inc_given,
                            const struct pick *exc)
{
    uint64_t mask = ALL_SUBS;

    if (a->returned == SCIM_R_NEVER)
        return NULL;
    if (a->returned == SCIM_R_ALWAYS)
        return json_deep_copy(v);
    if (inc_given) {
        if (!inc->all && !is_meta(rt, a)) {
            if (!inc->subs)
                return NULL;
            mask = inc->subs;
        }
    } else if (a->returned == SCIM_R_REQUEST) {
        return NULL;
    }
    if (exc->all)
        return NULL;
    mask &= ~exc->subs;
    if (a->type != SCIM_T_COMPLEX)
        return json_deep_copy(v);
    if (inc_given && inc->n_where && !inc->plain && json_is_array(v)) {
        json_t *some = matching_values(inc, v);
        json_t *out = some ? keep_subs(a, some, mask) : NULL;
        json_decref(some);
        return out;
    }
    return keep_subs(a, v, mask);
}

static json_t *project_object(const struct scim_resource_type *rt, size_t si, const json_t *src,
                              const struct picks *inc, const struct picks *exc)
{
    const struct scim_schema *s = schema_at(rt, si);
    json_t *o = json_object();
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)src, k, v) {
        const struct scim_schema *ext = si == 0 ? scim_schema_find(rt, k) : NULL;
        json_t *pv = NULL;
        if (si == 0 && strcasecmp(k, "schemas") == 0) {
            pv = json_deep_copy(v);
        } else if (ext && ext != rt->core) {
            if (json_is_object(v)) {
                pv = project_object(rt, schema_index(rt, ext), v, inc, exc);
                if (pv && json_object_size(pv) == 0) {
                    json_decref(pv);
                    pv = NULL;
                }
            }
        } else {
            const struct scim_attr *a = scim_attr_find(s->attrs, s->n_attrs, k);
            if (a) {
                size_t idx = (size_t)(a - s->attrs);
                pv = project_attr(rt, a, v, &inc->p[inc->off[si] + idx], inc->given,
                                  &exc->p[exc->off[si] + idx]);
            } else if (!inc->given) {
                pv = json_deep_copy(v); /* not ours to judge: keep what the caller stored */
            }
        }
        if (pv)
            json_object_set_new(o, k, pv);
    }
    return o;
}

/* "schemas" lists only the extensions whose objects survived the projection. */
static void drop_missing_extensions(json_t *out, const struct scim_resource_type *rt)
{
    json_t *schemas = json_object_get(out, "schemas");
    size_t i = 0;

    while (i < json_array_size(schemas)) {
        const char *urn = json_string_value(json_array_get(schemas, i));
        const struct scim_schema *s = urn ? scim_schema_find(rt, urn) : NULL;
        if (s && s != rt->core && !scim_json_get_ci(out, s->urn, NULL))
            json_array_remove(schemas, i);
        else
            i++;
    }
}

json_t *scim_resource_project(const json_t *res, const struct scim_resource_type *rt,
                              const char *attributes, const char *excluded_attributes)
{
    struct picks inc = {0}, exc = {0};
    json_t *out = NULL;

    if (!json_is_object(res) || !rt)
        return NULL;
    if (picks_init(&inc, rt, attributes, true) == 0 &&
        picks_init(&exc, rt, excluded_attributes, false) == 0)
        out = project_object(rt, 0, res, &inc, &exc);
    if (out)
        drop_missing_extensions(out, rt);
    picks_free(&inc);
    picks_free(&exc);
    return out;
}
