/* SPDX-License-Identifier: MIT */
/* scimd cache files (nss.cache, shadow.cache): writer and reader. libc only.
 * Layout: scim_cache_format.h and docs/cache-format.md.
 *
 * Return convention of every int function: 0 on success, or a negative errno:
 *   -ENOENT          file missing / no such record
 *   -EACCES          cannot open (permissions)
 *   -EPERM           file not trusted (not owned by root, or group/world writable)
 *   -EBADMSG         corrupt, truncated or inconsistent
 *   -EPROTONOSUPPORT wrong format version or byte order
 *   -EINVAL          bad writer input (errbuf says which record and why)
 *   other            I/O errors from the system (e.g. -ENOSPC) */
#ifndef SCIM_CACHE_H
#define SCIM_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "scim_cache_format.h"

/* ---------------------------------------------------------------- writer */

enum scim_group_kind {
    SCIM_GROUP_ROLE = 1,         /* a distinct roles[].value */
    SCIM_GROUP_SCIM = 2,         /* a SCIM /Groups resource */
    SCIM_GROUP_MAPPED_LOCAL = 3, /* configured mapping onto an existing local group */
    SCIM_GROUP_PRIVATE = 4,      /* a user's private group; written by the writer itself */
};

struct scim_cache_user {
    const char *name;             /* validated login name */
    uint32_t uid;                 /* >= 1000, not 65534/65535/4294967295 */
    uint32_t gid;                 /* must equal uid (private group) */
    const char *gecos;            /* NULL -> ""; no ':' or newline */
    const char *home;             /* absolute; no ':' or newline */
    const char *shell;            /* absolute; no ':' or newline */
    bool active;                  /* false: locked "!" + expired (sp_expire 1) in shadow */
    const char *password_hash;    /* NULL -> "*"; no ':' or newline */
    int64_t last_change_day;      /* sp_lstchg, days since 1970-01-01, >= 1 */
    const char *const *ssh_keys;  /* one key per entry, no newline */
    size_t n_ssh_keys;
    uint32_t subid_start;         /* subordinate ids [start, start+count); count 0: none */
    uint32_t subid_count;
};

struct scim_cache_group {
    const char *name;               /* validated group name */
    uint32_t gid;                   /* >= 1000 unless kind is MAPPED_LOCAL (then != 0) */
    enum scim_group_kind kind;      /* ROLE, SCIM or MAPPED_LOCAL (PRIVATE is refused) */
    const uint32_t *member_user_idx; /* indices into snapshot users[], no duplicates */
    size_t n_members;
};

struct scim_cache_snapshot {
    const struct scim_cache_user *users;
    size_t n_users;
    const struct scim_cache_group *groups;
    size_t n_groups;
    uint64_t generation;
    uint64_t uid_hwm;
    int64_t created;   /* Unix seconds; 0 -> now */
    size_t name_max;   /* login/group name limit; 0 -> SCIM_NAME_MAX_DEFAULT */
};

/* Validates the snapshot, writes nss_path and shadow_path atomically (temp file in the
 * same directory, fsync, read back and verify, chmod/chown, rename, fsync directory), then
 * marks each replaced file superseded. shadow.cache gets mode 0640 and group "shadow"
 * (looked up once per process); if the caller may not set that group (root without
 * CAP_CHOWN and not a member of it) the file stays root:root 0640. The writer adds each user's private group (name and
 * gid of the user) and derives every user's supplementary gid list from the groups'
 * members. On any error nothing is published, the old files stay, errbuf says why. */
int scim_cache_write(const char *nss_path, const char *shadow_path,
                     const struct scim_cache_snapshot *snap, char *errbuf, size_t errlen);

/* Builds the two images in memory without touching the disk (for tests and tools).
 * *nss_out / *shadow_out are malloc'd; the caller frees them. Either out may be NULL. */
int scim_cache_build(const struct scim_cache_snapshot *snap, uint8_t **nss_out,
                     size_t *nss_len, uint8_t **shadow_out, size_t *shadow_len,
                     char *errbuf, size_t errlen);

/* ---------------------------------------------------------------- reader */

enum scim_cache_file {
    SCIM_CACHE_FILE_NSS = 1,
    SCIM_CACHE_FILE_SHADOW = 2,
};

