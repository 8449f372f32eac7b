/* SPDX-License-Identifier: MIT */
/* Benchmark data generator: the same N users and their groups in every format the NSS
 * benchmark compares, written into OUTDIR:
 *
 *   scim/nss.cache, scim/shadow.cache   through scim_cache_write() (the real writer)
 *   files/passwd, files/group           glibc nss_files (bind-mounted over /etc)
 *   extrausers/passwd, extrausers/group libnss-extrausers (/var/lib/extrausers)
 *   cache/passwd.cache, group.cache     libnss-cache, with the sorted fixed-width indexes
 *   cache/passwd.cache.ixname, .ixuid   nsscache would write (not packaged in Debian 12):
 *   cache/group.cache.ixname, .ixgid    "key\0offset\0" padded with NULs to one width, '\n'
 *   keys.txt                            names/ids the lookup loop draws from
 *
 *   gen_nss_data N OUTDIR
 *
 * User i (0-based) is user%06d, uid = gid = UID_BASE + i, in 1-3 of ROLES role groups;
 * every user has a private group (name and gid of the user), as useradd and scimd give. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scim_cache.h"

#define UID_BASE 1879048192u
#define GID_BASE 1880096768u
#define ROLES 50
#define NAME_LEN 32

struct index_entry {
    char key[NAME_LEN];
    long offset;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
    /* xorshift64*: reproducible memberships without depending on libc's rand(). */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void set_key(char *key, const char *name)
{
    size_t l = strnlen(name, NAME_LEN - 1);
    memcpy(key, name, l);
    key[l] = '\0';
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct index_entry *)a)->key, ((const struct index_entry *)b)->key);
}

/* libnss-cache finds the record width from the first '\n' and bsearches with strcmp, so
 * every entry must have the same width and the keys must sort bytewise. */
static int write_index(const char *path, struct index_entry *e, size_t n)
{
    size_t width = 0;
    char num[32];
    qsort(e, n, sizeof(*e), cmp_entry);
    for (size_t i = 0; i < n; i++) {
        size_t w = strlen(e[i].key) + 1 + (size_t)snprintf(num, sizeof(num), "%ld", e[i].offset) + 1;
        if (w > width)
            width = w;
    }
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    char *rec = calloc(1, width + 1);
    if (!rec) {
        fclose(f);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        memset(rec, 0, width + 1);
        size_t kl = strlen(e[i].key);
        memcpy(rec, e[i].key, kl);
        snprintf(rec + kl + 1, width - kl, "%ld", e[i].offset);
        rec[width] = '\n';
        fwrite(rec, 1, width + 1, f);
    }
    free(rec);
    return fclose(f) == 0 ? 0 : -errno;
}

