/* SPDX-License-Identifier: MIT */
/* Parses a fleet feed document (docs/fleet.md, "Feed document") as a follower receives it,
 * after its signature was verified. The hub is trusted only as far as the signature goes: a
 * hub that was broken into must still not create root, a system account or an id outside
 * this host's ranges, so every name and id is checked again against this host's rules. */
#pragma once

#include <stddef.h>

#include "scimd_config.h"
#include "store/materialize.h"

struct feed_parsed {
    struct mat_doc doc;
    void *json; /* the parsed json_t every string of doc points into */
};

/* Parses body (len bytes, JSON with no duplicate keys, strict types). 0 with *out filled,
 * or -1 with err naming the first bad field; nothing is kept on failure. */
int feed_parse(const struct scimd_config *cfg, const char *body, size_t len,
               struct feed_parsed *out, char *err, size_t errlen);

void feed_parsed_free(struct feed_parsed *p);
