/* SPDX-License-Identifier: MIT */
#include "core_fixture.h"

#include "store/db_sqlite.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/db.h"

#include <jansson.h>

#include "store/store.h"
#include "store/users_repo.h"

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

struct db *core_sqlite_open(const char *path, int flags)
{
    sqlite3 *h = NULL;
    if (sqlite3_open_v2(path, &h, flags ? flags : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        sqlite3_close(h);
        return NULL;
    }
    return db_sqlite_wrap(h);
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

int core_store_fx_setup(void **state)
{
    struct core_store_fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = core_mkdtemp();
    f->st = core_store_open(f->dir, "scimd.db", true);
    *state = f;
    return 0;
}

int core_store_fx_teardown(void **state)
{
    struct core_store_fx *f = *state;
    store_close(f->st);
    core_rmdir(f->dir);
    free(f);
    return 0;
}

struct core_ledger_fx *core_ledger_fx_new(uint32_t lo)
{
    struct core_ledger_fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = core_mkdtemp();
    f->st = core_store_open(f->dir, "scimd.db", true);
    scimd_config_init(&f->cfg);
    f->cfg.uid_min = lo;
    f->cfg.uid_max = lo + 99;
    f->cfg.gid_min = lo + 1000;
    f->cfg.gid_max = lo + 1099;
    return f;
}

void core_ledger_fx_free(struct core_ledger_fx *f)
{
    store_close(f->st);
    scimd_config_free(&f->cfg);
    core_rmdir(f->dir);
    free(f);
}

int64_t core_query_int(struct store *st, const char *sql)
{
    struct scim_error err = { 0 };
    struct db *db = store_reader_get(st, &err);
    assert_non_null(db);
    struct db_stmt *s = NULL;
    int64_t v = -1;
    if (db_prepare(db, sql, &s) == DB_OK && db_step(s) == DB_ROW)
        v = db_column_int64(s, 0);
    db_finalize(s);
    store_reader_put(st, db);
    return v;
}

int core_cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

bool core_private_ns(const char *unchecked)
{
    if (unshare(CLONE_NEWNS) != 0) {
        print_message("# unshare(CLONE_NEWNS): %s: %s not checked (needs root)\n",
                      strerror(errno), unchecked);
        return false;
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        fail_msg("make / private: %s", strerror(errno));
    return true;
}

void core_bind_file(const char *dir, const char *name, const char *text, const char *target)
{
    char *path = core_write(dir, name, text, strlen(text));
    if (mount(path, target, NULL, MS_BIND, NULL) != 0)
        fail_msg("bind %s over %s: %s", path, target, strerror(errno));
    free(path);
}

void core_hide_nscd(void)
{
    struct stat sb;
    if (stat("/run/nscd", &sb) == 0 && mount("tmpfs", "/run/nscd", "tmpfs", 0, NULL) != 0)
        fail_msg("hide nscd: %s", strerror(errno));
}

char *core_capture_stderr(void (*fn)(void *arg), void *arg, size_t *len)
{
    char *dir = core_mkdtemp();
    char *path = core_path(dir, "stderr");
    FILE *capture = fopen(path, "w+e");
    assert_non_null(capture);
    fflush(stderr);
    int saved = dup(fileno(stderr));
    assert_true(saved >= 0);
    assert_true(dup2(fileno(capture), fileno(stderr)) >= 0);
    fn(arg);
    fflush(stderr);
    dup2(saved, fileno(stderr));
    close(saved);
    fclose(capture);
    unsigned char *text = core_read(path, len);
    assert_non_null(text);
    char *out = strndup((const char *)text, *len);
    assert_non_null(out);
    free(text);
    free(path);
    core_rmdir(dir);
    return out;
}

int core_insert_user(struct db *db, const char *login, uint32_t uid, bool active, char *id_out,
                     struct scim_error *err)
{
    struct user_row u;
    memset(&u, 0, sizeof(u));
    if (users_new_id(u.id) < 0)
        return scim_error_set(err, 500, NULL, "no id");
    if (id_out)
        memcpy(id_out, u.id, sizeof(u.id));
    char name[64];
    snprintf(name, sizeof(name), "%s@example.com", login);
    u.user_name = strdup(name);
    u.login = strdup(login);
    u.active = active;
    u.uid = uid;
    u.version = 1;
    snprintf(u.created, sizeof(u.created), "2026-11-24T00:00:00.000Z");
    snprintf(u.modified, sizeof(u.modified), "2026-11-24T00:00:00.000Z");
    u.password_day = 20000;
    u.doc = json_pack("{s:s}", "userName", name);
    int r = users_repo_insert(db, &u, err);
    user_row_clear(&u);
    return r;
}
