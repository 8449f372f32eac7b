/* SPDX-License-Identifier: MIT */
/* /ServiceProviderConfig, /ResourceTypes and /Schemas: they describe only what this server
 * really does (Okta and Entra read them; the validator checks them against behaviour). */
#include "api/discovery_schemas.h"
#include "api/handlers.h"
#include "api/listing.h"
#include "server.h"

#include <string.h>
#include <strings.h>

#include "proto/schema.h"

static const struct scim_resource_type *const served_types[] = { &scim_rt_user, &scim_rt_group };
static const struct scim_schema *const served_schemas[] = {
    &scim_schema_user, &scim_schema_enterprise_user, &scim_schema_linux_user, &scim_schema_group,
    &discovery_schema_spc, &discovery_schema_resource_type, &discovery_schema_schema,
};
#define N_TYPES (sizeof(served_types) / sizeof(served_types[0]))
#define N_SCHEMAS (sizeof(served_schemas) / sizeof(served_schemas[0]))

void discovery_service_provider_config(struct scimd_server *srv, struct api_request *req,
                                       struct api_response *resp)
{
    char location[640];
    snprintf(location, sizeof(location), "%s/ServiceProviderConfig", req->base_url);
    resp->status = 200;
    resp->json = json_pack(
        "{s:[s], s:{s:b}, s:{s:b, s:i, s:I}, s:{s:b, s:i}, s:{s:b}, s:{s:b}, s:{s:b},"
        " s:[{s:s, s:s, s:s, s:b}, {s:s, s:s, s:s, s:b}], s:{s:s, s:s}}",
        "schemas", SCIM_URN_SPC,
        "patch", "supported", 1,
        "bulk", "supported", 0, "maxOperations", 0, "maxPayloadSize", (json_int_t)srv->cfg->max_body_size,
        "filter", "supported", 1, "maxResults", LISTING_MAX_RESULTS,
        "changePassword", "supported", 1,
        "sort", "supported", 0,
        "etag", "supported", 1,
        "authenticationSchemes",
        "type", "httpbasic", "name", "HTTP Basic",
        "description", "Access id as user name, access key as password (scimctl token create)",
        "primary", 1,
        "type", "oauthbearertoken", "name", "Bearer token",
        "description", "base64 of accessid:accesskey, as printed by scimctl token create",
        "primary", 0,
        "meta", "resourceType", "ServiceProviderConfig", "location", location);
    if (!resp->json)
        api_error(resp, 500, NULL, "cannot build ServiceProviderConfig");
}

static void list_of(json_t *items, struct api_response *resp)
{
    size_t n = json_array_size(items);
    resp->status = 200;
    resp->json = json_pack("{s:[s], s:I, s:I, s:I, s:o}", "schemas", SCIM_URN_LIST_RESPONSE,
                           "totalResults", (json_int_t)n, "itemsPerPage", (json_int_t)n,
                           "startIndex", (json_int_t)1, "Resources", items);
}

void discovery_resource_types(struct scimd_server *srv, struct api_request *req, const char *id,
                              struct api_response *resp)
{
    if (id) {
        for (size_t i = 0; i < N_TYPES; i++) {
            if (strcasecmp(served_types[i]->id, id) == 0) { /* like the endpoint names */
                resp->status = 200;
                resp->json = scim_resource_type_to_json(served_types[i], req->base_url);
                return;
            }
        }
        return api_error(resp, 404, NULL, "no resource type '%s'", id);
    }
    json_t *items = json_array();
    for (size_t i = 0; i < N_TYPES; i++)
        json_array_append_new(items, scim_resource_type_to_json(served_types[i], req->base_url));
    list_of(items, resp);
}

void discovery_schemas(struct scimd_server *srv, struct api_request *req, const char *id,
                       struct api_response *resp)
{
    if (id) {
        for (size_t i = 0; i < N_SCHEMAS; i++) {
            if (strcasecmp(served_schemas[i]->urn, id) == 0) {
                resp->status = 200;
                resp->json = scim_schema_to_json(served_schemas[i], req->base_url);
                return;
            }
        }
        return api_error(resp, 404, NULL, "no schema '%s'", id);
    }
    json_t *items = json_array();
    for (size_t i = 0; i < N_SCHEMAS; i++)
        json_array_append_new(items, scim_schema_to_json(served_schemas[i], req->base_url));
    list_of(items, resp);
}
