/* SPDX-License-Identifier: MIT */
#pragma once

#include "http/http.h"

struct scimd_server;

/* Authenticates and routes one complete request; always fills resp. */
void router_dispatch(struct scimd_server *srv, struct http_exchange *req,
                     struct api_response *resp);
