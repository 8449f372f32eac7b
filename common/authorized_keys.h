/* SPDX-License-Identifier: MIT */
/* sshd's AuthorizedKeysCommand: one implementation behind scim-authorized-keys (the small
 * helper sshd runs on every key login) and `scimctl authorized-keys` (its alias for admins).
 * libc only: it reads the world-readable NSS cache and asks the host's NSS, nothing else. */
#pragma once

/* argv is `USER [UID]` (sshd's %u %U). Prints USER's SSH keys, one a line, when USER is an
 * active SCIM user whom the host's NSS resolves to its SCIM uid (and UID, when given, is that
 * uid); prints nothing for anyone else. Messages go to stderr prefixed with `prog`. Returns
 * the exit status: 0 (keys printed, or none are due), 1 (the cache cannot be read or is
 * corrupt, or the host's NSS cannot tell who USER is), 2 (bad arguments). */
int scim_authorized_keys(const char *prog, const char *cache_path, int argc, char **argv);
