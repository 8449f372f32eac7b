/* SPDX-License-Identifier: MIT */
/* /Groups: POST, GET (one and list), PUT, PATCH, DELETE. A SCIM group becomes a Linux group
 * named by normalising its displayName; it is identified by its id, so a rename keeps the
 * gid. Members must be known users; each request is one transaction. */
#include "api/handlers.h"

#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accounts/audit.h"
#include "accounts/audit_kernel.h"
#include "accounts/exporter.h"
#include "store/groups_query.h"
#include "store/groups_repo.h"
#include "accounts/host_probe.h"
#include "accounts/identity.h"
#include "accounts/login_names.h"
#include "accounts/linux_names.h"
#include "api/listing.h"
#include "api/search.h"
#include "accounts/name_skips.h"
#include "proto/patch.h"
#include "proto/schema.h"
#include "proto/validate.h"
#include "api/render_cache.h"
#include "api/render_resource.h"
#include "scim_names.h"
#include "server.h"
#include "accounts/field_strings.h"

enum group_op { G_CREATE, G_REPLACE, G_PATCH, G_DELETE };

struct group_write {
    struct scimd_server *srv;
    enum group_op op;
    const char *id;
    json_t *body;
    const char *if_match;
    struct group_row row;
    bool changed;
    char changed_attrs[512];
};

static const char *mapped_local(const struct scimd_config *cfg, const char *display,
                                const char *name)
{
    return scimd_config_map_lookup(cfg->group_maps, cfg->n_group_maps, display, name);
}

/* displayName -> Linux group name, refusing a clash with the names scimd gave (architecture.md,
 * issue 5). A name the host cannot take (reserved, a local group, or no valid Linux name at
 * all) is no refusal: the group stays a SCIM group and *as_group is false (architecture.md, issue
 * 11). id: the group's own id, for the stored name of a group that gives no valid name. */
static int derive_name(struct db *db, const struct scimd_config *cfg, const char *display,
                       const char *self_id, const char *id, char name[LOGIN_NAME_BUF],
                       bool *mapped, bool *as_group, struct scim_error *err)
{
    *as_group = true;
    const char *why = NULL;
    if (!display || display[strspn(display, " \t\r\n")] == '\0')
        return scim_error_set(err, 400, "invalidValue", "displayName must not be blank");
    if (scim_name_group_from_display(display, cfg->max_name_length, name, LOGIN_NAME_BUF,
                                     &why) < 0) {
        /* groups.name is unique: '#' and the id can never equal a valid name or another's. */
        snprintf(name, LOGIN_NAME_BUF, "#%s", id);
        *mapped = mapped_local(cfg, display, NULL) != NULL;
        if (!*mapped)
            name_skip_report(false, display, "", NAME_SKIP_INVALID, why ? why : "name too long");
        *as_group = false;
        return 0;
    }
    *mapped = mapped_local(cfg, display, name) != NULL;
    enum linux_name_owner owner = LINUX_NAME_FREE;
    int r = linux_name_taken_by(db, name, self_id, &owner, err);
    if (r < 0)
        return -1;
    if (r)
        return scim_error_set(err, 409, "uniqueness",
                              "displayName '%.128s' gives the Linux group name '%s', which is "
                              "already %s", display, name, linux_name_owner_describe(owner));
    if (*mapped)
        return 0;
    const char *reserved = linux_name_reserved(cfg, name);
    if (reserved) {
        char because[96];
        snprintf(because, sizeof(because), "is %s", reserved);
        name_skip_report(false, display, name, NAME_SKIP_RESERVED, because);
        *as_group = false;
        return 0;
    }
    char because[96];
    int local = host_probe_local_group(cfg, name, because, sizeof(because), err);
    if (local < 0)
        return -1;
    if (local) {
        name_skip_report(false, display, name, NAME_SKIP_LOCAL, because);
        *as_group = false;
    }
    return 0;
}

static bool etag_ok(const char *if_match, int64_t version)
{
    return !if_match || scim_etag_matches(if_match, version);
}

/* Splits a validated resource into the stored doc (without members) and its members. */
static json_t *take_members(json_t *res)
{
    json_t *members = json_object_get(res, "members");
    members = members ? json_incref(members) : json_array();
    json_object_del(res, "members");
    return members;
}

