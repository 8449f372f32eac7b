/* SPDX-License-Identifier: MIT */
/* The fleet feed document (docs/fleet.md, wire contract v1): the JSON a hub answers
 * GET /fleet/v1/snapshot and /changes with. The builder reads the store through
 * store/feed_repo.h; the parser on the follower's side is fleet/feed_parse.c. */
#pragma once

#include <jansson.h>
#include "store/db.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/feed_repo.h"

/* The empty document: {"feed","type","from","to","generated","users":[],"groups":[],
 * "roles":[],"deleted":[]}. since < 0 makes a snapshot (from 0). NULL when out of memory. */
json_t *feed_doc_new(const char *feed_id, int64_t since, int64_t upto);
/* Append one entity to doc's lists. passwordHash is null unless share_hash. -1 when the
 * row's JSON columns are not arrays of strings or memory ran out. */
int feed_doc_add_user(json_t *doc, const struct feed_user *u, bool share_hash);
int feed_doc_add_group(json_t *doc, const struct feed_group *g, const char *const *member_ids,
                       size_t n);
int feed_doc_add_role(json_t *doc, const struct feed_role *r);
int feed_doc_add_deleted(json_t *doc, const char *kind, const char *id);

/* The whole document for (since, upto] (since < 0: a snapshot at upto), read from db inside
 * the caller's read transaction. NULL with err set on a store error. */
json_t *feed_doc_build(struct db *db, const char *feed_id, int64_t since, int64_t upto,
                       bool share_hash, char *err, size_t errlen);

/* The bytes that are signed and sent: compact, keys sorted. Caller frees. */
char *feed_doc_dump(const json_t *doc);
