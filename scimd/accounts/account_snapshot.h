/* SPDX-License-Identifier: MIT */
/* A consistent snapshot of every account the cache serves, read from the store in one read
 * transaction and shaped for scim_cache_write: users with their passwd/shadow fields and SSH
 * keys, role groups and their members, and roles mapped onto local groups. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "scim_cache.h"

struct scimd_server;

struct account_snapshot {
    struct scim_cache_snapshot cache;
    uint64_t gid_hwm; /* the cache header carries only the uid mark */
    /* owned storage behind cache's pointers */
    struct scim_cache_user *users;
    struct scim_cache_group *groups;
    char **strings; /* malloc'd blocks: arena chunks */
    size_t n_strings, cap_strings;
    char *arena_pos;
    size_t arena_left;
    const char **key_ptrs;
    uint32_t **member_lists;
    size_t n_member_lists;
};

/* Reads the snapshot and stamps it with the next generation: *last_generation is the one
 * its caller (the exporter) exported last, 0 before the first, when it is taken from the
 * published cache so a restarted scimd goes on counting (readers refuse a generation that
 * goes back); it is incremented into snap->cache.generation. */
int account_snapshot_load(struct scimd_server *srv, uint64_t *last_generation,
                          struct account_snapshot *snap, char *err, size_t errlen);
void account_snapshot_free(struct account_snapshot *snap);
