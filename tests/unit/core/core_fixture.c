#include "core_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"

char *core_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    char *tmpl = NULL;
    if (asprintf(&tmpl, "%s/scimd-core-XXXXXX", base && base[0] ? base : "/tmp") < 0)
        fail_msg("out of memory");
    if (!mkdtemp(tmpl))
        fail_msg("mkdtemp(%s): %s", tmpl, strerror(errno));
    return tmpl;
}

void core_rmdir(char *dir)
{
    if (!dir)
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *p = core_path(dir, e->d_name);
            unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

char *core_path(const char *dir, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        fail_msg("out of memory");
    return p;
}

char *core_write(const char *dir, const char *name, const void *data, size_t len)
{
    char *p = core_path(dir, name);
    FILE *f = fopen(p, "we");
    if (!f)
        fail_msg("fopen(%s): %s", p, strerror(errno));
    if (len > 0 && fwrite(data, 1, len, f) != len)
        fail_msg("fwrite(%s) failed", p);
    if (fclose(f) != 0)
        fail_msg("fclose(%s) failed", p);
    return p;
}

unsigned char *core_read(const char *path, size_t *len)
{
    *len = 0;
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            unsigned char *grown = realloc(buf, cap);
            if (!grown)
                free(buf);
            buf = grown;
        }
    }
    fclose(f);
    if (!buf)
        fail_msg("out of memory reading %s", path);
    *len = n;
    return buf;
}

struct store *core_store_open(const char *dir, const char *name, bool writer_thread)
{
    char err[512] = "";
    struct store *st = NULL;
    char *path = core_path(dir, name);
    if (store_open(&st, path, 5000, writer_thread, err, sizeof(err)) != 0)
        fail_msg("store_open(%s): %s", path, err);
    free(path);
    assert_non_null(st);
    return st;
}

bool core_contains(const unsigned char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0 || n > len)
        return false;
    return memmem(hay, len, needle, n) != NULL;
}
