/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the scimd.conf parser. The input is written to a memfd and loaded
 * through its /proc/self/fd path (scimd_config_load takes a path), then the cross-key
 * checks run, as `scimd --check-config` does. A refused file must say why with the
 * file name and a line number. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scimd_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[1024];
    struct scimd_config cfg;
    int fd = memfd_create("fuzz-config", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    for (size_t off = 0; off < size;) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0)
            abort();
        off += (size_t)w;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

    scimd_config_init(&cfg);
    err[0] = '\0';
    if (scimd_config_load(&cfg, path, err, sizeof(err)) != 0) {
        if (strncmp(err, path, strlen(path)) != 0)
            abort(); /* errors name the file (and the line) */
    } else {
        err[0] = '\0';
        if (scimd_config_check(&cfg, err, sizeof(err)) != 0 && err[0] == '\0')
            abort();
    }
    scimd_config_free(&cfg);
    close(fd);
    return 0;
}
