/* SPDX-License-Identifier: MIT */
#include "config_dropins.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void config_dropins_free(struct config_dropins *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->files[i]);
    free(d->files);
    free(d->dir);
    memset(d, 0, sizeof(*d));
}

static bool is_dropin_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int config_dropins_list(const char *config_path, struct config_dropins *out, char *err,
                        size_t errlen)
{
    int ret = -1;
    DIR *dir = NULL;
    size_t cap = 0;

    memset(out, 0, sizeof(*out));
    if (asprintf(&out->dir, "%s.d", config_path) < 0) {
        out->dir = NULL;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    dir = opendir(out->dir);
    if (!dir) {
        if (errno == ENOENT) {
            ret = 0;
            goto out;
        }
        snprintf(err, errlen, "%s: %s", out->dir, strerror(errno));
        goto out;
    }
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(dir);
        if (!de) {
            if (errno) {
                snprintf(err, errlen, "%s: %s", out->dir, strerror(errno));
                goto out;
            }
            break;
        }
        if (!is_dropin_name(de->d_name))
            continue;
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            char **grown = realloc(out->files, ncap * sizeof(*grown));
            if (!grown) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            out->files = grown;
            cap = ncap;
        }
        char *path;
        if (asprintf(&path, "%s/%s", out->dir, de->d_name) < 0) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        out->files[out->n++] = path;
        /* A dangling link or a directory named x.conf is a mistake, not "no settings". */
        struct stat st;
        if (stat(path, &st) < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "%s: not a regular file", path);
            goto out;
        }
    }
    if (out->n)
        qsort(out->files, out->n, sizeof(*out->files), cmp_path);
    ret = 0;
out:
    if (dir)
        closedir(dir);
    if (ret < 0)
        config_dropins_free(out);
    return ret;
}
