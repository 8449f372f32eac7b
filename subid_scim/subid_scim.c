/* SPDX-License-Identifier: MIT */
/* libsubid_scim.so: the subordinate ids of SCIM users for shadow-utils (newuidmap,
 * newgidmap, getsubids, libsubid users such as podman), from the NSS cache's SUBIDS section.
 *
 * shadow (4.9 and later, Debian 12's 4.13 included) reads the "subid:" line of
 * /etc/nsswitch.conf once per process, dlopens libsubid_NAME.so for its one service, and
 * looks up shadow_subid_has_range, shadow_subid_list_owner_ranges and
 * shadow_subid_find_subid_owners (4.15 and later also shadow_subid_free, to free what the
 * last two return; older versions call free() themselves). With a module named there, the
 * files /etc/subuid and /etc/subgid are no longer consulted at all: docs/operations.md,
 * "Rootless containers".
 *
 * No state survives a call: each call maps the cache, answers and unmaps it. newuidmap asks
 * once per range, so the open costs nothing that matters, and there is no lock or mapping
 * for a forked child to inherit. A missing, untrusted or corrupt cache, or a damaged
 * record, grants nothing. A deactivated user's slice is not served. One slice serves as
 * both subuids and subgids. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "config.h"
#include "scim_cache.h"

/* shadow's libsubid ABI (its subid.h), declared here: the module links libc only. */
enum subid_type { ID_TYPE_UID = 1, ID_TYPE_GID = 2 };
enum subid_status {
    SUBID_STATUS_SUCCESS = 0,
    SUBID_STATUS_UNKNOWN_USER = 1,
    SUBID_STATUS_ERROR_CONN = 2,
    SUBID_STATUS_ERROR = 3,
};
struct subid_range {
    unsigned long start;
    unsigned long count;
};

#define EXPORT __attribute__((visibility("default")))

EXPORT enum subid_status shadow_subid_has_range(const char *owner, unsigned long start,
                                                unsigned long count, enum subid_type idtype,
                                                bool *result);
EXPORT enum subid_status shadow_subid_list_owner_ranges(const char *owner,
                                                        enum subid_type id_type,
                                                        struct subid_range **ranges,
                                                        int *count);
EXPORT enum subid_status shadow_subid_find_subid_owners(unsigned long id,
                                                        enum subid_type id_type, uid_t **uids,
                                                        int *count);
EXPORT void shadow_subid_free(void *ptr);

static const char *cache_path(void)
{
    /* Tests point unprivileged runs elsewhere; setuid newuidmap gets NULL here. */
    const char *p = secure_getenv("SCIM_NSS_CACHE");
    return p && p[0] == '/' ? p : SCIMD_NSS_CACHE_PATH;
}

/* 0 with the cache open; 1 when there is no cache (no SCIM users); else an error status. */
static int open_cache(struct scim_cache *c)
{
    int rc = scim_cache_open(c, cache_path(), SCIM_CACHE_FILE_NSS, 0, NULL, 0);
    return rc == 0 ? 0 : rc == -ENOENT ? 1 : -1;
}

