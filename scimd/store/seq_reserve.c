/* SPDX-License-Identifier: MIT */
#include "store/seq_reserve.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/feed_repo.h"
#include "store/store.h"

/* The guard holds a handful of lines (uid_hwm, gid_hwm, the reservation): room to spare. */
#define GUARD_MAX_KEYS 16

struct guard_line {
    char key[32];
    uint64_t val;
};

/* The exporter (uid marks) and the writer (reservation) rewrite the same file from two
 * threads: each read-modify-write holds this lock, so neither drops the other's line. */
static pthread_mutex_t guard_mu = PTHREAD_MUTEX_INITIALIZER;

/* The reservation of this process: guarded by guard_mu too. */
static struct {
    char *path;
    uint64_t step;
    uint64_t reserved;
} rsv;

/* Reads the lines into out; *n their count. 0 (absent file: none), -1 with errno. */
static int guard_read(const char *path, struct guard_line *out, size_t *n)
{
    char key[32];
    unsigned long long v;
    int r, ret = -1;
    *n = 0;
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    while ((r = fscanf(f, "%31s %llu", key, &v)) == 2) {
        if (*n == GUARD_MAX_KEYS)
            goto bad;
        snprintf(out[*n].key, sizeof(out[*n].key), "%s", key);
        out[(*n)++].val = v;
    }
    if (r != EOF || ferror(f))
        goto bad;
    ret = 0;
    goto out;
bad:
    errno = EBADMSG;
out:
    fclose(f);
    return ret;
}

int guard_file_get(const char *path, const char *key, uint64_t *out)
{
    struct guard_line lines[GUARD_MAX_KEYS];
    size_t n;
    *out = 0;
    pthread_mutex_lock(&guard_mu);
    int r = guard_read(path, lines, &n);
    pthread_mutex_unlock(&guard_mu);
    if (r < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(lines[i].key, key) == 0) {
            *out = lines[i].val;
            return 1;
        }
    return 0;
}

static int fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    int fd = -1, ret = -1;
    if (!copy)
        goto out;
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0)
        goto out;
    ret = 0;
out:
    if (fd >= 0)
        close(fd);
    free(copy);
    return ret;
}

/* Writes lines to path through a temporary file of this process's own (scimctl and scimd
 * may both write it), renamed over it once fsync'd. Called with guard_mu held. */
static int guard_write(const char *path, const struct guard_line *lines, size_t n)
{
    char tmp[4200], buf[GUARD_MAX_KEYS * 56];
    size_t len = 0;
    int fd = -1, ret = -1;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s %" PRIu64 "\n", lines[i].key,
                                lines[i].val);
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        goto out;
    if (write(fd, buf, len) != (ssize_t)len || fsync(fd) < 0)
        goto out;
    int r = close(fd);
    fd = -1;
    if (r < 0 || rename(tmp, path) < 0)
        goto out;
    /* The rename itself must survive a power cut, or the next start reads the old bound. */
    ret = fsync_dir_of(path);
out:
    if (fd >= 0)
        close(fd);
    if (ret < 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
    }
    return ret;
}

static int guard_set_locked(const char *path, size_t n, const char *const *keys,
                            const uint64_t *vals, bool strict)
{
    struct guard_line lines[GUARD_MAX_KEYS];
    size_t have = 0;
    if (guard_read(path, lines, &have) < 0) {
        if (strict)
            return -1;
        have = 0; /* as before this module: the uid marks replace an unreadable file */
    }
    for (size_t k = 0; k < n; k++) {
        size_t i = 0;
        while (i < have && strcmp(lines[i].key, keys[k]) != 0)
            i++;
        if (i == have) {
            if (have == GUARD_MAX_KEYS) {
                errno = E2BIG;
                return -1;
            }
            snprintf(lines[have++].key, sizeof(lines[0].key), "%s", keys[k]);
        }
        lines[i].val = vals[k];
    }
    return guard_write(path, lines, have);
}

int guard_file_set(const char *path, size_t n, const char *const *keys, const uint64_t *vals,
                   bool strict)
{
    pthread_mutex_lock(&guard_mu);
    int r = guard_set_locked(path, n, keys, vals, strict);
    pthread_mutex_unlock(&guard_mu);
    return r;
}