static int set_fields(struct group_row *row, json_t *doc, const char *name)
{
    char **const fields[] = { &row->display_name, &row->name, &row->external_id };
    const char *const values[] = { json_string_value(json_object_get(doc, "displayName")), name,
                                   json_string_value(json_object_get(doc, "externalId")) };
    if (strings_replace_all(fields, values, 3) < 0)
        return -1;
    json_decref(row->doc);
    row->doc = json_incref(doc);
    return 0;
}

/* Stores doc + members into w->row (new or existing), allocating a gid when one is needed. */
static int store_group(struct db *db, struct group_write *w, json_t *doc, bool creating,
                       struct scim_error *err)
{
    struct group_row *row = &w->row;
    char name[LOGIN_NAME_BUF];
    bool mapped = false, as_group = true;
    json_t *members = take_members(doc);
    int ret = -1;
    audit_changed_attributes(creating ? NULL : row->doc, doc, false, w->changed_attrs,
                             sizeof(w->changed_attrs));
    if (!creating || json_array_size(members) > 0) {
        size_t n = strlen(w->changed_attrs);
        snprintf(w->changed_attrs + n, sizeof(w->changed_attrs) - n, "%smembers", n ? "," : "");
    }
    const char *display = json_string_value(json_object_get(doc, "displayName"));

    if (creating && users_new_id(row->id) < 0) {
        scim_error_set(err, 500, NULL, "cannot generate an id");
        goto out;
    }
    if (derive_name(db, w->srv->cfg, display, creating ? NULL : row->id, row->id, name, &mapped,
                    &as_group, err) < 0)
        goto out;
    /* Stored without a gid (like a mapped group with no mapping) it is no Linux group; a
     * renamed group giving up its gid leaves it tombstoned in the ledger, never reused. */
    if (!mapped && !as_group && row->gid != 0) {
        if (identity_release(db, row->id, err) < 0)
            goto out;
        row->gid = 0;
    }
    if (!mapped && as_group && row->gid == 0 &&
        identity_allocate_gid(db, w->srv->cfg, row->id, name, &row->gid, err) < 0)
        goto out;
    if (set_fields(row, doc, name) < 0) {
        scim_error_set(err, 500, NULL, "out of memory");
        goto out;
    }
    if (creating) {
        row->version = 1;
        store_timestamp(row->created);
        memcpy(row->modified, row->created, sizeof(row->modified));
        if (groups_repo_insert(db, row, err) < 0)
            goto out;
    } else {
        row->version++;
        store_timestamp(row->modified);
        if (groups_repo_update(db, row, err) < 0)
            goto out;
    }
    if (groups_repo_set_members(db, row->id, members, err) < 0)
        goto out;
    w->changed = true;
    ret = 0;
out:
    json_decref(members);
    return ret;
}

static int load_current(struct db *db, struct group_write *w, struct scim_error *err)
{
    int r = groups_repo_get(db, w->id, &w->row, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return scim_error_set(err, 404, NULL, "no group with id '%.64s'", w->id);
    if (!etag_ok(w->if_match, w->row.version))
        return scim_error_set(err, 412, NULL,
                              "If-Match does not match the current version W/\"%lld\"",
                              (long long)w->row.version);
    return 0;
}

static int group_write_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct group_write *w = arg;
    json_t *res = NULL;
    int ret = -1;

    if (w->op == G_CREATE) {
        res = json_deep_copy(w->body);
        ret = res ? store_group(db, w, res, true, err) : scim_error_set(err, 500, NULL, "oom");
        goto out;
    }
    if (load_current(db, w, err) < 0)
        goto out;
    if (w->op == G_DELETE) {
        if (groups_repo_delete(db, w->id, err) < 0 || identity_release(db, w->id, err) < 0)
            goto out;
        w->changed = true;
        ret = 0;
        goto out;
    }
    if (w->op == G_REPLACE) {
        res = json_deep_copy(w->body);
    } else {
        /* PATCH works on the whole resource, members as {"value": id} objects. */
        res = json_deep_copy(w->row.doc);
        json_t *members = res ? groups_repo_members(db, w->id, err) : NULL;
        if (!members)
            goto out;
        json_object_set_new(res, "members", members);
        json_object_set_new(res, "id", json_string(w->row.id));
        if (scim_patch_apply(res, w->body, &scim_rt_group, err) < 0)
            goto out;
        json_object_del(res, "id");
        json_object_del(res, "meta");
        if (scim_resource_validate(res, &scim_rt_group, SCIM_WRITE_REPLACE, err) < 0)
            goto out;
    }
    if (!res) {
        scim_error_set(err, 500, NULL, "out of memory");
        goto out;
    }
    ret = store_group(db, w, res, false, err);
out:
    json_decref(res);
    return ret;
}

