/* SPDX-License-Identifier: MIT */
#include "accounts/subids.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/host_probe.h"
#include "accounts/subid_files.h"
#include "accounts/startup_checks.h"
#include "log.h"
#include "store/subid_ledger.h"

int subids_assign(struct db *db, const struct scimd_config *cfg, const char *owner,
                  struct scim_error *err)
{
    uint32_t start;
    if (!cfg->subids)
        return 0;
    return subid_ledger_assign(db, owner, cfg->subid_min, cfg->subid_max, &start, err);
}

int subids_release(struct db *db, const char *owner, struct scim_error *err)
{
    return subid_ledger_release(db, owner, err);
}

struct owners {
    char **ids;
    size_t n, cap;
};

static int collect(const char *owner, void *arg)
{
    struct owners *o = arg;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        char **grown = realloc(o->ids, cap * sizeof(*grown));
        if (!grown)
            return -1;
        o->ids = grown;
        o->cap = cap;
    }
    if (!(o->ids[o->n] = strdup(owner)))
        return -1;
    o->n++;
    return 0;
}

struct pin_ctx {
    const struct scimd_config *cfg;
    size_t pinned;
};

static int pin_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct pin_ctx *p = arg;
    struct owners o = { 0 };
    char msg[256];
    int ret = -1;
    /* Listed first, then written: no write while the listing's statement is open. */
    if (subid_ledger_missing(db, collect, &o, msg, sizeof(msg)) < 0) {
        scim_error_set(err, 500, NULL, "%s", msg);
        goto out;
    }
    for (size_t i = 0; i < o.n; i++)
        if (subids_assign(db, p->cfg, o.ids[i], err) < 0)
            goto out;
    p->pinned = o.n;
    ret = 0;
out:
    for (size_t i = 0; i < o.n; i++)
        free(o.ids[i]);
    free(o.ids);
    return ret;
}

int subids_pin_existing(const struct scimd_config *cfg, struct store *st, char *err,
                        size_t errlen)
{
    struct pin_ctx p = { .cfg = cfg };
    struct scim_error e = { 0 };
    if (!cfg->subids)
        return 0;
    if (store_write(st, pin_fn, &p, &e) < 0) {
        snprintf(err, errlen, "giving existing users subordinate ids: %s", e.detail);
        return -1;
    }
    if (p.pinned > 0)
        log_info("subordinate ids: a slice of %u ids recorded for %zu existing users",
                 SUBID_SLICE, p.pinned);
    return 0;
}

/* The end of the highest slice in the exported cache (0 when none or no cache). */
static uint64_t cache_subids_end(const struct scimd_config *cfg)
{
    struct scim_cache c;
    uint64_t end = 0;
    if (scim_cache_open(&c, cfg->cache_path, SCIM_CACHE_FILE_NSS, SCIM_CACHE_OPEN_UNTRUSTED,
                        NULL, 0) < 0)
        return 0;
    for (uint32_t i = 0; i < scim_cache_subid_count(&c); i++) {
        struct scim_cache_subid_view v;
        if (scim_cache_subid_at(&c, i, &v) == 0 && (uint64_t)v.start + v.count > end)
            end = (uint64_t)v.start + v.count;
    }
    scim_cache_close(&c);
    return end;
}

struct end_ctx {
    int64_t end;
};

static int end_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct end_ctx *x = arg;
    x->end = subid_ledger_end(db);
    return x->end < 0 ? scim_error_set(err, 500, NULL, "reading subid_ledger: %s",
                                       db_errmsg(db)) : 0;
}

int subids_check_restore(const struct scimd_config *cfg, struct store *st, char *err,
                         size_t errlen)
{
    if (!cfg->subids || !host_probe_host_checks())
        return 0;
    uint64_t cached = cache_subids_end(cfg);
    if (cached == 0)
        return 0;
    struct end_ctx x = { 0 };
    struct scim_error e = { 0 };
    if (store_write(st, end_fn, &x, &e) < 0) {
        snprintf(err, errlen, "%s", e.detail);
        return -1;
    }
    /* The next slice starts at or above both: ids at or above them are safe to hand out. */
    if (cached > (uint64_t)x.end && cached > cfg->subid_min) {
        snprintf(err, errlen,
                 "the store's subordinate id slices end at %lld but %s holds slices up to %llu: "
                 "the database is older than the cache (restored or replaced), and would hand "
                 "those ids out again; set [accounts] subid_min to %llu or above",
                 (long long)x.end, cfg->cache_path, (unsigned long long)cached - 1,
                 (unsigned long long)cached);
        return -1;
    }
    return 0;
}

static bool overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    return a0 <= b1 && b0 <= a1;
}

