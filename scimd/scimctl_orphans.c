/* SPDX-License-Identifier: MIT */
/* scimctl orphans: files under the given paths whose owner or group is an id the store has
 * tombstoned (a released id_ledger row). Such ids are never handed out again, so a file
 * owned by one belongs to nobody now and for ever: safe to find, archive or remove. The walk
 * never follows a symbolic link and stays on each path's file system unless told otherwise. */
#include "scimctl_orphans.h"

#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scimctl_common.h"
#include "store/store.h"
#include "store/tombstones.h"

struct dead_id {
    uint32_t id;
    char *name;
    char released[32];
};

struct dead_ids {
    struct dead_id *v;
    size_t n;
};

struct orphans {
    struct dead_ids users, groups;
    json_t *json; /* the array for --json, else NULL */
    int failed;
};

/* nftw passes no argument to its callback: the one walk at a time scimctl makes. */
static struct orphans *walking;

static void dead_ids_clear(struct dead_ids *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i].name);
    free(d->v);
}

/* tombstones_each gives them by id, so each list is sorted for bsearch. */
static int load_one(void *arg, const struct tombstone *t)
{
    struct orphans *o = arg;
    struct dead_ids *d = strcmp(t->kind, "user") == 0 ? &o->users : &o->groups;
    struct dead_id *grown = realloc(d->v, (d->n + 1) * sizeof(*grown));
    if (!grown)
        return 1;
    d->v = grown;
    d->v[d->n].id = t->id;
    snprintf(d->v[d->n].released, sizeof(d->v[d->n].released), "%s", t->released);
    if (!(d->v[d->n].name = strdup(t->name)))
        return 1;
    d->n++;
    return 0;
}

static int by_id(const void *key, const void *elem)
{
    uint32_t a = *(const uint32_t *)key, b = ((const struct dead_id *)elem)->id;
    return a < b ? -1 : a > b;
}

static const struct dead_id *dead(const struct dead_ids *d, uint32_t id)
{
    return d->n ? bsearch(&id, d->v, d->n, sizeof(*d->v), by_id) : NULL;
}

/* A path as one line: control characters and backslashes as \ooo, so a crafted file name
 * cannot forge another line. malloc'd, or NULL. */
static char *escaped_new(const char *path)
{
    char *out = malloc(strlen(path) * 4 + 1), *w = out;
    for (const unsigned char *c = (const unsigned char *)path; out && *c; c++) {
        if (*c < 0x20 || *c == 0x7f || *c == '\\')
            w += sprintf(w, "\\%03o", *c);
        else
            *w++ = (char)*c;
    }
    if (out)
        *w = '\0';
    return out;
}

static void report(const char *path, const char *kind, const struct dead_id *d)
{
    struct orphans *o = walking;
    char *esc = escaped_new(path);
    if (!esc) {
        o->failed = 1;
        return;
    }
    if (!o->json) {
        printf("%-5s  %-10u  %-24s  %-24s  %s\n", kind, d->id, d->name, d->released, esc);
        free(esc);
        return;
    }
    /* JSON strings are UTF-8: a name that is not is given in the escaped form. */
    json_t *p = json_string(path);
    if (!p)
        p = json_string(esc);
    bool user = strcmp(kind, "uid") == 0;
    json_t *e = json_pack("{s:o, s:s, s:I, s:s, s:s}", "path", p, "kind", user ? "user" : "group",
                          user ? "uid" : "gid", (json_int_t)d->id, user ? "login" : "group",
                          d->name, "released", d->released);
    if (!e || json_array_append_new(o->json, e) < 0)
        o->failed = 1;
    free(esc);
}

static int visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)ftw;
    struct orphans *o = walking;
    if (type == FTW_NS) {
        fprintf(stderr, "scimctl: cannot examine %s: %s\n", path, strerror(errno));
        o->failed = 1;
        return 0;
    }
    if (type == FTW_DNR) {
        fprintf(stderr, "scimctl: cannot read %s: %s\n", path, strerror(errno));
        o->failed = 1;
    }
    const struct dead_id *u = dead(&o->users, sb->st_uid);
    const struct dead_id *g = dead(&o->groups, sb->st_gid);
    if (u)
        report(path, "uid", u);
    if (g)
        report(path, "gid", g);
    return 0;
}

static void orphans_usage(void)
{
    fprintf(stderr, "usage: scimctl orphans PATH... [--all-filesystems] [--json]\n");
}

int scimctl_orphans(const struct scimd_config *cfg, int argc, char **argv)
{
    struct orphans o = { 0 };
    struct store *st = NULL;
    struct scim_error e;
    struct db *db = NULL;
    int ret = 1;
    bool as_json = scimctl_take_flag(&argc, argv, "--json");
    bool all_fs = scimctl_take_flag(&argc, argv, "--all-filesystems");
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-' || argv[i][0] == '\0') {
            fprintf(stderr, "scimctl: orphans: unknown option '%s'\n", argv[i]);
            orphans_usage();
            return 2;
        }
    }
    if (argc < 1) {
        fprintf(stderr, "scimctl: orphans needs at least one path to look under\n");
        orphans_usage();
        return 2;
    }
    /* Every path is checked before the walk starts: a typo is not half a report. */
    for (int i = 0; i < argc; i++) {
        struct stat sb;
        if (lstat(argv[i], &sb) < 0) {
            fprintf(stderr, "scimctl: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
    }
    if (scimctl_open_store(cfg, true, &st) < 0)
        goto out;
    if (!(db = store_reader_get(st, &e))) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        goto out;
    }
    int r = tombstones_each(db, NULL, load_one, &o);
    if (r != 0) {
        fprintf(stderr, "scimctl: cannot read the id ledger: %s\n",
                r > 0 ? "out of memory" : db_errmsg(db));
        goto out;
    }
    store_reader_put(st, db);
    db = NULL;
    if (as_json && !(o.json = json_array()))
        goto out;
    if (!as_json)
        printf("%-5s  %-10s  %-24s  %-24s  %s\n", "OWNER", "ID", "NAME", "RELEASED", "PATH");
    walking = &o;
    for (int i = 0; i < argc; i++) {
        if (nftw(argv[i], visit, 32, FTW_PHYS | (all_fs ? 0 : FTW_MOUNT)) != 0) {
            fprintf(stderr, "scimctl: cannot walk %s: %s\n", argv[i], strerror(errno));
            o.failed = 1;
        }
    }
    walking = NULL;
    ret = o.failed;
    if (as_json && scimctl_print_json(json_pack("{s:O}", "orphans", o.json)) != 0)
        ret = 1;
out:
    if (db)
        store_reader_put(st, db);
    json_decref(o.json);
    dead_ids_clear(&o.users);
    dead_ids_clear(&o.groups);
    store_close(st);
    return ret;
}
