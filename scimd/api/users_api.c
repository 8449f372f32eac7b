/* SPDX-License-Identifier: MIT */
/* /Users: POST, GET (one and list), PUT, PATCH, DELETE. Validation and password hashing run
 * on the request thread; the change itself runs in the store's writer (group commit), which
 * re-reads the current row, so concurrent PATCHes never lose each other's updates. */
#include "api/handlers.h"

#include <stdlib.h>
#include <string.h>

#include "accounts/exporter.h"
#include "store/groups_repo.h"
#include "accounts/login_names.h"
#include "accounts/preprobe.h"
#include "accounts/users_service.h"
#include "api/listing.h"
#include "api/search.h"
#include "proto/schema.h"
#include "proto/validate.h"
#include "api/render_cache.h"
#include "api/render_resource.h"
#include "server.h"
#include "store/users_query.h"
#include "store/users_repo.h"

/* POST/PUT body -> validated doc, login name and pre-hashed password. */
static json_t *prepare_doc(struct scimd_server *srv, const struct api_request *req,
                           enum scim_write_mode mode, char login[LOGIN_NAME_BUF],
                           char **hash_out, uint32_t *requested_uid, struct scim_error *err)
{
    json_t *doc = api_json_body(req, err);
    if (doc && users_service_prepare(srv->cfg, doc, mode, login, hash_out, requested_uid,
                                     err) < 0) {
        json_decref(doc);
        doc = NULL;
    }
    return doc;
}

/* with_groups false: the user was created by this request, under an id nobody knew before,
 * so no group can list it yet and there is nothing to read. reader: a connection the caller
 * already holds for the groups lookup, or NULL to take one (a GET miss reuses its own: one
 * pool round trip instead of two). */
static void respond_user(struct scimd_server *srv, struct api_request *req,
                         struct api_response *resp, int status, const struct user_row *row,
                         bool with_groups, struct db *reader)
{
    struct scim_error err;
    json_t *res = user_row_to_resource(row, req->base_url);
    struct db *db = res && with_groups ? (reader ? reader : store_reader_get(srv->store, &err))
                                     : NULL;
    if (db)
        users_attach_groups(db, res, row->id, req->base_url);
    if (db != reader)
        store_reader_put(srv->store, db);
    json_t *projected = res ? listing_project(res, &scim_rt_user, api_query(req, "attributes"),
                                              api_query(req, "excludedAttributes"))
                            : NULL;
    json_decref(res);
    if (!projected)
        return api_error(resp, 500, NULL, "cannot render user");
    api_respond_resource(req, resp, status, projected, row->version, "Users", row->id);
}

static void run_write(struct scimd_server *srv, struct api_request *req, struct users_change *w,
                      struct api_response *resp, int ok_status)
{
    struct scim_error err;
    scim_error_clear(&err);
    w->if_match = api_header(req, "If-Match");
    if (users_service_write(srv->store, srv->cfg, w, &err) < 0) {
        api_error_from(resp, &err);
        return;
    }
    if (w->changed) {
        render_cache_invalidate(srv->render_cache, w->row.id);
        exporter_notify(srv->exporter);
    }
    users_service_done(srv->cfg, req->token_id, w);
    if (w->op == USERS_OP_DELETE) {
        resp->status = 204;
        return;
    }
    respond_user(srv, req, resp, ok_status, &w->row, w->op != USERS_OP_CREATE, NULL);
}

static void list_users(struct scimd_server *srv, struct api_request *req,
                       struct api_response *resp);

void users_collection(struct scimd_server *srv, struct api_request *req, struct api_response *resp)
{
    if (strcmp(req->method, "GET") == 0)
        return list_users(srv, req, resp);

    struct scim_error err;
    char login[LOGIN_NAME_BUF];
    char *hash = NULL;
    scim_error_clear(&err);
    uint32_t requested_uid = 0;
    json_t *doc = prepare_doc(srv, req, SCIM_WRITE_CREATE, login, &hash, &requested_uid, &err);
    if (!doc) {
        api_error_from(resp, &err);
        return;
    }
    /* The uid's host probe runs here, in parallel with other requests, not in the writer. */
    if (!requested_uid)
        identity_preprobe_uid(srv->cfg);
    struct users_change w = { .op = USERS_OP_CREATE, .body = doc, .login = login, .password_hash = hash,
                            .requested_uid = requested_uid };
    run_write(srv, req, &w, resp, 201);
    user_row_clear(&w.row);
    json_decref(doc);
    free(hash);
}

/* GET /Users/{id}: served from the render cache when no projection is asked for. */
static void get_user(struct scimd_server *srv, struct api_request *req, const char *id,
                     struct api_response *resp)
{
    struct scim_error err;
    struct user_row row = { 0 };
    bool plain = !api_query(req, "attributes") && !api_query(req, "excludedAttributes");
    int64_t version = 0;

