/* SPDX-License-Identifier: MIT */
/* `scimctl cache dump`: a human-readable listing of either cache file. */
#include "cache_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int scim_cache_detect_kind(const char *path, enum scim_cache_file *kind, char *err, size_t errlen)
{
    char magic[SCIM_CACHE_MAGIC_LEN];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return scim_cache_seterr(err, errlen, -errno, "%s: %s", path, strerror(errno));
    ssize_t n = pread(fd, magic, sizeof(magic), 0);
    close(fd);
    if (n == (ssize_t)sizeof(magic) && memcmp(magic, SCIM_CACHE_MAGIC_NSS, sizeof(magic)) == 0)
        *kind = SCIM_CACHE_FILE_NSS;
    else if (n == (ssize_t)sizeof(magic) &&
             memcmp(magic, SCIM_CACHE_MAGIC_SHADOW, sizeof(magic)) == 0)
        *kind = SCIM_CACHE_FILE_SHADOW;
    else
        return scim_cache_seterr(err, errlen, -EBADMSG, "%s: not a scimd cache file", path);
    return 0;
}

const char *scim_cache_group_kind_name(enum scim_group_kind k)
{
    switch (k) {
    case SCIM_GROUP_ROLE: return "role";
    case SCIM_GROUP_SCIM: return "scim";
    case SCIM_GROUP_MAPPED_LOCAL: return "mapped-local";
    case SCIM_GROUP_PRIVATE: return "private";
    }
    return "?";
}

struct member_print {
    FILE *out;
    bool first;
};

static int print_member(void *ctx, const char *name, uint32_t len)
{
    struct member_print *mp = ctx;
    fprintf(mp->out, "%s%.*s", mp->first ? "" : ",", (int)len, name);
    mp->first = false;
    return 0;
}

static int dump_nss(const struct scim_cache *c, FILE *out)
{
    fprintf(out, "users: %u\n", scim_cache_user_count(c));
    for (uint32_t i = 0; i < scim_cache_user_count(c); i++) {
        struct scim_cache_user_view u;
        if (scim_cache_user_at(c, i, &u) < 0) {
            fprintf(out, "  user %u: CORRUPT\n", i);
            return -EBADMSG;
        }
        fprintf(out, "  %s:x:%u:%u:%s:%s:%s %s groups=", u.name, u.uid, u.gid, u.gecos, u.home,
                u.shell, u.active ? "active" : "inactive");
        for (uint32_t g = 0; g < u.n_gids; g++)
            fprintf(out, "%s%u", g ? "," : "", u.gids[g]);
        uint32_t pos = 0, n = 0, len;
        const char *key;
        while (scim_cache_ssh_key_next(&u, &pos, &key, &len))
            n++;
        fprintf(out, " ssh_keys=%u%s", n, scim_cache_user_ssh_keys_ok(&u) ? "" : " (CORRUPT)");
        struct scim_cache_subid_view sv;
        int src = scim_cache_subids_of(c, i, &sv);
        if (src == 0)
            fprintf(out, " subids=%u+%u", sv.start, sv.count);
        else if (src != -ENOENT)
            fprintf(out, " subids=CORRUPT");
        fputc('\n', out);
    }
    fprintf(out, "groups: %u\n", scim_cache_group_count(c));
    for (uint32_t i = 0; i < scim_cache_group_count(c); i++) {
        struct scim_cache_group_view g;
        struct member_print mp = {out, true};
        if (scim_cache_group_at(c, i, &g) < 0) {
            fprintf(out, "  group %u: CORRUPT\n", i);
            return -EBADMSG;
        }
        fprintf(out, "  %s:x:%u:", g.name, g.gid);
        int rc = scim_cache_group_members(c, &g, print_member, &mp);
        fprintf(out, " (%s)%s\n", scim_cache_group_kind_name(g.kind),
                rc < 0 ? " CORRUPT MEMBER LIST" : "");
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int dump_shadow(const struct scim_cache *c, FILE *out)
{
    fprintf(out, "shadow entries: %u\n", scim_cache_shadow_count(c));
    for (uint32_t i = 0; i < scim_cache_shadow_count(c); i++) {
        struct scim_cache_shadow_view s;
        if (scim_cache_shadow_at(c, i, &s) < 0) {
            fprintf(out, "  entry %u: CORRUPT\n", i);
            return -EBADMSG;
        }
        /* The hash itself stays out of dumps that may be pasted into tickets. */
        const char *pw = s.passwd[0] == '!' ? s.passwd + 1 : s.passwd;
        fprintf(out, "  %s: %s%s lstchg=%d expire=%d\n", s.name, s.passwd[0] == '!' ? "locked " : "",
                strcmp(pw, "*") == 0 ? "no-password" : "password-hash", s.lstchg, s.expire);
    }
    return 0;
}

int scim_cache_dump(const char *path, FILE *out)
{
    struct scim_cache c;
    enum scim_cache_file kind;
    char err[256] = "";
    int rc = scim_cache_detect_kind(path, &kind, err, sizeof(err));
    if (rc == 0)
        rc = scim_cache_open(&c, path, kind, SCIM_CACHE_OPEN_UNTRUSTED, err, sizeof(err));
    if (rc < 0) {
        fprintf(out, "%s\n", err);
        return rc;
    }
    const struct scim_cache_header *h = c.hdr;
    time_t created = (time_t)h->created;
    struct tm tm;
    char when[64] = "?";
    if (gmtime_r(&created, &tm))
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(out,
            "file: %s\nkind: %s\nformat version: %u\ngeneration: %" PRIu64
            "\nuid high-water mark: %" PRIu64 "\ncreated: %s\nsize: %" PRIu64
            "\nsuperseded: %s\nsections: %u\n",
            path, kind == SCIM_CACHE_FILE_NSS ? "nss" : "shadow", h->version, h->generation,
            h->uid_hwm, when, h->file_size, h->superseded ? "yes" : "no", h->section_count);
    const struct scim_cache_section *tab =
        (const struct scim_cache_section *)(c.base + sizeof(*h));
    for (uint32_t i = 0; i < h->section_count; i++)
        fprintf(out, "  section type %u: offset %" PRIu64 " length %" PRIu64 " count %u\n",
                tab[i].type, tab[i].offset, tab[i].length, tab[i].count);
    rc = kind == SCIM_CACHE_FILE_NSS ? dump_nss(&c, out) : dump_shadow(&c, out);
    scim_cache_close(&c);
    return rc;
}
