/* SPDX-License-Identifier: MIT */
/* A damaged cache never crashes a reader, never reads out of bounds (run under ASan) and
 * never yields wrong data: lookups either return exactly what was written or fail. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache_fixture.h"
#include "scim_cache.h"
#include "scim_hash.h"

struct fx {
    char *dir, *path;
    uint8_t *nss, *shadow;
    size_t nss_len, shadow_len;
    uint8_t *work; /* scratch copy, nss_len + 4096 bytes */
    unsigned long opened, rejected;
};

static struct fx *F;

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char err[256] = "";
    assert_int_equal(scim_cache_build(fx_snapshot(), &f->nss, &f->nss_len, &f->shadow,
                                      &f->shadow_len, err, sizeof(err)),
                     0);
    f->dir = fx_mkdtemp();
    f->path = fx_path(f->dir, "c.cache");
    f->work = malloc(f->nss_len + f->shadow_len + 4096);
    F = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    fx_rmdir(f->dir);
    free(f->path);
    free(f->nss);
    free(f->shadow);
    free(f->work);
    free(f);
    return 0;
}

/* ---- checking a possibly damaged mapping against the fixture */

struct names {
    char buf[512];
    size_t len;
};

static int join(void *ctx, const char *name, uint32_t len)
{
    struct names *n = ctx;
    assert_true(n->len + len + 2 < sizeof(n->buf));
    memcpy(n->buf + n->len, name, len);
    n->len += len;
    n->buf[n->len++] = ',';
    n->buf[n->len] = '\0';
    return 0;
}

static void check_user(const struct scim_cache_user_view *u)
{
    const struct scim_cache_snapshot *s = fx_snapshot();
    const struct scim_cache_user *want = NULL;
    for (size_t i = 0; i < s->n_users; i++)
        if (strcmp(s->users[i].name, u->name) == 0)
            want = &s->users[i];
    assert_non_null(want);
    assert_int_equal(u->uid, want->uid);
    assert_int_equal(u->gid, want->gid);
    assert_string_equal(u->gecos, want->gecos ? want->gecos : "");
    assert_string_equal(u->home, want->home);
    assert_string_equal(u->shell, want->shell);
    assert_int_equal(u->active, want->active);
    assert_true(u->uid >= 1000);
}

static void check_group(const struct scim_cache *c, const struct scim_cache_group_view *g)
{
    struct names n = {.len = 0};
    const char *want = NULL;
    uint32_t gid = 0;
    if (strcmp(g->name, "ops") == 0)
        want = "alice,bob,", gid = FX_GID_OPS;
    else if (strcmp(g->name, "developers") == 0)
        want = FX_NAME_CAROL ",alice,", gid = FX_GID_DEVS;
    else if (strcmp(g->name, "sudo") == 0)
        want = "alice,", gid = FX_GID_SUDO;
    else if (strcmp(g->name, "alice") == 0)
        want = "", gid = FX_UID_ALICE;
    else if (strcmp(g->name, "bob") == 0)
        want = "", gid = FX_UID_BOB;
    else if (strcmp(g->name, FX_NAME_CAROL) == 0)
        want = "", gid = FX_UID_CAROL;
    if (!want)
        fail_msg("unexpected group name \"%s\"", g->name);
    assert_int_equal(g->gid, gid);
    if (scim_cache_group_members(c, g, join, &n) == 0)
        assert_string_equal(n.buf, want);
}

static void exercise_nss(const struct scim_cache *c)
{
    static const char *const users[] = {"alice", "bob", FX_NAME_CAROL, "root", "nobody"};
    static const uint32_t uids[] = {FX_UID_ALICE, FX_UID_BOB, FX_UID_CAROL, 0, 1000};
    static const char *const groups[] = {"ops", "developers", "sudo", "alice", "root"};
    static const uint32_t gids[] = {FX_GID_OPS, FX_GID_DEVS, FX_GID_SUDO, FX_UID_BOB, 0};
    struct scim_cache_user_view u;
    struct scim_cache_group_view g;
    for (size_t i = 0; i < 5; i++) {
        if (scim_cache_user_by_name(c, users[i], &u) == 0) {
            check_user(&u);
            assert_string_equal(u.name, users[i]);
        }
        if (scim_cache_user_by_uid(c, uids[i], &u) == 0) {
            check_user(&u);
            assert_int_equal(u.uid, uids[i]);
        }
        if (scim_cache_group_by_name(c, groups[i], &g) == 0) {
            check_group(c, &g);
            assert_string_equal(g.name, groups[i]);
        }
        if (scim_cache_group_by_gid(c, gids[i], &g) == 0) {
            check_group(c, &g);
            assert_int_equal(g.gid, gids[i]);
        }
    }
    for (uint32_t i = 0; i < scim_cache_user_count(c) && i < 10; i++)
        if (scim_cache_user_at(c, i, &u) == 0) {
            check_user(&u);
            uint32_t pos = 0, len;
            const char *key;
            while (scim_cache_ssh_key_next(&u, &pos, &key, &len))
                assert_true(len > 0);
        }
    for (uint32_t i = 0; i < scim_cache_group_count(c) && i < 10; i++)
        if (scim_cache_group_at(c, i, &g) == 0)
            check_group(c, &g);
}

