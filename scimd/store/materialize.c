/* SPDX-License-Identifier: MIT */
#include "store/materialize.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/store.h"

#define USER_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:User"
#define GROUP_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:Group"

struct apply {
    struct db *db;
    const struct mat_doc *doc;
    const struct mat_options *opt;
    struct mat_result *res;
    struct scim_error *err;
    char now[32];
    char **recheck; /* users who left a group: still in scope? */
    size_t n_recheck, cap_recheck;
    int64_t top_uid, top_gid; /* the highest ids taken: the high-water marks, once per apply */
    char **stored; /* a snapshot's: the user ids stored when it began, sorted */
    size_t n_stored;
    size_t cap_lost, cap_changes; /* res's lists grow by doubling: a snapshot adds 100,000 */
};

static int sql_fail(struct apply *a, int rc, const char *what)
{
    return store_db_error(a->db, rc, a->err, what);
}

/* Runs sql with text (t) and integer (i) parameters given in order by fmt ("tti"). */
static int exec_bind(struct apply *a, const char *what, const char *sql, const char *fmt, ...)
{
    struct db_stmt *s = store_stmt(a->db, sql);
    if (!s)
        return sql_fail(a, db_errcode(a->db), what);
    va_list ap;
    va_start(ap, fmt);
    store_bind_v(s, fmt, ap);
    va_end(ap);
    int rc = db_step(s);
    store_stmt_done(s);
    return rc == DB_DONE || rc == DB_ROW ? 0 : sql_fail(a, rc, what);
}

/* The ledger row for id: 1 with its owner copied, 0 none, -1 error. */
static int ledger_owner(struct apply *a, int64_t id, char *owner, size_t len)
{
    struct db_stmt *s = store_stmt(a->db, "SELECT owner FROM id_ledger WHERE id = ?1");
    if (!s)
        return sql_fail(a, db_errcode(a->db), "read id ledger");
    db_bind_int64(s, 1, id);
    int rc = db_step(s), ret = 0;
    if (rc == DB_ROW) {
        snprintf(owner, len, "%s", db_column_text(s, 0));
        ret = 1;
    } else if (rc != DB_DONE) {
        ret = sql_fail(a, rc, "read id ledger");
    }
    store_stmt_done(s);
    return ret;
}

/* The hub's id for owner: recorded once, and refused when the ledger gave it to someone else
 * (a deleted user's uid stays theirs for ever, whatever the hub says). Most ids a batch
 * brings are new here (every one of a joining host's snapshot): one INSERT takes them, and
 * the ledger's row is read only when it already holds the id. */
static int ledger_take(struct apply *a, int64_t id, const char *kind, const char *owner,
                       const char *name)
{
    if (exec_bind(a, "record in id ledger",
                  "INSERT INTO id_ledger(id, kind, owner, name, allocated) VALUES(?1, ?2, ?3,"
                  " ?4, ?5) ON CONFLICT(id) DO NOTHING", "itttt", id, kind, owner, name,
                  a->now) < 0)
        return -1;
    if (db_changes(a->db) == 1) {
        int64_t *top = strcmp(kind, "user") == 0 ? &a->top_uid : &a->top_gid;
        if (id > *top)
            *top = id;
        return 0;
    }
    char held[512];
    int r = ledger_owner(a, id, held, sizeof(held));
    if (r < 0)
        return -1;
    if (r == 1) {
        if (strcmp(held, owner) != 0)
            return scim_error_set(a->err, 409, "uniqueness",
                                  "the hub gives id %" PRId64 " to %s \"%s\", but this host's "
                                  "ledger holds it for another owner: refused",
                                  id, kind, name);
        /* The same owner back (a user who left this host's scope and returns): its own id,
         * live again. */
        return exec_bind(a, "rename in id ledger",
                         "UPDATE id_ledger SET name = ?2, released = NULL WHERE id = ?1", "it", id,
                         name);
    }
    /* The INSERT found the id taken, the SELECT no row: not in one transaction. */
    return scim_error_set(a->err, 500, NULL, "id ledger: id %" PRId64 " neither recorded nor "
                          "held", id);
}

/* The high-water marks rise as on the hub, so a store restored from an older backup is
 * refused at start here too (startup_check_hwm against the cache and guard file). Written
 * once per apply, not once per id a snapshot brings. */
