/* SPDX-License-Identifier: MIT */
#include "fleet/local_names.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "accounts/host_probe.h"
#include "host_nss.h"
#include "scim_hash.h"

#define NSSWITCH_CONF "/etc/nsswitch.conf"
#define MAX_SOURCES 16
#define PROBE_BUF_MAX (64u * 1024 * 1024)
#define ENUM_BUF (256u * 1024)

typedef enum nss_status (*pwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*grnam_fn)(const char *, struct group *, char *, size_t, int *);
typedef enum nss_status (*pwuid_fn)(uid_t, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*grgid_fn)(gid_t, struct group *, char *, size_t, int *);
typedef enum nss_status (*setent_fn)(int);
typedef enum nss_status (*endent_fn)(void);
typedef enum nss_status (*pwent_fn)(struct passwd *, char *, size_t, int *);
typedef enum nss_status (*grent_fn)(struct group *, char *, size_t, int *);

/* Names one source holds, with their ids: open addressing, seeded (hub names are chosen by
 * the IdP's tenants, so they must not pick colliding names). */
struct name_set {
    char **name;
    uint32_t *id;
    size_t cap, n;
};

/* The same entries by id, for local wins by uid or gid: the first name listed with each id,
 * which is the one getpwuid and getgrgid find. */
struct id_map {
    uint32_t *id;
    char **name;
    size_t cap, n;
};

enum how { HOW_OURS, HOW_LISTED, HOW_PROBED };

struct source {
    char name[48];
    enum how how;
    struct name_set set; /* HOW_LISTED */
    struct id_map ids;   /* HOW_LISTED */
    void *lib;           /* HOW_PROBED */
    pwnam_fn pwnam;
    grnam_fn grnam;
    pwuid_fn pwuid;
    grgid_fn grgid;
};

struct line {
    struct source src[MAX_SOURCES];
    size_t n;
};

struct local_names {
    const struct scimd_config *cfg;
    bool direct;
    uint64_t seed;
    struct line passwd, group;
    char *buf;
    size_t buflen;
};

static _Atomic unsigned long probes;

static bool ours(const struct scimd_config *cfg, uint32_t id)
{
    return (id >= cfg->uid_min && id <= cfg->uid_max) || (id >= cfg->gid_min && id <= cfg->gid_max);
}

static int set_add(struct local_names *v, struct name_set *s, const char *name, uint32_t id)
{
    if ((s->n + 1) * 2 > s->cap) {
        struct name_set grown = { NULL, NULL, s->cap ? s->cap * 2 : 64, 0 };
        grown.name = calloc(grown.cap, sizeof(*grown.name));
        grown.id = calloc(grown.cap, sizeof(*grown.id));
        if (!grown.name || !grown.id) {
            free(grown.name);
            free(grown.id);
            return -1;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->name[i])
                continue;
            size_t j = scim_hash_bytes(v->seed, s->name[i], strlen(s->name[i])) & (grown.cap - 1);
            while (grown.name[j])
                j = (j + 1) & (grown.cap - 1);
            grown.name[j] = s->name[i];
            grown.id[j] = s->id[i];
            grown.n++;
        }
        free(s->name);
        free(s->id);
        *s = grown;
    }
    size_t j = scim_hash_bytes(v->seed, name, strlen(name)) & (s->cap - 1);
    while (s->name[j]) {
        if (strcmp(s->name[j], name) == 0)
            return 0; /* the first entry is the one a lookup finds */
        j = (j + 1) & (s->cap - 1);
    }
    if (!(s->name[j] = strdup(name)))
        return -1;
    s->id[j] = id;
    s->n++;
    return 0;
}

static bool set_find(const struct local_names *v, const struct name_set *s, const char *name,
                     uint32_t *id)
{
    if (s->cap == 0)
        return false;
    size_t j = scim_hash_bytes(v->seed, name, strlen(name)) & (s->cap - 1);
    for (; s->name[j]; j = (j + 1) & (s->cap - 1))
        if (strcmp(s->name[j], name) == 0) {
            *id = s->id[j];
            return true;
        }
    return false;
}

static void set_free(struct name_set *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->name[i]);
    free(s->name);
    free(s->id);
    memset(s, 0, sizeof(*s));
}

