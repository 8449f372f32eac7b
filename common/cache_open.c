/* SPDX-License-Identifier: MIT */
/* Opening and validating a cache file. Everything a lookup later trusts without checking
 * again (section bounds, entry sizes, index sizes) is checked here, once per mapping. */
#include "cache_internal.h"

#include "cache_dir_trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int scim_cache_seterr(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

uint32_t scim_cache_header_crc(const uint8_t *hdr_bytes, uint32_t header_size)
{
    /* The superseded byte changes after publication and the crc cannot cover itself. */
    struct scim_cache_header h;
    memcpy(&h, hdr_bytes, sizeof(h));
    h.superseded = 0;
    h.header_crc = 0;
    uint32_t crc = scim_crc32c(&h, sizeof(h));
    return scim_crc32c_update(crc, hdr_bytes + sizeof(h), header_size - sizeof(h));
}

struct section_rule {
    uint32_t type;
    uint32_t entry_size;
    size_t span_off; /* offsetof the span in struct scim_cache */
    enum scim_cache_file kind;
    bool is_index;
};

#define SPAN(field) offsetof(struct scim_cache, field)

static const struct section_rule section_rules[] = {
    {SCIM_SECT_STRINGS, 1, SPAN(strings), 0, false},
    {SCIM_SECT_USERS, sizeof(struct scim_cache_user_rec), SPAN(users), SCIM_CACHE_FILE_NSS, false},
    {SCIM_SECT_GROUPS, sizeof(struct scim_cache_group_rec), SPAN(groups), SCIM_CACHE_FILE_NSS, false},
    {SCIM_SECT_GIDLISTS, sizeof(uint32_t), SPAN(gidlists), SCIM_CACHE_FILE_NSS, false},
    {SCIM_SECT_MEMBERS, sizeof(struct scim_cache_strref), SPAN(members), SCIM_CACHE_FILE_NSS, false},
    {SCIM_SECT_USER_NAME_INDEX, sizeof(struct scim_cache_slot), SPAN(user_name_idx), SCIM_CACHE_FILE_NSS, true},
    {SCIM_SECT_USER_ID_INDEX, sizeof(struct scim_cache_slot), SPAN(user_id_idx), SCIM_CACHE_FILE_NSS, true},
    {SCIM_SECT_GROUP_NAME_INDEX, sizeof(struct scim_cache_slot), SPAN(group_name_idx), SCIM_CACHE_FILE_NSS, true},
    {SCIM_SECT_GROUP_ID_INDEX, sizeof(struct scim_cache_slot), SPAN(group_id_idx), SCIM_CACHE_FILE_NSS, true},
    {SCIM_SECT_SHADOW, sizeof(struct scim_cache_shadow_rec), SPAN(shadow), SCIM_CACHE_FILE_SHADOW, false},
    {SCIM_SECT_SHADOW_NAME_INDEX, sizeof(struct scim_cache_slot), SPAN(shadow_name_idx), SCIM_CACHE_FILE_SHADOW, true},
    {SCIM_SECT_SUBIDS, sizeof(struct scim_cache_subid_rec), SPAN(subids), SCIM_CACHE_FILE_NSS, false},
};
#define N_RULES (sizeof(section_rules) / sizeof(section_rules[0]))

static const struct section_rule *rule_for(uint32_t type)
{
    for (size_t i = 0; i < N_RULES; i++)
        if (section_rules[i].type == type)
            return &section_rules[i];
    return NULL;
}

static struct scim_cache_span *span_of(struct scim_cache *c, const struct section_rule *r)
{
    return (struct scim_cache_span *)((uint8_t *)c + r->span_off);
}