static void exercise_shadow(const struct scim_cache *c)
{
    struct scim_cache_shadow_view s;
    static const char *const names[] = {"alice", "bob", FX_NAME_CAROL, "root"};
    for (size_t i = 0; i < 4; i++)
        if (scim_cache_shadow_by_name(c, names[i], &s) == 0) {
            assert_string_equal(s.name, names[i]);
            assert_string_equal(s.passwd, i == 0 ? FX_HASH_ALICE : i == 1 ? "!*" : "*");
        }
    for (uint32_t i = 0; i < scim_cache_shadow_count(c) && i < 10; i++)
        scim_cache_shadow_at(c, i, &s);
}

/* Writes img as a trusted file, opens it, runs every lookup. Returns open's result; when
 * open succeeded, also whether a full verify passed (1) or not (0) via *verified. */
static int try_image(const uint8_t *img, size_t len, enum scim_cache_file kind, int *verified)
{
    struct scim_cache c;
    char err[256];
    fx_write(F->path, img, len, 0644);
    int rc = scim_cache_open(&c, F->path, kind, 0, err, sizeof(err));
    if (rc < 0) {
        F->rejected++;
        return rc;
    }
    F->opened++;
    if (kind == SCIM_CACHE_FILE_NSS)
        exercise_nss(&c);
    else
        exercise_shadow(&c);
    if (verified)
        *verified = scim_cache_verify_mapped(&c, err, sizeof(err)) == 0;
    scim_cache_close(&c);
    return 0;
}

static uint8_t *fresh(enum scim_cache_file kind, size_t *len)
{
    const uint8_t *src = kind == SCIM_CACHE_FILE_NSS ? F->nss : F->shadow;
    *len = kind == SCIM_CACHE_FILE_NSS ? F->nss_len : F->shadow_len;
    memcpy(F->work, src, *len);
    return F->work;
}

static const enum scim_cache_file kinds[] = {SCIM_CACHE_FILE_NSS, SCIM_CACHE_FILE_SHADOW};

/* ---- tests */

static void test_pristine_passes(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        size_t len;
        uint8_t *img = fresh(kinds[k], &len);
        int verified = 0;
        assert_int_equal(try_image(img, len, kinds[k], &verified), 0);
        assert_true(verified);
    }
}

static void test_truncation(void **state)
{
    (void)state;
    srand(1234);
    for (int k = 0; k < 2; k++) {
        size_t len;
        uint8_t *img = fresh(kinds[k], &len);
        const struct scim_cache_header *h = (const struct scim_cache_header *)img;
        size_t cuts[600], n = 0;
        for (size_t c = 0; c <= sizeof(*h) + 8; c++)
            cuts[n++] = c;
        for (uint32_t i = 0; i < h->section_count; i++) {
            const struct scim_cache_section *s = fx_section(img, i);
            cuts[n++] = s->offset;
            cuts[n++] = s->offset + 1;
            cuts[n++] = s->offset + s->length / 2;
            cuts[n++] = s->offset + s->length - 1;
            if (s->offset + s->length < len)
                cuts[n++] = s->offset + s->length;
        }
        cuts[n++] = h->header_size;
        cuts[n++] = len - 1;
        while (n < 400)
            cuts[n++] = (size_t)rand() % len;
        for (size_t i = 0; i < n; i++) {
            if (cuts[i] >= len)
                continue;
            /* plain truncation: the size check fails */
            img = fresh(kinds[k], &len);
            assert_int_equal(try_image(img, cuts[i], kinds[k], NULL), -EBADMSG);
            /* truncation with a forged, consistent header: section bounds must fail */
            if (cuts[i] >= h->header_size) {
                struct scim_cache_header *wh = (struct scim_cache_header *)img;
                wh->file_size = cuts[i];
                fx_reseal_header(img);
                assert_int_equal(try_image(img, cuts[i], kinds[k], NULL), -EBADMSG);
            }
        }
    }
}

