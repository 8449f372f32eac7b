/* SPDX-License-Identifier: MIT */
#include "api/render_resource.h"

#include <stdio.h>

#include "proto/etag.h"
#include "proto/schema.h"

/* A copy of the member key of obj, put in its place: changing it leaves row->doc alone. */
static json_t *own_member(json_t *obj, const char *key)
{
    json_t *copy = json_copy(json_object_get(obj, key));
    if (copy && json_object_set_new(obj, key, copy) < 0)
        return NULL;
    return copy;
}

json_t *user_row_to_resource(const struct user_row *row, const char *base_url)
{
    /* Shallow: of the doc's values only the two changed below are copied; a deep copy of
     * every attribute was a sizeable share of rendering a user. */
    json_t *res = json_copy(row->doc);
    if (!res)
        return NULL;
    char location[700], etag[SCIM_ETAG_BUF];
    snprintf(location, sizeof(location), "%s/Users/%s", base_url, row->id);
    scim_etag_format(row->version, etag);
    json_object_set_new(res, "id", json_string(row->id));
    /* The account's real ids, read back in our extension (never taken from the stored doc). */
    json_t *ext = json_object_get(res, SCIM_URN_LINUX_USER);
    if (json_is_object(ext)) {
        ext = own_member(res, SCIM_URN_LINUX_USER);
    } else if (!ext) {
        ext = json_object();
        json_object_set_new(res, SCIM_URN_LINUX_USER, ext);
        if (json_is_array(json_object_get(res, "schemas")))
            json_array_append_new(own_member(res, "schemas"), json_string(SCIM_URN_LINUX_USER));
    }
    json_object_set_new(ext, "uidNumber", json_integer(row->uid));
    json_object_set_new(ext, "gidNumber", json_integer(row->uid));
    json_object_set_new(res, "meta",
                        json_pack("{s:s, s:s, s:s, s:s, s:s}", "resourceType", "User", "created",
                                  row->created, "lastModified", row->modified, "location",
                                  location, "version", etag));
    return res;
}

struct refs {
    json_t *array;
    const char *base_url;
    const char *endpoint; /* "Users" or "Groups" */
    const char *type;     /* "User" for members, "direct" for a user's groups */
};

static void add_ref(const char *id, const char *display, void *arg)
{
    struct refs *r = arg;
    char ref[700];
    snprintf(ref, sizeof(ref), "%s/%s/%s", r->base_url, r->endpoint, id);
    if (!r->array)
        r->array = json_array();
    json_array_append_new(r->array, json_pack("{s:s, s:s, s:s, s:s}", "value", id, "$ref", ref,
                                              "display", display, "type", r->type));
}

int users_attach_groups(struct db *db, json_t *user, const char *user_id, const char *base_url)
{
    struct refs r = { .base_url = base_url, .endpoint = "Groups", .type = "direct" };
    int ret = groups_repo_each_of_user(db, user_id, add_ref, &r);
    if (r.array)
        json_object_set_new(user, "groups", r.array);
    return ret;
}

json_t *group_row_to_resource(struct db *db, const struct group_row *row, const char *base_url,
                              bool with_members)
{
    json_t *res = json_deep_copy(row->doc);
    if (!res)
        return NULL;
    char location[700], etag[SCIM_ETAG_BUF];
    snprintf(location, sizeof(location), "%s/Groups/%s", base_url, row->id);
    scim_etag_format(row->version, etag);
    json_object_set_new(res, "id", json_string(row->id));
    if (with_members) {
        /* An error reading them renders the members read so far (an empty list at worst). */
        struct refs r = { .array = json_array(), .base_url = base_url, .endpoint = "Users",
                          .type = "User" };
        groups_repo_each_member(db, row->id, add_ref, &r);
        json_object_set_new(res, "members", r.array);
    }
    json_object_set_new(res, "meta",
                        json_pack("{s:s, s:s, s:s, s:s, s:s}", "resourceType", "Group", "created",
                                  row->created, "lastModified", row->modified, "location",
                                  location, "version", etag));
    return res;
}
