/* SPDX-License-Identifier: MIT */
#include "accounts/startup_checks.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accounts/host_probe.h"
#include "accounts/subid_files.h"
#include "cache_dir_trust.h"
#include "scim_cache.h"
#include "store/seq_reserve.h"

static bool in_range(uint64_t id, uint32_t lo, uint32_t hi)
{
    return id >= lo && id <= hi;
}

static int check_ids_file(const struct scimd_config *cfg, const char *path, bool groups,
                          char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1);
    int ret = 0;
    for (;;) {
        uint64_t id;
        const char *name;
        if (groups) {
            struct group *g = fgetgrent(f);
            if (!g)
                break;
            id = g->gr_gid;
            name = g->gr_name;
        } else {
            struct passwd *p = fgetpwent(f);
            if (!p)
                break;
            id = p->pw_uid;
            name = p->pw_name;
        }
        if (in_range(id, cfg->uid_min, cfg->uid_max) || in_range(id, cfg->gid_min, cfg->gid_max)) {
            snprintf(err, errlen,
                     "%s: local %s '%s' has id %" PRIu64 ", inside scimd's id ranges "
                     "(uid %u-%u, gid %u-%u); choose ranges clear of local ids in [accounts]",
                     path, groups ? "group" : "user", name, id, cfg->uid_min, cfg->uid_max,
                     cfg->gid_min, cfg->gid_max);
            ret = -1;
            break;
        }
    }
    fclose(f);
    return ret;
}

static int check_subid_file(const struct scimd_config *cfg, const char *path, char *err,
                            size_t errlen)
{
    const struct id_span ours[] = { { cfg->uid_min, cfg->uid_max },
                                    { cfg->gid_min, cfg->gid_max } };
    struct subid_file_hit hit;
    int r = subid_file_overlap(path, ours, 2, &hit, err, errlen);
    if (r <= 0)
        return r;
    snprintf(err, errlen,
             "%s:%u: subordinate ids %" PRIu64 "-%" PRIu64 " of '%s' overlap scimd's id ranges "
             "(uid %u-%u, gid %u-%u); choose other ranges in [accounts]",
             path, hit.lineno, hit.start, hit.end, hit.owner, cfg->uid_min, cfg->uid_max,
             cfg->gid_min, cfg->gid_max);
    return -1;
}

static void login_defs_value(const char *line, const char *key, unsigned long long *out)
{
    size_t n = strlen(key);
    if (strncmp(line, key, n) != 0 || (line[n] != ' ' && line[n] != '\t'))
        return;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(line + n, &end, 0);
    if (errno == 0 && end != line + n)
        *out = v;
}

int read_login_defs(const char *path, struct subid_pool pools[2], char *err, size_t errlen)
{
    pools[0] = (struct subid_pool){ "UID", 100000, 600100000, 65536 };
    pools[1] = (struct subid_pool){ "GID", 100000, 600100000, 65536 };
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) {
        const char *p = line + strspn(line, " \t");
        for (size_t i = 0; i < 2; i++) {
            char key[16];
            snprintf(key, sizeof(key), "SUB_%s_MIN", pools[i].kind);
            login_defs_value(p, key, &pools[i].min);
            snprintf(key, sizeof(key), "SUB_%s_MAX", pools[i].kind);
            login_defs_value(p, key, &pools[i].max);
            snprintf(key, sizeof(key), "SUB_%s_COUNT", pools[i].kind);
            login_defs_value(p, key, &pools[i].count);
        }
    }
    free(line);
    fclose(f);
    return 0;
}

/* Empty /etc/subuid and /etc/subgid say nothing about tomorrow: the next useradd hands out a
 * block from login.defs' pool, and ids there that scimd also hands out would give a local
 * user's containers a SCIM user's files. The files' presence is not asked: installing
 * uidmap or podman creates them later. SUB_*_COUNT 0 turns the handing out off. */
