/* SPDX-License-Identifier: MIT */
/* scimctl cache dump --json: what `cache dump` prints (common/cache_dump.c), as one JSON
 * document for scripts. */
#pragma once

/* Prints the cache file at path (either kind, told by its magic) as JSON on stdout.
 * 0, or 1 with the reason on stderr (the file cannot be opened, is not a cache, or a record
 * fails its checks: nothing is printed on stdout then). */
int scimctl_cache_dump_json(const char *path);
