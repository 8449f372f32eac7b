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

int account_snapshot_load(struct scimd_server *srv, struct account_snapshot *snap, char *err,
                          size_t errlen);
void account_snapshot_free(struct account_snapshot *snap);