static int check_subid_pools(const struct scimd_config *cfg, const char *path, char *err,
                             size_t errlen)
{
    struct subid_pool pools[2];
    if (read_login_defs(path, pools, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < 2; i++) {
        const struct subid_pool *p = &pools[i];
        if (p->count == 0 || p->min > p->max)
            continue;
        bool overlap = (p->min <= cfg->uid_max && p->max >= cfg->uid_min) ||
                       (p->min <= cfg->gid_max && p->max >= cfg->gid_min);
        if (overlap) {
            snprintf(err, errlen,
                     "%s: useradd hands out subordinate %ss from SUB_%s_MIN..SUB_%s_MAX = "
                     "%llu-%llu (shadow's defaults where unset), which overlaps scimd's id "
                     "ranges (uid %u-%u, gid %u-%u); choose [accounts] ranges outside it, or "
                     "move the pool in %s (or set SUB_%s_COUNT 0 if no one uses subordinate ids)",
                     path, p->kind, p->kind, p->kind, p->min, p->max, cfg->uid_min,
                     cfg->uid_max, cfg->gid_min, cfg->gid_max, path, p->kind);
            return -1;
        }
    }
    return 0;
}

int startup_check_ranges(const struct scimd_config *cfg, const char *root_dir, char *err,
                         size_t errlen)
{
    static const char *const files[] = { "etc/passwd", "etc/group", "etc/subuid", "etc/subgid" };
    /* A hub-only host has no logins: its own ids never meet the fleet's (each follower runs
     * this check); the rule-based limits are scimd_config_check's and still apply. */
    if (!host_probe_host_checks())
        return 0;
    const char *root = root_dir ? root_dir : "";
    for (size_t i = 0; i < 4; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", root, files[i]);
        int r = i < 2 ? check_ids_file(cfg, path, i == 1, err, errlen)
                      : check_subid_file(cfg, path, err, errlen);
        if (r < 0)
            return -1;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/etc/login.defs", root);
    return check_subid_pools(cfg, path, err, errlen);
}

/* The cache's directory may not exist yet (--check-config before the package made
 * /var/lib/scimd, or a first start that creates it): judge the deepest directory that exists,
 * since whoever can write there decides what the missing part will hold. */
static void existing_part(const char *path, char *out, size_t outlen)
{
    char dir[4096];
    struct stat st;
    snprintf(dir, sizeof(dir), "%s", path);
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
            break;
        *slash = '\0';
        if (stat(dir, &st) == 0)
            break;
    }
    /* a file name below it: scim_cache_dirs_trusted judges a file's directories */
    if ((size_t)snprintf(out, outlen, "%s/x", dir) >= outlen)
        snprintf(out, outlen, "%s", path); /* too long to probe: judge the path itself */
}

int startup_check_cache_dirs(const struct scimd_config *cfg, char *err, size_t errlen)
{
    const char *paths[] = { cfg->cache_path, cfg->shadow_path };
    for (size_t i = 0; i < 2; i++) {
        char why[1024], probe[4096];
        existing_part(paths[i], probe, sizeof(probe));
        if (scim_cache_dirs_trusted(probe, why, sizeof(why)) < 0) {
            snprintf(err, errlen,
                     "cache file %s: %s. Readers (nss_scim, pam_scim, scimctl authorized-keys) "
                     "would refuse it; make every directory up to / root-owned and not group- "
                     "or world-writable (or sticky)", paths[i], why);
            return -1;
        }
    }
    return 0;
}

int hwm_file_path(const struct scimd_config *cfg, char *buf, size_t buflen)
{
    char *copy = strdup(cfg->database);
    if (!copy)
        return -1;
    int n = snprintf(buf, buflen, "%s/uid-high-water", dirname(copy));
    free(copy);
    return n < 0 || (size_t)n >= buflen ? -1 : 0;
}

int hwm_file_read(const char *path, uint64_t *uid_hwm, uint64_t *gid_hwm)
{
    *uid_hwm = *gid_hwm = 0;
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    /* The guard exists: it must yield both marks, or startup refuses (a damaged guard must
     * not quietly read as "no ids handed out yet"). */
    char key[32];
    unsigned long long v;
    bool have_uid = false, have_gid = false;
    int n;
    while ((n = fscanf(f, "%31s %llu", key, &v)) == 2) {
        if (strcmp(key, "uid_hwm") == 0) {
            *uid_hwm = v;
            have_uid = true;
        } else if (strcmp(key, "gid_hwm") == 0) {
            *gid_hwm = v;
            have_gid = true;
        }
    }
    bool ok = n == EOF && !ferror(f) && have_uid && have_gid;
    fclose(f);
    if (!ok) {
        errno = EBADMSG;
        return -1;
    }
    return 0;
}

int hwm_file_write(const char *path, uint64_t uid_hwm, uint64_t gid_hwm)
{
    /* The file also holds the change log's reservation (store/seq_reserve.h): kept. */
    static const char *const keys[] = { "uid_hwm", "gid_hwm" };
    const uint64_t vals[] = { uid_hwm, gid_hwm };
    return guard_file_set(path, 2, keys, vals, false);
}

static uint64_t meta_u64(struct db *db, const char *key)
{
    char buf[32];
    return store_meta_get(db, key, buf, sizeof(buf)) == 1 ? strtoull(buf, NULL, 10) : 0;
}

static int guard_marks(const struct scimd_config *cfg, uint64_t *uid, uint64_t *gid,
                       char *source, size_t srclen)
{
    char path[4096];
    uint64_t fu = 0, fg = 0;
    *uid = *gid = 0;
    snprintf(source, srclen, "(none)");
    if (hwm_file_path(cfg, path, sizeof(path)) < 0)
        return -1;
    if (hwm_file_read(path, &fu, &fg) < 0) {
        snprintf(source, srclen, "%s", path);
        return -1;
    }
    *uid = fu;
    *gid = fg;
    snprintf(source, srclen, "%s", path);
    struct scim_cache c;
    if (scim_cache_open(&c, cfg->cache_path, SCIM_CACHE_FILE_NSS, SCIM_CACHE_OPEN_UNTRUSTED, NULL,
                        0) == 0) {
        if (scim_cache_uid_hwm(&c) > *uid) {
            *uid = scim_cache_uid_hwm(&c);
            snprintf(source, srclen, "%s", cfg->cache_path);
        }
        scim_cache_close(&c);
    }
    return 0;
}

int hwm_file_refresh(const struct scimd_config *cfg, struct store *st, char *err, size_t errlen)
{
    struct scim_error e;
    char path[4096];
    struct db *db = store_reader_get(st, &e);
    if (!db) {
        snprintf(err, errlen, "%s", e.detail);
        return -1;
    }
    uint64_t uid = meta_u64(db, "uid_hwm"), gid = meta_u64(db, "gid_hwm");
    store_reader_put(st, db);
    if (hwm_file_path(cfg, path, sizeof(path)) < 0 || hwm_file_write(path, uid, gid) < 0) {
        snprintf(err, errlen, "cannot update the high-water guard file next to %s: %s",
                 cfg->database, strerror(errno));
        return -1;
    }
    return 0;
}

int startup_check_hwm(const struct scimd_config *cfg, struct store *st, char *err, size_t errlen)
{
    struct scim_error e;
    struct db *db = store_reader_get(st, &e);
    if (!db) {
        snprintf(err, errlen, "%s", e.detail);
        return -1;
    }
    uint64_t db_uid = meta_u64(db, "uid_hwm"), db_gid = meta_u64(db, "gid_hwm");
    store_reader_put(st, db);
    uint64_t uid, gid;
    char source[4096];
    if (guard_marks(cfg, &uid, &gid, source, sizeof(source)) < 0) {
        snprintf(err, errlen,
                 "the uid high-water guard file %s is unreadable or damaged (%s); refusing to "
                 "start, since it protects against handing out old uids again. Restore it "
                 "from a backup, or write the store's marks into it ('uid_hwm N' and "
                 "'gid_hwm M' lines) once you have checked them.", source, strerror(errno));
        return -1;
    }
    if (uid > db_uid || gid > db_gid) {
        snprintf(err, errlen,
                 "the database %s has uid/gid high-water marks %" PRIu64 "/%" PRIu64
                 " but %s records %" PRIu64 "/%" PRIu64
                 ": the database was restored from an older backup or replaced, and ids handed "
                 "out since would be reused. Refusing to start. If this database is the one to "
                 "keep, run 'scimctl high-water adopt' to raise its marks (ids are then never "
                 "reused), and start scimd again.",
                 cfg->database, db_uid, db_gid, source, uid, gid);
        return -1;
    }
    return 0;
}

struct adopt_ctx {
    uint64_t uid, gid;
};

static int adopt_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct adopt_ctx *a = arg;
    char buf[32];
    if (meta_u64(db, "uid_hwm") > a->uid)
        a->uid = meta_u64(db, "uid_hwm");
    if (meta_u64(db, "gid_hwm") > a->gid)
        a->gid = meta_u64(db, "gid_hwm");
    snprintf(buf, sizeof(buf), "%" PRIu64, a->uid);
    if (store_meta_set(db, "uid_hwm", buf) < 0)
        return scim_error_set(err, 500, NULL, "cannot store uid_hwm");
    snprintf(buf, sizeof(buf), "%" PRIu64, a->gid);
    if (store_meta_set(db, "gid_hwm", buf) < 0)
        return scim_error_set(err, 500, NULL, "cannot store gid_hwm");
    /* The ledger below the adopted mark is unknown: IdP-chosen uids may not go there. */
    snprintf(buf, sizeof(buf), "%" PRIu64, a->uid);
    if (store_meta_set(db, "uid_claim_floor", buf) < 0)
        return scim_error_set(err, 500, NULL, "cannot store uid_claim_floor");
    return 0;
}

int hwm_adopt(const struct scimd_config *cfg, struct store *st, uint64_t *uid_out,
              uint64_t *gid_out, char *err, size_t errlen)
{
    struct adopt_ctx a;
    char source[4096];
    struct scim_error e;
    if (guard_marks(cfg, &a.uid, &a.gid, source, sizeof(source)) < 0) {
        snprintf(err, errlen, "the guard file %s is unreadable or damaged: %s", source,
                 strerror(errno));
        return -1;
    }
    if (store_write(st, adopt_fn, &a, &e) < 0) {
        snprintf(err, errlen, "%s", e.detail);
        return -1;
    }
    *uid_out = a.uid;
    *gid_out = a.gid;
    return 0;
}