static size_t id_slot(const struct local_names *v, uint32_t id, size_t cap)
{
    return scim_hash_bytes(v->seed, &id, sizeof(id)) & (cap - 1);
}

static int ids_add(struct local_names *v, struct id_map *m, uint32_t id, const char *name)
{
    if ((m->n + 1) * 2 > m->cap) {
        struct id_map grown = { NULL, NULL, m->cap ? m->cap * 2 : 64, 0 };
        grown.id = calloc(grown.cap, sizeof(*grown.id));
        grown.name = calloc(grown.cap, sizeof(*grown.name));
        if (!grown.id || !grown.name) {
            free(grown.id);
            free(grown.name);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->name[i])
                continue;
            size_t j = id_slot(v, m->id[i], grown.cap);
            while (grown.name[j])
                j = (j + 1) & (grown.cap - 1);
            grown.id[j] = m->id[i];
            grown.name[j] = m->name[i];
            grown.n++;
        }
        free(m->id);
        free(m->name);
        *m = grown;
    }
    size_t j = id_slot(v, id, m->cap);
    for (; m->name[j]; j = (j + 1) & (m->cap - 1))
        if (m->id[j] == id)
            return 0; /* the first entry is the one a lookup finds */
    if (!(m->name[j] = strdup(name)))
        return -1;
    m->id[j] = id;
    m->n++;
    return 0;
}

static const char *ids_find(const struct local_names *v, const struct id_map *m, uint32_t id)
{
    if (m->cap == 0)
        return NULL;
    for (size_t j = id_slot(v, id, m->cap); m->name[j]; j = (j + 1) & (m->cap - 1))
        if (m->id[j] == id)
            return m->name[j];
    return NULL;
}

static void ids_free(struct id_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->name[i]);
    free(m->id);
    free(m->name);
    memset(m, 0, sizeof(*m));
}

/* One listed entry, by name and by id. */
static int entry_add(struct local_names *v, struct source *s, const char *name, uint32_t id)
{
    return set_add(v, &s->set, name, id) < 0 || ids_add(v, &s->ids, id, name) < 0 ? -1 : 0;
}

/* /etc/passwd or /etc/group as nss_files reads it: the name, then the id in the third field.
 * A line it cannot read an id from still names a local entry (id 0: never ours). -1 when the
 * file cannot be read (a missing file is an empty source, as for nss_files). */
static int list_file(struct local_names *v, struct source *s, const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    char *line = NULL;
    size_t cap = 0;
    int ret = 0;
    while (ret == 0 && getline(&line, &cap, f) >= 0) {
        char *p = line + strspn(line, " \t");
        size_t nlen = strcspn(p, ":\n");
        if (nlen == 0 || *p == '#' || p[nlen] != ':')
            continue;
        p[nlen] = '\0';
        char *id = strchr(p + nlen + 1, ':'), *end = NULL;
        uint32_t num = id ? (uint32_t)strtoul(id + 1, &end, 10) : 0;
        ret = set_add(v, &s->set, p, num);
        /* nss_files finds by id only a line whose id field it can read */
        if (ret == 0 && end && end != id + 1 && (*end == ':' || *end == '\n' || !*end))
            ret = ids_add(v, &s->ids, num, p);
    }
    if (ferror(f))
        ret = -1;
    free(line);
    fclose(f);
    return ret;
}

static void *sym(void *lib, const char *service, const char *fn)
{
    char name[96];
    snprintf(name, sizeof(name), "_nss_%s_%s", service, fn);
    return dlsym(lib, name);
}

/* A module's whole database through its own setXXent/getXXent_r. -1 when the module failed
 * or an entry outgrew the buffer: the source is then asked per name instead (a module need
 * not keep an entry it could not return). */