static json_t *parse_group_body(const struct api_request *req, enum scim_write_mode mode,
                                struct scim_error *err)
{
    json_t *body = api_json_body(req, err);
    if (!body)
        return NULL;
    if (mode != (enum scim_write_mode)-1 &&
        scim_resource_validate(body, &scim_rt_group, mode, err) < 0) {
        json_decref(body);
        return NULL;
    }
    return body;
}

static bool members_excluded(const char *attributes, const char *excluded)
{
    if (excluded) {
        const char *p = excluded;
        while ((p = strcasestr(p, "members")) != NULL) {
            bool start = p == excluded || p[-1] == ',' || p[-1] == ' ' || p[-1] == ':';
            bool end = p[7] == '\0' || p[7] == ',' || p[7] == ' ';
            if (start && end)
                return true;
            p += 7;
        }
    }
    return attributes && !strcasestr(attributes, "members");
}

static void respond_group(struct scimd_server *srv, struct api_request *req,
                          struct api_response *resp, int status, const struct group_row *row)
{
    struct scim_error err;
    const char *attrs = api_query(req, "attributes");
    const char *excl = api_query(req, "excludedAttributes");
    struct db *db = store_reader_get(srv->store, &err);
    if (!db)
        return api_error_from(resp, &err);
    json_t *res = group_row_to_resource(db, row, req->base_url, !members_excluded(attrs, excl));
    store_reader_put(srv->store, db);
    json_t *projected = res ? listing_project(res, &scim_rt_group, attrs, excl) : NULL;
    json_decref(res);
    if (!projected)
        return api_error(resp, 500, NULL, "cannot render group");
    api_respond_resource(req, resp, status, projected, row->version, "Groups", row->id);
}

static void run_group_write(struct scimd_server *srv, struct api_request *req,
                            struct group_write *w, struct api_response *resp, int ok_status)
{
    struct scim_error err;
    scim_error_clear(&err);
    w->srv = srv;
    w->if_match = api_header(req, "If-Match");
    if (store_write(srv->store, group_write_fn, w, &err) < 0)
        return api_error_from(resp, &err);
    if (w->changed) {
        static const char *const actions[] = { "create", "replace", "patch", "delete" };
        /* Users show their groups: a group change can alter any rendered user. */
        render_cache_invalidate(srv->render_cache, NULL);
        exporter_notify(srv->exporter);
        audit_log(req->token_id, actions[w->op], "Group", w->row.id, w->row.name,
                  w->op == G_DELETE ? "" : w->changed_attrs);
        const struct audit_kernel_subject subject = { w->row.name, w->row.gid, w->row.id,
                                                      req->token_id };
        audit_kernel_record(w->op == G_CREATE   ? AUDIT_KERNEL_GROUP_ADD
                            : w->op == G_DELETE ? AUDIT_KERNEL_GROUP_DELETE
                                                : AUDIT_KERNEL_GROUP_MODIFY,
                            &subject, w->op == G_DELETE ? NULL : w->changed_attrs);
    }
    /* PATCH answers 204 unless the client asked for attributes (RFC 7644 §3.5.2): a
     * 10,000-member group would otherwise travel back on every membership change. */
    if (w->op == G_DELETE ||
        (w->op == G_PATCH && !api_query(req, "attributes") && !api_query(req, "excludedAttributes"))) {
        resp->status = 204;
        return;
    }
    respond_group(srv, req, resp, ok_status, &w->row);
}

