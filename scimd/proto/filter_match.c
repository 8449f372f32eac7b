/* SPDX-License-Identifier: MIT */
/* Evaluates a parsed filter against a resource (or one element of a complex attribute). */
#include "filter_internal.h"

#include <string.h>
#include <strings.h>

#include "json_util.h"

static bool present(const json_t *v)
{
    size_t i;
    const char *k;
    json_t *x;

    if (!v)
        return false; /* the attribute (or sub-attribute) is absent */
    switch (json_typeof(v)) {
    case JSON_NULL:
        return false;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_ARRAY:
        json_array_foreach(v, i, x) {
            if (present(x))
                return true;
        }
        return false;
    case JSON_OBJECT:
        json_object_foreach((json_t *)v, k, x) {
            if (present(x))
                return true;
        }
        return false;
    default:
        return true;
    }
}

static bool order_holds(int c, enum scim_filter_op op)
{
    switch (op) {
    case SCIM_OP_EQ: return c == 0;
    case SCIM_OP_GT: return c > 0;
    case SCIM_OP_GE: return c >= 0;
    case SCIM_OP_LT: return c < 0;
    case SCIM_OP_LE: return c <= 0;
    default: return false;
    }
}

static bool string_test(const char *v, const char *lit, enum scim_filter_op op, bool exact)
{
    size_t vl = strlen(v), ll = strlen(lit);

    switch (op) {
    case SCIM_OP_CO:
        return exact ? strstr(v, lit) != NULL : strcasestr(v, lit) != NULL;
    case SCIM_OP_SW:
        return exact ? strncmp(v, lit, ll) == 0 : strncasecmp(v, lit, ll) == 0;
    case SCIM_OP_EW:
        return vl >= ll && (exact ? strcmp(v + vl - ll, lit) : strcasecmp(v + vl - ll, lit)) == 0;
    default:
        return order_holds(exact ? strcmp(v, lit) : strcasecmp(v, lit), op);
    }
}

static int number_cmp(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return x < y ? -1 : x > y;
    }
    double x = json_number_value(a), y = json_number_value(b);
    return x < y ? -1 : x > y;
}

/* One scalar value against the comparison; op is never NE or PR here. */
static bool scalar_test(const json_t *v, const struct scim_filter *f, enum scim_filter_op op)
{
    const struct scim_attr *t = f->sub ? f->sub : f->attr;
    struct scim_time tv;

    if (!v || json_is_null(v))
        return false;
    switch (t->type) {
    case SCIM_T_BOOLEAN: {
        int b = scim_json_bool(v);
        return b >= 0 && b == (json_is_true(f->value) ? 1 : 0);
    }
    case SCIM_T_INTEGER:
    case SCIM_T_DECIMAL:
        return json_is_number(v) && order_holds(number_cmp(v, f->value), op);
    case SCIM_T_DATETIME:
        return json_is_string(v) && scim_datetime_parse(json_string_value(v), &tv) == 0 &&
               order_holds(scim_time_cmp(&tv, &f->time), op);
    default:
        return json_is_string(v) &&
               string_test(json_string_value(v), json_string_value(f->value), op, t->case_exact);
    }
}

static bool value_test(const json_t *v, const struct scim_filter *f, enum scim_filter_op op)
{
    size_t i;
    json_t *x;

    if (op == SCIM_OP_PR)
        return present(v);
    if (json_is_array(v)) {
        json_array_foreach(v, i, x) {
            if (scalar_test(x, f, op))
                return true;
        }
        return false;
    }
    return scalar_test(v, f, op);
}

/* The object holding f's attribute: the resource, its extension object, or the element. */
static const json_t *container_of(const struct scim_filter *f, const json_t *ctx)
{
    if (!f->schema || f->schema == f->rt->core)
        return ctx;
    return scim_json_get_ci(ctx, f->schema->urn, NULL);
}

/* Does any value of f's attribute (or sub-attribute across all elements) pass op? */
static bool any_value(const struct scim_filter *f, const json_t *ctx, enum scim_filter_op op)
{
    const json_t *val = scim_json_get_ci(container_of(f, ctx), f->attr->name, NULL);
    size_t i;
    json_t *el;

    if (!val)
        return false;
    if (!f->sub)
        return value_test(val, f, op);
    if (json_is_object(val))
        return value_test(scim_json_get_ci(val, f->sub->name, NULL), f, op);
    json_array_foreach(val, i, el) {
        const json_t *sv = scim_json_get_ci(el, f->sub->name, NULL);
        if (sv && value_test(sv, f, op))
            return true;
    }
    return false;
}

static bool eval(const struct scim_filter *f, const json_t *ctx)
{
    switch (f->kind) {
    case SCIM_F_AND:
        for (size_t i = 0; i < f->n_kids; i++) {
            if (!eval(f->kids[i], ctx))
                return false;
        }
        return true;
    case SCIM_F_OR:
        for (size_t i = 0; i < f->n_kids; i++) {
            if (eval(f->kids[i], ctx))
                return true;
        }
        return false;
    case SCIM_F_NOT:
        return !eval(f->kids[0], ctx);
    case SCIM_F_VALUE_PATH: {
        const json_t *val = scim_json_get_ci(container_of(f, ctx), f->attr->name, NULL);
        size_t i;
        json_t *el;
        if (json_is_object(val))
            return eval(f->inner, val);
        json_array_foreach(val, i, el) {
            if (json_is_object(el) && eval(f->inner, el))
                return true;
        }
        return false;
    }
    case SCIM_F_CMP:
        if (json_is_null(f->value)) /* eq null: unassigned; ne null: assigned */
            return any_value(f, ctx, SCIM_OP_PR) == (f->op == SCIM_OP_NE);
        if (f->op == SCIM_OP_NE)
            return !any_value(f, ctx, SCIM_OP_EQ);
        return any_value(f, ctx, f->op);
    }
    return false;
}

bool scim_filter_match(const struct scim_filter *f, const json_t *resource)
{
    return f && json_is_object(resource) && eval(f, resource);
}

bool scim_filter_match_element(const struct scim_filter *f, const json_t *element)
{
    return f && json_is_object(element) && eval(f, element);
}
