/* SPDX-License-Identifier: MIT */
/* scimctl cache dump --json. The document has the header's fields (file, kind,
 * format_version, generation, uid_hwm, created, size, superseded), the section table
 * (sections: type, offset, length, count) and, for the NSS file, users (name, uid, gid, gecos,
 * home, shell, active, gids, ssh_keys: how many, ssh_keys_ok, subids: {start, count} or null,
 * subids_ok) and groups (name, gid, kind, members); for the shadow file, shadow (name, locked,
 * password: "no-password" or "password-hash", lstchg, expire). As in the text dump, a hash
 * never appears: the document may be pasted into a ticket. A record that fails its checks
 * fails the whole dump (a script must not act on part of a file); a damaged key list or
 * subordinate id section is only flagged, as the text dump flags it. */
#include "scimctl_cache.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "scim_cache.h"
#include "scim_cache_format.h"
#include "scimctl_common.h"

static json_t *header_json(const struct scim_cache *c, const char *path)
{
    const struct scim_cache_header *h = c->hdr;
    time_t created = (time_t)h->created;
    struct tm tm;
    char when[64] = "?";
    if (gmtime_r(&created, &tm))
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *sections = json_array();
    const struct scim_cache_section *tab =
        (const struct scim_cache_section *)(c->base + sizeof(*h));
    for (uint32_t i = 0; sections && i < h->section_count; i++) {
        if (json_array_append_new(sections, json_pack("{s:I, s:I, s:I, s:I}", "type",
                                                      (json_int_t)tab[i].type, "offset",
                                                      (json_int_t)tab[i].offset, "length",
                                                      (json_int_t)tab[i].length, "count",
                                                      (json_int_t)tab[i].count)) < 0) {
            json_decref(sections);
            return NULL;
        }
    }
    /* json_int_t is signed 64-bit: generation and size are far below 2^63 in any real file. */
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:I, s:b, s:o}", "file", path, "kind",
                     c->kind == SCIM_CACHE_FILE_NSS ? "nss" : "shadow", "format_version",
                     (json_int_t)h->version, "generation", (json_int_t)h->generation, "uid_hwm",
                     (json_int_t)h->uid_hwm, "created", when, "size", (json_int_t)h->file_size,
                     "superseded", h->superseded != 0, "sections", sections);
}

static json_t *user_json(const struct scim_cache *c, uint32_t i, const char **bad)
{
    struct scim_cache_user_view u;
    if (scim_cache_user_at(c, i, &u) < 0) {
        *bad = "user";
        return NULL;
    }
    json_t *gids = json_array();
    for (uint32_t g = 0; gids && g < u.n_gids; g++) {
        if (json_array_append_new(gids, json_integer(u.gids[g])) < 0) {
            json_decref(gids);
            return NULL;
        }
    }
    uint32_t pos = 0, n_keys = 0, len;
    const char *key;
    while (scim_cache_ssh_key_next(&u, &pos, &key, &len))
        n_keys++;
    struct scim_cache_subid_view sv;
    int src = scim_cache_subids_of(c, i, &sv);
    json_t *subids = src == 0 ? json_pack("{s:I, s:I}", "start", (json_int_t)sv.start, "count",
                                          (json_int_t)sv.count)
                              : json_null();
    return json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:b, s:o, s:I, s:b, s:o, s:b}", "name",
                     u.name, "uid", (json_int_t)u.uid, "gid", (json_int_t)u.gid, "gecos",
                     u.gecos, "home", u.home, "shell", u.shell, "active", u.active, "gids",
                     gids, "ssh_keys", (json_int_t)n_keys, "ssh_keys_ok",
                     scim_cache_user_ssh_keys_ok(&u), "subids", subids, "subids_ok",
                     src == 0 || src == -ENOENT);
}

struct members {
    json_t *list;
    bool failed; /* a name jansson refused: out of memory, or not UTF-8 */
};

/* Never stops the walk: the member list's checksum, checked after the last member, says
 * first whether the names can be trusted at all. */