static void test_bad_offsets(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        size_t len;
        uint8_t *img = fresh(kinds[k], &len);
        uint32_t nsect = ((struct scim_cache_header *)img)->section_count;
        for (uint32_t i = 0; i < nsect; i++) {
            const uint64_t orig = fx_section(img, i)->offset;
            const uint64_t bad[] = {len, len - 8, UINT64_MAX - 7, UINT64_MAX, orig + 3, 0, 8,
                                    orig + 8, orig - 8, orig + 64};
            for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
                img = fresh(kinds[k], &len);
                fx_section(img, i)->offset = bad[b];
                fx_reseal_header(img);
                int verified = 1;
                if (try_image(img, len, kinds[k], &verified) == 0)
                    assert_false(verified); /* may open (in bounds); verify must object */
            }
        }
    }
}

static void test_bad_counts(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        size_t len;
        uint8_t *img = fresh(kinds[k], &len);
        uint32_t nsect = ((struct scim_cache_header *)img)->section_count;
        for (uint32_t i = 0; i < nsect; i++) {
            const struct scim_cache_section orig = *fx_section(img, i);
            const uint32_t bad_counts[] = {orig.count + 1, orig.count - 1, 0, UINT32_MAX,
                                           orig.count * 2 + 1};
            for (size_t b = 0; b < sizeof(bad_counts) / sizeof(bad_counts[0]); b++) {
                /* count alone: no longer matches length */
                img = fresh(kinds[k], &len);
                fx_section(img, i)->count = bad_counts[b];
                fx_reseal_header(img);
                if (bad_counts[b] != orig.count)
                    assert_int_equal(try_image(img, len, kinds[k], NULL), -EBADMSG);
                /* count and length together: bounds, index sizes, record slices */
                img = fresh(kinds[k], &len);
                fx_section(img, i)->count = bad_counts[b];
                fx_section(img, i)->length = (uint64_t)bad_counts[b] * orig.entry_size;
                fx_reseal_header(img);
                int verified = 1;
                if (try_image(img, len, kinds[k], &verified) == 0)
                    assert_false(verified);
            }
            img = fresh(kinds[k], &len);
            fx_section(img, i)->entry_size = orig.entry_size + 8;
            fx_reseal_header(img);
            assert_true(try_image(img, len, kinds[k], NULL) < 0);
            img = fresh(kinds[k], &len);
            fx_section(img, i)->entry_size = 0;
            fx_reseal_header(img);
            assert_true(try_image(img, len, kinds[k], NULL) < 0);
        }
    }
}

/* The writer checks its image in memory before publishing it: the same checks as a file. */
static void test_image_in_memory_checked_like_a_file(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        size_t len;
        uint8_t *img = fresh(kinds[k], &len);
        struct scim_cache c;
        char err[256];
        assert_int_equal(scim_cache_open_image(&c, img, len, kinds[k], err, sizeof(err)), 0);
        assert_int_equal(scim_cache_verify_mapped(&c, err, sizeof(err)), 0);
        scim_cache_close(&c);
        img[0] ^= 0xff; /* still ours after close: nothing was unmapped */
        img[0] ^= 0xff;

        assert_int_equal(scim_cache_open_image(&c, img, len - 1, kinds[k], err, sizeof(err)),
                         -EBADMSG);
        assert_int_equal(scim_cache_open_image(&c, img, len, 99, err, sizeof(err)), -EINVAL);

        /* One flipped bit in the last section (the strings) passes the header checks and
         * fails the full verification. */
        uint32_t nsect = ((struct scim_cache_header *)img)->section_count;
        const struct scim_cache_section sect = *fx_section(img, nsect - 1);
        img[sect.offset + sect.length / 2] ^= 0x10;
        assert_int_equal(scim_cache_open_image(&c, img, len, kinds[k], err, sizeof(err)), 0);
        assert_int_equal(scim_cache_verify_mapped(&c, err, sizeof(err)), -EBADMSG);
        assert_non_null(strstr(err, "checksum"));
        scim_cache_close(&c);
    }
}

