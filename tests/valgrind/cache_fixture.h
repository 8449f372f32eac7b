/* SPDX-License-Identifier: MIT */
/* Writes the nss.cache/shadow.cache the valgrind drivers read, through the real writer.
 * Generation g changes gecos and home ("gen-g") and, from generation 2 on, drops bob and
 * adds dave, so a reader can tell that a replacement was picked up. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "scim_cache.h"

#define FIX_UID_ALICE 2000000u
#define FIX_UID_BOB 2000001u
#define FIX_UID_CAROL 2000002u
#define FIX_UID_DAVE 2000003u
#define FIX_GID_DEVS 2100000u
#define FIX_GID_OPS 2100001u

static inline int fixture_write(const char *dir, unsigned gen, const char *alice_hash)
{
    char nss[4096], shadow[4096], err[512] = "";
    char gecos[64], home[64], carol_gecos[2048];
    snprintf(nss, sizeof(nss), "%s/nss.cache", dir);
    snprintf(shadow, sizeof(shadow), "%s/shadow.cache", dir);
    snprintf(gecos, sizeof(gecos), "gen-%u", gen);
    snprintf(home, sizeof(home), "/home/gen-%u", gen);
    /* long enough that small caller buffers hit ERANGE */
    memset(carol_gecos, 'c', sizeof(carol_gecos) - 1);
    carol_gecos[sizeof(carol_gecos) - 1] = '\0';
    static const char *const keys[] = {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixture alice"};

    struct scim_cache_user users[3] = {
        {.name = "alice", .uid = FIX_UID_ALICE, .gid = FIX_UID_ALICE, .gecos = gecos,
         .home = home, .shell = "/bin/bash", .active = true, .password_hash = alice_hash,
         .last_change_day = 19800, .ssh_keys = keys, .n_ssh_keys = 1},
        {.name = "carol", .uid = FIX_UID_CAROL, .gid = FIX_UID_CAROL, .gecos = carol_gecos,
         .home = "/home/carol", .shell = "/bin/sh", .active = true, .last_change_day = 19801},
        {.name = gen < 2 ? "bob" : "dave", .uid = gen < 2 ? FIX_UID_BOB : FIX_UID_DAVE,
         .gid = gen < 2 ? FIX_UID_BOB : FIX_UID_DAVE, .gecos = "", .home = "/home/x",
         .shell = "/bin/bash", .active = false, .last_change_day = 19802},
    };
    static const uint32_t devs[] = {0, 1, 2}, ops[] = {2};
    const struct scim_cache_group groups[] = {
        {.name = "developers", .gid = FIX_GID_DEVS, .kind = SCIM_GROUP_ROLE,
         .member_user_idx = devs, .n_members = 3},
        {.name = "ops", .gid = FIX_GID_OPS, .kind = SCIM_GROUP_SCIM,
         .member_user_idx = ops, .n_members = 1},
    };
    struct scim_cache_snapshot snap = {
        .users = users, .n_users = 3, .groups = groups, .n_groups = 2,
        .generation = gen, .uid_hwm = FIX_UID_DAVE,
    };
    int rc = scim_cache_write(nss, shadow, &snap, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "fixture: cannot write cache generation %u: %s\n", gen, err);
    return rc;
}
