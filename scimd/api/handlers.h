/* SPDX-License-Identifier: MIT */
/* Request handlers per resource; each fills resp (success or SCIM error). */
#pragma once

#include "api/request.h"
#include "api/response.h"

struct scimd_server;

void users_collection(struct scimd_server *srv, struct api_request *req, struct api_response *resp);
void users_item(struct scimd_server *srv, struct api_request *req, const char *id,
                struct api_response *resp);
/* POST /Users/.search and /Groups/.search (api/search.h). */
void users_search(struct scimd_server *srv, struct api_request *req, struct api_response *resp);
void groups_search(struct scimd_server *srv, struct api_request *req, struct api_response *resp);

void groups_collection(struct scimd_server *srv, struct api_request *req, struct api_response *resp);
void groups_item(struct scimd_server *srv, struct api_request *req, const char *id,
                 struct api_response *resp);

void discovery_service_provider_config(struct scimd_server *srv, struct api_request *req,
                                       struct api_response *resp);
void discovery_resource_types(struct scimd_server *srv, struct api_request *req, const char *id,
                              struct api_response *resp);
void discovery_schemas(struct scimd_server *srv, struct api_request *req, const char *id,
                       struct api_response *resp);
