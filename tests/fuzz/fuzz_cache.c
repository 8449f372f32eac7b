/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the cache reader, fed arbitrary bytes as nss.cache / shadow.cache.
 * Input byte 0 picks the file kind the caller asks for (bit 0) and whether the header
 * CRC is recomputed over the fuzzed header (bit 1), so mutations get past the header
 * check; the rest is the file. The bytes go to a memfd that scim_cache_open_fd maps
 * (UNTRUSTED: a memfd is not root-owned 0644 in the file system sense the NSS module
 * checks). Every lookup and iteration the NSS and PAM modules use is then run, with the
 * names and ids found in the file itself and a few fixed ones, the full verifier, and the
 * human-readable dump `scimctl cache dump` prints (through the memfd's /proc path).
 *
 * build-and-run.sh links this target with crc_stub.c instead of scim_crc32c.c: every
 * checksum is 0, so the fuzzer reaches the record parsers instead of stalling on CRCs.
 * The CRC comparisons themselves are covered by the cache unit tests. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cache_internal.h"
#include "scim_cache.h"

#define FUZZ_MAX_ITER 2048u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink;
static FILE *devnull;

/* Touches every byte of a view string and checks the reader's own length and NUL promise. */
static void touch(const char *s, uint32_t len)
{
    if (!s)
        abort();
    uint32_t acc = 0;
    for (uint32_t i = 0; i < len; i++)
        acc += (uint8_t)s[i];
    if (s[len] != '\0')
        abort(); /* views promise NUL-terminated strings */
    sink += acc;
}

static int count_member(void *ctx, const char *name, uint32_t len)
{
    touch(name, len);
    ++*(uint32_t *)ctx;
    return 0;
}

static void check_user(const struct scim_cache *c, const struct scim_cache_user_view *u)
{
    touch(u->name, u->name_len);
    touch(u->gecos, u->gecos_len);
    touch(u->home, u->home_len);
    touch(u->shell, u->shell_len);
    if (u->ssh_keys_len)
        touch(u->ssh_keys, u->ssh_keys_len);
    /* the module's promise: nothing below 1000, no overflow/nobody ids */
    if (!scim_cache_id_allowed(u->uid) || !scim_cache_id_allowed(u->gid))
        abort();
    for (uint32_t i = 0; i < u->n_gids; i++)
        sink += u->gids[i];
    uint32_t pos = 0, n = 0;
    const char *key;
    uint32_t len;
    while (n++ < FUZZ_MAX_ITER && scim_cache_ssh_key_next(u, &pos, &key, &len))
        for (uint32_t i = 0; i < len; i++)
            sink += (uint8_t)key[i];

    struct scim_cache_user_view again;
    (void)scim_cache_user_by_name(c, u->name, &again);
    (void)scim_cache_user_by_uid(c, u->uid, &again);
    (void)scim_cache_has_user(c, u->name);
    (void)scim_cache_has_uid(c, u->uid);
}

static void check_group(const struct scim_cache *c, const struct scim_cache_group_view *g)
{
    touch(g->name, g->name_len);
    if (g->kind == SCIM_GROUP_MAPPED_LOCAL ? g->gid == 0 : !scim_cache_id_allowed(g->gid))
        abort();
    uint32_t n = 0;
    (void)scim_cache_group_members(c, g, count_member, &n);
    struct scim_cache_group_view again;
    (void)scim_cache_group_by_name(c, g->name, &again);
    if (scim_cache_group_by_gid(c, g->gid, &again) == 0 && again.kind == SCIM_GROUP_MAPPED_LOCAL)
        abort(); /* by gid never returns a mapped local group */
}

static void exercise_nss(const struct scim_cache *c)
{
    static const char *const names[] = {"root", "alice", "bob", "", "developers", "x"};
    static const uint32_t ids[] = {0, 1, 999, 1000, 65534, 65535, UINT32_MAX, 2000000, 2100000};
    struct scim_cache_user_view u;
    struct scim_cache_group_view g;

    uint32_t nu = scim_cache_user_count(c);
    for (uint32_t i = 0; i < nu && i < FUZZ_MAX_ITER; i++)
        if (scim_cache_user_at(c, i, &u) == 0)
            check_user(c, &u);
    (void)scim_cache_user_at(c, nu, &u);
    (void)scim_cache_user_at(c, UINT32_MAX, &u);

    uint32_t ng = scim_cache_group_count(c);
    for (uint32_t i = 0; i < ng && i < FUZZ_MAX_ITER; i++)
        if (scim_cache_group_at(c, i, &g) == 0)
            check_group(c, &g);
    (void)scim_cache_group_at(c, ng, &g);

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (scim_cache_user_by_name(c, names[i], &u) == 0)
            check_user(c, &u);
        if (scim_cache_group_by_name(c, names[i], &g) == 0)
            check_group(c, &g);
        (void)scim_cache_has_user(c, names[i]);
    }
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        if (scim_cache_user_by_uid(c, ids[i], &u) == 0)
            check_user(c, &u);
        if (scim_cache_group_by_gid(c, ids[i], &g) == 0)
            check_group(c, &g);
        (void)scim_cache_has_uid(c, ids[i]);
    }
}