static void test_flipped_section_bytes(void **state)
{
    (void)state;
    srand(99);
    for (int k = 0; k < 2; k++) {
        size_t len;
        uint8_t *img = fresh(kinds[k], &len);
        uint32_t nsect = ((struct scim_cache_header *)img)->section_count;
        for (uint32_t i = 0; i < nsect; i++) {
            const struct scim_cache_section s = *fx_section(img, i);
            for (int t = 0; t < 60 && s.length > 0; t++) {
                uint64_t pos = t == 0 ? 0 : t == 1 ? s.length - 1 : (uint64_t)rand() % s.length;
                uint8_t mask = (uint8_t)(1u << (rand() % 8));
                img = fresh(kinds[k], &len);
                img[s.offset + pos] ^= mask;
                int verified = 1;
                /* The header is intact, so the file opens (unless the string table's final
                 * NUL was hit); lookups fail their checks and verify objects. */
                int rc = try_image(img, len, kinds[k], &verified);
                assert_true(rc == 0 || rc == -EBADMSG);
                if (rc == 0)
                    assert_false(verified);
            }
        }
    }
}

static void test_flipped_header_bytes(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        size_t len;
        uint8_t *img = fresh(kinds[k], &len);
        uint32_t hs = ((struct scim_cache_header *)img)->header_size;
        for (uint32_t pos = 0; pos < hs; pos++)
            for (int bit = 0; bit < 8; bit += 3) {
                img = fresh(kinds[k], &len);
                img[pos] ^= (uint8_t)(1u << bit);
                int rc = try_image(img, len, kinds[k], NULL);
                if (pos == SCIM_CACHE_SUPERSEDED_OFFSET)
                    assert_int_equal(rc, 0); /* the one byte outside the checksum */
                else
                    assert_true(rc == -EBADMSG || rc == -EPROTONOSUPPORT);
            }
    }
}

static void test_magic_version_byteorder(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = fresh(SCIM_CACHE_FILE_NSS, &len);
    struct scim_cache_header *h = (struct scim_cache_header *)img;
    memcpy(h->magic, "SCIMNSX\0", 8);
    fx_reseal_header(img);
    assert_int_equal(try_image(img, len, SCIM_CACHE_FILE_NSS, NULL), -EBADMSG);
    img = fresh(SCIM_CACHE_FILE_NSS, &len);
    h->version = 2;
    fx_reseal_header(img);
    assert_int_equal(try_image(img, len, SCIM_CACHE_FILE_NSS, NULL), -EPROTONOSUPPORT);
    img = fresh(SCIM_CACHE_FILE_NSS, &len);
    h->version = 0;
    assert_int_equal(try_image(img, len, SCIM_CACHE_FILE_NSS, NULL), -EPROTONOSUPPORT);
    img = fresh(SCIM_CACHE_FILE_NSS, &len);
    h->byte_order = 0x04030201u;
    assert_int_equal(try_image(img, len, SCIM_CACHE_FILE_NSS, NULL), -EPROTONOSUPPORT);
    /* the other kind's file */
    img = fresh(SCIM_CACHE_FILE_SHADOW, &len);
    assert_int_equal(try_image(img, len, SCIM_CACHE_FILE_NSS, NULL), -EBADMSG);
    img = fresh(SCIM_CACHE_FILE_NSS, &len);
    assert_int_equal(try_image(img, len, SCIM_CACHE_FILE_SHADOW, NULL), -EBADMSG);
    /* header claims too many sections */
    img = fresh(SCIM_CACHE_FILE_NSS, &len);
    h->section_count = 1000;
    h->header_size = 80 + 32 * 1000;
    assert_int_equal(try_image(img, len, SCIM_CACHE_FILE_NSS, NULL), -EBADMSG);
}

