/* SPDX-License-Identifier: MIT */
/* The users service: what a /Users write means, apart from HTTP. api/users_api.c parses a
 * request, calls these and renders the result; the rules (userName and login uniqueness,
 * the uid, roles, PATCH semantics) and the transaction bodies live here. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "accounts/login_names.h"
#include "proto/scim_error.h"
#include "proto/validate.h"
#include "scimd_config.h"
#include "store/users_repo.h"

struct store;

enum users_op { USERS_OP_CREATE, USERS_OP_REPLACE, USERS_OP_PATCH, USERS_OP_DELETE };

/* One write: the caller fills the request part, users_service_write the result. */
struct users_change {
    const struct scimd_config *cfg; /* set by users_service_write */
    enum users_op op;
    const char *id;
    json_t *body;              /* validated doc (create/replace) or PatchOp request */
    const char *login;         /* derived from body's userName (create/replace) */
    const char *password_hash; /* pre-hashed password from the request, or NULL */
    const char *if_match;      /* If-Match, or NULL */
    uint32_t requested_uid;    /* from the linux extension, when [accounts] accept_idp_ids */
    struct user_row row;       /* the resulting row (the removed one for a delete) */
    bool changed;
    bool was_active;
    char changed_attrs[512];   /* for the audit line */
    json_t *new_role_groups;   /* role groups the write made ([{name, gid}]): users_service_write
                                * leaves them after a commit, users_service_done records and
                                * releases them */
};

/* On the request thread, for a POST or PUT doc: validates and canonicalises it in place
 * (mode), takes uidNumber/gidNumber out of it (*requested_uid: the uid an IdP may choose on
 * create, or the one a PUT echoes), derives and host-checks the login name, and hashes and
 * removes a password (*hash_out, the caller frees). 0, or -1 with err set. */
int users_service_prepare(const struct scimd_config *cfg, json_t *doc, enum scim_write_mode mode,
                          char login[LOGIN_NAME_BUF], char **hash_out, uint32_t *requested_uid,
                          struct scim_error *err);

/* On the request thread: hashes a password a PatchOp sets (*hash_out), so the slow hash never
 * runs in the writer. */
int users_service_prehash_patch(const json_t *patch, char **hash_out, struct scim_error *err);

/* Runs the change in the store's writer (one savepoint of a group commit): 404, 412 on
 * If-Match, 409 on uniqueness, 503 when the host cannot tell. 0, or -1 with err set. */
int users_service_write(struct store *st, const struct scimd_config *cfg, struct users_change *c,
                        struct scim_error *err);

/* After the commit: the audit lines (the role groups it made first, as groupadd would precede
 * useradd) and the end of sessions for a user who lost access; a delete goes through
 * user_removal_done like every other removal. actor: the token id. Call it after every
 * successful users_service_write: it releases c->new_role_groups. */
void users_service_done(const struct scimd_config *cfg, const char *actor,
                        struct users_change *c);