/* scim_cache_open flags */
#define SCIM_CACHE_OPEN_UNTRUSTED 0x1u /* skip the owner/mode check (dump of a copy) */

struct scim_cache_span {
    const uint8_t *data;
    uint64_t length;
    uint32_t count;
};

/* An open, validated mapping. Fill with scim_cache_open, release with scim_cache_close.
 * The fields are for this library; callers use the functions below. No allocation:
 * a caller may keep it on its stack. */
struct scim_cache {
    const uint8_t *base;
    size_t size;
    enum scim_cache_file kind;
    const struct scim_cache_header *hdr;
    uint64_t seed;
    struct scim_cache_span strings, users, groups, gidlists, members;
    struct scim_cache_span user_name_idx, user_id_idx, group_name_idx, group_id_idx;
    struct scim_cache_span shadow, shadow_name_idx;
    struct scim_cache_span subids; /* count 0 when the file has no SUBIDS section */
    dev_t dev;
    ino_t ino;
    off_t st_size;
    int64_t mtime_sec;
    long mtime_nsec;
    bool borrowed; /* opened over a caller's buffer: close does not unmap */
};

/* Opens path read-only (O_CLOEXEC), checks trust in the file and in every directory up to
 * / (cache_dir_trust.h; both unless SCIM_CACHE_OPEN_UNTRUSTED),
 * maps it shared and read-only, closes the fd and validates the header and every section
 * bound. Records are checked later, one by one, when read. err/errlen may be NULL/0. */
int scim_cache_open(struct scim_cache *c, const char *path, enum scim_cache_file kind,
                    unsigned flags, char *err, size_t errlen);
/* Same, from an open fd (not closed; trust is checked on it too unless UNTRUSTED). */
int scim_cache_open_fd(struct scim_cache *c, int fd, enum scim_cache_file kind,
                       unsigned flags, char *err, size_t errlen);
/* Same header and section checks over an image in memory (the writer's own, before it
 * publishes it); c borrows buf, which must outlive it. */
int scim_cache_open_image(struct scim_cache *c, const uint8_t *buf, size_t len,
                          enum scim_cache_file kind, char *err, size_t errlen);
void scim_cache_close(struct scim_cache *c);

/* True once a writer replaced this file (one byte read from the mapping). */
bool scim_cache_superseded(const struct scim_cache *c);
/* True if superseded, or if path now names another file (dev/ino/size/mtime differ), or
 * cannot be stat'ed. Costs one stat(2). */
bool scim_cache_stale(const struct scim_cache *c, const char *path);

uint64_t scim_cache_generation(const struct scim_cache *c);
uint64_t scim_cache_uid_hwm(const struct scim_cache *c);
int64_t scim_cache_created(const struct scim_cache *c);

/* Views borrow from the mapping: valid until scim_cache_close. Strings are NUL-terminated
 * and their length is given too. */
struct scim_cache_user_view {
    const char *name, *gecos, *home, *shell;
    uint32_t name_len, gecos_len, home_len, shell_len;
    const char *ssh_keys; /* '\n'-separated; use scim_cache_ssh_key_next */
    uint32_t ssh_keys_len;
    uint32_t uid, gid;
    bool active;
    const uint32_t *gids; /* supplementary gids (sorted, may include mapped local gids) */
    uint32_t n_gids;
    uint32_t index;       /* position for scim_cache_user_at */
    /* private */
    uint32_t ssh_keys_crc;
};

struct scim_cache_group_view {
    const char *name;
    uint32_t name_len;
    uint32_t gid;
    enum scim_group_kind kind;
    uint32_t n_members;
    uint32_t index;
    /* private */
    uint32_t members_first, members_crc;
};

struct scim_cache_shadow_view {
    const char *name, *passwd;
    uint32_t name_len, passwd_len;
    int32_t lstchg, min, max, warn, inact, expire; /* -1 = empty field */
    bool active;
};

/* Each returns 0, -ENOENT or -EBADMSG (record failed its checksum, a bound, or the id
 * rules: user uid/gid >= 1000 and not 65534/65535/4294967295; group gid likewise unless
 * the group is MAPPED_LOCAL, whose gid is only required to be non-zero). */