/* Inserts a section of an unknown type (as a newer writer would) before the others. */
static size_t add_unknown_section(uint8_t *out, const uint8_t *in, size_t len, uint32_t type,
                                  uint64_t length)
{
    const struct scim_cache_header *h = (const struct scim_cache_header *)in;
    size_t table_end = h->header_size, shift = sizeof(struct scim_cache_section);
    size_t data_start = (table_end + 7) & ~(size_t)7;
    memcpy(out, in, table_end);
    memset(out + table_end, 0, 64);
    memcpy(out + ((table_end + shift + 7) & ~(size_t)7), in + data_start, len - data_start);
    /* The file may end unaligned (after its strings); the new section starts aligned. */
    size_t at = (len + shift + 7) & ~(size_t)7;
    size_t new_len = at + (size_t)length;
    memset(out + len + shift, 0, at - (len + shift));
    struct scim_cache_header *nh = (struct scim_cache_header *)out;
    /* existing sections move by the size of one table entry */
    for (uint32_t i = 0; i < nh->section_count; i++)
        fx_section(out, i)->offset += shift;
    struct scim_cache_section *s = fx_section(out, nh->section_count);
    *s = (struct scim_cache_section){.type = type, .count = (uint32_t)length,
                                     .offset = at, .length = length, .entry_size = 1};
    memset(out + at, 0xA5, (size_t)length);
    s->crc = scim_crc32c(out + at, (size_t)length);
    nh->section_count++;
    nh->header_size += (uint32_t)shift;
    nh->file_size = new_len;
    fx_reseal_header(out);
    return new_len;
}

static void test_unknown_section_skipped(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        size_t len;
        const uint8_t *src = kinds[k] == SCIM_CACHE_FILE_NSS ? F->nss : F->shadow;
        len = kinds[k] == SCIM_CACHE_FILE_NSS ? F->nss_len : F->shadow_len;
        uint8_t *img = calloc(1, len + 4096);
        size_t n = add_unknown_section(img, src, len, 4242, 100);
        struct scim_cache c;
        char err[256];
        fx_write(F->path, img, n, 0644);
        assert_int_equal(scim_cache_open(&c, F->path, kinds[k], 0, err, sizeof(err)), 0);
        assert_int_equal(scim_cache_verify_mapped(&c, err, sizeof(err)), 0);
        if (kinds[k] == SCIM_CACHE_FILE_NSS) {
            struct scim_cache_user_view u;
            struct scim_cache_group_view g;
            assert_int_equal(scim_cache_user_by_name(&c, "alice", &u), 0);
            assert_int_equal(u.uid, FX_UID_ALICE);
            assert_int_equal(scim_cache_group_by_gid(&c, FX_GID_DEVS, &g), 0);
            exercise_nss(&c);
        } else {
            struct scim_cache_shadow_view s;
            assert_int_equal(scim_cache_shadow_by_name(&c, "bob", &s), 0);
            assert_string_equal(s.passwd, "!*");
        }
        scim_cache_close(&c);
        assert_int_equal(scim_cache_verify(F->path, err, sizeof(err)), 0);
        /* an unknown section must still lie inside the file */
        struct scim_cache_header *h = (struct scim_cache_header *)img;
        fx_section(img, h->section_count - 1)->offset = n + 8;
        fx_reseal_header(img);
        fx_write(F->path, img, n, 0644);
        assert_int_equal(scim_cache_open(&c, F->path, kinds[k], 0, err, sizeof(err)), -EBADMSG);
        free(img);
    }
}

static void test_section_table_rules(void **state)
{
    (void)state;
    size_t len;
    uint8_t *img = fresh(SCIM_CACHE_FILE_NSS, &len);
    /* a required section renamed to an unknown type: missing */
    fx_section_of(img, SCIM_SECT_GROUPS)->type = 999;
    fx_reseal_header(img);
    assert_int_equal(try_image(img, len, SCIM_CACHE_FILE_NSS, NULL), -EBADMSG);
    /* the same type twice */
    img = fresh(SCIM_CACHE_FILE_NSS, &len);
    fx_section_of(img, SCIM_SECT_USER_ID_INDEX)->type = SCIM_SECT_USER_NAME_INDEX;
    fx_reseal_header(img);
    assert_int_equal(try_image(img, len, SCIM_CACHE_FILE_NSS, NULL), -EBADMSG);
    /* index size not a power of two */
    img = fresh(SCIM_CACHE_FILE_NSS, &len);
    struct scim_cache_section *s = fx_section_of(img, SCIM_SECT_GROUP_ID_INDEX);
    s->count -= 1;
    s->length -= 8;
    fx_reseal_header(img);
    assert_int_equal(try_image(img, len, SCIM_CACHE_FILE_NSS, NULL), -EBADMSG);
    /* string table without its final NUL */
    img = fresh(SCIM_CACHE_FILE_NSS, &len);
    s = fx_section_of(img, SCIM_SECT_STRINGS);
    img[s->offset + s->length - 1] = 'x';
    assert_int_equal(try_image(img, len, SCIM_CACHE_FILE_NSS, NULL), -EBADMSG);
}