static int list_module(struct local_names *v, struct source *s, bool group)
{
    setent_fn set = sym(s->lib, s->name, group ? "setgrent" : "setpwent");
    endent_fn end = sym(s->lib, s->name, group ? "endgrent" : "endpwent");
    pwent_fn pwent = group ? NULL : (pwent_fn)sym(s->lib, s->name, "getpwent_r");
    grent_fn grent = group ? (grent_fn)sym(s->lib, s->name, "getgrent_r") : NULL;
    if (!set || !end || (group ? !grent : !pwent))
        return -1;
    char *buf = malloc(ENUM_BUF);
    if (!buf)
        return -1;
    int ret = -1;
    if (set(0) != NSS_STATUS_SUCCESS)
        goto out;
    for (;;) {
        struct passwd pw;
        struct group gr;
        int err = 0;
        enum nss_status st = group ? grent(&gr, buf, ENUM_BUF, &err)
                                   : pwent(&pw, buf, ENUM_BUF, &err);
        if (st == NSS_STATUS_NOTFOUND) {
            ret = 0;
            break;
        }
        if (st != NSS_STATUS_SUCCESS ||
            entry_add(v, s, group ? gr.gr_name : pw.pw_name,
                      group ? (uint32_t)gr.gr_gid : (uint32_t)pw.pw_uid) < 0)
            break;
    }
    end();
out:
    free(buf);
    return ret;
}

/* nss_systemd (systemd 252's userdb) answers a name from three places: root and nobody, which
 * it makes up; the varlink services in /run/systemd/userdb; and drop-in records in the userdb
 * directories. Its listing covers the services that enumerate and the drop-ins named by uid
 * only, so it is trusted only when no service that may refuse to enumerate runs (machined's
 * container users, any service this list does not know) and there are no drop-ins at all
 * (a "NAME.user" record without its "UID.user" twin is found by name but never listed).
 * *services tells whether any service runs (without one, its listing fails: nothing to list). */
static bool systemd_lists_all(bool *services)
{
    static const char *const known[] = { "io.systemd.DynamicUser", "io.systemd.Home",
                                         "io.systemd.Multiplexer",
                                         "io.systemd.NameServiceSwitch" };
    static const char *const dropins[] = { "/etc/userdb", "/run/userdb", "/run/host/userdb",
                                           "/usr/local/lib/userdb", "/usr/lib/userdb" };
    bool all = true;
    *services = false;
    DIR *d = opendir("/run/systemd/userdb");
    if (!d && errno != ENOENT)
        return false;
    for (struct dirent *e; d && all && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        bool ok = false;
        for (size_t i = 0; i < sizeof(known) / sizeof(*known) && !ok; i++)
            ok = strcmp(e->d_name, known[i]) == 0;
        all = ok;
        *services = true;
    }
    if (d)
        closedir(d);
    for (size_t i = 0; all && i < sizeof(dropins) / sizeof(*dropins); i++) {
        if (!(d = opendir(dropins[i]))) {
            all = errno == ENOENT || errno == ENOTDIR;
            continue;
        }
        for (struct dirent *e; all && (e = readdir(d));)
            all = e->d_name[0] == '.';
        closedir(d);
    }
    return all;
}

/* systemd's listing, plus root and nobody, which it makes up for a lookup by name. */
static int list_systemd(struct local_names *v, struct source *s, bool group)
{
    bool services;
    if (!systemd_lists_all(&services))
        return -1;
    /* With no service to ask and no drop-ins its listing fails: there is nothing to list. */
    if (services && list_module(v, s, group) < 0)
        return -1;
    /* 65534 is nobody by uid and, on Debian's systemd, nogroup by gid; both names resolve */
    if (entry_add(v, s, "root", 0) < 0 ||
        entry_add(v, s, group ? "nogroup" : "nobody", 65534) < 0 ||
        set_add(v, &s->set, group ? "nobody" : "nogroup", 65534) < 0)
        return -1;
    return 0;
}

static int open_source(struct local_names *v, struct source *s, bool group)
{
    if (strcmp(s->name, "scim") == 0) {
        s->how = HOW_OURS;
        return 0;
    }
    if (strcmp(s->name, "files") == 0) {
        s->how = HOW_LISTED;
        return list_file(v, s, group ? "/etc/group" : "/etc/passwd");
    }
    char lib[96];
    snprintf(lib, sizeof(lib), "libnss_%s.so.2", s->name);
    if (!(s->lib = dlopen(lib, RTLD_LAZY)))
        return -1;
    if (strcmp(s->name, "systemd") == 0) {
        s->how = HOW_LISTED;
        if (list_systemd(v, s, group) == 0)
            return 0;
        set_free(&s->set);
        ids_free(&s->ids);
    }
    s->how = HOW_PROBED;
    if (group) {
        s->grnam = (grnam_fn)sym(s->lib, s->name, "getgrnam_r");
        s->grgid = (grgid_fn)sym(s->lib, s->name, "getgrgid_r");
    } else {
        s->pwnam = (pwnam_fn)sym(s->lib, s->name, "getpwnam_r");
        s->pwuid = (pwuid_fn)sym(s->lib, s->name, "getpwuid_r");
    }
    return (s->pwnam && s->pwuid) || (s->grnam && s->grgid) ? 0 : -1;
}

