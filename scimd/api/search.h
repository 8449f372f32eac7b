/* SPDX-License-Identifier: MIT */
/* POST {collection}/.search (RFC 7644 §3.4.3): the query of a GET list in a SearchRequest
 * body, for filters longer than a request line may be ([server] max_request_head). It maps
 * onto the same listing (api/listing.h) and answers the same ListResponse and errors. */
#pragma once

#include <jansson.h>

#include "api/listing.h"
#include "api/request.h"
#include "api/response.h"
#include "proto/scim_error.h"

#define SCIM_URN_SEARCH_REQUEST "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

struct search_request {
    struct listing query; /* its filter points into the body it was read from */
    char *attributes;     /* the body's lists joined with commas, as a GET carries them */
    char *excluded_attributes;
};

/* Reads a SearchRequest body: schemas must name SCIM_URN_SEARCH_REQUEST (and only it);
 * attributes and excludedAttributes are arrays of attribute names, filter, sortBy and
 * sortOrder ("ascending" or "descending") strings, startIndex and count integers. Member
 * names match in any case. A missing or wrong schemas or an unknown member is 400
 * invalidSyntax; a member of the wrong type 400 invalidValue. sortBy and sortOrder are
 * checked and then ignored, as a GET's are (ServiceProviderConfig: sort unsupported).
 * 0, or -1 with err set and out holding nothing. */
int search_request_read(json_t *body, struct search_request *out, struct scim_error *err);
void search_request_clear(struct search_request *sr);

struct scimd_server;

/* Answers a .search on the collection src lists: 200 and the ListResponse, or the error. */
void search_respond(struct scimd_server *srv, struct api_request *req,
                    const struct listing_source *src, struct api_response *resp);
