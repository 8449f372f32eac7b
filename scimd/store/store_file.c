/* SPDX-License-Identifier: MIT */
#include "store/store_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int store_file_check(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 && errno == EROFS)
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY); /* SQLite reads a read-only mount */
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    int e = errno;
    if (e == ENOENT)
        snprintf(err, errlen,
                 "%s: no store there, and none was created (scimd creates it when it first "
                 "starts; is [store] database the file scimd uses?)", path);
    else if (e == EACCES || e == EPERM)
        snprintf(err, errlen,
                 "%s: permission denied: needs root (the store holds password hashes and "
                 "token keys and is root's alone)", path);
    else
        snprintf(err, errlen, "%s: %s", path, strerror(e));
    return -1;
}
