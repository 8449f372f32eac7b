/* SPDX-License-Identifier: MIT */
/* UTF-8 checks for text that came from a client: request URLs, query values, and error
 * details that quote them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* RFC 3629 UTF-8 without overlongs, surrogates or code points past U+10FFFF. */
bool scim_utf8_valid(const unsigned char *s, size_t n);

/* Replaces each byte that does not start a valid sequence with '?', in place: a detail cut
 * at a byte count stays valid UTF-8 (json_pack refuses anything else). */
void scim_utf8_repair(char *s);