/* The services of one database line, or -1 for a line this view does not take on: action
 * items ([NOTFOUND=return] changes which source answers), odd tokens, too many sources. */
static int parse_services(const char *rest, struct line *l)
{
    const char *p = rest;
    for (;;) {
        p += strspn(p, " \t");
        size_t len = strcspn(p, " \t\n");
        if (len == 0)
            return l->n ? 0 : -1;
        if (l->n == MAX_SOURCES || len >= sizeof(l->src[0].name))
            return -1;
        for (size_t i = 0; i < len; i++)
            if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-')
                return -1;
        memcpy(l->src[l->n].name, p, len);
        l->src[l->n].name[len] = '\0';
        l->n++;
        p += len;
    }
}

static int read_nsswitch(struct local_names *v)
{
    FILE *f = fopen(NSSWITCH_CONF, "re");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    bool seen_pw = false, seen_gr = false;
    int ret = 0;
    while (ret == 0 && getline(&line, &cap, f) >= 0) {
        line[strcspn(line, "#")] = '\0';
        char *p = line + strspn(line, " \t");
        struct line *l = NULL;
        bool *seen = NULL;
        if (strncmp(p, "passwd:", 7) == 0) {
            l = &v->passwd;
            seen = &seen_pw;
            p += 7;
        } else if (strncmp(p, "group:", 6) == 0) {
            l = &v->group;
            seen = &seen_gr;
            p += 6;
        } else {
            continue;
        }
        ret = *seen ? -1 : parse_services(p, l);
        *seen = true;
    }
    free(line);
    fclose(f);
    return ret == 0 && seen_pw && seen_gr ? 0 : -1;
}

static void close_line(struct line *l)
{
    for (size_t i = 0; i < l->n; i++) {
        set_free(&l->src[i].set);
        ids_free(&l->src[i].ids);
        if (l->src[i].lib)
            dlclose(l->src[i].lib);
    }
    l->n = 0;
}

struct local_names *local_names_open(const struct scimd_config *cfg)
{
    struct local_names *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->cfg = cfg;
    if (getrandom(&v->seed, sizeof(v->seed), GRND_NONBLOCK) != sizeof(v->seed))
        v->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)v;
    if (!host_probe_host_checks() || read_nsswitch(v) < 0)
        goto glibc;
    for (size_t i = 0; i < v->passwd.n; i++)
        if (open_source(v, &v->passwd.src[i], false) < 0)
            goto glibc;
    for (size_t i = 0; i < v->group.n; i++)
        if (open_source(v, &v->group.src[i], true) < 0)
            goto glibc;
    v->direct = true;
    return v;
glibc:
    close_line(&v->passwd);
    close_line(&v->group);
    return v;
}

/* One name asked of one probed source's module: 1 found (*id), 0 not found, -1 failed. */
static int probe(struct local_names *v, const struct source *s, bool group, const char *name,
                 uint32_t *id)
{
    probes++;
    for (size_t size = v->buflen ? v->buflen : 16384;; size *= 4) {
        if (size > v->buflen) {
            char *grown = realloc(v->buf, size);
            if (!grown)
                return -1;
            v->buf = grown;
            v->buflen = size;
        }
        struct passwd pw;
        struct group gr;
        int err = 0;
        enum nss_status st = group ? s->grnam(name, &gr, v->buf, v->buflen, &err)
                                   : s->pwnam(name, &pw, v->buf, v->buflen, &err);
        if (st == NSS_STATUS_SUCCESS) {
            *id = group ? (uint32_t)gr.gr_gid : (uint32_t)pw.pw_uid;
            return 1;
        }
        if (st == NSS_STATUS_NOTFOUND)
            return 0;
        if (st != NSS_STATUS_TRYAGAIN || err != ERANGE || v->buflen >= PROBE_BUF_MAX)
            return -1;
    }
}

