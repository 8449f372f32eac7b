/* SPDX-License-Identifier: MIT */
/* Login and group name rules of docs/architecture.md "Identity rules" (libc only). */
#ifndef SCIM_NAMES_H
#define SCIM_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define SCIM_NAME_MAX_DEFAULT 64
/* Hard ceiling for the configurable maximum (glibc's LOGIN_NAME_MAX is 256). */
#define SCIM_NAME_MAX_LIMIT 255

enum scim_login_rule {
    SCIM_LOGIN_USERNAME,  /* userName as-is (lower-cased) */
    SCIM_LOGIN_LOCALPART, /* the part before the last '@' (lower-cased) */
};

/* Checks an already-normalised name: 1..max_len bytes (0 -> SCIM_NAME_MAX_DEFAULT) of
 * a-z 0-9 _ . @ + -, not starting with - + . @, not all digits.
 * Returns 0, or -EINVAL with *why set to a static English reason (why may be NULL). */
int scim_name_validate(const char *name, size_t max_len, const char **why);

/* Why a reserved name is refused, for error details and logs. */
#define SCIM_NAME_RESERVED_WHY "reserved for a system or package account"

/* True for the system and package account and group names of Debian, Fedora/EL and systemd
 * (root, sudo, wheel, mysql, redis, lxd, libvirt, ...), every systemd-* and every _* name:
 * SCIM must never serve them. scimd adds [accounts] reserved_names on top. */
bool scim_name_is_reserved(const char *name);

/* The built-in table (sorted, unique), for tests and documentation. */
const char *const *scim_name_reserved_table(size_t *n);

/* SCIM userName -> login name: apply the rule, lower-case ASCII, validate.
 * Writes a NUL-terminated name into out (outlen bytes). Returns 0, -EINVAL (invalid, *why
 * says why) or -ERANGE (out too small). out is left as an empty string on error. */
int scim_name_login_from_username(const char *username, enum scim_login_rule rule,
                                  size_t max_len, char *out, size_t outlen, const char **why);

/* Role value / group displayName -> group name: lower-case; each run of bytes outside the
 * login-name set becomes one '-'; leading and trailing '-' are trimmed; then validated like
 * a login name. "Linux Admins" -> "linux-admins". Same return convention as above. */
int scim_name_group_from_display(const char *display, size_t max_len, char *out,
                                 size_t outlen, const char **why);

#endif
