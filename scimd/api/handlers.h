/* Request handlers per resource; each fills resp (success or SCIM error). */
#pragma once

#include "http/http.h"

struct scimd_server;

void users_collection(struct scimd_server *srv, struct http_request *req, struct http_response *resp);
void users_item(struct scimd_server *srv, struct http_request *req, const char *id,
                struct http_response *resp);

void groups_collection(struct scimd_server *srv, struct http_request *req, struct http_response *resp);
void groups_item(struct scimd_server *srv, struct http_request *req, const char *id,
                 struct http_response *resp);

void discovery_service_provider_config(struct scimd_server *srv, struct http_request *req,
                                       struct http_response *resp);
void discovery_resource_types(struct scimd_server *srv, struct http_request *req, const char *id,
                              struct http_response *resp);
void discovery_schemas(struct scimd_server *srv, struct http_request *req, const char *id,
                       struct http_response *resp);
