/* SPDX-License-Identifier: MIT */
/* Shared test data and file helpers for the cache unit tests. */
#ifndef CACHE_FIXTURE_H
#define CACHE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "scim_cache.h"

#define FX_UID_ALICE 1879048200u
#define FX_UID_BOB 1879048201u
#define FX_UID_CAROL 1879048202u
#define FX_GID_OPS 1880096800u
#define FX_GID_DEVS 1880096801u
#define FX_GID_SUDO 27u
#define FX_NAME_CAROL "test_user_0f8fad5b-d9cb-469f-a165-70867728950e@contoso.com"
#define FX_GECOS_ALICE "Älice Émile 日本,Room 42"
#define FX_HASH_ALICE "$y$j9T$saltsaltsaltsaltsalt.$hashhashhashhashhashhashhashhashhashhashhas"
#define FX_KEY1 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH1 alice@laptop"
#define FX_KEY2 "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAA alice@phone"

/* users: alice (active, hash, 2 keys), bob (inactive, no hash), carol (Entra-style name).
 * groups: ops (role: alice, bob), developers (scim: alice, carol), sudo (mapped 27: alice). */
const struct scim_cache_snapshot *fx_snapshot(void);

/* A fresh 0755 temp directory (removed by fx_rmdir). */
char *fx_mkdtemp(void);
void fx_rmdir(char *dir);
/* dir + "/" + name, malloc'd. */
char *fx_path(const char *dir, const char *name);

/* Whole-file helpers. fx_read aborts the test on error. */
uint8_t *fx_read(const char *path, size_t *len);
void fx_write(const char *path, const void *data, size_t len, unsigned mode);

/* Recomputes the header checksum after a test edited header or section table. */
void fx_reseal_header(uint8_t *img);
/* Section table entry i of an image. */
struct scim_cache_section *fx_section(uint8_t *img, uint32_t i);
/* The entry for a section type, or NULL. */
struct scim_cache_section *fx_section_of(uint8_t *img, uint32_t type);

/* Recomputes user record i's checksum after a test edited it (ids, flags). */
void fx_reseal_user(uint8_t *img, uint32_t i);

#endif
