/* SPDX-License-Identifier: MIT */
/* Query parameters and the ListResponse shared by collection endpoints (RFC 7644 §3.4.2). */
#pragma once

#include <jansson.h>
#include "store/db.h"
#include <stddef.h>
#include <stdint.h>

#include "api/request.h"
#include "proto/scim_error.h"

#define LISTING_MAX_RESULTS 1000

struct listing {
    int64_t start_index; /* 1-based, >= 1 */
    int64_t count;       /* 0..LISTING_MAX_RESULTS */
    const char *filter;
    const char *attributes;
    const char *excluded_attributes;
};

/* startIndex and count brought into range the way RFC 7644 §3.4.2.4 reads them. */
void listing_bound(struct listing *l);

/* Reads startIndex, count, filter, attributes, excludedAttributes; 400 on a non-integer. */
int listing_parse(const struct api_request *req, struct listing *out, struct scim_error *err);

struct scim_resource_type;

/* res projected per attributes/excludedAttributes (a new reference). Without either there is
 * nothing to drop (stored docs hold no password): res itself, no copy, on the hot paths. */
json_t *listing_project(json_t *res, const struct scim_resource_type *rt, const char *attributes,
                        const char *excluded_attributes);

/* Counts one matching resource (stolen) and, when it falls in the requested page, appends
 * its projection to page. */
void listing_add(const struct listing *l, const struct scim_resource_type *rt, json_t *page,
                 int64_t *total, json_t *res);

/* Wraps page (stolen) in a ListResponse. */
json_t *listing_response(json_t *page, int64_t total, int64_t start_index);

/* One listing routine for every collection: the collection says which exact-match filters
 * its store answers from an index and how to render one row; the routine picks the query,
 * filters in memory what the index did not decide, pages and wraps the ListResponse. */
struct listing_index {
    const char *attribute;                /* a `attribute eq "value"` filter the store indexes */
    int key;                              /* the store's key for it (enum users_key, ...) */
    char *(*value_new)(const char *value); /* the stored form of the value, or NULL: as is */
};

enum listing_query_kind { LISTING_QUERY_ALL, LISTING_QUERY_PAGE, LISTING_QUERY_KEY };

struct listing_query {
    enum listing_query_kind kind;
    int key;           /* LISTING_QUERY_KEY: listing_index.key */
    const char *value; /* LISTING_QUERY_KEY; NULL when its stored form could not be made */
    int64_t limit;     /* LISTING_QUERY_PAGE */
    int64_t offset;    /* LISTING_QUERY_PAGE */
};

struct scim_filter;

/* One listing in progress, handed to the collection's run function. */
struct listing_run {
    const struct listing *l;
    const struct scim_filter *filter; /* NULL: every row the query yields matches */
    const char *base_url;
    const struct scim_resource_type *rt;
    json_t *page;
    int64_t total;
};

struct listing_source {
    const struct scim_resource_type *rt;
    const char *what; /* names errors: "list users" */
    const struct listing_index *indexes;
    size_t n_indexes;
    /* Runs q on db and calls listing_emit for each rendered row; 0 or -1 (err set). */
    int (*run)(struct db *db, const struct listing_query *q, struct listing_run *run,
               struct scim_error *err);
    /* Optional: how many rows there are. With it, a listing without a filter reads only the
     * requested page (LISTING_QUERY_PAGE); without it, every row. */
    int (*count)(struct db *db, int64_t *count, const char *what, struct scim_error *err);
};

/* Counts res (stolen) when it matches the filter and pages it (listing_add). */
void listing_emit(struct listing_run *run, json_t *res);

struct store;

/* The ListResponse for the query parameters of req (a new reference), or NULL (err set). */
json_t *listing_list(struct store *st, const struct api_request *req,
                     const struct listing_source *src, struct scim_error *err);
/* The same for a query read elsewhere (a POST .search body, api/search.h). */
json_t *listing_query_list(struct store *st, const struct listing *query, const char *base_url,
                           const struct listing_source *src, struct scim_error *err);
