/* SPDX-License-Identifier: MIT */
/* sortBy (RFC 7644 §3.4.2.3): order resources by one attribute. */
#include "validate.h"

#include <string.h>
#include <strings.h>

#include "datetime.h"
#include "json_util.h"

/* The value sort_by designates in res: for a multi-valued attribute, the primary (else first)
 * element's; for a complex attribute without a sub-attribute, its "value". */
static const json_t *sort_value(const json_t *res, const struct scim_resource_type *rt,
                                const struct scim_schema *s, const struct scim_attr *parent,
                                const struct scim_attr *a)
{
    const json_t *c = s == rt->core ? res : scim_json_get_ci(res, s->urn, NULL);
    const struct scim_attr *top = parent ? parent : a;
    const json_t *v = scim_json_get_ci(c, top->name, NULL);

    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        const json_t *pick = json_array_get(v, 0);
        json_array_foreach(v, i, x) {
            if (scim_json_bool(scim_json_get_ci(x, "primary", NULL)) == 1) {
                pick = x;
                break;
            }
        }
        v = pick;
    }
    if (parent)
        return scim_json_get_ci(v, a->name, NULL);
    if (a->type == SCIM_T_COMPLEX)
        return scim_json_get_ci(v, "value", NULL);
    return v;
}

static int cmp3(double x, double y)
{
    return x < y ? -1 : x > y;
}

int scim_resource_compare(const json_t *a, const json_t *b, const struct scim_resource_type *rt,
                          const char *sort_by)
{
    const struct scim_schema *s = NULL;
    const struct scim_attr *parent = NULL;
    const struct scim_attr *attr = scim_attr_resolve(rt, sort_by, &s, &parent);

    if (!attr)
        return 0;
    const json_t *va = sort_value(a, rt, s, parent, attr);
    const json_t *vb = sort_value(b, rt, s, parent, attr);
    bool ma = !va || json_is_null(va), mb = !vb || json_is_null(vb);
    if (ma || mb)
        return ma - mb; /* resources without a value sort last */

    const struct scim_attr *t = attr;
    if (!parent && attr->type == SCIM_T_COMPLEX)
        t = scim_attr_find(attr->sub, attr->n_sub, "value");
    if (!t)
        return 0;
    switch (t->type) {
    case SCIM_T_BOOLEAN:
        return scim_json_bool(va) - scim_json_bool(vb);
    case SCIM_T_INTEGER:
        if (json_is_integer(va) && json_is_integer(vb)) {
            json_int_t x = json_integer_value(va), y = json_integer_value(vb);
            return x < y ? -1 : x > y;
        }
        /* fall through */
    case SCIM_T_DECIMAL:
        return cmp3(json_number_value(va), json_number_value(vb));
    case SCIM_T_DATETIME: {
        struct scim_time ta, tb;
        if (scim_datetime_parse(json_string_value(va), &ta) == 0 &&
            scim_datetime_parse(json_string_value(vb), &tb) == 0)
            return scim_time_cmp(&ta, &tb);
        break;
    }
    default:
        break;
    }
    if (!json_is_string(va) || !json_is_string(vb))
        return json_is_string(va) ? -1 : json_is_string(vb);
    return t->case_exact ? strcmp(json_string_value(va), json_string_value(vb))
                         : strcasecmp(json_string_value(va), json_string_value(vb));
}
