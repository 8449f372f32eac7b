/* SPDX-License-Identifier: MIT */
/* scimctl status: whether scimd is up (scimctl_probe.c), the cache's last export, each
 * token's last use, the store's counts and where it is, and warnings for what an
 * administrator should act on. The --json document (docs/operations.md, "scimctl status"):
 *   scimd     {up, unit_state, pid, listen, accepting}  (null where not known)
 *   store     {backend, location, last_change}          (location never holds a password)
 *   cache     {path, generation, created, users, groups, error}
 *   tokens    [{access_id, name, last_used}]            (active tokens)
 *   counts    {users_active, users_deactivated, groups, role_groups}
 *   warnings  [text] */
#include "scimctl_status.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "accounts/startup_checks.h"
#include "scim_cache.h"
#include "scimctl_common.h"
#include "scimctl_probe.h"
#include "store/admin_reads.h"
#include "store/store.h"
#include "store/store_counts.h"
#include "store/tokens_query.h"
#include "store_config.h"

struct status {
    const struct scimd_config *cfg;
    json_t *doc, *warnings, *tokens;
    int64_t cache_written_ms; /* the cache file's mtime; 0: no readable cache */
    int64_t last_change_ms;   /* 0: none */
};

static void warn(struct status *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct status *s, const char *fmt, ...)
{
    char buf[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    json_array_append_new(s->warnings, json_string(buf));
}

/* "2026-11-24T02:33:32.123Z" (store_timestamp) to Unix milliseconds; 0 when it is not that
 * form. */
static int64_t parse_time_ms(const char *at)
{
    struct tm tm = { 0 };
    unsigned ms = 0;
    const char *end = at ? strptime(at, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!end)
        return 0;
    if (sscanf(end, ".%3u", &ms) != 1)
        ms = 0;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static void format_time(int64_t t, char buf[32])
{
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *probe_json(const struct scimd_probe *p)
{
    return json_pack("{s:b, s:s?, s:o, s:s?, s:o}", "up", p->up, "unit_state",
                     p->unit_state[0] ? p->unit_state : NULL, "pid",
                     p->pid ? json_integer(p->pid) : json_null(), "listen",
                     p->listen[0] ? p->listen : NULL, "accepting",
                     p->listen[0] ? json_boolean(p->accepting) : json_null());
}

static json_t *cache_json(struct status *s)
{
    struct scim_cache c;
    char err[512];
    const char *path = s->cfg->cache_path;
    if (scim_cache_open(&c, path, SCIM_CACHE_FILE_NSS, SCIM_CACHE_OPEN_UNTRUSTED, err,
                        sizeof(err)) < 0) {
        warn(s, "no readable account cache at %s (%s): SCIM users cannot log in; scimd writes "
                "it at start and after each change", path, err);
        return json_pack("{s:s, s:n, s:n, s:n, s:n, s:s}", "path", path, "generation",
                         "created", "users", "groups", "error", err);
    }
    char created[32];
    struct stat sb;
    /* The header's time has whole seconds; the file's mtime orders it against a change made
     * in the same second. */
    if (stat(path, &sb) == 0)
        s->cache_written_ms = (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
    format_time(scim_cache_created(&c), created);
    json_t *o = json_pack("{s:s, s:I, s:s, s:I, s:I, s:n}", "path", path, "generation",
                          (json_int_t)scim_cache_generation(&c), "created", created, "users",
                          (json_int_t)scim_cache_user_count(&c), "groups",
                          (json_int_t)scim_cache_group_count(&c), "error");
    scim_cache_close(&c);
    return o;
}

static int token_one(void *arg, const struct token_row *t)
{
    struct status *s = arg;
    if (t->revoked)
        return 0;
    json_t *o = json_pack("{s:s, s:s, s:s?}", "access_id", t->id, "name", t->name,
                          "last_used", t->last_used);
    return o && json_array_append_new(s->tokens, o) == 0 ? 0 : -1;
}

static json_t *count(long long n)
{
    return n >= 0 ? json_integer(n) : json_null();
}

/* What the store says: its last change, the tokens, the counts. 0, or -1 (printed). */
static int read_store(struct status *s, struct store *st)
{
    struct scim_error e;
    struct store_counts n;
    char at[32] = "";
    int ret = -1;
    struct db *db = store_reader_get(st, &e);
    if (!db) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        return -1;
    }
    if (store_read_begin(db, &e) < 0) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        goto out;
    }
    int r = admin_last_change(db, at);
    if (r < 0 || tokens_each(db, token_one, s) != 0) {
        fprintf(stderr, "scimctl: reading the store: %s\n", db_errmsg(db));
        goto out;
    }
    s->last_change_ms = r == 1 ? parse_time_ms(at) : 0;
    json_object_set_new(json_object_get(s->doc, "store"), "last_change",
                        r == 1 ? json_string(at) : json_null());
    ret = 0;
out:
    store_reader_put(st, db);
    if (ret == 0) {
        store_counts_read(st, &n);
        json_object_set_new(s->doc, "counts",
                            json_pack("{s:o, s:o, s:o, s:o}", "users_active",
                                      count(n.users_active), "users_deactivated",
                                      count(n.users_deactivated), "groups", count(n.groups),
                                      "role_groups", count(n.role_groups)));
    }
    return ret;
}

static void check(struct status *s, struct store *st, const struct scimd_probe *p)
{
    char err[2048];
    if (!p->up)
        warn(s, "scimd is not running%s: IdP pushes fail and the cache is not refreshed",
             p->pid && p->listen[0] ? " (its process does not accept connections)" : "");
    if (json_array_size(s->tokens) == 0 && !s->cfg->follow_hub)
        warn(s, "no active SCIM token: no identity provider can provision this host (scimctl "
                "token create NAME)");
    /* The exporter writes within export_max_delay_ms of a change; past that plus a margin
     * the cache misses something the store has. */
    int64_t grace_ms = (int64_t)s->cfg->export_max_delay_ms + 5000;
    if (s->cache_written_ms && s->last_change_ms > s->cache_written_ms &&
        (int64_t)time(NULL) * 1000 - s->last_change_ms > grace_ms)
        warn(s, "the cache is older than the store's last change: %s", p->up ?
             "scimd's exports are failing (see its log)" : "scimd exports it when it starts");
    if (startup_check_hwm(s->cfg, st, err, sizeof(err)) < 0)
        warn(s, "high-water guard mismatch: %s", err);
}

static void print_text(const struct status *s)
{
    const json_t *d = s->doc, *sd = json_object_get(d, "scimd"), *c = json_object_get(d, "cache");
    const json_t *st = json_object_get(d, "store"), *n = json_object_get(d, "counts");
    const char *unit = json_string_value(json_object_get(sd, "unit_state"));
    const char *listen = json_string_value(json_object_get(sd, "listen"));
    json_int_t pid = json_integer_value(json_object_get(sd, "pid"));
    printf("scimd: %s", json_is_true(json_object_get(sd, "up")) ? "up" : "DOWN");
    if (unit)
        printf(", scimd.service %s", unit);
    if (pid)
        printf(", pid %lld", (long long)pid);
    if (listen)
        printf(", %s %s", listen,
               json_is_true(json_object_get(sd, "accepting")) ? "accepts connections"
                                                               : "refuses connections");
    printf("\nstore: %s %s, last change %s\n",
           json_string_value(json_object_get(st, "backend")),
           json_string_value(json_object_get(st, "location")),
           json_is_string(json_object_get(st, "last_change"))
               ? json_string_value(json_object_get(st, "last_change")) : "never");
    if (json_is_integer(json_object_get(c, "generation")))
        printf("last export: generation %lld at %s (%lld users, %lld groups) in %s\n",
               (long long)json_integer_value(json_object_get(c, "generation")),
               json_string_value(json_object_get(c, "created")),
               (long long)json_integer_value(json_object_get(c, "users")),
               (long long)json_integer_value(json_object_get(c, "groups")),
               json_string_value(json_object_get(c, "path")));
    else
        printf("last export: none readable at %s\n", json_string_value(json_object_get(c, "path")));
    printf("users: %lld active, %lld deactivated; groups: %lld SCIM, %lld role\n",
           (long long)json_integer_value(json_object_get(n, "users_active")),
           (long long)json_integer_value(json_object_get(n, "users_deactivated")),
           (long long)json_integer_value(json_object_get(n, "groups")),
           (long long)json_integer_value(json_object_get(n, "role_groups")));
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(d, "tokens"), i, t) {
        const char *used = json_string_value(json_object_get(t, "last_used"));
        printf("token %s (%s): last request %s\n",
               json_string_value(json_object_get(t, "access_id")),
               json_string_value(json_object_get(t, "name")), used ? used : "never");
    }
    json_array_foreach(json_object_get(d, "warnings"), i, t)
        printf("warning: %s\n", json_string_value(t));
}

int scimctl_status(const struct scimd_config *cfg, const char *config_path, int argc,
                   char **argv)
{
    struct status s = { .cfg = cfg };
    struct scimd_probe p;
    struct store *st = NULL;
    int ret = 1;
    bool as_json = scimctl_take_flag(&argc, argv, "--json");
    if (argc != 0) {
        fprintf(stderr, "usage: scimctl status [--json]\n");
        return 2;
    }
    s.warnings = json_array();
    s.tokens = json_array();
    scimd_probe_run(cfg, config_path, &p);
    s.doc = json_pack("{s:o, s:{s:s, s:s}}", "scimd", probe_json(&p), "store", "backend",
                      store_config_is_postgresql(cfg) ? "postgresql" : "sqlite", "location",
                      store_config_describe(cfg));
    if (!s.doc || !s.warnings || !s.tokens) {
        fprintf(stderr, "scimctl: out of memory\n");
        goto out;
    }
    if (scimctl_open_store(cfg, true, &st) < 0 || read_store(&s, st) < 0)
        goto out;
    json_object_set_new(s.doc, "cache", cache_json(&s));
    check(&s, st, &p);
    json_object_set(s.doc, "tokens", s.tokens);
    json_object_set(s.doc, "warnings", s.warnings);
    if (as_json ? scimctl_print_json(json_incref(s.doc)) != 0 : (print_text(&s), false))
        goto out;
    ret = p.up ? 0 : 1;
out:
    json_decref(s.doc);
    json_decref(s.warnings);
    json_decref(s.tokens);
    store_close(st);
    return ret;
}