static int check_sections(struct scim_cache *c, char *err, size_t errlen)
{
    const struct scim_cache_header *h = c->hdr;
    const struct scim_cache_section *tab =
        (const struct scim_cache_section *)(c->base + sizeof(*h));
    uint32_t seen = 0; /* bit per rule index */

    for (uint32_t i = 0; i < h->section_count; i++) {
        const struct scim_cache_section *s = &tab[i];
        if (s->offset % SCIM_CACHE_ALIGN != 0 || s->offset < h->header_size ||
            s->offset > c->size || s->length > c->size - s->offset)
            return scim_cache_seterr(err, errlen, -EBADMSG,
                                     "section %u (type %u) lies outside the file", i, s->type);
        if (s->entry_size == 0 || s->length / s->entry_size != s->count ||
            s->length % s->entry_size != 0)
            return scim_cache_seterr(err, errlen, -EBADMSG,
                                     "section %u (type %u): count does not match length", i,
                                     s->type);
        const struct section_rule *r = rule_for(s->type);
        if (!r)
            continue; /* a newer writer's section: older readers skip it */
        if (r->kind != 0 && r->kind != c->kind)
            continue; /* belongs to the other file kind: not ours to use */
        size_t ri = (size_t)(r - section_rules);
        if (seen & (1u << ri))
            return scim_cache_seterr(err, errlen, -EBADMSG, "section type %u appears twice",
                                     s->type);
        seen |= 1u << ri;
        if (s->entry_size != r->entry_size)
            return scim_cache_seterr(err, errlen, -EBADMSG,
                                     "section type %u has entry size %u, expected %u", s->type,
                                     s->entry_size, r->entry_size);
        if (r->is_index && (s->count == 0 || (s->count & (s->count - 1)) != 0))
            return scim_cache_seterr(err, errlen, -EBADMSG,
                                     "index section type %u size %u is not a power of two",
                                     s->type, s->count);
        struct scim_cache_span *sp = span_of(c, r);
        sp->data = c->base + s->offset;
        sp->length = s->length;
        sp->count = s->count;
    }
    for (size_t ri = 0; ri < N_RULES; ri++) {
        const struct section_rule *r = &section_rules[ri];
        /* SUBIDS came after version 1 shipped, and only subids = true writes it. */
        if ((r->kind == 0 || r->kind == c->kind) && r->type != SCIM_SECT_SUBIDS &&
            !(seen & (1u << ri)))
            return scim_cache_seterr(err, errlen, -EBADMSG, "required section type %u missing",
                                     r->type);
    }
    if (c->strings.length == 0 || c->strings.data[c->strings.length - 1] != '\0')
        return scim_cache_seterr(err, errlen, -EBADMSG, "string table not NUL-terminated");
    if (c->kind == SCIM_CACHE_FILE_NSS) {
        if (c->user_name_idx.count < c->users.count || c->user_id_idx.count < c->users.count ||
            c->group_name_idx.count < c->groups.count || c->group_id_idx.count < c->groups.count)
            return scim_cache_seterr(err, errlen, -EBADMSG, "an index is smaller than its table");
    } else if (c->shadow_name_idx.count < c->shadow.count) {
        return scim_cache_seterr(err, errlen, -EBADMSG, "an index is smaller than its table");
    }
    return 0;
}

static int check_header(struct scim_cache *c, char *err, size_t errlen)
{
    if (c->size < sizeof(struct scim_cache_header))
        return scim_cache_seterr(err, errlen, -EBADMSG, "file too short for a header (%zu bytes)",
                                 c->size);
    const struct scim_cache_header *h = c->hdr;
    const char *magic =
        c->kind == SCIM_CACHE_FILE_NSS ? SCIM_CACHE_MAGIC_NSS : SCIM_CACHE_MAGIC_SHADOW;
    if (memcmp(h->magic, magic, SCIM_CACHE_MAGIC_LEN) != 0)
        return scim_cache_seterr(err, errlen, -EBADMSG, "bad magic (not a %s cache file)",
                                 c->kind == SCIM_CACHE_FILE_NSS ? "nss" : "shadow");
    if (h->byte_order != SCIM_CACHE_BYTE_ORDER)
        return scim_cache_seterr(err, errlen, -EPROTONOSUPPORT, "foreign byte order");
    if (h->version != SCIM_CACHE_VERSION)
        return scim_cache_seterr(err, errlen, -EPROTONOSUPPORT,
                                 "format version %u, this reader knows %u", h->version,
                                 SCIM_CACHE_VERSION);
    if (h->section_count > SCIM_CACHE_MAX_SECTIONS ||
        h->header_size != sizeof(*h) + h->section_count * sizeof(struct scim_cache_section) ||
        h->header_size > c->size)
        return scim_cache_seterr(err, errlen, -EBADMSG, "bad header size or section count");
    if (h->file_size != c->size)
        return scim_cache_seterr(err, errlen, -EBADMSG,
                                 "file is %zu bytes, header says %llu (truncated?)", c->size,
                                 (unsigned long long)h->file_size);
    if (scim_cache_header_crc(c->base, h->header_size) != h->header_crc)
        return scim_cache_seterr(err, errlen, -EBADMSG, "header checksum mismatch");
    c->seed = h->hash_seed;
    return check_sections(c, err, errlen);
}