/* The file's reservation (0 when it has none). With guard_mu held. */
static int file_reserved_locked(const char *path, uint64_t *out)
{
    struct guard_line lines[GUARD_MAX_KEYS];
    size_t n;
    *out = 0;
    if (guard_read(path, lines, &n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(lines[i].key, SEQ_RESERVE_KEY) == 0)
            *out = lines[i].val;
    return 0;
}

/* Writes the reservation alone. A guard the reservation creates holds both uid marks at 0
 * (no mark yet): the start-up check refuses a guard file without them as damaged. With
 * guard_mu held. */
static int reserve_locked(const char *path, uint64_t value)
{
    static const char *const keys[] = { SEQ_RESERVE_KEY, "uid_hwm", "gid_hwm" };
    struct guard_line lines[GUARD_MAX_KEYS];
    size_t have = 0, n = 3;
    uint64_t vals[3] = { value, 0, 0 };
    if (guard_read(path, lines, &have) < 0)
        return -1;
    for (size_t i = 0; i < have; i++)
        if (strcmp(lines[i].key, "uid_hwm") == 0 || strcmp(lines[i].key, "gid_hwm") == 0)
            n = 1; /* the marks are there: leave them as they are */
    return guard_set_locked(path, n, keys, vals, true);
}

struct move_ctx {
    int64_t reserved, db_seq, moved_to;
};

/* Inside one write: the sequence the writer sees, and the move when it is behind. */
static int move_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct move_ctx *m = arg;
    struct db_stmt *s = NULL;
    char buf[32];
    int ret = -1;
    if (feed_max_seq(db, &m->db_seq) < 0)
        return scim_error_set(err, 500, NULL, "cannot read the change log's sequence");
    if (m->db_seq >= m->reserved)
        return 0;
    int64_t to = m->reserved + 1;
    /* The next change is numbered above to; feed_max_seq reads to until then (SQLite's
     * sqlite_sequence, PostgreSQL's floor), so a snapshot taken now is newer than any host. */
    const char *sql = db_backend(db) == DB_POSTGRESQL
                          ? "SELECT setval(pg_get_serial_sequence('changes', 'seq'), ?1)"
                          : "UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'changes'";
    if (db_prepare(db, sql, &s) != DB_OK || db_bind_int64(s, 1, to) != DB_OK)
        goto fail;
    int rc = db_step(s);
    if (rc != DB_ROW && rc != DB_DONE)
        goto fail;
    db_finalize(s);
    s = NULL;
    if (db_backend(db) != DB_POSTGRESQL && db_changes(db) == 0) {
        /* No change was ever logged: SQLite has no row for the table yet. */
        if (db_prepare(db, "INSERT INTO sqlite_sequence(name, seq) VALUES('changes', ?1)", &s) !=
                DB_OK ||
            db_bind_int64(s, 1, to) != DB_OK || db_step(s) != DB_DONE)
            goto fail;
    }
    snprintf(buf, sizeof(buf), "%" PRId64, to);
    if (store_meta_write(db, "changes_floor", buf, "change log floor", err) < 0)
        goto out;
    m->moved_to = to;
    ret = 0;
    goto out;
fail:
    ret = store_db_error(db, db_errcode(db), err, "change log sequence");
out:
    db_finalize(s);
    return ret;
}

