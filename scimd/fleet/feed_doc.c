/* SPDX-License-Identifier: MIT */
#include "fleet/feed_doc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

json_t *feed_doc_new(const char *feed_id, int64_t since, int64_t upto)
{
    char generated[32];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(generated, sizeof(generated), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_pack("{s:s, s:s, s:I, s:I, s:s, s:[], s:[], s:[], s:[]}", "feed", feed_id,
                     "type", since < 0 ? "snapshot" : "changes", "from",
                     (json_int_t)(since < 0 ? 0 : since), "to", (json_int_t)upto, "generated",
                     generated, "users", "groups", "roles", "deleted");
}

/* A JSON column that must hold an array of strings; NULL or "" is the empty array. */
static json_t *string_array(const char *text)
{
    if (!text || !*text)
        return json_array();
    json_t *a = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_array(a)) {
        json_decref(a);
        return NULL;
    }
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) if (!json_is_string(v))
    {
        json_decref(a);
        return NULL;
    }
    return a;
}

static int append(json_t *doc, const char *list, json_t *item)
{
    if (!item)
        return -1;
    return json_array_append_new(json_object_get(doc, list), item);
}

int feed_doc_add_user(json_t *doc, const struct feed_user *u, bool share_hash)
{
    json_t *roles = string_array(u->roles_json);
    json_t *keys = string_array(u->ssh_keys_json);
    if (!roles || !keys) {
        json_decref(roles);
        json_decref(keys);
        return -1;
    }
    json_t *hash = share_hash && u->password_hash ? json_string(u->password_hash) : json_null();
    return append(doc, "users",
                  json_pack("{s:s, s:s, s:s, s:I, s:b, s:s, s:o, s:o, s:o, s:I}", "id", u->id,
                            "userName", u->user_name, "login", u->login, "uid",
                            (json_int_t)u->uid, "active", u->active, "gecos",
                            u->gecos ? u->gecos : "", "roles", roles, "sshKeys", keys,
                            "passwordHash", hash, "passwordDay", (json_int_t)u->password_day));
}

int feed_doc_add_group(json_t *doc, const struct feed_group *g, const char *const *member_ids,
                       size_t n)
{
    json_t *members = json_array();
    for (size_t i = 0; members && i < n; i++)
        if (json_array_append_new(members, json_string(member_ids[i])) < 0) {
            json_decref(members);
            return -1;
        }
    if (!members)
        return -1;
    return append(doc, "groups",
                  json_pack("{s:s, s:s, s:s, s:I, s:o}", "id", g->id, "displayName",
                            g->display_name, "name", g->name ? g->name : "", "gid",
                            (json_int_t)g->gid, "members", members));
}

int feed_doc_add_role(json_t *doc, const struct feed_role *r)
{
    return append(doc, "roles", json_pack("{s:s, s:I}", "name", r->name, "gid", (json_int_t)r->gid));
}

int feed_doc_add_deleted(json_t *doc, const char *kind, const char *id)
{
    return append(doc, "deleted", json_pack("{s:s, s:s}", "kind", kind, "id", id));
}

struct walk {
    json_t *doc;
    bool share_hash;
    bool bad_row; /* a row the builder refused, not a store error */
};

static int on_user(void *arg, const struct feed_user *u)
{
    struct walk *w = arg;
    if (feed_doc_add_user(w->doc, u, w->share_hash) < 0) {
        w->bad_row = true;
        return -1;
    }
    return 0;
}

static int on_group(void *arg, const struct feed_group *g, const char *const *ids, size_t n)
{
    struct walk *w = arg;
    if (feed_doc_add_group(w->doc, g, ids, n) < 0) {
        w->bad_row = true;
        return -1;
    }
    return 0;
}

static int on_role(void *arg, const struct feed_role *r)
{
    struct walk *w = arg;
    if (feed_doc_add_role(w->doc, r) < 0) {
        w->bad_row = true;
        return -1;
    }
    return 0;
}

static int on_deleted(void *arg, const char *kind, const char *id)
{
    struct walk *w = arg;
    if (feed_doc_add_deleted(w->doc, kind, id) < 0) {
        w->bad_row = true;
        return -1;
    }
    return 0;
}

json_t *feed_doc_build(struct db *db, const char *feed_id, int64_t since, int64_t upto,
                       bool share_hash, char *err, size_t errlen)
{
    struct walk w = { .doc = feed_doc_new(feed_id, since, upto), .share_hash = share_hash };
    const char *what = NULL;
    if (!w.doc) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (feed_each_user(db, since, upto, on_user, &w) != 0)
        what = "users";
    else if (feed_each_group(db, since, upto, on_group, &w) != 0)
        what = "groups";
    else if (feed_each_role(db, since, upto, on_role, &w) != 0)
        what = "roles";
    else if (since >= 0 && feed_each_deleted(db, since, upto, on_deleted, &w) != 0)
        what = "deleted entities";
    if (what) {
        snprintf(err, errlen, "feed: cannot read the %s: %s", what,
                 w.bad_row ? "a row holds malformed JSON (or out of memory)"
                           : "store error");
        json_decref(w.doc);
        w.doc = NULL;
    }
out:
    return w.doc;
}

char *feed_doc_dump(const json_t *doc)
{
    return json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
}
