/* SPDX-License-Identifier: MIT */
/* Fleet host tokens (docs/architecture.md, fleet): shaped like SCIM tokens (store/tokens.h: an
 * access id and a random 256-bit key, only an HMAC-SHA-256 of the key under the installation
 * secret stored, Bearer base64(id:key)) but kept in the hosts table, so a host token
 * authenticates only the feed and a SCIM token never does. Writes (hosts_create, hosts_seen,
 * hosts_set_conflicts, hosts_revoke) run their statements on db as given: inside a store write,
 * or on their own connection in autocommit. */
#pragma once

#include "store/db.h"
#include <stddef.h>
#include <stdint.h>

#define HOST_ID_LEN 16
#define HOST_BEARER_LEN 128 /* room for base64(id:key) and its NUL */

struct host_row {
    const char *id, *name, *created;
    const char *revoked, *last_seen, *conflicts; /* NULL when never */
    int64_t seq_reached;
};

/* A new host named name (1-64 printable characters, unique): its id and bearer. 0, or -1 with
 * err set (a taken name says so). */
int hosts_create(struct db *db, const char *name, char id_out[HOST_ID_LEN + 1],
                 char bearer_out[HOST_BEARER_LEN], char *err, size_t errlen);
/* 0 and the host's id when bearer is a host token not revoked (constant-time compare), -1
 * otherwise (a SCIM token's bearer included). */
int hosts_authenticate(struct db *db, const char *bearer, char id_out[HOST_ID_LEN + 1]);
/* Records a request from host id: last_seen = now, seq_reached = seq_reached. 0, or -1. */
int hosts_seen(struct db *db, const char *id, int64_t seq_reached);
/* hosts_seen with last_seen = at (store_timestamp's form): when the request came. */
int hosts_seen_at(struct db *db, const char *id, int64_t seq_reached, const char *at);
/* Replaces the host's reported conflicts (a JSON text, or NULL for none). 0, or -1. */
int hosts_set_conflicts(struct db *db, const char *id, const char *conflicts_json);
/* Revokes the host whose id or else name is id_or_name: 1 revoked now, 0 no such live host,
 * -1 on an error. */
int hosts_revoke(struct db *db, const char *id_or_name);
/* Every host, in the order they were added; the row is valid only during cb, whose non-zero return stops
 * the walk and is returned. 0, or -1. */
int hosts_each(struct db *db, int (*cb)(void *, const struct host_row *), void *arg);
