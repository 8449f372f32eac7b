/* SPDX-License-Identifier: MIT */
#include "secret_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int secret_file_read(const char *what, const char *path, char *buf, size_t buflen, char *err,
                     size_t errlen)
{
    int ret = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077) != 0) {
        snprintf(err, errlen, "%s %s: must be a regular file owned by root, mode 0600 or "
                              "stricter", what, path);
        goto out;
    }
    ssize_t n = read(fd, buf, buflen - 1);
    if (n < 0) {
        snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
        goto out;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (buf[0] == '\0') {
        snprintf(err, errlen, "%s %s: empty", what, path);
        goto out;
    }
    ret = 0;
out:
    if (fd >= 0)
        close(fd);
    return ret;
}
