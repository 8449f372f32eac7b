/* Shared by the scimproto libFuzzer targets: the sample resources they run against.
 * Build (not wired into meson yet), from the source root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iscimd/proto \
 *     tests/fuzz/proto/fuzz_filter.c scimd/proto/\*.c -ljansson -o fuzz_filter
 *   mkdir -p corpus && ./fuzz_filter corpus tests/fuzz/proto/filter   (new inputs go to corpus/)
 * SCIMPROTO_FUZZ_DATA names the directory holding user_full.json and group_sample.json
 * (default: tests/unit/proto/data, relative to the working directory). */
#pragma once

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

static json_t *fuzz_load(const char *name)
{
    const char *dir = getenv("SCIMPROTO_FUZZ_DATA");
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/unit/proto/data", name);
    json_t *j = json_load_file(path, 0, NULL);
    if (!j) {
        fprintf(stderr, "cannot load %s\n", path);
        abort();
    }
    return j;
}
