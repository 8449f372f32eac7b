/* SPDX-License-Identifier: MIT */
/* Test helper: writes nss.cache + shadow.cache through scim_cache_write() from a small
 * tab-separated description, so the integration tests exercise the real writer.
 *
 *   mkcache DESC NSS_PATH SHADOW_PATH [REPEAT]
 *
 * DESC lines (fields separated by one TAB; '#' starts a comment line):
 *   generation N
 *   hwm N
 *   user NAME UID ACTIVE(1|0) GECOS HOME SHELL HASH(- for none) LASTCHANGE_DAY
 *   key NAME SSH-KEY
 *   group NAME GID KIND(role|scim|mapped) MEMBER,MEMBER,...
 * With REPEAT, the snapshot is written REPEAT times with generations N+1.., and every
 * "%g" in GECOS and HOME is replaced by the generation, so a reader can tell a torn
 * result (gecos and home of different generations) from a clean one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scim_cache.h"

#define MAX_USERS 4096
#define MAX_GROUPS 64
#define MAX_KEYS 8
#define MAX_FIELDS 10

struct desc {
    struct scim_cache_user users[MAX_USERS];
    char *gecos_tmpl[MAX_USERS], *home_tmpl[MAX_USERS];
    const char *keys[MAX_USERS][MAX_KEYS];
    struct scim_cache_group groups[MAX_GROUPS];
    uint32_t members[MAX_GROUPS][MAX_USERS];
    struct scim_cache_snapshot snap;
};

static int split(char *line, char **f)
{
    int n = 0;
    for (char *p = line; n < MAX_FIELDS;) {
        f[n++] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n;
}

static int user_index(struct desc *d, const char *name)
{
    for (size_t i = 0; i < d->snap.n_users; i++)
        if (strcmp(d->users[i].name, name) == 0)
            return (int)i;
    return -1;
}

static enum scim_group_kind parse_kind(const char *k)
{
    if (strcmp(k, "role") == 0)
        return SCIM_GROUP_ROLE;
    if (strcmp(k, "scim") == 0)
        return SCIM_GROUP_SCIM;
    if (strcmp(k, "mapped") == 0)
        return SCIM_GROUP_MAPPED_LOCAL;
    return 0;
}

static int parse_line(struct desc *d, char *line, int lineno)
{
    char *f[MAX_FIELDS];
    int n = split(line, f);
    if (strcmp(f[0], "generation") == 0 && n == 2) {
        d->snap.generation = strtoull(f[1], NULL, 10);
    } else if (strcmp(f[0], "hwm") == 0 && n == 2) {
        d->snap.uid_hwm = strtoull(f[1], NULL, 10);
    } else if (strcmp(f[0], "user") == 0 && n == 9 && d->snap.n_users < MAX_USERS) {
        size_t i = d->snap.n_users++;
        struct scim_cache_user *u = &d->users[i];
        u->name = strdup(f[1]);
        u->uid = u->gid = (uint32_t)strtoul(f[2], NULL, 10);
        u->active = strcmp(f[3], "1") == 0;
        d->gecos_tmpl[i] = strdup(f[4]);
        d->home_tmpl[i] = strdup(f[5]);
        u->shell = strdup(f[6]);
        u->password_hash = strcmp(f[7], "-") == 0 ? NULL : strdup(f[7]);
        u->last_change_day = strtoll(f[8], NULL, 10);
        u->ssh_keys = d->keys[i];
    } else if (strcmp(f[0], "key") == 0 && n == 3) {
        int u = user_index(d, f[1]);
        if (u < 0 || d->users[u].n_ssh_keys >= MAX_KEYS)
            goto bad;
        d->keys[u][d->users[u].n_ssh_keys++] = strdup(f[2]);
    } else if (strcmp(f[0], "group") == 0 && (n == 4 || n == 5) && d->snap.n_groups < MAX_GROUPS) {
        size_t g = d->snap.n_groups++;
        d->groups[g].name = strdup(f[1]);
        d->groups[g].gid = (uint32_t)strtoul(f[2], NULL, 10);
        d->groups[g].kind = parse_kind(f[3]);
        d->groups[g].member_user_idx = d->members[g];
        for (char *m = n == 5 ? strtok(f[4], ",") : NULL; m; m = strtok(NULL, ",")) {
            int u = user_index(d, m);
            if (u < 0)
                goto bad;
            d->members[g][d->groups[g].n_members++] = (uint32_t)u;
        }
    } else {
        goto bad;
    }
    return 0;
bad:
    fprintf(stderr, "mkcache: line %d: cannot parse\n", lineno);
    return -1;
}

/* Replaces every "%g" in tmpl with gen; returns a malloc'd string. */
static char *expand(const char *tmpl, unsigned long long gen)
{
    char num[32];
    int nl = snprintf(num, sizeof(num), "%llu", gen);
    size_t cap = strlen(tmpl) * (size_t)nl + 1, o = 0;
    char *out = malloc(cap + 1);
    if (!out)
        return NULL;
    for (const char *p = tmpl; *p; p++) {
        if (p[0] == '%' && p[1] == 'g') {
            memcpy(out + o, num, (size_t)nl);
            o += (size_t)nl;
            p++;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return out;
}

int main(int argc, char **argv)
{
    static struct desc d;
    char *line = NULL, err[512] = "";
    size_t cap = 0;
    int lineno = 0, rc = 1;
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: mkcache DESC NSS_PATH SHADOW_PATH [REPEAT]\n");
        return 2;
    }
    FILE *in = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 2;
    }
    while (getline(&line, &cap, in) >= 0) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (parse_line(&d, line, lineno) < 0)
            return 2;
    }
    free(line);
    d.snap.users = d.users;
    d.snap.groups = d.groups;
    long repeat = argc == 5 ? strtol(argv[4], NULL, 10) : 1;
    unsigned long long base = d.snap.generation;
    for (long r = 0; r < repeat; r++) {
        unsigned long long gen = base + (unsigned long long)r + (argc == 5 ? 1 : 0);
        d.snap.generation = gen;
        for (size_t i = 0; i < d.snap.n_users; i++) {
            free((char *)d.users[i].gecos);
            free((char *)d.users[i].home);
            d.users[i].gecos = expand(d.gecos_tmpl[i], gen);
            d.users[i].home = expand(d.home_tmpl[i], gen);
        }
        int wrc = scim_cache_write(argv[2], argv[3], &d.snap, err, sizeof(err));
        if (wrc < 0) {
            fprintf(stderr, "mkcache: %s (%s)\n", err, strerror(-wrc));
            goto out;
        }
    }
    rc = 0;
out:
    return rc;
}