static int raise_mark(struct apply *a, const char *mark, int64_t top)
{
    char buf[32];
    if (top < 0 ||
        (store_meta_get(a->db, mark, buf, sizeof(buf)) == 1 && strtoll(buf, NULL, 10) >= top))
        return 0;
    snprintf(buf, sizeof(buf), "%" PRId64, top);
    return store_meta_write(a->db, mark, buf, "high-water mark", a->err);
}

static bool in_scope_name(const struct mat_options *opt, const char *name)
{
    for (size_t i = 0; i < opt->n_scope; i++)
        if (strcasecmp(opt->scope[i], name) == 0)
            return true;
    return false;
}

static bool group_scoped(const struct mat_options *opt, const struct mat_group *g)
{
    return in_scope_name(opt, g->name) || in_scope_name(opt, g->display_name);
}

/* 1 when the user belongs on this host under [follow] groups, given the document (and, for a
 * change set, the memberships of scoped groups it does not carry, which are in the store). */
static int user_in_scope(struct apply *a, const struct mat_user *u)
{
    if (a->opt->n_scope == 0)
        return 1;
    for (size_t i = 0; i < u->n_roles; i++)
        if (in_scope_name(a->opt, u->roles[i]))
            return 1;
    for (size_t g = 0; g < a->doc->n_groups; g++) {
        if (!group_scoped(a->opt, &a->doc->groups[g]))
            continue;
        for (size_t m = 0; m < a->doc->groups[g].n_members; m++)
            if (strcmp(a->doc->groups[g].members[m], u->id) == 0)
                return 1;
    }
    if (a->doc->snapshot)
        return 0;
    /* Groups the change set does not carry keep their stored members. */
    struct db_stmt *s = store_stmt(a->db, "SELECT g.id, g.name, g.display_name FROM group_members m"
                                        " JOIN groups g ON g.id = m.group_id WHERE m.user_id = ?1");
    if (!s)
        return sql_fail(a, db_errcode(a->db), "read memberships");
    db_bind_text(s, 1, u->id);
    int rc, ret = 0;
    while (ret == 0 && (rc = db_step(s)) == DB_ROW) {
        bool carried = false;
        const char *gid = db_column_text(s, 0);
        for (size_t g = 0; g < a->doc->n_groups && !carried; g++)
            carried = strcmp(a->doc->groups[g].id, gid) == 0;
        if (!carried && (in_scope_name(a->opt, db_column_text(s, 1)) ||
                         in_scope_name(a->opt, db_column_text(s, 2))))
            ret = 1;
    }
    if (ret == 0 && rc != DB_DONE)
        ret = sql_fail(a, rc, "read memberships");
    store_stmt_done(s);
    return ret;
}

static char *join_lines(const char **v, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *out = malloc(len), *p = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? "\n" : "", v[i]);
    *p = '\0';
    return out;
}

/* Bytes of s as a JSON string, escaped as jansson's compact dump does: '"', '\\' and the
 * control characters; UTF-8 as it is (the parser checked it). */
static size_t json_text_len(const char *s)
{
    size_t n = 2;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += *p == '"' || *p == '\\' || *p == '\b' || *p == '\f' || *p == '\n' || *p == '\r' ||
                     *p == '\t'
                 ? 2
             : *p < 0x20 ? 6
                         : 1;
    return n;
}

static char *json_text_put(char *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    *out++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        const char *e = *p == '"'    ? "\\\""
                        : *p == '\\' ? "\\\\"
                        : *p == '\b' ? "\\b"
                        : *p == '\f' ? "\\f"
                        : *p == '\n' ? "\\n"
                        : *p == '\r' ? "\\r"
                        : *p == '\t' ? "\\t"
                                     : NULL;
        if (e) {
            *out++ = e[0];
            *out++ = e[1];
        } else if (*p < 0x20) {
            out = stpcpy(out, "\\u00");
            *out++ = hex[*p >> 4];
            *out++ = hex[*p & 15];
        } else {
            *out++ = (char)*p;
        }
    }
    *out++ = '"';
    return out;
}

/* The stored SCIM document of a followed user: what scimctl users show needs; the exporter
 * reads the columns. Written directly, byte for byte what json_pack and json_dumps made:
 * building and dumping a jansson tree per user was a tenth of a 100,000-user snapshot's
 * apply (core-follow compares the two). */
