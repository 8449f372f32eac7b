/* SPDX-License-Identifier: MIT */
#include "api/listing.h"

#include <errno.h>
#include <stdlib.h>

#include "proto/filter.h"
#include "proto/schema.h"
#include "proto/validate.h"
#include "store/store.h"

static int parse_int(const char *name, const char *value, int64_t *out, struct scim_error *err)
{
    errno = 0;
    char *end = NULL;
    long long v = strtoll(value, &end, 10);
    if (errno == ERANGE) {
        *out = v < 0 ? INT32_MIN : INT32_MAX; /* saturate: huge values mean "all" or "past end" */
        return 0;
    }
    if (end == value || *end != '\0')
        return scim_error_set(err, 400, "invalidValue", "%s must be an integer, got '%.64s'",
                              name, value);
    *out = v;
    return 0;
}

void listing_bound(struct listing *l)
{
    /* RFC 7644 §3.4.2.4: startIndex < 1 is 1; a negative count is 0; we cap at maxResults. */
    if (l->start_index < 1)
        l->start_index = 1;
    if (l->count < 0)
        l->count = 0;
    if (l->count > LISTING_MAX_RESULTS)
        l->count = LISTING_MAX_RESULTS;
}

int listing_parse(const struct api_request *req, struct listing *out, struct scim_error *err)
{
    const char *v;
    out->start_index = 1;
    out->count = LISTING_MAX_RESULTS;
    if ((v = api_query(req, "startIndex")) && parse_int("startIndex", v, &out->start_index, err) < 0)
        return -1;
    if ((v = api_query(req, "count")) && parse_int("count", v, &out->count, err) < 0)
        return -1;
    listing_bound(out);
    out->filter = api_query(req, "filter");
    out->attributes = api_query(req, "attributes");
    out->excluded_attributes = api_query(req, "excludedAttributes");
    return 0;
}

json_t *listing_project(json_t *res, const struct scim_resource_type *rt, const char *attributes,
                        const char *excluded_attributes)
{
    if (!attributes && !excluded_attributes)
        return json_incref(res);
    return scim_resource_project(res, rt, attributes, excluded_attributes);
}

void listing_add(const struct listing *l, const struct scim_resource_type *rt, json_t *page,
                 int64_t *total, json_t *res)
{
    (*total)++;
    if (*total >= l->start_index && (int64_t)json_array_size(page) < l->count) {
        json_t *p = listing_project(res, rt, l->attributes, l->excluded_attributes);
        if (p)
            json_array_append_new(page, p);
    }
    json_decref(res);
}

json_t *listing_response(json_t *page, int64_t total, int64_t start_index)
{
    return json_pack("{s:[s], s:I, s:I, s:I, s:o}", "schemas", SCIM_URN_LIST_RESPONSE,
                     "totalResults", (json_int_t)total, "itemsPerPage",
                     (json_int_t)json_array_size(page), "startIndex", (json_int_t)start_index,
                     "Resources", page);
}

void listing_emit(struct listing_run *run, json_t *res)
{
    if (run->filter && !scim_filter_match(run->filter, res)) {
        json_decref(res);
        return;
    }
    listing_add(run->l, run->rt, run->page, &run->total, res);
}

/* What IdPs send before every create is an exact match on an indexed attribute: the index
 * answers it (the filter still runs over what it yields). */
static const struct listing_index *indexed_eq(const struct listing_source *src,
                                              const struct scim_filter *f, const char **value)
{
    for (size_t i = 0; f && i < src->n_indexes; i++)
        if ((*value = scim_filter_simple_eq(f, src->indexes[i].attribute)))
            return &src->indexes[i];
    return NULL;
}

json_t *listing_list(struct store *st, const struct api_request *req,
                     const struct listing_source *src, struct scim_error *err)
{
    struct listing l;
    if (listing_parse(req, &l, err) < 0)
        return NULL;
    return listing_query_list(st, &l, req->base_url, src, err);
}

json_t *listing_query_list(struct store *st, const struct listing *query, const char *base_url,
                           const struct listing_source *src, struct scim_error *err)
{
    struct listing l = *query;
    struct scim_filter *f = NULL;
    struct db *db = NULL;
    char *value = NULL;
    json_t *out = NULL;
    struct listing_run run = { .l = &l, .base_url = base_url, .rt = src->rt,
                               .page = json_array() };

    if (!run.page) {
        scim_error_set(err, 500, NULL, "out of memory");
        goto out;
    }
    if (l.filter && !(f = scim_filter_parse(l.filter, src->rt, err)))
        goto out;
    run.filter = f;
    db = store_reader_get(st, err);
    if (!db)
        goto out;

    const char *eq = NULL;
    const struct listing_index *ix = indexed_eq(src, f, &eq);
    if (ix) {
        value = ix->value_new ? ix->value_new(eq) : NULL;
        struct listing_query q = { .kind = LISTING_QUERY_KEY, .key = ix->key,
                                   .value = ix->value_new ? value : eq };
        if (src->run(db, &q, &run, err) < 0)
            goto out;
    } else if (!f && src->count) {
        /* No filter: count, then read only the requested page. */
        int64_t count = 0;
        if (src->count(db, &count, src->what, err) < 0)
            goto out;
        struct listing all = l;
        all.start_index = 1;
        run.l = &all;
        struct listing_query q = { .kind = LISTING_QUERY_PAGE, .limit = l.count,
                                   .offset = l.start_index - 1 };
        int r = src->run(db, &q, &run, err);
        run.l = &l;
        if (r < 0)
            goto out;
        run.total = count;
    } else {
        struct listing_query q = { .kind = LISTING_QUERY_ALL };
        if (src->run(db, &q, &run, err) < 0)
            goto out;
    }
    out = listing_response(run.page, run.total, l.start_index);
    run.page = NULL;
out:
    free(value);
    store_reader_put(st, db);
    scim_filter_free(f);
    json_decref(run.page);
    return out;
}