/* Records that pass their checksum but break the id rules are refused by the reader. */
static void test_forbidden_ids_refused(void **state)
{
    (void)state;
    const uint32_t bad[] = {0, 1, 999, 65534, 65535, UINT32_MAX};
    for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
        for (int field = 0; field < 2; field++) {
            size_t len;
            uint8_t *img = fresh(SCIM_CACHE_FILE_NSS, &len);
            struct scim_cache_user_rec *r =
                (struct scim_cache_user_rec *)(img + fx_section_of(img, SCIM_SECT_USERS)->offset);
            if (field == 0)
                r->uid = bad[b];
            else
                r->gid = bad[b];
            fx_reseal_user(img, 0);
            struct scim_cache c;
            struct scim_cache_user_view u;
            char err[256];
            fx_write(F->path, img, len, 0644);
            assert_int_equal(scim_cache_open(&c, F->path, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), 0);
            assert_int_equal(scim_cache_user_by_name(&c, "alice", &u), -EBADMSG);
            assert_int_equal(scim_cache_user_at(&c, 0, &u), -EBADMSG);
            assert_int_equal(scim_cache_user_by_name(&c, "bob", &u), 0);
            scim_cache_close(&c);
        }
    }
}

/* The key list has its own checksum: getpwnam still works, the keys read as none. */
static void test_damaged_ssh_keys(void **state)
{
    (void)state;
    size_t len;
    struct scim_cache c;
    struct scim_cache_user_view u;
    char err[256];
    uint8_t *img = fresh(SCIM_CACHE_FILE_NSS, &len);
    const struct scim_cache_user_rec *r =
        (const struct scim_cache_user_rec *)(img + fx_section_of(img, SCIM_SECT_USERS)->offset);
    img[fx_section_of(img, SCIM_SECT_STRINGS)->offset + r->ssh_keys.off + 5] ^= 0x20;
    fx_write(F->path, img, len, 0644);
    assert_int_equal(scim_cache_open(&c, F->path, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), 0);
    assert_int_equal(scim_cache_user_by_name(&c, "alice", &u), 0);
    assert_false(scim_cache_user_ssh_keys_ok(&u));
    uint32_t pos = 0, klen;
    const char *key;
    assert_false(scim_cache_ssh_key_next(&u, &pos, &key, &klen));
    assert_int_equal(scim_cache_verify_mapped(&c, err, sizeof(err)), -EBADMSG);
    scim_cache_close(&c);
}

static void test_index_pathologies(void **state)
{
    (void)state;
    size_t len;
    struct scim_cache c;
    struct scim_cache_user_view u;
    char err[256];
    /* every slot occupied by a non-matching entry: probing stops after one lap */
    uint8_t *img = fresh(SCIM_CACHE_FILE_NSS, &len);
    struct scim_cache_section *s = fx_section_of(img, SCIM_SECT_USER_NAME_INDEX);
    struct scim_cache_slot *slots = (struct scim_cache_slot *)(img + s->offset);
    for (uint32_t i = 0; i < s->count; i++)
        slots[i] = (struct scim_cache_slot){.tag = 0xdeadbeef, .idx_plus1 = 1};
    s = fx_section_of(img, SCIM_SECT_USER_ID_INDEX);
    slots = (struct scim_cache_slot *)(img + s->offset);
    for (uint32_t i = 0; i < s->count; i++)
        slots[i] = (struct scim_cache_slot){.tag = 7, .idx_plus1 = 2};
    fx_write(F->path, img, len, 0644);
    assert_int_equal(scim_cache_open(&c, F->path, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), 0);
    assert_int_equal(scim_cache_user_by_name(&c, "alice", &u), -ENOENT);
    assert_int_equal(scim_cache_user_by_uid(&c, FX_UID_ALICE, &u), -ENOENT);
    /* tag 7 points at bob: id mismatch is corruption */
    assert_int_equal(scim_cache_user_by_uid(&c, 7, &u), -EBADMSG);
    scim_cache_close(&c);
    /* slots pointing past the table */
    img = fresh(SCIM_CACHE_FILE_NSS, &len);
    s = fx_section_of(img, SCIM_SECT_USER_ID_INDEX);
    slots = (struct scim_cache_slot *)(img + s->offset);
    for (uint32_t i = 0; i < s->count; i++)
        if (slots[i].idx_plus1)
            slots[i].idx_plus1 = 0xFFFFFFFFu;
    fx_write(F->path, img, len, 0644);
    assert_int_equal(scim_cache_open(&c, F->path, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), 0);
    assert_int_equal(scim_cache_user_by_uid(&c, FX_UID_ALICE, &u), -EBADMSG);
    assert_int_equal(scim_cache_user_by_name(&c, "alice", &u), 0);
    assert_int_equal(scim_cache_verify_mapped(&c, err, sizeof(err)), -EBADMSG);
    scim_cache_close(&c);
}

