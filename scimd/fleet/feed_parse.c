/* SPDX-License-Identifier: MIT */
#include "fleet/feed_parse.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/linux_names.h"
#include "scim_names.h"

/* Far above any real hub's document, low enough that a hostile one cannot make a follower
 * allocate without bound for one entry. */
#define FEED_MAX_STRING 65536

struct parse_ctx {
    const struct scimd_config *cfg;
    char *err;
    size_t errlen;
};

static int fail(struct parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A required string member; NULL (with err set) when absent, not a string or too long. */
static const char *str_field(struct parse_ctx *c, const json_t *obj, const char *key,
                             const char *where)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || json_string_length(v) > FEED_MAX_STRING ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        fail(c, "%s: \"%s\" must be a string", where, key);
        return NULL;
    }
    return json_string_value(v);
}

static int int_field(struct parse_ctx *c, const json_t *obj, const char *key, const char *where,
                     json_int_t lo, json_int_t hi, json_int_t *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return fail(c, "%s: \"%s\" must be an integer from %lld to %lld", where, key,
                    (long long)lo, (long long)hi);
    *out = json_integer_value(v);
    return 0;
}

/* A Linux name from the hub: valid by this host's rules and not reserved here. */
static int name_ok(struct parse_ctx *c, const char *name, const char *where)
{
    const char *why = NULL;
    if (scim_name_validate(name, c->cfg->max_name_length, &why) < 0)
        return fail(c, "%s: name \"%.64s\": %s", where, name, why);
    if ((why = linux_name_reserved(c->cfg, name)) != NULL)
        return fail(c, "%s: name \"%.64s\": %s", where, name, why);
    return 0;
}