static char *user_doc(const struct mat_user *u)
{
    static const char head[] = "{\"schemas\":[\"" USER_SCHEMA "\"],\"id\":";
    size_t len = sizeof(head) + json_text_len(u->id) + strlen(",\"userName\":") +
                 json_text_len(u->user_name) + strlen(",\"active\":false,\"roles\":[]}");
    for (size_t i = 0; i < u->n_roles; i++)
        len += strlen(",{\"value\":}") + json_text_len(u->roles[i]);
    char *out = malloc(len), *p = out;
    if (!out)
        return NULL;
    p = stpcpy(p, head);
    p = json_text_put(p, u->id);
    p = stpcpy(p, ",\"userName\":");
    p = json_text_put(p, u->user_name);
    p = stpcpy(p, u->active ? ",\"active\":true,\"roles\":[" : ",\"active\":false,\"roles\":[");
    for (size_t i = 0; i < u->n_roles; i++) {
        p = stpcpy(p, i ? ",{\"value\":" : "{\"value\":");
        p = json_text_put(p, u->roles[i]);
        *p++ = '}';
    }
    strcpy(p, "]}");
    return out;
}

/* list (n items of size each, room for *cap) with room for one more, or NULL for want of
 * memory (list is then untouched). Doubling: a snapshot lists every user it adds. */
static void *grow(void *list, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return list;
    size_t want = *cap ? *cap * 2 : 16;
    void *grown = realloc(list, want * size);
    if (grown)
        *cap = want;
    return grown;
}

static void note_lost(struct apply *a, uint32_t uid, const char *login)
{
    a->res->deactivated_or_removed = true;
    struct mat_lost *grown = grow(a->res->lost, a->res->n_lost, &a->cap_lost, sizeof(*grown));
    if (!grown)
        return; /* sessions are defence in depth: the export still locks the account */
    a->res->lost = grown;
    grown[a->res->n_lost].uid = uid;
    snprintf(grown[a->res->n_lost].login, sizeof(grown->login), "%s", login);
    a->res->n_lost++;
}

/* Best effort like note_lost: a record missing for want of memory fails no apply. */
static void note_change(struct apply *a, enum mat_change_kind kind, uint32_t uid, const char *id,
                        const char *login)
{
    struct mat_change *grown =
        grow(a->res->changes, a->res->n_changes, &a->cap_changes, sizeof(*grown));
    if (!grown)
        return;
    a->res->changes = grown;
    struct mat_change *c = &grown[a->res->n_changes++];
    c->kind = kind;
    c->uid = uid;
    snprintf(c->id, sizeof(c->id), "%s", id);
    snprintf(c->login, sizeof(c->login), "%s", login);
}

static int remove_user(struct apply *a, const char *id)
{
    struct db_stmt *s = store_stmt(a->db, "SELECT uid, login FROM users WHERE id = ?1");
    if (!s)
        return sql_fail(a, db_errcode(a->db), "read user");
    db_bind_text(s, 1, id);
    int rc = db_step(s);
    if (rc == DB_ROW) {
        note_lost(a, (uint32_t)db_column_int64(s, 0), db_column_text(s, 1));
        note_change(a, MAT_USER_REMOVED, (uint32_t)db_column_int64(s, 0), id,
                    db_column_text(s, 1));
    }
    store_stmt_done(s);
    if (rc == DB_DONE)
        return 0;
    if (rc != DB_ROW)
        return sql_fail(a, rc, "read user");
    if (exec_bind(a, "delete user", "DELETE FROM users WHERE id = ?1", "t", id) < 0 ||
        exec_bind(a, "release uid",
                  "UPDATE id_ledger SET released = ?2 WHERE owner = ?1 AND released IS NULL",
                  "tt", id, a->now) < 0)
        return -1;
    a->res->users_removed++;
    return 0;
}

static int remove_group(struct apply *a, const char *id)
{
    return exec_bind(a, "delete group", "DELETE FROM groups WHERE id = ?1", "t", id) < 0 ||
                   exec_bind(a, "release gid",
                             "UPDATE id_ledger SET released = ?2 WHERE owner = ?1 AND"
                             " released IS NULL", "tt", id, a->now) < 0
               ? -1
               : 0;
}