    if (plain && srv->render_cache) {
        char *body = render_cache_get(srv->render_cache, id, req->base_url, &version);
        if (body) {
            api_respond_resource(req, resp, 200, NULL, version, "Users", id);
            if (resp->status == 200) {
                resp->text = body;
                resp->content_type = "application/scim+json";
            } else {
                free(body);
            }
            return;
        }
    }
    uint64_t generation = srv->render_cache ? render_cache_generation(srv->render_cache) : 0;
    struct db *db = store_reader_get(srv->store, &err);
    int r = db ? users_repo_get(db, id, &row, &err) : -1;
    if (r < 0)
        api_error_from(resp, &err);
    else if (r == 0)
        api_error(resp, 404, NULL, "no user with id '%s'", id);
    else
        respond_user(srv, req, resp, 200, &row, true, db);
    store_reader_put(srv->store, db);
    if (r == 1 && plain && srv->render_cache && resp->status == 200 && resp->json) {
        char *body = json_dumps(resp->json, JSON_COMPACT);
        if (body) {
            render_cache_put(srv->render_cache, generation, id, req->base_url, row.version, body);
            json_decref(resp->json);
            resp->json = NULL;
            resp->text = body;
            resp->content_type = "application/scim+json";
        }
    }
    user_row_clear(&row);
}

static bool valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 64)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') ||
              *p == '-'))
            return false;
    return true;
}

void users_item(struct scimd_server *srv, struct api_request *req, const char *id,
                struct api_response *resp)
{
    struct scim_error err;
    scim_error_clear(&err);
    if (!valid_id(id))
        return api_error(resp, 404, NULL, "no user with id '%.64s'", id);

    if (strcmp(req->method, "GET") == 0)
        return get_user(srv, req, id, resp);
    if (strcmp(req->method, "DELETE") == 0) {
        struct users_change w = { .op = USERS_OP_DELETE, .id = id };
        run_write(srv, req, &w, resp, 204);
        user_row_clear(&w.row);
        return;
    }
    if (strcmp(req->method, "PUT") == 0) {
        char login[LOGIN_NAME_BUF];
        char *hash = NULL;
        uint32_t requested_uid = 0;
        json_t *doc = prepare_doc(srv, req, SCIM_WRITE_REPLACE, login, &hash, &requested_uid, &err);
        if (!doc)
            return api_error_from(resp, &err);
        struct users_change w = { .op = USERS_OP_REPLACE, .id = id, .body = doc, .login = login,
                                .password_hash = hash, .requested_uid = requested_uid };
        run_write(srv, req, &w, resp, 200);
        user_row_clear(&w.row);
        json_decref(doc);
        free(hash);
        return;
    }
    /* PATCH */
    char *hash = NULL;
    json_t *patch = api_json_body(req, &err);
    if (!patch || users_service_prehash_patch(patch, &hash, &err) < 0) {
        api_error_from(resp, &err);
        json_decref(patch);
        free(hash);
        return;
    }
    struct users_change w = { .op = USERS_OP_PATCH, .id = id, .body = patch, .password_hash = hash };
    run_write(srv, req, &w, resp, 200);
    user_row_clear(&w.row);
    json_decref(patch);
    free(hash);
}

/* A listed user: rendered with its groups (listing_emit filters and pages it). */
static int list_user_row(struct db *db, const struct user_row *row, void *arg,
                         struct scim_error *err)
{
    struct listing_run *run = arg;
    json_t *res = user_row_to_resource(row, run->base_url);
    if (!res)
        return scim_error_set(err, 500, NULL, "out of memory");
    users_attach_groups(db, res, row->id, run->base_url);
    listing_emit(run, res);
    return 0;
}

static int list_users_run(struct db *db, const struct listing_query *lq, struct listing_run *run,
                          struct scim_error *err)
{
    static const enum users_query_kind kinds[] = {
        [LISTING_QUERY_ALL] = USERS_QUERY_ALL,
        [LISTING_QUERY_PAGE] = USERS_QUERY_PAGE,
        [LISTING_QUERY_KEY] = USERS_QUERY_KEY,
    };
    struct users_query q = { .kind = kinds[lq->kind], .key = (enum users_key)lq->key,
                             .value = lq->value, .limit = lq->limit, .offset = lq->offset };
    return users_query_each(db, &q, list_user_row, run, "list users", err);
}

static const struct listing_index users_indexes[] = {
    { "userName", USERS_KEY_USER_NAME, users_name_key_new },
    { "externalId", USERS_KEY_EXTERNAL_ID, NULL },
    { "id", USERS_KEY_ID, NULL },
};

static const struct listing_source users_listing = {
    .rt = &scim_rt_user,
    .what = "list users",
    .indexes = users_indexes,
    .n_indexes = sizeof(users_indexes) / sizeof(users_indexes[0]),
    .run = list_users_run,
    .count = users_count,
};

static void list_users(struct scimd_server *srv, struct api_request *req,
                       struct api_response *resp)
{
    struct scim_error err;
    scim_error_clear(&err);
    json_t *list = listing_list(srv->store, req, &users_listing, &err);
    if (!list) {
        api_error_from(resp, &err);
        return;
    }
    resp->status = 200;
    resp->json = list;
}

void users_search(struct scimd_server *srv, struct api_request *req, struct api_response *resp)
{
    search_respond(srv, req, &users_listing, resp);
}