int seq_reserve_start(struct store *st, const char *guard_path, uint64_t step,
                      struct seq_restore *out, char *err, size_t errlen)
{
    struct move_ctx m = { 0 };
    struct scim_error e;
    uint64_t reserved = 0;
    char *path = NULL;
    int ret = -1;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&guard_mu);
    int r = file_reserved_locked(guard_path, &reserved);
    pthread_mutex_unlock(&guard_mu);
    if (r < 0) {
        snprintf(err, errlen,
                 "the guard file %s is unreadable or damaged (%s): it bounds the uids and the "
                 "change log sequences handed out. Restore it from a backup.",
                 guard_path, strerror(errno));
        goto out;
    }
    if (reserved > INT64_MAX - 1 - step) {
        snprintf(err, errlen, "the guard file %s: %s %" PRIu64 " is out of range", guard_path,
                 SEQ_RESERVE_KEY, reserved);
        goto out;
    }
    m.reserved = (int64_t)reserved;
    /* Outside guard_mu: the writer may be committing others' writes, which take it. */
    if (store_write(st, move_fn, &m, &e) < 0) {
        snprintf(err, errlen, "%s", e.detail);
        goto out;
    }
    out->db_seq = m.db_seq;
    out->reserved = m.reserved;
    out->moved_to = m.moved_to;
    int64_t now = m.moved_to ? m.moved_to : m.db_seq;
    path = strdup(guard_path);
    if (!path) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    pthread_mutex_lock(&guard_mu);
    r = reserve_locked(path, (uint64_t)now + step);
    if (r == 0) {
        free(rsv.path);
        rsv.path = path;
        path = NULL;
        rsv.step = step;
        rsv.reserved = (uint64_t)now + step;
    }
    pthread_mutex_unlock(&guard_mu);
    if (r < 0) {
        snprintf(err, errlen, "cannot write the change log reservation into the guard file %s: %s",
                 guard_path, strerror(errno));
        goto out;
    }
    ret = 0;
out:
    free(path);
    return ret;
}

int seq_reserve_attach(const char *guard_path, char *err, size_t errlen)
{
    int ret = -1;
    uint64_t reserved = 0;
    char *path = strdup(guard_path);
    if (!path) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_lock(&guard_mu);
    if (file_reserved_locked(path, &reserved) < 0) {
        snprintf(err, errlen, "the guard file %s is unreadable or damaged: %s", path,
                 strerror(errno));
        goto out;
    }
    free(rsv.path);
    rsv.path = path;
    path = NULL;
    rsv.step = 0;
    rsv.reserved = reserved;
    ret = 0;
out:
    pthread_mutex_unlock(&guard_mu);
    free(path);
    return ret;
}

int seq_reserve_cover(int64_t seq, struct scim_error *err)
{
    uint64_t file = 0;
    int ret = 0;
    pthread_mutex_lock(&guard_mu);
    if (!rsv.path || seq <= 0 || (uint64_t)seq <= rsv.reserved)
        goto out;
    /* Another process (scimd beside scimctl) may have reserved further: never lower it. */
    if (file_reserved_locked(rsv.path, &file) == 0 && file >= (uint64_t)seq) {
        rsv.reserved = file;
        goto out;
    }
    if (reserve_locked(rsv.path, (uint64_t)seq + rsv.step) < 0) {
        ret = scim_error_set(err, 500, NULL,
                             "cannot write the change log reservation into the guard file %s: %s",
                             rsv.path, strerror(errno));
        goto out;
    }
    rsv.reserved = (uint64_t)seq + rsv.step;
out:
    pthread_mutex_unlock(&guard_mu);
    return ret;
}

static int read_seq(struct db *db, void *arg, struct scim_error *err)
{
    if (feed_max_seq(db, arg) < 0)
        return scim_error_set(err, 500, NULL, "cannot read the change log's sequence");
    return 0;
}

int seq_reserve_stop(struct store *st)
{
    struct scim_error e;
    int64_t seq = 0;
    int ret = -1;
    /* Read in the writer, outside guard_mu: this process's last commit is in what it sees. */
    if (store_write(st, read_seq, &seq, &e) < 0 || seq < 0)
        seq = -1;
    pthread_mutex_lock(&guard_mu);
    if (!rsv.path) {
        ret = 0;
        goto out;
    }
    if (seq < 0)
        goto out;
    if ((uint64_t)seq < rsv.reserved && reserve_locked(rsv.path, (uint64_t)seq) < 0)
        goto out;
    ret = 0;
out:
    free(rsv.path);
    rsv.path = NULL;
    rsv.reserved = 0;
    pthread_mutex_unlock(&guard_mu);
    return ret;
}

void seq_restore_describe(const struct seq_restore *r, const char *guard_path, char *buf,
                          size_t len)
{
    snprintf(buf, len,
             "the database is behind the sequences this hub handed out: its change log ends at "
             "%" PRId64 " but the guard file %s reserved up to %" PRId64 " (restored from a "
             "backup? or scimd was not stopped cleanly). The change log now goes on from %" PRId64
             " and keeps nothing older: every host will take a new snapshot",
             r->db_seq, guard_path, r->reserved, r->moved_to);
}