static FILE *open_out(const char *dir, const char *sub, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, sub);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(path, "w");
    if (!f)
        perror(path);
    return f;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: gen_nss_data N OUTDIR\n");
        return 2;
    }
    size_t n = strtoul(argv[1], NULL, 10);
    const char *out = argv[2];
    int rc = 1;
    char err[512] = "", path[4096];
    struct scim_cache_user *users = calloc(n, sizeof(*users));
    char (*names)[NAME_LEN] = calloc(n, NAME_LEN);
    uint8_t (*member_of)[3] = calloc(n, 3);
    uint8_t *n_member_of = calloc(n, 1);
    struct scim_cache_group groups[ROLES];
    uint32_t *members[ROLES];
    size_t n_members[ROLES] = {0};
    char role_names[ROLES][NAME_LEN];
    struct index_entry *ix_a = calloc(n + ROLES, sizeof(*ix_a));
    struct index_entry *ix_b = calloc(n + ROLES, sizeof(*ix_b));
    if (!users || !names || !member_of || !n_member_of || !ix_a || !ix_b)
        return 1;
    mkdir(out, 0755);

    for (size_t g = 0; g < ROLES; g++) {
        members[g] = calloc(n, sizeof(uint32_t));
        snprintf(role_names[g], NAME_LEN, "role%02zu", g);
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], NAME_LEN, "user%06zu", i);
        users[i] = (struct scim_cache_user){
            .name = names[i], .uid = UID_BASE + (uint32_t)i, .gid = UID_BASE + (uint32_t)i,
            .gecos = "Bench User", .home = "/home/bench", .shell = "/bin/bash",
            .active = true, .last_change_day = 20000,
        };
        unsigned k = 1 + rng() % 3;
        while (n_member_of[i] < k) {
            uint8_t g = (uint8_t)(rng() % ROLES);
            if (memchr(member_of[i], g, n_member_of[i]))
                continue;
            member_of[i][n_member_of[i]++] = g;
            members[g][n_members[g]++] = (uint32_t)i;
        }
    }
    for (size_t g = 0; g < ROLES; g++)
        groups[g] = (struct scim_cache_group){
            .name = role_names[g], .gid = GID_BASE + (uint32_t)g, .kind = SCIM_GROUP_ROLE,
            .member_user_idx = members[g], .n_members = n_members[g],
        };

    /* scim */
    struct scim_cache_snapshot snap = {
        .users = users, .n_users = n, .groups = groups, .n_groups = ROLES,
        .generation = 1, .uid_hwm = UID_BASE + n,
    };
    snprintf(path, sizeof(path), "%s/scim", out);
    mkdir(path, 0755);
    char nss_path[4096], shadow_path[4096];
    snprintf(nss_path, sizeof(nss_path), "%s/scim/nss.cache", out);
    snprintf(shadow_path, sizeof(shadow_path), "%s/scim/shadow.cache", out);
    int wrc = scim_cache_write(nss_path, shadow_path, &snap, err, sizeof(err));
    if (wrc < 0) {
        fprintf(stderr, "gen_nss_data: scim_cache_write: %s (%s)\n", err, strerror(-wrc));
        goto out;
    }

    /* passwd and group text, identical for files, extrausers and cache */
    const char *subs[] = {"files", "extrausers", "cache"};
    for (size_t s = 0; s < 3; s++) {
        int is_cache = s == 2;
        FILE *pw = open_out(out, subs[s], is_cache ? "passwd.cache" : "passwd");
        if (!pw)
            goto out;
        for (size_t i = 0; i < n; i++) {
            if (is_cache) {
                ix_a[i].offset = ix_b[i].offset = ftell(pw);
                set_key(ix_a[i].key, names[i]);
                snprintf(ix_b[i].key, NAME_LEN, "%u", users[i].uid);
            }
            fprintf(pw, "%s:x:%u:%u:Bench User:/home/bench:/bin/bash\n", names[i],
                    users[i].uid, users[i].gid);
        }
        fclose(pw);
        if (is_cache) {
            snprintf(path, sizeof(path), "%s/cache/passwd.cache.ixname", out);
            if (write_index(path, ix_a, n) < 0)
                goto out;
            snprintf(path, sizeof(path), "%s/cache/passwd.cache.ixuid", out);
            if (write_index(path, ix_b, n) < 0)
                goto out;
        }
        FILE *gr = open_out(out, subs[s], is_cache ? "group.cache" : "group");
        if (!gr)
            goto out;
        size_t k = 0;
        for (size_t g = 0; g < ROLES; g++, k++) {
            if (is_cache) {
                ix_a[k].offset = ix_b[k].offset = ftell(gr);
                set_key(ix_a[k].key, role_names[g]);
                snprintf(ix_b[k].key, NAME_LEN, "%u", groups[g].gid);
            }
            fprintf(gr, "%s:x:%u:", role_names[g], groups[g].gid);
            for (size_t m = 0; m < n_members[g]; m++)
                fprintf(gr, "%s%s", m ? "," : "", names[members[g][m]]);
            fputc('\n', gr);
        }
        for (size_t i = 0; i < n; i++, k++) {
            if (is_cache) {
                ix_a[k].offset = ix_b[k].offset = ftell(gr);
                set_key(ix_a[k].key, names[i]);
                snprintf(ix_b[k].key, NAME_LEN, "%u", users[i].gid);
            }
            fprintf(gr, "%s:x:%u:\n", names[i], users[i].gid);
        }
        fclose(gr);
        if (is_cache) {
            snprintf(path, sizeof(path), "%s/cache/group.cache.ixname", out);
            if (write_index(path, ix_a, k) < 0)
                goto out;
            snprintf(path, sizeof(path), "%s/cache/group.cache.ixgid", out);
            if (write_index(path, ix_b, k) < 0)
                goto out;
        }
    }
    rc = 0;
out:
    return rc;
}