static int add_member(void *ctx, const char *name, uint32_t len)
{
    struct members *m = ctx;
    if (!m->failed && json_array_append_new(m->list, json_stringn(name, len)) < 0)
        m->failed = true;
    return 0;
}

static json_t *group_json(const struct scim_cache *c, uint32_t i, const char **bad)
{
    struct scim_cache_group_view g;
    if (scim_cache_group_at(c, i, &g) < 0) {
        *bad = "group";
        return NULL;
    }
    struct members m = { .list = json_array() };
    if (!m.list)
        return NULL;
    if (scim_cache_group_members(c, &g, add_member, &m) < 0) {
        *bad = "group member list";
        m.failed = true;
    }
    if (m.failed) {
        json_decref(m.list);
        return NULL;
    }
    return json_pack("{s:s#, s:I, s:s, s:o}", "name", g.name, (size_t)g.name_len, "gid",
                     (json_int_t)g.gid, "kind", scim_cache_group_kind_name(g.kind), "members",
                     m.list);
}

static json_t *shadow_json(const struct scim_cache *c, uint32_t i, const char **bad)
{
    struct scim_cache_shadow_view s;
    if (scim_cache_shadow_at(c, i, &s) < 0) {
        *bad = "shadow entry";
        return NULL;
    }
    bool locked = s.passwd[0] == '!';
    const char *pw = locked ? s.passwd + 1 : s.passwd;
    return json_pack("{s:s, s:b, s:s, s:i, s:i}", "name", s.name, "locked", locked, "password",
                     strcmp(pw, "*") == 0 ? "no-password" : "password-hash", "lstchg",
                     (int)s.lstchg, "expire", (int)s.expire);
}

typedef json_t *(*record_fn)(const struct scim_cache *c, uint32_t i, const char **bad);

/* Adds doc[key] = [record(0) .. record(n - 1)]. 0, or -1 with *bad naming the record that
 * failed its checks (NULL: out of memory) and *at its index. */
static int add_records(json_t *doc, const char *key, const struct scim_cache *c, uint32_t n,
                       record_fn record, const char **bad, uint32_t *at)
{
    json_t *list = json_array();
    if (!list || json_object_set_new(doc, key, list) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        *at = i;
        if (json_array_append_new(list, record(c, i, bad)) < 0)
            return -1;
    }
    return 0;
}

int scimctl_cache_dump_json(const char *path)
{
    struct scim_cache c;
    enum scim_cache_file kind;
    char err[256] = "";
    json_t *doc = NULL;
    const char *bad = NULL;
    uint32_t at = 0;
    int ret = 1;
    int rc = scim_cache_detect_kind(path, &kind, err, sizeof(err));
    if (rc == 0)
        rc = scim_cache_open(&c, path, kind, SCIM_CACHE_OPEN_UNTRUSTED, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "scimctl: %s\n", err);
        return 1;
    }
    doc = header_json(&c, path);
    rc = doc ? 0 : -1;
    if (rc == 0 && kind == SCIM_CACHE_FILE_NSS)
        rc = add_records(doc, "users", &c, scim_cache_user_count(&c), user_json, &bad, &at);
    if (rc == 0 && kind == SCIM_CACHE_FILE_NSS)
        rc = add_records(doc, "groups", &c, scim_cache_group_count(&c), group_json, &bad, &at);
    if (rc == 0 && kind == SCIM_CACHE_FILE_SHADOW)
        rc = add_records(doc, "shadow", &c, scim_cache_shadow_count(&c), shadow_json, &bad, &at);
    if (rc < 0) {
        if (bad)
            fprintf(stderr, "scimctl: %s: %s %u: CORRUPT\n", path, bad, at);
        else
            fprintf(stderr, "scimctl: %s: cannot build the JSON document (out of memory, or "
                            "a string that is not UTF-8)\n", path);
    } else {
        ret = scimctl_print_json(doc); /* takes doc; says why itself when it fails */
        doc = NULL;
    }
    json_decref(doc);
    scim_cache_close(&c);
    return ret;
}
