/* SPDX-License-Identifier: MIT */
/* sshPublicKeys values (our Linux extension) end up as lines of sshd's authorized_keys
 * output: only a plain public key may get there, never options (command=, from=), markers
 * (@cert-authority, @revoked), a second line or terminal escapes. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "scim_error.h"

/* Longest value accepted: an ssh-rsa 16384-bit key in base64 is about 2.8 KB. */
#define SCIM_SSH_KEY_MAX 8192

/* true when line (NUL-terminated) is "TYPE BASE64[ COMMENT]": TYPE one of the plain key types
 * (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521, sk-ssh-ed25519@openssh.com,
 * sk-ecdsa-sha2-nistp256@openssh.com; certificates are refused: trusting one means trusting
 * its CA), BASE64 canonical base64 whose blob starts with the same type in SSH wire format
 * (uint32 length, then the name) and carries key data after it, COMMENT printable ASCII.
 * Fields are separated by single or repeated spaces. Otherwise false and a reason in *why
 * (a static string). */
bool scim_ssh_key_ok(const char *line, const char **why);

/* Checks every sshPublicKeys[].value of a validated User document; the first bad one is a
 * 400 invalidValue naming its index and a printable prefix of the value. */
int scim_user_ssh_keys_check(const json_t *user, struct scim_error *err);
