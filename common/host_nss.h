/* SPDX-License-Identifier: MIT */
/* Asking the host's name service (getpwnam_r and friends) with one rule for scimd, scimctl and
 * pam_scim: on glibc only a return of 0 with a NULL result means "not found". Any non-zero
 * return is the errno of a service that failed, ENOENT and ESRCH included (libnss-ldapd
 * answers UNAVAIL with ENOENT while nslcd is down), and reads as "cannot tell": callers fail
 * closed, never treat it as "free". libc only: pam_scim links it. */
#pragma once

#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdint.h>

enum host_nss_kind {
    HOST_NSS_PWNAM, /* passwd by name */
    HOST_NSS_PWUID, /* passwd by uid */
    HOST_NSS_GRNAM, /* group by name */
    HOST_NSS_GRGID, /* group by gid */
};

enum host_nss_answer {
    HOST_NSS_CANNOT_TELL = -1,
    HOST_NSS_NOT_FOUND = 0,
    HOST_NSS_FOUND = 1,
};

/* One entry and the buffer its strings live in; pw for the passwd kinds, gr for the group
 * kinds. Release with host_nss_entry_free (also safe on an entry that found nothing). */
struct host_nss_entry {
    struct passwd pw;
    struct group gr;
    char *buf;
};

/* Looks up `name` or `id` (per kind), growing the buffer on ERANGE up to 64 MiB (an LDAP
 * "domain users" group easily passes 16 KiB). On CANNOT_TELL, *err (when not NULL) gets the
 * failing service's errno, or ENOMEM, or ERANGE past the cap. */
enum host_nss_answer host_nss_lookup(enum host_nss_kind kind, const char *name, uint32_t id,
                                     struct host_nss_entry *e, int *err);
void host_nss_entry_free(struct host_nss_entry *e);

/* The same, keeping only the uid (passwd kinds) or gid (group kinds) of what was found. */
enum host_nss_answer host_nss_id(enum host_nss_kind kind, const char *name, uint32_t id,
                                 uint32_t *id_out, int *err);

/* Tests: the first buffer size tried (default 16 KiB), to make every lookup grow. */
void host_nss_set_initial_size(size_t size);