int scim_cache_open_fd(struct scim_cache *c, int fd, enum scim_cache_file kind,
                       unsigned flags, char *err, size_t errlen)
{
    struct stat st;
    void *map = MAP_FAILED;
    int rc;

    memset(c, 0, sizeof(*c));
    if (kind != SCIM_CACHE_FILE_NSS && kind != SCIM_CACHE_FILE_SHADOW)
        return scim_cache_seterr(err, errlen, -EINVAL, "unknown cache file kind");
    if (fstat(fd, &st) < 0) {
        rc = scim_cache_seterr(err, errlen, -errno, "fstat: %s", strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = scim_cache_seterr(err, errlen, -EBADMSG, "not a regular file");
        goto out;
    }
    if (!(flags & SCIM_CACHE_OPEN_UNTRUSTED) &&
        (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)) {
        rc = scim_cache_seterr(err, errlen, -EPERM,
                               "not trusted: owner uid %u, mode %04o (need root, not group/world "
                               "writable)",
                               (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        goto out;
    }
    if (st.st_size < (off_t)sizeof(struct scim_cache_header)) {
        rc = scim_cache_seterr(err, errlen, -EBADMSG, "file too short for a header (%lld bytes)",
                               (long long)st.st_size);
        goto out;
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        rc = scim_cache_seterr(err, errlen, -EBADMSG, "file too large");
        goto out;
    }
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        rc = scim_cache_seterr(err, errlen, -errno, "mmap: %s", strerror(errno));
        goto out;
    }
    c->base = map;
    c->size = (size_t)st.st_size;
    c->kind = kind;
    c->hdr = map;
    c->dev = st.st_dev;
    c->ino = st.st_ino;
    c->st_size = st.st_size;
    c->mtime_sec = st.st_mtim.tv_sec;
    c->mtime_nsec = st.st_mtim.tv_nsec;
    rc = check_header(c, err, errlen);
    if (rc == 0)
        map = MAP_FAILED; /* ownership passes to c */
out:
    if (map != MAP_FAILED)
        munmap(map, (size_t)st.st_size);
    if (rc < 0)
        memset(c, 0, sizeof(*c));
    return rc;
}

int scim_cache_open(struct scim_cache *c, const char *path, enum scim_cache_file kind,
                    unsigned flags, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    /* Once per (re)mapping, never per lookup: a few stat(2)s. */
    if (!(flags & SCIM_CACHE_OPEN_UNTRUSTED)) {
        int rc = scim_cache_dirs_trusted(path, err, errlen);
        if (rc < 0)
            return rc;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return scim_cache_seterr(err, errlen, -errno, "%s: %s", path, strerror(errno));
    int rc = scim_cache_open_fd(c, fd, kind, flags, err, errlen);
    close(fd);
    return rc;
}

int scim_cache_open_image(struct scim_cache *c, const uint8_t *buf, size_t len,
                          enum scim_cache_file kind, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    if (kind != SCIM_CACHE_FILE_NSS && kind != SCIM_CACHE_FILE_SHADOW)
        return scim_cache_seterr(err, errlen, -EINVAL, "unknown cache file kind");
    c->base = buf;
    c->size = len;
    c->kind = kind;
    c->hdr = (const struct scim_cache_header *)buf;
    c->borrowed = true;
    int rc = check_header(c, err, errlen);
    if (rc < 0)
        memset(c, 0, sizeof(*c));
    return rc;
}

void scim_cache_close(struct scim_cache *c)
{
    if (c->base && !c->borrowed)
        munmap((void *)c->base, c->size);
    memset(c, 0, sizeof(*c));
}

bool scim_cache_superseded(const struct scim_cache *c)
{
    return __atomic_load_n(&c->hdr->superseded, __ATOMIC_RELAXED) != 0;
}

bool scim_cache_stale(const struct scim_cache *c, const char *path)
{
    struct stat st;
    if (scim_cache_superseded(c))
        return true;
    if (stat(path, &st) < 0)
        return true;
    return st.st_dev != c->dev || st.st_ino != c->ino || st.st_size != c->st_size ||
           st.st_mtim.tv_sec != c->mtime_sec || st.st_mtim.tv_nsec != c->mtime_nsec;
}

uint64_t scim_cache_generation(const struct scim_cache *c)
{
    return c->hdr->generation;
}

uint64_t scim_cache_uid_hwm(const struct scim_cache *c)
{
    return c->hdr->uid_hwm;
}

int64_t scim_cache_created(const struct scim_cache *c)
{
    return c->hdr->created;
}