/* A listed group: rendered (members only when they may be shown or filtered on). */
static int list_group_row(struct db *db, const struct group_row *row, void *arg,
                          struct scim_error *err)
{
    (void)err;
    struct listing_run *run = arg;
    bool with_members = run->filter ||
                        !members_excluded(run->l->attributes, run->l->excluded_attributes);
    json_t *res = group_row_to_resource(db, row, run->base_url, with_members);
    if (res)
        listing_emit(run, res);
    return 0;
}

static int list_groups_run(struct db *db, const struct listing_query *lq, struct listing_run *run,
                           struct scim_error *err)
{
    struct groups_query q = { .kind = lq->kind == LISTING_QUERY_KEY ? GROUPS_QUERY_KEY
                                                                     : GROUPS_QUERY_ALL,
                              .key = (enum groups_key)lq->key, .value = lq->value };
    return groups_query_each(db, &q, list_group_row, run, "list groups", err);
}

static const struct listing_index groups_indexes[] = {
    { "displayName", GROUPS_KEY_DISPLAY_NAME, NULL },
    { "externalId", GROUPS_KEY_EXTERNAL_ID, NULL },
};

/* No count: a listing without a filter reads every group (members are rendered per group
 * anyway, so paging in the store would save little). */
static const struct listing_source groups_listing = {
    .rt = &scim_rt_group,
    .what = "list groups",
    .indexes = groups_indexes,
    .n_indexes = sizeof(groups_indexes) / sizeof(groups_indexes[0]),
    .run = list_groups_run,
};

void groups_search(struct scimd_server *srv, struct api_request *req, struct api_response *resp)
{
    search_respond(srv, req, &groups_listing, resp);
}

static void list_groups(struct scimd_server *srv, struct api_request *req,
                        struct api_response *resp)
{
    struct scim_error err;
    scim_error_clear(&err);
    json_t *list = listing_list(srv->store, req, &groups_listing, &err);
    if (!list) {
        api_error_from(resp, &err);
        return;
    }
    resp->status = 200;
    resp->json = list;
}

void groups_collection(struct scimd_server *srv, struct api_request *req,
                       struct api_response *resp)
{
    if (strcmp(req->method, "GET") == 0)
        return list_groups(srv, req, resp);
    struct scim_error err;
    json_t *body = parse_group_body(req, SCIM_WRITE_CREATE, &err);
    if (!body)
        return api_error_from(resp, &err);
    struct group_write w = { .op = G_CREATE, .body = body };
    run_group_write(srv, req, &w, resp, 201);
    group_row_clear(&w.row);
    json_decref(body);
}

void groups_item(struct scimd_server *srv, struct api_request *req, const char *id,
                 struct api_response *resp)
{
    struct scim_error err;
    scim_error_clear(&err);
    if (strlen(id) > 64 || strspn(id, "0123456789abcdefABCDEF-") != strlen(id))
        return api_error(resp, 404, NULL, "no group with id '%.64s'", id);
    if (strcmp(req->method, "GET") == 0) {
        struct group_row row = { 0 };
        struct db *db = store_reader_get(srv->store, &err);
        int r = db ? groups_repo_get(db, id, &row, &err) : -1;
        store_reader_put(srv->store, db);
        if (r < 0)
            api_error_from(resp, &err);
        else if (r == 0)
            api_error(resp, 404, NULL, "no group with id '%s'", id);
        else
            respond_group(srv, req, resp, 200, &row);
        group_row_clear(&row);
        return;
    }
    struct group_write w = { .id = id };
    json_t *body = NULL;
    if (strcmp(req->method, "DELETE") == 0) {
        w.op = G_DELETE;
    } else {
        bool put = strcmp(req->method, "PUT") == 0;
        w.op = put ? G_REPLACE : G_PATCH;
        body = parse_group_body(req, put ? SCIM_WRITE_REPLACE : (enum scim_write_mode)-1, &err);
        if (!body)
            return api_error_from(resp, &err);
        w.body = body;
    }
    run_group_write(srv, req, &w, resp, 200);
    group_row_clear(&w.row);
    json_decref(body);
}