/* glibc's answer over one line with the default actions ([SUCCESS=return], every other
 * status continues): the first source that finds name decides; else the last one's status. */
static int lookup(struct local_names *v, const struct line *l, bool group, const char *name,
                  uint32_t *id)
{
    int last = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct source *s = &l->src[i];
        if (s->how == HOW_OURS)
            last = 0;
        else if (s->how == HOW_LISTED)
            last = set_find(v, &s->set, name, id) ? 1 : 0;
        else
            last = probe(v, s, group, name, id);
        if (last == 1)
            return 1;
    }
    return last;
}

int local_names_check(struct local_names *v, const char *name)
{
    if (!v->direct) {
        struct scim_error e;
        scim_error_clear(&e);
        if (identity_check_host(v->cfg, name, &e) == 0)
            return 0;
        return e.status == 409 ? 1 : -1;
    }
    uint32_t id = 0;
    int r = lookup(v, &v->passwd, false, name, &id);
    if (r < 0)
        return -1;
    if (r == 1 && !ours(v->cfg, id))
        return 1;
    r = lookup(v, &v->group, true, name, &id);
    if (r < 0)
        return -1;
    return r == 1 && !ours(v->cfg, id);
}

/* One id asked of one probed source's module: 1 found (its name in who), 0 not found, -1
 * failed. */
static int probe_id(struct local_names *v, const struct source *s, bool group, uint32_t id,
                    char *who, size_t wholen)
{
    probes++;
    for (size_t size = v->buflen ? v->buflen : 16384;; size *= 4) {
        if (size > v->buflen) {
            char *grown = realloc(v->buf, size);
            if (!grown)
                return -1;
            v->buf = grown;
            v->buflen = size;
        }
        struct passwd pw;
        struct group gr;
        int err = 0;
        enum nss_status st = group ? s->grgid((gid_t)id, &gr, v->buf, v->buflen, &err)
                                   : s->pwuid((uid_t)id, &pw, v->buf, v->buflen, &err);
        if (st == NSS_STATUS_SUCCESS) {
            snprintf(who, wholen, "%s", group ? gr.gr_name : pw.pw_name);
            return 1;
        }
        if (st == NSS_STATUS_NOTFOUND)
            return 0;
        if (st != NSS_STATUS_TRYAGAIN || err != ERANGE || v->buflen >= PROBE_BUF_MAX)
            return -1;
    }
}

/* lookup's rules, by id. */
static int lookup_id(struct local_names *v, const struct line *l, bool group, uint32_t id,
                     char *who, size_t wholen)
{
    int last = 0;
    for (size_t i = 0; i < l->n; i++) {
        const struct source *s = &l->src[i];
        const char *name;
        if (s->how == HOW_OURS) {
            last = 0;
        } else if (s->how == HOW_LISTED) {
            if ((name = ids_find(v, &s->ids, id)))
                snprintf(who, wholen, "%s", name);
            last = name ? 1 : 0;
        } else {
            last = probe_id(v, s, group, id, who, wholen);
        }
        if (last == 1)
            return 1;
    }
    return last;
}

int local_names_id_holder(struct local_names *v, bool group, uint32_t id, char *who,
                          size_t wholen)
{
    if (!host_probe_host_checks())
        return 0;
    if (v->direct)
        return lookup_id(v, group ? &v->group : &v->passwd, group, id, who, wholen);
    struct host_nss_entry e;
    enum host_nss_answer r = host_nss_lookup(group ? HOST_NSS_GRGID : HOST_NSS_PWUID, NULL, id,
                                             &e, NULL);
    if (r == HOST_NSS_FOUND)
        snprintf(who, wholen, "%s", group ? e.gr.gr_name : e.pw.pw_name);
    host_nss_entry_free(&e);
    return r == HOST_NSS_FOUND ? 1 : r == HOST_NSS_NOT_FOUND ? 0 : -1;
}

void local_names_close(struct local_names *v)
{
    if (!v)
        return;
    close_line(&v->passwd);
    close_line(&v->group);
    free(v->buf);
    free(v);
}

bool local_names_direct(const struct local_names *v)
{
    return v->direct;
}

unsigned long local_names_probes(void)
{
    return probes;
}