static bool type_ok(enum subid_type t)
{
    return t == ID_TYPE_UID || t == ID_TYPE_GID;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* The slice of owner (a login name, or a uid in decimal as /etc/subuid allows): 0, -ENOENT
 * (not a SCIM user, deactivated, or no slice) or -EBADMSG. */
static int owner_slice(const struct scim_cache *c, const char *owner,
                       struct scim_cache_subid_view *s)
{
    struct scim_cache_user_view u;
    int rc = scim_cache_user_by_name(c, owner, &u);
    if (rc == -ENOENT && all_digits(owner) && strlen(owner) <= 10) {
        unsigned long long uid = strtoull(owner, NULL, 10);
        rc = uid < UINT32_MAX ? scim_cache_user_by_uid(c, (uint32_t)uid, &u) : -ENOENT;
    }
    if (rc < 0)
        return rc;
    if (!u.active)
        return -ENOENT;
    return scim_cache_subids_of(c, u.index, s);
}

/* owner's slice, read from a cache opened and closed here: SUCCESS with *found telling
 * whether there is one (no cache, not a SCIM user, deactivated or no slice: none), or ERROR
 * (a bad argument, an unreadable cache or a damaged record). */
static enum subid_status read_owner_slice(const char *owner, enum subid_type t,
                                          struct scim_cache_subid_view *s, bool *found)
{
    struct scim_cache c;
    *found = false;
    if (!owner || !type_ok(t))
        return SUBID_STATUS_ERROR;
    int o = open_cache(&c);
    if (o != 0)
        return o > 0 ? SUBID_STATUS_SUCCESS : SUBID_STATUS_ERROR;
    int rc = owner_slice(&c, owner, s);
    scim_cache_close(&c);
    *found = rc == 0;
    return rc == 0 || rc == -ENOENT ? SUBID_STATUS_SUCCESS : SUBID_STATUS_ERROR;
}

enum subid_status shadow_subid_has_range(const char *owner, unsigned long start,
                                         unsigned long count, enum subid_type idtype,
                                         bool *result)
{
    struct scim_cache_subid_view s;
    bool found;
    if (!result)
        return SUBID_STATUS_ERROR;
    *result = false;
    enum subid_status st = read_owner_slice(owner, idtype, &s, &found);
    /* In 64 bits: start + count cannot wrap, whatever the caller passed. */
    if (found)
        *result = count > 0 && start >= s.start && start <= UINT32_MAX &&
                  count <= UINT32_MAX &&
                  (uint64_t)start + count <= (uint64_t)s.start + s.count;
    return st;
}

enum subid_status shadow_subid_list_owner_ranges(const char *owner, enum subid_type id_type,
                                                 struct subid_range **ranges, int *count)
{
    struct scim_cache_subid_view s;
    bool found;
    if (!ranges || !count)
        return SUBID_STATUS_ERROR;
    *ranges = NULL;
    *count = 0;
    enum subid_status st = read_owner_slice(owner, id_type, &s, &found);
    if (!found)
        return st;
    struct subid_range *r = malloc(sizeof(*r));
    if (!r)
        return SUBID_STATUS_ERROR;
    r->start = s.start;
    r->count = s.count;
    *ranges = r;
    *count = 1;
    return SUBID_STATUS_SUCCESS;
}

enum subid_status shadow_subid_find_subid_owners(unsigned long id, enum subid_type id_type,
                                                 uid_t **uids, int *count)
{
    struct scim_cache c;
    enum subid_status st = SUBID_STATUS_SUCCESS;
    if (!uids || !count)
        return SUBID_STATUS_ERROR;
    *uids = NULL;
    *count = 0;
    if (!type_ok(id_type))
        return SUBID_STATUS_ERROR;
    int o = open_cache(&c);
    if (o != 0)
        return o > 0 ? SUBID_STATUS_SUCCESS : SUBID_STATUS_ERROR;
    /* Slices never overlap (the writer refuses it), so at most one owner; a scan is fine
     * for a question asked by hand (getsubids -o). A damaged record fails the whole answer
     * rather than leave its owner out. */
    for (uint32_t i = 0; i < scim_cache_subid_count(&c); i++) {
        struct scim_cache_subid_view s;
        struct scim_cache_user_view u;
        if (scim_cache_subid_at(&c, i, &s) < 0 || scim_cache_user_at(&c, s.user_index, &u) < 0) {
            st = SUBID_STATUS_ERROR;
            break;
        }
        if (id < s.start || id - s.start >= s.count || !u.active)
            continue;
        uid_t *out = malloc(sizeof(*out));
        if (!out) {
            st = SUBID_STATUS_ERROR;
            break;
        }
        out[0] = u.uid;
        *uids = out;
        *count = 1;
        break;
    }
    scim_cache_close(&c);
    return st;
}

void shadow_subid_free(void *ptr)
{
    free(ptr);
}