static int check_subid_file(const struct scimd_config *cfg, const char *path, char *err,
                            size_t errlen)
{
    const struct id_span range = { cfg->subid_min, cfg->subid_max };
    struct subid_file_hit hit;
    int r = subid_file_overlap(path, &range, 1, &hit, err, errlen);
    if (r <= 0)
        return r;
    snprintf(err, errlen,
             "%s:%u: subordinate ids %" PRIu64 "-%" PRIu64 " of '%s' overlap [accounts] "
             "subid_min..subid_max (%u-%u): SCIM users' containers would share ids with a local "
             "user's; choose another range",
             path, hit.lineno, hit.start, hit.end, hit.owner, cfg->subid_min, cfg->subid_max);
    return -1;
}

static int check_host(const struct scimd_config *cfg, const char *root, char *err, size_t errlen)
{
    static const char *const files[] = { "etc/subuid", "etc/subgid" };
    char path[4096];
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", root, files[i]);
        if (check_subid_file(cfg, path, err, errlen) < 0)
            return -1;
    }
    struct subid_pool pools[2];
    snprintf(path, sizeof(path), "%s/etc/login.defs", root);
    if (read_login_defs(path, pools, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < 2; i++) {
        const struct subid_pool *p = &pools[i];
        if (p->count == 0 || p->min > p->max)
            continue;
        if (overlap(p->min, p->max, cfg->subid_min, cfg->subid_max)) {
            snprintf(err, errlen,
                     "%s: useradd hands out subordinate %ss from SUB_%s_MIN..SUB_%s_MAX = "
                     "%llu-%llu (shadow's defaults where unset), which overlaps [accounts] "
                     "subid_min..subid_max (%u-%u); choose a range outside it",
                     path, p->kind, p->kind, p->kind, p->min, p->max, cfg->subid_min,
                     cfg->subid_max);
            return -1;
        }
    }
    return 0;
}

int subids_check_ranges(const struct scimd_config *cfg, const char *root_dir, char *err,
                        size_t errlen)
{
    const char *file = cfg->path ? cfg->path : "(defaults)";
    if (!cfg->subids)
        return 0;
    if (cfg->follow_hub) {
        snprintf(err, errlen,
                 "%s: [accounts] subids = true on a follower: the fleet's feed does not carry "
                 "subordinate ids yet, and slices allocated here could differ from the hub's "
                 "and other hosts'; turn it off here (docs/operations.md, Rootless containers)",
                 file);
        return -1;
    }
    if (cfg->subid_min > cfg->subid_max ||
        (uint64_t)cfg->subid_max - cfg->subid_min + 1 < SUBID_SLICE) {
        snprintf(err, errlen,
                 "%s: [accounts] subid_min..subid_max (%u-%u) holds no slice of %u ids", file,
                 cfg->subid_min, cfg->subid_max, SUBID_SLICE);
        return -1;
    }
    if (overlap(cfg->subid_min, cfg->subid_max, cfg->uid_min, cfg->uid_max) ||
        overlap(cfg->subid_min, cfg->subid_max, cfg->gid_min, cfg->gid_max)) {
        snprintf(err, errlen,
                 "%s: [accounts] subid_min..subid_max (%u-%u) overlaps the uid range (%u-%u) or "
                 "the gid range (%u-%u): a container's ids would be real users' or groups'",
                 file, cfg->subid_min, cfg->subid_max, cfg->uid_min, cfg->uid_max,
                 cfg->gid_min, cfg->gid_max);
        return -1;
    }
    /* A hub-only host has no logins and serves no cache: nothing local to collide with. */
    if (!host_probe_host_checks())
        return 0;
    return check_host(cfg, root_dir ? root_dir : "", err, errlen);
}

struct export_ctx {
    struct scim_cache_user *users;
    size_t n;
};

static int cmp_uid(const void *key, const void *elem)
{
    uint32_t uid = *(const uint32_t *)key;
    const struct scim_cache_user *u = elem;
    return uid < u->uid ? -1 : uid > u->uid;
}

static int attach(const struct subid_row *row, void *arg)
{
    struct export_ctx *x = arg;
    /* A user the export left out (a reserved name) has no record to carry a slice. */
    struct scim_cache_user *u = bsearch(&row->uid, x->users, x->n, sizeof(*x->users), cmp_uid);
    if (u) {
        u->subid_start = row->start;
        u->subid_count = row->count;
    }
    return 0;
}

int subids_export(const struct scimd_config *cfg, struct db *db, struct scim_cache_user *users,
                  size_t n_users, char *err, size_t errlen)
{
    struct export_ctx x = { users, n_users };
    if (!cfg->subids)
        return 0;
    return subid_ledger_scan(db, attach, &x, err, errlen);
}
