/* SPDX-License-Identifier: MIT */
/* On-disk layout of nss.cache and shadow.cache, format version 1.
 * docs/cache-format.md describes the same bytes; keep the two in step.
 * All integers are in the host's byte order (the file never leaves the host; the
 * byte_order field makes a foreign file fail validation instead of misreading). */
#ifndef SCIM_CACHE_FORMAT_H
#define SCIM_CACHE_FORMAT_H

#include <stdint.h>

#define SCIM_CACHE_MAGIC_NSS "SCIMNSS\0"
#define SCIM_CACHE_MAGIC_SHADOW "SCIMSHD\0"
#define SCIM_CACHE_MAGIC_LEN 8
#define SCIM_CACHE_VERSION 1u
#define SCIM_CACHE_BYTE_ORDER 0x01020304u
#define SCIM_CACHE_MAX_SECTIONS 64u
#define SCIM_CACHE_ALIGN 8u

/* Offset of the one byte a writer changes in an already published file. */
#define SCIM_CACHE_SUPERSEDED_OFFSET 20u

struct scim_cache_header {
    char magic[SCIM_CACHE_MAGIC_LEN]; /*  0 */
    uint32_t version;                 /*  8 */
    uint32_t byte_order;              /* 12 */
    uint32_t header_size;             /* 16: 80 + 32 * section_count */
    uint8_t superseded;               /* 20: 0, or 1 once a newer file replaced this one */
    uint8_t reserved0[3];             /* 21: zero */
    uint32_t flags;                   /* 24: zero in version 1 */
    uint32_t section_count;           /* 28 */
    uint64_t generation;              /* 32 */
    uint64_t uid_hwm;                 /* 40 */
    int64_t created;                  /* 48: Unix seconds */
    uint64_t file_size;               /* 56 */
    uint64_t hash_seed;               /* 64 */
    uint32_t header_crc;              /* 72: CRC32C of header+section table, see below */
    uint32_t reserved1;               /* 76: zero */
};                                    /* 80 */

struct scim_cache_section {
    uint32_t type;       /*  0 */
    uint32_t count;      /*  4: entries */
    uint64_t offset;     /*  8: from the start of the file, multiple of 8 */
    uint64_t length;     /* 16: bytes == count * entry_size */
    uint32_t entry_size; /* 24 */
    uint32_t crc;        /* 28: CRC32C of the section bytes (checked by verify, not by NSS) */
};                       /* 32 */

enum scim_cache_section_type {
    SCIM_SECT_STRINGS = 1,          /* entry_size 1: NUL-terminated strings */
    SCIM_SECT_USERS = 2,            /* struct scim_cache_user_rec */
    SCIM_SECT_GROUPS = 3,           /* struct scim_cache_group_rec */
    SCIM_SECT_GIDLISTS = 4,         /* uint32_t gids, per-user slices */
    SCIM_SECT_MEMBERS = 5,          /* struct scim_cache_strref, per-group slices */
    SCIM_SECT_USER_NAME_INDEX = 6,  /* struct scim_cache_slot */
    SCIM_SECT_USER_ID_INDEX = 7,
    SCIM_SECT_GROUP_NAME_INDEX = 8,
    SCIM_SECT_GROUP_ID_INDEX = 9,
    SCIM_SECT_SUBIDS = 10,          /* struct scim_cache_subid_rec; optional (see below) */
    SCIM_SECT_SHADOW = 16,          /* struct scim_cache_shadow_rec */
    SCIM_SECT_SHADOW_NAME_INDEX = 17,
};

/* A string in the STRINGS section: bytes [off, off+len) followed by a NUL. */
struct scim_cache_strref {
    uint32_t off;
    uint32_t len;
};

#define SCIM_USER_F_ACTIVE 0x1u

struct scim_cache_user_rec {
    struct scim_cache_strref name;     /*  0 */
    struct scim_cache_strref gecos;    /*  8 */
    struct scim_cache_strref home;     /* 16 */
    struct scim_cache_strref shell;    /* 24 */
    struct scim_cache_strref ssh_keys; /* 32: keys separated by '\n' */
    uint32_t uid;                      /* 40 */
    uint32_t gid;                      /* 44 */
    uint32_t gids_first;               /* 48: index into GIDLISTS */
    uint32_t gids_count;               /* 52 */
    uint32_t flags;                    /* 56 */
    uint32_t ssh_keys_crc;             /* 60: CRC32C of the ssh_keys bytes */
    uint32_t reserved;                 /* 64: zero */
    uint32_t crc;                      /* 68: bytes 0..67, then name, gecos, home, shell
                                          bytes, then the gid slice */
};                                     /* 72 */

struct scim_cache_group_rec {
    struct scim_cache_strref name; /*  0 */
    uint32_t gid;                  /*  8 */
    uint32_t kind;                 /* 12: enum scim_group_kind */
    uint32_t members_first;        /* 16: index into MEMBERS */
    uint32_t members_count;        /* 20 */
    uint32_t members_crc;          /* 24: the MEMBERS slice, then each member's name bytes */
    uint32_t crc;                  /* 28: bytes 0..27, then the name bytes */
};                                 /* 32 */

struct scim_cache_shadow_rec {
    struct scim_cache_strref name;   /*  0 */
    struct scim_cache_strref passwd; /*  8 */
    int32_t lstchg;                  /* 16 */
    int32_t min;                     /* 20 */
    int32_t max;                     /* 24 */
    int32_t warn;                    /* 28 */
    int32_t inact;                   /* 32 */
    int32_t expire;                  /* 36 */
    uint32_t flags;                  /* 40: SCIM_USER_F_ACTIVE */
    uint32_t crc;                    /* 44: bytes 0..43, then name and passwd bytes */
};                                   /* 48 */

/* A user's subordinate id slice ([accounts] subids): ids [start, start+count) serve as both
 * subuids and subgids. Sorted by user, at most one per user, slices never overlap. The
 * section is optional: a file without it (subids off, or an older writer) has no slices,
 * and readers that predate it skip it as an unknown type. */
struct scim_cache_subid_rec {
    uint32_t user;  /*  0: index into USERS */
    uint32_t start; /*  4 */
    uint32_t count; /*  8 */
    uint32_t crc;   /* 12: bytes 0..11, then the user's name bytes */
};                  /* 16 */

/* Open-addressing hash slot, linear probing. idx_plus1 == 0 marks an empty slot.
 * Name indexes: bucket = hash & (n-1), tag = hash >> 32 (scim_hash_bytes).
 * Id indexes: bucket = scim_hash_u32 & (n-1), tag = the id itself. */
struct scim_cache_slot {
    uint32_t tag;
    uint32_t idx_plus1;
};

_Static_assert(sizeof(struct scim_cache_header) == 80, "header layout");
_Static_assert(sizeof(struct scim_cache_section) == 32, "section layout");
_Static_assert(sizeof(struct scim_cache_user_rec) == 72, "user layout");
_Static_assert(sizeof(struct scim_cache_group_rec) == 32, "group layout");
_Static_assert(sizeof(struct scim_cache_shadow_rec) == 48, "shadow layout");
_Static_assert(sizeof(struct scim_cache_slot) == 8, "slot layout");
_Static_assert(sizeof(struct scim_cache_subid_rec) == 16, "subid layout");

#endif