static void check_shadow(const struct scim_cache *c, const struct scim_cache_shadow_view *s)
{
    touch(s->name, s->name_len);
    touch(s->passwd, s->passwd_len);
    struct scim_cache_shadow_view again;
    (void)scim_cache_shadow_by_name(c, s->name, &again);
}

static void exercise_shadow(const struct scim_cache *c)
{
    struct scim_cache_shadow_view s;
    uint32_t n = scim_cache_shadow_count(c);
    for (uint32_t i = 0; i < n && i < FUZZ_MAX_ITER; i++)
        if (scim_cache_shadow_at(c, i, &s) == 0)
            check_shadow(c, &s);
    (void)scim_cache_shadow_at(c, n, &s);
    if (scim_cache_shadow_by_name(c, "alice", &s) == 0)
        check_shadow(c, &s);
    (void)scim_cache_shadow_by_name(c, "root", &s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned mode = data[0];
    enum scim_cache_file kind = (mode & 1) ? SCIM_CACHE_FILE_SHADOW : SCIM_CACHE_FILE_NSS;
    uint8_t *img = NULL;
    size_t len = size - 1;
    int fd = -1;

    img = malloc(len ? len : 1);
    if (!img)
        goto out;
    memcpy(img, data + 1, len);
    if ((mode & 2) && len >= sizeof(struct scim_cache_header)) {
        struct scim_cache_header h;
        memcpy(&h, img, sizeof(h));
        if (h.header_size >= sizeof(h) && h.header_size <= len) {
            h.header_crc = scim_cache_header_crc(img, h.header_size);
            memcpy(img, &h, sizeof(h));
        }
    }

    fd = memfd_create("fuzz-cache", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, img + off, len - off);
        if (w <= 0)
            abort();
        off += (size_t)w;
    }

    struct scim_cache c;
    char err[256];
    if (scim_cache_open_fd(&c, fd, kind, SCIM_CACHE_OPEN_UNTRUSTED, err, sizeof(err)) != 0)
        goto out;
    (void)scim_cache_generation(&c);
    (void)scim_cache_uid_hwm(&c);
    (void)scim_cache_created(&c);
    (void)scim_cache_superseded(&c);
    if (kind == SCIM_CACHE_FILE_NSS)
        exercise_nss(&c);
    else
        exercise_shadow(&c);
    (void)scim_cache_verify_mapped(&c, err, sizeof(err));
    scim_cache_close(&c);

    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    if (devnull)
        (void)scim_cache_dump(path, devnull);
out:
    if (fd >= 0)
        close(fd);
    free(img);
    return 0;
}