static int apply_role(struct apply *a, const struct mat_role *r)
{
    struct db_stmt *s = store_stmt(a->db, "SELECT gid FROM role_groups WHERE name = ?1");
    if (!s)
        return sql_fail(a, db_errcode(a->db), "read role groups");
    db_bind_text(s, 1, r->name);
    int rc = db_step(s);
    int64_t have = rc == DB_ROW ? db_column_int64(s, 0) : -1;
    store_stmt_done(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return sql_fail(a, rc, "read role groups");
    if (have == r->gid)
        return 0;
    if (have >= 0) /* a role group keeps its gid for ever, here as on the hub */
        return scim_error_set(a->err, 409, "uniqueness",
                              "the hub moves role group \"%s\" from gid %" PRId64 " to %" PRIu32
                              ": refused", r->name, have, r->gid);
    char owner[300];
    snprintf(owner, sizeof(owner), "role:%s", r->name);
    if (ledger_take(a, r->gid, "group", owner, r->name) < 0)
        return -1;
    return exec_bind(a, "create role group", "INSERT INTO role_groups(name, gid) VALUES(?1, ?2)",
                     "ti", r->name, (int64_t)r->gid);
}

static int cmp_id(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Writes u's row. fresh: a snapshot's user that was not stored when the apply began, so
 * its row is inserted without reading it first (a joining host's snapshot is all fresh). */
static int write_user(struct apply *a, const struct mat_user *u, bool fresh)
{
    int ret = -1;
    char *doc = NULL, *roles = NULL, *keys = NULL, *key = NULL, *home = NULL;
    bool exists = false, was_active = false;
    int64_t old_uid = 0, version = 1;
    if (!fresh) {
        struct db_stmt *s =
            store_stmt(a->db, "SELECT uid, active, version FROM users WHERE id = ?1");
        if (!s)
            return sql_fail(a, db_errcode(a->db), "read user");
        db_bind_text(s, 1, u->id);
        int rc = db_step(s);
        exists = rc == DB_ROW;
        old_uid = exists ? db_column_int64(s, 0) : 0;
        was_active = exists && db_column_int(s, 1);
        version = exists ? db_column_int64(s, 2) + 1 : 1;
        store_stmt_done(s);
        if (rc != DB_ROW && rc != DB_DONE)
            return sql_fail(a, rc, "read user");
    }
    if (exists && old_uid != u->uid)
        return scim_error_set(a->err, 409, "uniqueness",
                              "the hub moves user \"%s\" from uid %" PRId64 " to %" PRIu32
                              ": refused (a uid is kept for life)", u->login, old_uid, u->uid);
    doc = user_doc(u);
    roles = join_lines(u->roles, u->n_roles);
    keys = join_lines(u->ssh_keys, u->n_ssh_keys);
    key = strdup(u->user_name);
    if (!exists && a->opt->home && !(home = a->opt->home(u->login, a->opt->home_arg))) {
        scim_error_set(a->err, 500, NULL, "out of memory");
        goto out;
    }
    if (!doc || !roles || !keys || !key) {
        scim_error_set(a->err, 500, NULL, "out of memory");
        goto out;
    }
    for (char *p = key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (ledger_take(a, u->uid, "user", u->id, u->login) < 0)
        goto out;
    if (exists)
        ret = exec_bind(a, "update user",
                        "UPDATE users SET user_name = ?2, user_name_key = ?3, login = ?4,"
                        " active = ?5, version = ?6, modified = ?7, password_hash = ?8,"
                        " password_day = ?9, doc = ?10, gecos = ?11, roles = ?12, ssh_keys = ?13,"
                        " deactivated_at = CASE WHEN ?5 = 1 THEN NULL WHEN active = 1 THEN ?7"
                        " ELSE deactivated_at END WHERE id = ?1",
                        "ttttiittitttt", u->id, u->user_name, key, u->login, (int64_t)u->active,
                        version, a->now, u->password_hash, u->password_day, doc, u->gecos, roles,
                        keys);
    else
        ret = exec_bind(a, "create user",
                        fresh ? "INSERT INTO users(id, user_name, user_name_key, login, active,"
                                " uid, version, created, modified, password_hash, password_day,"
                                " doc, gecos, roles, ssh_keys, deactivated_at, home) VALUES(?1,"
                                " ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7, ?8, ?9, ?10, ?11, ?12, ?13, CASE"
                                " WHEN ?5 = 0 THEN ?7 END, ?14) ON CONFLICT(id) DO NOTHING"
                              : "INSERT INTO users(id, user_name, user_name_key, login, active,"
                                " uid, version, created, modified, password_hash, password_day,"
                                " doc, gecos, roles, ssh_keys, deactivated_at, home) VALUES(?1,"
                                " ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7, ?8, ?9, ?10, ?11, ?12, ?13, CASE"
                                " WHEN ?5 = 0 THEN ?7 END, ?14)",
                        "ttttiittittttt", u->id, u->user_name, key,
                        u->login, (int64_t)u->active, (int64_t)u->uid, a->now, u->password_hash,
                        u->password_day, doc, u->gecos, roles, keys, home);
    if (ret == 0 && fresh && db_changes(a->db) == 0) {
        /* The snapshot names this user twice: the later entry updates the earlier one, as
         * it would a stored user. */
        ret = write_user(a, u, false);
        goto out;
    }
    if (ret == 0) {
        a->res->users_applied++;
        if (was_active && !u->active)
            note_lost(a, u->uid, u->login);
        if (!exists)
            note_change(a, MAT_USER_ADDED, u->uid, u->id, u->login);
        if ((exists ? was_active : true) != u->active)
            note_change(a, u->active ? MAT_USER_ENABLED : MAT_USER_DISABLED, u->uid, u->id,
                        u->login);
    }
out:
    free(doc);
    free(roles);
    free(keys);
    free(key);
    free(home);
    return ret;
}

static int apply_user(struct apply *a, const struct mat_user *u)
{
    int scoped = user_in_scope(a, u);
    if (scoped < 0)
        return -1;
    if (scoped == 0)
        return remove_user(a, u->id); /* out of scope (now): gone from this host */
    if (a->opt->skip) {
        int s = a->opt->skip(a->opt->skip_arg, "user", u->id, u->login, u->uid);
        if (s < 0)
            return scim_error_set(a->err, 503, NULL,
                                  "cannot tell whether the host holds \"%s\": batch not applied",
                                  u->login);
        if (s > 0) {
            a->res->skipped++;
            return remove_user(a, u->id);
        }
    }
    bool fresh = a->doc->snapshot &&
                 (!a->n_stored || /* bsearch's base may not be NULL, even for none */
                  !bsearch(&u->id, a->stored, a->n_stored, sizeof(*a->stored), cmp_id));
    return write_user(a, u, fresh);
}

/* Members g loses in this document: a scoped host must check they still belong. */
static int note_leavers(struct apply *a, const struct mat_group *g)
{
    struct db_stmt *s = store_stmt(a->db, "SELECT user_id FROM group_members WHERE group_id = ?1");
    if (!s)
        return sql_fail(a, db_errcode(a->db), "read members");
    db_bind_text(s, 1, g->id);
    int rc, ret = 0;
    while (ret == 0 && (rc = db_step(s)) == DB_ROW) {
        const char *id = db_column_text(s, 0);
        bool stays = false;
        for (size_t m = 0; m < g->n_members && !stays; m++)
            stays = strcmp(g->members[m], id) == 0;
        if (stays)
            continue;
        if (a->n_recheck == a->cap_recheck) {
            size_t cap = a->cap_recheck ? a->cap_recheck * 2 : 16;
            char **grown = realloc(a->recheck, cap * sizeof(*grown));
            if (!grown) {
                ret = scim_error_set(a->err, 500, NULL, "out of memory");
                break;
            }
            a->recheck = grown;
            a->cap_recheck = cap;
        }
        if (!(a->recheck[a->n_recheck] = strdup(id)))
            ret = scim_error_set(a->err, 500, NULL, "out of memory");
        else
            a->n_recheck++;
    }
    if (ret == 0 && rc != DB_DONE)
        ret = sql_fail(a, rc, "read members");
    store_stmt_done(s);
    return ret;
}

/* A user who left a scoped group stays only through a scoped role or another scoped group. */
static int recheck_scope(struct apply *a, const char *id)
{
    struct db_stmt *s = store_stmt(a->db, "SELECT roles FROM users WHERE id = ?1");
    if (!s)
        return sql_fail(a, db_errcode(a->db), "read user");
    db_bind_text(s, 1, id);
    int rc = db_step(s);
    char *roles = rc == DB_ROW ? strdup(db_column_text(s, 0)) : NULL;
    store_stmt_done(s);
    if (rc == DB_DONE)
        return 0; /* already gone */
    if (rc != DB_ROW)
        return sql_fail(a, rc, "read user");
    if (!roles)
        return scim_error_set(a->err, 500, NULL, "out of memory");
    bool keep = false;
    char *save = NULL;
    for (char *r = strtok_r(roles, "\n", &save); r && !keep; r = strtok_r(NULL, "\n", &save))
        keep = in_scope_name(a->opt, r);
    free(roles);
    if (keep)
        return 0;
    s = store_stmt(a->db, "SELECT g.name, g.display_name FROM group_members m"
                          " JOIN groups g ON g.id = m.group_id WHERE m.user_id = ?1");
    if (!s)
        return sql_fail(a, db_errcode(a->db), "read memberships");
    db_bind_text(s, 1, id);
    while (!keep && (rc = db_step(s)) == DB_ROW)
        keep = in_scope_name(a->opt, db_column_text(s, 0)) ||
               in_scope_name(a->opt, db_column_text(s, 1));
    store_stmt_done(s);
    if (!keep && rc != DB_DONE)
        return sql_fail(a, rc, "read memberships");
    return keep ? 0 : remove_user(a, id);
}

static int apply_group(struct apply *a, const struct mat_group *g)
{
    if (a->opt->skip) {
        int s = a->opt->skip(a->opt->skip_arg, "group", g->id, g->name, g->gid);
        if (s < 0)
            return scim_error_set(a->err, 503, NULL,
                                  "cannot tell whether the host holds group \"%s\": batch not "
                                  "applied", g->name);
        if (s > 0) {
            a->res->skipped++;
            return remove_group(a, g->id);
        }
    }
    struct db_stmt *s = store_stmt(a->db, "SELECT gid, version FROM groups WHERE id = ?1");
    if (!s)
        return sql_fail(a, db_errcode(a->db), "read group");
    db_bind_text(s, 1, g->id);
    int rc = db_step(s);
    bool exists = rc == DB_ROW;
    int64_t old_gid = exists ? db_column_int64(s, 0) : 0;
    int64_t version = exists ? db_column_int64(s, 1) + 1 : 1;
    store_stmt_done(s);
    if (rc != DB_ROW && rc != DB_DONE)
        return sql_fail(a, rc, "read group");
    if (exists && old_gid != g->gid)
        return scim_error_set(a->err, 409, "uniqueness",
                              "the hub moves group \"%s\" from gid %" PRId64 " to %" PRIu32
                              ": refused", g->name, old_gid, g->gid);
    json_t *j = json_pack("{s:[s],s:s,s:s}", "schemas", GROUP_SCHEMA, "id", g->id, "displayName",
                          g->display_name);
    char *doc = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!doc)
        return scim_error_set(a->err, 500, NULL, "out of memory");
    int ret = ledger_take(a, g->gid, "group", g->id, g->name);
    if (ret == 0 && exists)
        ret = exec_bind(a, "update group",
                        "UPDATE groups SET display_name = ?2, name = ?3, version = ?4,"
                        " modified = ?5, doc = ?6 WHERE id = ?1", "tttitt", g->id,
                        g->display_name, g->name, version, a->now, doc);
    else if (ret == 0)
        ret = exec_bind(a, "create group",
                        "INSERT INTO groups(id, display_name, name, gid, version, created,"
                        " modified, doc) VALUES(?1, ?2, ?3, ?4, 1, ?5, ?5, ?6)", "tttitt", g->id,
                        g->display_name, g->name, (int64_t)g->gid, a->now, doc);
    free(doc);
    if (ret == 0 && a->opt->n_scope && note_leavers(a, g) < 0)
        return -1;
    if (ret == 0)
        ret = exec_bind(a, "set members", "DELETE FROM group_members WHERE group_id = ?1", "t",
                        g->id);
    for (size_t m = 0; ret == 0 && m < g->n_members; m++) {
        int held = store_row_exists(a->db, "SELECT 1 FROM users WHERE id = ?1", g->members[m],
                                    NULL, a->err);
        if (held < 0)
            return -1;
        if (held == 0) {
            /* A scoped group gained someone this host never got: only a snapshot brings
             * that user (a change set carries only what changed). */
            bool in_doc = false;
            for (size_t u = 0; u < a->doc->n_users && !in_doc; u++)
                in_doc = strcmp(a->doc->users[u].id, g->members[m]) == 0;
            if (!in_doc && a->opt->n_scope && group_scoped(a->opt, g) && !a->doc->snapshot)
                a->res->need_snapshot = true;
            continue;
        }
        ret = exec_bind(a, "set members",
                        "INSERT INTO group_members(group_id, user_id) VALUES(?1, ?2)", "tt",
                        g->id, g->members[m]);
    }
    return ret;
}

/* A snapshot replaces everything: what it does not name goes (ids stay tombstoned). The
 * document's ids are sorted once, so a stored row costs one binary search: re-applying a
 * 100,000-user snapshot onto a full store compared every pair (10^10 strcmp). The users'
 * stored ids are kept, sorted, for write_user: a user the store did not hold is inserted
 * without reading its row first. */
static int drop_absent(struct apply *a, const char *table, bool users)
{
    char sql[64];
    snprintf(sql, sizeof(sql), "SELECT id FROM %s", table);
    struct db_stmt *s = NULL;
    char **stored = NULL;
    size_t n = 0, cap = 0;
    size_t n_named = users ? a->doc->n_users : a->doc->n_groups;
    const char **named_ids = calloc(n_named ? n_named : 1, sizeof(*named_ids));
    int ret = -1, rc = DB_OK;
    if (!named_ids)
        goto oom;
    for (size_t i = 0; i < n_named; i++)
        named_ids[i] = users ? a->doc->users[i].id : a->doc->groups[i].id;
    qsort(named_ids, n_named, sizeof(*named_ids), cmp_id);
    rc = db_prepare(a->db, sql, &s);
    if (rc != DB_OK)
        goto sql_error;
    while ((rc = db_step(s)) == DB_ROW) {
        char **grown = grow(stored, n, &cap, sizeof(*stored));
        if (!grown)
            goto oom;
        stored = grown;
        if (!(stored[n] = strdup(db_column_text(s, 0))))
            goto oom;
        n++;
    }
    if (rc != DB_DONE)
        goto sql_error;
    /* Finished before the first delete: a table is not changed under its own open SELECT. */
    db_finalize(s);
    s = NULL;
    ret = 0;
    for (size_t i = 0; ret == 0 && i < n; i++)
        if (!bsearch(&stored[i], named_ids, n_named, sizeof(*named_ids), cmp_id))
            ret = users ? remove_user(a, stored[i]) : remove_group(a, stored[i]);
    if (ret == 0 && users) {
        if (n) /* qsort's base may not be NULL, even for no elements */
            qsort(stored, n, sizeof(*stored), cmp_id);
        a->stored = stored;
        a->n_stored = n;
        stored = NULL;
        n = 0;
    }
    goto out;
oom:
    scim_error_set(a->err, 500, NULL, "out of memory");
    goto out;
sql_error:
    sql_fail(a, rc, "read for snapshot");
out:
    db_finalize(s);
    for (size_t i = 0; i < n; i++)
        free(stored[i]);
    free(stored);
    free(named_ids);
    return ret;
}

static int apply_doc(struct db *db, const struct mat_doc *doc, const struct mat_options *opt,
                     struct mat_result *res, struct scim_error *err)
{
    static const struct mat_options none = { 0 };
    struct apply a = { .db = db, .doc = doc, .opt = opt ? opt : &none, .res = res, .err = err,
                       .top_uid = -1, .top_gid = -1 };
    char seq[32];
    int ret = -1;
    materialize_result_free(res);
    memset(res, 0, sizeof(*res));
    store_timestamp(a.now);
    for (size_t i = 0; i < doc->n_deleted; i++) {
        /* Role groups are never deleted, here as on the hub: their gids stay theirs. */
        if (doc->deleted[i].kind == MAT_USER && remove_user(&a, doc->deleted[i].id) < 0)
            goto out;
        if (doc->deleted[i].kind == MAT_GROUP && remove_group(&a, doc->deleted[i].id) < 0)
            goto out;
    }
    if (doc->snapshot && (drop_absent(&a, "users", true) < 0 || drop_absent(&a, "groups", false) < 0))
        goto out;
    for (size_t i = 0; i < doc->n_roles; i++)
        if (apply_role(&a, &doc->roles[i]) < 0)
            goto out;
    for (size_t i = 0; i < doc->n_users; i++)
        if (apply_user(&a, &doc->users[i]) < 0)
            goto out;
    for (size_t i = 0; i < doc->n_groups; i++)
        if (apply_group(&a, &doc->groups[i]) < 0)
            goto out;
    for (size_t i = 0; i < a.n_recheck; i++)
        if (recheck_scope(&a, a.recheck[i]) < 0)
            goto out;
    if (raise_mark(&a, "uid_hwm", a.top_uid) < 0 || raise_mark(&a, "gid_hwm", a.top_gid) < 0)
        goto out;
    if (doc->snapshot && exec_bind(&a, "clear offline mark",
                                   "DELETE FROM meta WHERE key = 'follow_offline'", "") < 0)
        goto out;
    snprintf(seq, sizeof(seq), "%" PRId64, doc->to);
    if (store_meta_write(db, "follow_seq", seq, "follow sequence", err) < 0 ||
        store_meta_write(db, "follow_feed_id", doc->feed, "follow feed id", err) < 0)
        goto out;
    ret = 0;
out:
    for (size_t i = 0; i < a.n_recheck; i++)
        free(a.recheck[i]);
    free(a.recheck);
    for (size_t i = 0; i < a.n_stored; i++)
        free(a.stored[i]);
    free(a.stored);
    return ret;
}

/* SQLite's page cache of the writer, in PRAGMA cache_size units: 0, or -1. */
static int cache_size(struct db *db, int64_t *size)
{
    struct db_stmt *s = NULL;
    int ret = -1;
    if (db_prepare(db, "PRAGMA cache_size", &s) == DB_OK && db_step(s) == DB_ROW) {
        *size = db_column_int64(s, 0);
        ret = 0;
    }
    db_finalize(s);
    return ret;
}

static int set_cache_size(struct db *db, int64_t size)
{
    char sql[48];
    snprintf(sql, sizeof(sql), "PRAGMA cache_size = %" PRId64, size);
    return db_exec(db, sql) == DB_OK ? 0 : -1;
}

/* A snapshot inserts into the indexes keyed by SCIM id (users' and the id ledger's owner) in
 * random order: with the default 2 MB page cache their pages are spilled to the WAL and read
 * back over and over (a 100,000-user join: a third of the apply's CPU in pwrite and pread).
 * 16 MiB holds them and saves most of it (32 and 64 MiB saved no more; 128 MiB, cfd20ba,
 * left the idle follower 2 MB larger). Put back before the commit; the pages still held
 * after it are dropped by the follower (fleet/follower.c, PRAGMA shrink_memory). */
#define SNAPSHOT_CACHE_KIB 16384

int materialize_apply(struct db *db, const struct mat_doc *doc, const struct mat_options *opt,
                      struct mat_result *res, struct scim_error *err)
{
    int64_t before = 0;
    bool grown = doc->snapshot && db_backend(db) == DB_SQLITE && cache_size(db, &before) == 0 &&
                 set_cache_size(db, -SNAPSHOT_CACHE_KIB) == 0;
    int ret = apply_doc(db, doc, opt, res, err);
    if (grown)
        set_cache_size(db, before);
    return ret;
}

int materialize_fail_closed(struct db *db, struct scim_error *err)
{
    struct mat_result res = { 0 };
    struct apply a = { .db = db, .res = &res, .err = err, .top_uid = -1, .top_gid = -1 };
    store_timestamp(a.now);
    if (exec_bind(&a, "fail closed",
                  "UPDATE users SET active = 0, deactivated_at = COALESCE(deactivated_at, ?1)"
                  " WHERE active = 1", "t", a.now) < 0)
        return -1;
    return store_meta_write(db, "follow_offline", a.now, "offline mark", err);
}

int materialize_offline(struct db *db)
{
    char buf[40];
    return store_meta_get(db, "follow_offline", buf, sizeof(buf));
}

void materialize_result_free(struct mat_result *res)
{
    free(res->lost);
    res->lost = NULL;
    res->n_lost = 0;
    free(res->changes);
    res->changes = NULL;
    res->n_changes = 0;
}

int materialize_state(struct db *db, int64_t *seq, char feed_id[33])
{
    char buf[64];
    int r = store_meta_get(db, "follow_seq", buf, sizeof(buf));
    if (r < 0)
        return -1;
    *seq = r == 1 ? strtoll(buf, NULL, 10) : -1;
    r = store_meta_get(db, "follow_feed_id", feed_id, 33);
    if (r < 0)
        return -1;
    if (r == 0)
        feed_id[0] = '\0';
    return 0;
}

int materialize_forget_seq(struct db *db, struct scim_error *err)
{
    return store_exec_bind(db, "follow sequence", err,
                           "DELETE FROM meta WHERE key = 'follow_seq'", "") < 0 ? -1 : 0;
}

void materialize_release_cache(struct db *db)
{
    if (db_backend(db) == DB_SQLITE)
        db_exec(db, "PRAGMA shrink_memory");
}
