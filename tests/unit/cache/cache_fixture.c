/* SPDX-License-Identifier: MIT */
#include "cache_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "scim_hash.h"

static const char *const alice_keys[] = {FX_KEY1, FX_KEY2};
static const struct scim_cache_user fx_users[] = {
    {.name = "alice", .uid = FX_UID_ALICE, .gid = FX_UID_ALICE, .gecos = FX_GECOS_ALICE,
     .home = "/home/alice", .shell = "/bin/bash", .active = true,
     .password_hash = FX_HASH_ALICE, .last_change_day = 19700, .ssh_keys = alice_keys,
     .n_ssh_keys = 2},
    {.name = "bob", .uid = FX_UID_BOB, .gid = FX_UID_BOB, .gecos = NULL, .home = "/home/bob",
     .shell = "/bin/sh", .active = false, .last_change_day = 19650},
    {.name = FX_NAME_CAROL, .uid = FX_UID_CAROL, .gid = FX_UID_CAROL, .gecos = "Carol",
     .home = "/home/carol", .shell = "/bin/bash", .active = true, .last_change_day = 1},
};
static const uint32_t ops_members[] = {0, 1};
static const uint32_t devs_members[] = {2, 0};
static const uint32_t sudo_members[] = {0};
static const struct scim_cache_group fx_groups[] = {
    {.name = "ops", .gid = FX_GID_OPS, .kind = SCIM_GROUP_ROLE, .member_user_idx = ops_members,
     .n_members = 2},
    {.name = "developers", .gid = FX_GID_DEVS, .kind = SCIM_GROUP_SCIM,
     .member_user_idx = devs_members, .n_members = 2},
    {.name = "sudo", .gid = FX_GID_SUDO, .kind = SCIM_GROUP_MAPPED_LOCAL,
     .member_user_idx = sudo_members, .n_members = 1},
};
static const struct scim_cache_snapshot fx_snap = {
    .users = fx_users, .n_users = 3, .groups = fx_groups, .n_groups = 3,
    .generation = 42, .uid_hwm = 1879048300, .created = 1700000000,
};

const struct scim_cache_snapshot *fx_snapshot(void)
{
    return &fx_snap;
}

char *fx_mkdtemp(void)
{
    char *d = strdup("/tmp/scim-cache-test-XXXXXX");
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    assert_int_equal(chmod(d, 0755), 0);
    return d;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void fx_rmdir(char *dir)
{
    if (dir)
        nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

char *fx_path(const char *dir, const char *name)
{
    char *p = NULL;
    assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

uint8_t *fx_read(const char *path, size_t *len)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    assert_non_null(buf);
    assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
    close(fd);
    *len = (size_t)st.st_size;
    return buf;
}

void fx_write(const char *path, const void *data, size_t len, unsigned mode)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

void fx_reseal_header(uint8_t *img)
{
    struct scim_cache_header h;
    memcpy(&h, img, sizeof(h));
    uint32_t hs = h.header_size;
    if (hs < sizeof(h) || hs > sizeof(h) + SCIM_CACHE_MAX_SECTIONS * sizeof(struct scim_cache_section))
        return; /* the test broke header_size on purpose: leave the crc alone */
    h.superseded = 0;
    h.header_crc = 0;
    uint32_t crc = scim_crc32c(&h, sizeof(h));
    crc = scim_crc32c_update(crc, img + sizeof(h), hs - sizeof(h));
    memcpy(img + offsetof(struct scim_cache_header, header_crc), &crc, sizeof(crc));
}

struct scim_cache_section *fx_section(uint8_t *img, uint32_t i)
{
    return (struct scim_cache_section *)(img + sizeof(struct scim_cache_header)) + i;
}

struct scim_cache_section *fx_section_of(uint8_t *img, uint32_t type)
{
    const struct scim_cache_header *h = (const struct scim_cache_header *)img;
    for (uint32_t i = 0; i < h->section_count; i++)
        if (fx_section(img, i)->type == type)
            return fx_section(img, i);
    return NULL;
}

void fx_reseal_user(uint8_t *img, uint32_t i)
{
    struct scim_cache_section *us = fx_section_of(img, SCIM_SECT_USERS);
    struct scim_cache_section *ss = fx_section_of(img, SCIM_SECT_STRINGS);
    struct scim_cache_section *gs = fx_section_of(img, SCIM_SECT_GIDLISTS);
    struct scim_cache_user_rec *r = (struct scim_cache_user_rec *)(img + us->offset) + i;
    const char *str = (const char *)img + ss->offset;
    uint32_t crc = scim_crc32c(r, offsetof(struct scim_cache_user_rec, crc));
    crc = scim_crc32c_update(crc, str + r->name.off, r->name.len);
    crc = scim_crc32c_update(crc, str + r->gecos.off, r->gecos.len);
    crc = scim_crc32c_update(crc, str + r->home.off, r->home.len);
    crc = scim_crc32c_update(crc, str + r->shell.off, r->shell.len);
    crc = scim_crc32c_update(crc, img + gs->offset + 4 * (size_t)r->gids_first, 4 * (size_t)r->gids_count);
    r->crc = crc;
}