static int id_in(struct parse_ctx *c, const json_t *obj, const char *key, const char *where,
                 uint32_t lo, uint32_t hi, uint32_t *out)
{
    json_int_t v;
    /* The config check keeps both ranges at or above 1000 and clear of the special ids. */
    if (int_field(c, obj, key, where, lo, hi, &v) < 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int str_array(struct parse_ctx *c, const json_t *arr, const char *what, const char ***out,
                     size_t *n)
{
    if (!json_is_array(arr))
        return fail(c, "%s must be an array", what);
    size_t count = json_array_size(arr);
    *out = calloc(count ? count : 1, sizeof(**out));
    if (!*out)
        return fail(c, "out of memory");
    for (size_t i = 0; i < count; i++) {
        const json_t *v = json_array_get(arr, i);
        if (!json_is_string(v) || json_string_length(v) > FEED_MAX_STRING ||
            strlen(json_string_value(v)) != json_string_length(v) ||
            strchr(json_string_value(v), '\n'))
            return fail(c, "%s[%zu] must be a string without NUL or newline", what, i);
        (*out)[i] = json_string_value(v);
    }
    *n = count;
    return 0;
}

static int parse_user(struct parse_ctx *c, const json_t *u, size_t i, struct mat_user *out)
{
    char where[48];
    snprintf(where, sizeof(where), "users[%zu]", i);
    if (!json_is_object(u))
        return fail(c, "%s must be an object", where);
    json_int_t day;
    const json_t *ph = json_object_get(u, "passwordHash");
    if (!(out->id = str_field(c, u, "id", where)) ||
        !(out->user_name = str_field(c, u, "userName", where)) ||
        !(out->login = str_field(c, u, "login", where)) ||
        !(out->gecos = str_field(c, u, "gecos", where)))
        return -1;
    if (out->id[0] == '\0')
        return fail(c, "%s: empty id", where);
    if (strpbrk(out->gecos, ":\n"))
        return fail(c, "%s: gecos must not hold ':' or a newline", where);
    if (name_ok(c, out->login, where) < 0 ||
        id_in(c, u, "uid", where, c->cfg->uid_min, c->cfg->uid_max, &out->uid) < 0)
        return -1;
    const json_t *active = json_object_get(u, "active");
    if (!json_is_boolean(active))
        return fail(c, "%s: \"active\" must be true or false", where);
    out->active = json_is_true(active);
    if (ph && !json_is_null(ph)) {
        if (!(out->password_hash = str_field(c, u, "passwordHash", where)))
            return -1;
        /* Only crypt(3) hashes ("$id$..."): never a plain value or a shadow field ending
         * early. */
        if (out->password_hash[0] != '$' || strpbrk(out->password_hash, ":\n "))
            return fail(c, "%s: \"passwordHash\" is not a crypt hash", where);
    }
    if (int_field(c, u, "passwordDay", where, 0, 1000000, &day) < 0)
        return -1;
    out->password_day = day;
    char what[64];
    snprintf(what, sizeof(what), "%s.roles", where);
    if (str_array(c, json_object_get(u, "roles"), what, &out->roles, &out->n_roles) < 0)
        return -1;
    for (size_t r = 0; r < out->n_roles; r++)
        if (out->roles[r][0] == '\0')
            return fail(c, "%s[%zu] is empty", what, r);
    snprintf(what, sizeof(what), "%s.sshKeys", where);
    return str_array(c, json_object_get(u, "sshKeys"), what, &out->ssh_keys, &out->n_ssh_keys);
}

static int parse_group(struct parse_ctx *c, const json_t *g, size_t i, struct mat_group *out)
{
    char where[48];
    snprintf(where, sizeof(where), "groups[%zu]", i);
    if (!json_is_object(g))
        return fail(c, "%s must be an object", where);
    if (!(out->id = str_field(c, g, "id", where)) ||
        !(out->display_name = str_field(c, g, "displayName", where)) ||
        !(out->name = str_field(c, g, "name", where)))
        return -1;
    if (out->id[0] == '\0')
        return fail(c, "%s: empty id", where);
    if (name_ok(c, out->name, where) < 0 ||
        id_in(c, g, "gid", where, c->cfg->gid_min, c->cfg->gid_max, &out->gid) < 0)
        return -1;
    char what[64];
    snprintf(what, sizeof(what), "%s.members", where);
    return str_array(c, json_object_get(g, "members"), what, &out->members, &out->n_members);
}

static int parse_role(struct parse_ctx *c, const json_t *r, size_t i, struct mat_role *out)
{
    char where[48];
    snprintf(where, sizeof(where), "roles[%zu]", i);
    if (!json_is_object(r))
        return fail(c, "%s must be an object", where);
    if (!(out->name = str_field(c, r, "name", where)) || name_ok(c, out->name, where) < 0)
        return -1;
    return id_in(c, r, "gid", where, c->cfg->gid_min, c->cfg->gid_max, &out->gid);
}

static int parse_deleted(struct parse_ctx *c, const json_t *d, size_t i, struct mat_deleted *out)
{
    char where[48];
    snprintf(where, sizeof(where), "deleted[%zu]", i);
    if (!json_is_object(d))
        return fail(c, "%s must be an object", where);
    const char *kind = str_field(c, d, "kind", where);
    if (!kind || !(out->id = str_field(c, d, "id", where)))
        return -1;
    if (strcmp(kind, "user") == 0)
        out->kind = MAT_USER;
    else if (strcmp(kind, "group") == 0)
        out->kind = MAT_GROUP;
    else if (strcmp(kind, "role") == 0)
        out->kind = MAT_ROLE;
    else
        return fail(c, "%s: unknown kind \"%.16s\"", where, kind);
    return 0;
}

/* Allocates *out for the array member key (absent counts as empty) and fills each element. */
#define PARSE_LIST(c, root, key, arr_out, n_out, fn)                                           \
    do {                                                                                      \
        const json_t *a_ = json_object_get(root, key);                                        \
        if (a_ && !json_is_array(a_)) {                                                       \
            fail(c, "\"%s\" must be an array", key);                                          \
            goto out;                                                                         \
        }                                                                                     \
        size_t n_ = a_ ? json_array_size(a_) : 0;                                             \
        arr_out = calloc(n_ ? n_ : 1, sizeof(*(arr_out)));                                    \
        if (!(arr_out)) {                                                                     \
            fail(c, "out of memory");                                                         \
            goto out;                                                                         \
        }                                                                                     \
        for (size_t i_ = 0; i_ < n_; i_++, (n_out)++)                                         \
            if (fn(c, json_array_get(a_, i_), i_, &(arr_out)[i_]) < 0) {                      \
                (n_out)++; /* its arrays are freed too */                                     \
                goto out;                                                                     \
            }                                                                                 \
    } while (0)

static bool is_feed_id(const char *s)
{
    size_t n = strspn(s, "0123456789abcdef");
    return n == 32 && s[n] == '\0';
}

int feed_parse(const struct scimd_config *cfg, const char *body, size_t len,
               struct feed_parsed *out, char *err, size_t errlen)
{
    struct parse_ctx c = { cfg, err, errlen };
    struct mat_doc *d = &out->doc;
    json_error_t jerr;
    int ret = -1;
    memset(out, 0, sizeof(*out));
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    out->json = root;
    if (!root) {
        fail(&c, "not a JSON document: %s", jerr.text);
        goto out;
    }
    if (!json_is_object(root)) {
        fail(&c, "the document must be a JSON object");
        goto out;
    }
    const char *feed = str_field(&c, root, "feed", "document");
    const char *type = str_field(&c, root, "type", "document");
    if (!feed || !type)
        goto out;
    if (!is_feed_id(feed)) {
        fail(&c, "document: \"feed\" is not a feed id");
        goto out;
    }
    memcpy(d->feed, feed, 33);
    if (strcmp(type, "snapshot") == 0)
        d->snapshot = true;
    else if (strcmp(type, "changes") != 0) {
        fail(&c, "document: unknown type \"%.16s\"", type);
        goto out;
    }
    json_int_t from, to;
    if (int_field(&c, root, "from", "document", 0, INT64_MAX, &from) < 0 ||
        int_field(&c, root, "to", "document", 0, INT64_MAX, &to) < 0)
        goto out;
    if (d->snapshot ? from != 0 : to <= from) {
        fail(&c, "document: sequence range %lld..%lld does not fit a %s", (long long)from,
             (long long)to, type);
        goto out;
    }
    d->from = from;
    d->to = to;
    PARSE_LIST(&c, root, "users", d->users, d->n_users, parse_user);
    PARSE_LIST(&c, root, "groups", d->groups, d->n_groups, parse_group);
    PARSE_LIST(&c, root, "roles", d->roles, d->n_roles, parse_role);
    PARSE_LIST(&c, root, "deleted", d->deleted, d->n_deleted, parse_deleted);
    if (d->snapshot && d->n_deleted) {
        fail(&c, "document: a snapshot lists no deletions");
        goto out;
    }
    ret = 0;
out:
    if (ret < 0)
        feed_parsed_free(out);
    return ret;
}

void feed_parsed_free(struct feed_parsed *p)
{
    if (!p)
        return;
    for (size_t i = 0; p->doc.users && i < p->doc.n_users; i++) {
        free(p->doc.users[i].roles);
        free(p->doc.users[i].ssh_keys);
    }
    for (size_t i = 0; p->doc.groups && i < p->doc.n_groups; i++)
        free(p->doc.groups[i].members);
    free(p->doc.users);
    free(p->doc.groups);
    free(p->doc.roles);
    free(p->doc.deleted);
    json_decref(p->json);
    memset(p, 0, sizeof(*p));
}