static void test_trust(void **state)
{
    (void)state;
    size_t len;
    struct scim_cache c;
    char err[256] = "";
    uint8_t *img = fresh(SCIM_CACHE_FILE_NSS, &len);
    fx_write(F->path, img, len, 0644);
    assert_int_equal(chown(F->path, 65534, 65534), 0);
    assert_int_equal(scim_cache_open(&c, F->path, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), -EPERM);
    assert_non_null(strstr(err, "not trusted"));
    assert_int_equal(scim_cache_verify(F->path, err, sizeof(err)), -EPERM);
    /* the dump tool may look at an untrusted copy */
    assert_int_equal(scim_cache_open(&c, F->path, SCIM_CACHE_FILE_NSS, SCIM_CACHE_OPEN_UNTRUSTED,
                                     err, sizeof(err)),
                     0);
    scim_cache_close(&c);
    const unsigned bad_modes[] = {0664, 0646, 0666, 0620, 0602};
    for (size_t i = 0; i < sizeof(bad_modes) / sizeof(bad_modes[0]); i++) {
        fx_write(F->path, img, len, bad_modes[i]);
        assert_int_equal(scim_cache_open(&c, F->path, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)),
                         -EPERM);
    }
    fx_write(F->path, img, len, 0600);
    assert_int_equal(scim_cache_open(&c, F->path, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), 0);
    scim_cache_close(&c);
    /* not a regular file, missing, empty */
    assert_int_equal(scim_cache_open(&c, F->dir, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), -EBADMSG);
    char *missing = fx_path(F->dir, "missing");
    assert_int_equal(scim_cache_open(&c, missing, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), -ENOENT);
    free(missing);
    fx_write(F->path, "", 0, 0644);
    assert_int_equal(scim_cache_open(&c, F->path, SCIM_CACHE_FILE_NSS, 0, err, sizeof(err)), -EBADMSG);
}

static void test_tools_on_garbage(void **state)
{
    (void)state;
    char err[256] = "";
    char *text = NULL;
    size_t tlen = 0;
    fx_write(F->path, "hello world, not a cache at all", 31, 0644);
    assert_int_equal(scim_cache_verify(F->path, err, sizeof(err)), -EBADMSG);
    assert_non_null(strstr(err, "not a scimd cache"));
    FILE *out = open_memstream(&text, &tlen);
    assert_int_equal(scim_cache_dump(F->path, out), -EBADMSG);
    fclose(out);
    free(text);
    /* a flipped record byte: verify names it, dump stops at it */
    size_t len;
    uint8_t *img = fresh(SCIM_CACHE_FILE_NSS, &len);
    img[fx_section_of(img, SCIM_SECT_USERS)->offset + 41] ^= 1;
    fx_write(F->path, img, len, 0644);
    assert_int_equal(scim_cache_verify(F->path, err, sizeof(err)), -EBADMSG);
    out = open_memstream(&text, &tlen);
    assert_int_equal(scim_cache_dump(F->path, out), -EBADMSG);
    fclose(out);
    assert_non_null(strstr(text, "CORRUPT"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pristine_passes),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_bad_offsets),
        cmocka_unit_test(test_bad_counts),
        cmocka_unit_test(test_flipped_section_bytes),
        cmocka_unit_test(test_flipped_header_bytes),
        cmocka_unit_test(test_magic_version_byteorder),
        cmocka_unit_test(test_unknown_section_skipped),
        cmocka_unit_test(test_section_table_rules),
        cmocka_unit_test(test_forbidden_ids_refused),
        cmocka_unit_test(test_damaged_ssh_keys),
        cmocka_unit_test(test_index_pathologies),
        cmocka_unit_test(test_image_in_memory_checked_like_a_file),
        cmocka_unit_test(test_trust),
        cmocka_unit_test(test_tools_on_garbage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