int scim_cache_user_by_name(const struct scim_cache *c, const char *name,
                            struct scim_cache_user_view *u);
int scim_cache_user_by_uid(const struct scim_cache *c, uint32_t uid,
                           struct scim_cache_user_view *u);
int scim_cache_user_at(const struct scim_cache *c, uint32_t index,
                       struct scim_cache_user_view *u);
uint32_t scim_cache_user_count(const struct scim_cache *c);
bool scim_cache_has_user(const struct scim_cache *c, const char *name);
bool scim_cache_has_uid(const struct scim_cache *c, uint32_t uid);

/* Iterates the user's SSH keys: start with *pos = 0; returns false when done. The key
 * list has its own checksum, checked when *pos is 0: a damaged list yields no keys. */
bool scim_cache_ssh_key_next(const struct scim_cache_user_view *u, uint32_t *pos,
                             const char **key, uint32_t *len);
/* False if the key list failed its checksum (tells "no keys" from "damaged keys"). */
bool scim_cache_user_ssh_keys_ok(const struct scim_cache_user_view *u);

/* Group lookups by gid never return MAPPED_LOCAL groups (-ENOENT): those gids belong to
 * local groups. By name they are returned, so glibc's merge can add SCIM members. */
int scim_cache_group_by_name(const struct scim_cache *c, const char *name,
                             struct scim_cache_group_view *g);
int scim_cache_group_by_gid(const struct scim_cache *c, uint32_t gid,
                            struct scim_cache_group_view *g);
int scim_cache_group_at(const struct scim_cache *c, uint32_t index,
                        struct scim_cache_group_view *g);
uint32_t scim_cache_group_count(const struct scim_cache *c);

/* Calls fn(ctx, name, len) for each member in order. Returns 0; fn's first non-zero
 * return (iteration stops); or -EBADMSG if the member list failed its checksum — checked
 * after the last member, so callers must discard what fn produced on -EBADMSG. */
typedef int (*scim_cache_member_fn)(void *ctx, const char *name, uint32_t len);
int scim_cache_group_members(const struct scim_cache *c, const struct scim_cache_group_view *g,
                             scim_cache_member_fn fn, void *ctx);

/* A user's subordinate id slice (SUBIDS section). */
struct scim_cache_subid_view {
    uint32_t user_index; /* for scim_cache_user_at */
    uint32_t start, count;
};

/* The slice of the user at user_index: 0, -ENOENT (none: subids off, or a file written
 * before the section existed) or -EBADMSG (checksum, bounds, or an unsorted section). */
int scim_cache_subids_of(const struct scim_cache *c, uint32_t user_index,
                         struct scim_cache_subid_view *s);
/* The i-th slice, in user order: 0, -ENOENT past the end, or -EBADMSG. */
int scim_cache_subid_at(const struct scim_cache *c, uint32_t i, struct scim_cache_subid_view *s);
uint32_t scim_cache_subid_count(const struct scim_cache *c);

int scim_cache_shadow_by_name(const struct scim_cache *c, const char *name,
                              struct scim_cache_shadow_view *s);
int scim_cache_shadow_at(const struct scim_cache *c, uint32_t index,
                         struct scim_cache_shadow_view *s);
uint32_t scim_cache_shadow_count(const struct scim_cache *c);

/* ---------------------------------------------------------------- tools (cache_dump.c) */

/* "role", "scim", "mapped-local" or "private", as the dumps name a group's kind. */
const char *scim_cache_group_kind_name(enum scim_group_kind k);
/* NSS or shadow, told by the magic. 0, or -errno with err set. */
int scim_cache_detect_kind(const char *path, enum scim_cache_file *kind, char *err, size_t errlen);
/* Human-readable dump of a cache file of either kind (detected by magic). 0 or -errno. */
int scim_cache_dump(const char *path, FILE *out);
/* Full check: trust, header, every section checksum, every record, every index entry
 * (each record reachable through its indexes). 0, or -errno with err set. */
int scim_cache_verify(const char *path, char *err, size_t errlen);
/* The same checks on an open mapping (the writer runs them before publishing). */
int scim_cache_verify_mapped(const struct scim_cache *c, char *err, size_t errlen);

#endif
