/* SPDX-License-Identifier: MIT */
/* Writes seed inputs for fuzz_cache: real cache images from the real writer
 * (scim_cache_build), each prefixed with the fuzz target's mode byte.
 *   gen_cache_seed DIR
 * Linked with the same CRC implementation as the fuzz target, so the seeds pass it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scim_cache.h"

static int write_seed(const char *dir, const char *name, uint8_t mode, const uint8_t *img,
                      size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return -1;
    }
    int rc = (fwrite(&mode, 1, 1, f) == 1 && fwrite(img, 1, len, f) == len) ? 0 : -1;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

static int emit(const char *dir, const char *stem, const struct scim_cache_snapshot *snap)
{
    uint8_t *nss = NULL, *shadow = NULL;
    size_t nss_len = 0, shadow_len = 0;
    char err[256] = "", name[256];
    int rc = scim_cache_build(snap, &nss, &nss_len, &shadow, &shadow_len, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "gen_cache_seed: %s: %s (%s)\n", stem, err, strerror(-rc));
        goto out;
    }
    snprintf(name, sizeof(name), "%s-nss", stem);
    rc = write_seed(dir, name, 0, nss, nss_len);
    snprintf(name, sizeof(name), "%s-shadow", stem);
    if (rc == 0)
        rc = write_seed(dir, name, 1, shadow, shadow_len);
out:
    free(nss);
    free(shadow);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_cache_seed DIR\n");
        return 2;
    }
    static const char *const alice_keys[] = {
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5MQ alice@laptop",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ alice@desk",
    };
    const struct scim_cache_user users[] = {
        {.name = "alice", .uid = 2000000, .gid = 2000000, .gecos = "Alice Smith",
         .home = "/home/alice", .shell = "/bin/bash", .active = true,
         .password_hash = "$y$j9T$abcdefghijklmnop$0123456789012345678901234567890123456789012",
         .last_change_day = 19800, .ssh_keys = alice_keys, .n_ssh_keys = 2},
        {.name = "bob", .uid = 2000001, .gid = 2000001, .gecos = "", .home = "/home/bob",
         .shell = "/bin/sh", .active = false, .last_change_day = 19801},
        {.name = "test_user_6ba8b4b1@contoso.com", .uid = 2000002, .gid = 2000002,
         .home = "/home/test_user_6ba8b4b1@contoso.com", .shell = "/bin/bash", .active = true,
         .last_change_day = 1},
    };
    const uint32_t devs[] = {0, 2};
    const uint32_t admins[] = {1};
    const struct scim_cache_group groups[] = {
        {.name = "developers", .gid = 2100000, .kind = SCIM_GROUP_ROLE,
         .member_user_idx = devs, .n_members = 2},
        {.name = "tour-guides", .gid = 2100001, .kind = SCIM_GROUP_SCIM,
         .member_user_idx = admins, .n_members = 1},
        {.name = "sudo", .gid = 27, .kind = SCIM_GROUP_MAPPED_LOCAL,
         .member_user_idx = devs, .n_members = 1},
        {.name = "empty", .gid = 2100002, .kind = SCIM_GROUP_SCIM},
    };
    struct scim_cache_snapshot snap = {
        .users = users, .n_users = 3, .groups = groups, .n_groups = 4,
        .generation = 7, .uid_hwm = 2000002, .created = 1700000000,
    };
    struct scim_cache_snapshot empty = {.generation = 1, .created = 1700000000};
    struct scim_cache_snapshot one = {
        .users = users, .n_users = 1, .generation = 2, .uid_hwm = 2000000, .created = 1};
    if (emit(argv[1], "full", &snap) != 0 || emit(argv[1], "empty", &empty) != 0 ||
        emit(argv[1], "one", &one) != 0)
        return 1;
    return 0;
}
