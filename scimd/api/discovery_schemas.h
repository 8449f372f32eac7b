/* SPDX-License-Identifier: MIT */
#pragma once

#include "proto/schema.h"

extern const struct scim_schema discovery_schema_spc, discovery_schema_resource_type,
    discovery_schema_schema;
