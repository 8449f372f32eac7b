/* SPDX-License-Identifier: MIT */
/* The parsed form of a SCIM filter, shared by the parser and the matcher. */
#pragma once

#include <stddef.h>

#include "datetime.h"
#include "filter.h"

enum scim_filter_op {
    SCIM_OP_EQ, SCIM_OP_NE, SCIM_OP_CO, SCIM_OP_SW, SCIM_OP_EW,
    SCIM_OP_PR, SCIM_OP_GT, SCIM_OP_GE, SCIM_OP_LT, SCIM_OP_LE,
};

enum scim_filter_kind { SCIM_F_AND, SCIM_F_OR, SCIM_F_NOT, SCIM_F_CMP, SCIM_F_VALUE_PATH };

struct scim_filter {
    enum scim_filter_kind kind;
    const struct scim_resource_type *rt;

    /* AND / OR (n-ary, so long chains do not deepen the tree), NOT (one kid). */
    struct scim_filter **kids;
    size_t n_kids;

    /* CMP and VALUE_PATH. schema is NULL inside an element filter, where attr is a
     * sub-attribute of the element and sub is NULL. */
    const struct scim_schema *schema;
    const struct scim_attr *attr;
    const struct scim_attr *sub;

    /* CMP */
    enum scim_filter_op op;
    json_t *value;          /* NULL for pr; json null for "eq null" / "ne null" */
    struct scim_time time;  /* the literal, when the attribute is a dateTime */

    /* VALUE_PATH: element filter over attr's sub-attributes. */
    struct scim_filter *inner;
};
