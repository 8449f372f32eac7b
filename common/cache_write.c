/* SPDX-License-Identifier: MIT */
/* Publishing cache files: verify the image, temp file, fsync, read back, chmod/chown, rename,
 * fsync the directory, then flag the replaced file so mapped readers notice at once.
 * Files are only ever replaced by rename: truncating a mapped file would SIGBUS readers. */
#include "cache_image.h"
#include "cache_internal.h"
#include "cache_validate.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct pending {
    const char *path;
    enum scim_cache_file kind;
    const uint8_t *img;
    size_t len;
    mode_t mode;
    char *tmp;   /* temp path, unlinked unless renamed */
    int fd;      /* temp file */
    int old_fd;  /* the file being replaced, opened to flag it afterwards */
    bool renamed;
};

static gid_t shadow_gid;
static pthread_once_t shadow_gid_once = PTHREAD_ONCE_INIT;

/* Looked up once per process: the exporter writes often and the group never moves.
 * Without a "shadow" group the file stays root:root 0640, which is stricter. */
static void lookup_shadow_gid(void)
{
    struct group gr, *res = NULL;
    char buf[4096];
    if (getgrnam_r("shadow", &gr, buf, sizeof(buf), &res) == 0 && res)
        shadow_gid = res->gr_gid;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The image is checked as readers will see it before anything is written: every section
 * checksum, every record, every index entry. */
static int check_image(const struct pending *f, const struct scim_cache_snapshot *snap,
                       char *err, size_t errlen)
{
    struct scim_cache c;
    int rc = scim_cache_open_image(&c, f->img, f->len, f->kind, err, errlen);
    if (rc < 0)
        return rc;
    if ((rc = scim_cache_verify_mapped(&c, err, errlen)) < 0)
        ;
    else if (f->kind == SCIM_CACHE_FILE_NSS
                 ? (scim_cache_user_count(&c) != snap->n_users ||
                    scim_cache_group_count(&c) != snap->n_users + snap->n_groups)
                 : scim_cache_shadow_count(&c) != snap->n_users)
        rc = scim_cache_seterr(err, errlen, -EIO, "image holds the wrong number of records");
    scim_cache_close(&c);
    return rc;
}

/* After fsync: the file holds exactly the checked image. Streamed through a small buffer,
 * so a 30 MB cache costs no 30 MB mapping. */
static int check_written(const struct pending *f, char *err, size_t errlen)
{
    enum { CHUNK = 1 << 20 };
    struct stat st;
    uint8_t *buf = NULL;
    int rc = 0;
    if (fstat(f->fd, &st) < 0)
        return scim_cache_seterr(err, errlen, -errno, "fstat: %s", strerror(errno));
    if ((uint64_t)st.st_size != f->len)
        return scim_cache_seterr(err, errlen, -EIO, "file is %lld bytes, wrote %zu",
                                 (long long)st.st_size, f->len);
    buf = malloc(CHUNK);
    if (!buf)
        return scim_cache_seterr(err, errlen, -ENOMEM, "out of memory");
    for (size_t off = 0; off < f->len && rc == 0;) {
        size_t want = f->len - off < CHUNK ? f->len - off : CHUNK;
        ssize_t n = pread(f->fd, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = scim_cache_seterr(err, errlen, n < 0 ? -errno : -EIO, "reading back: %s",
                                   n < 0 ? strerror(errno) : "unexpected end of file");
        else if (memcmp(buf, f->img + off, (size_t)n) != 0)
            rc = scim_cache_seterr(err, errlen, -EIO,
                                   "read-back differs from what was written near byte %zu", off);
        else
            off += (size_t)n;
    }
    free(buf);
    return rc;
}

static int prepare(struct pending *f, const struct scim_cache_snapshot *snap, char *err,
                   size_t errlen)
{
    size_t plen = strlen(f->path);
    char verr[200] = "";
    int rc = check_image(f, snap, verr, sizeof(verr));
    if (rc < 0)
        return scim_cache_seterr(err, errlen, rc, "%s: verification failed, not published: %s",
                                 f->path, verr);
    f->tmp = malloc(plen + sizeof(".tmp.XXXXXX"));
    if (!f->tmp)
        return scim_cache_seterr(err, errlen, -ENOMEM, "out of memory");
    memcpy(f->tmp, f->path, plen);
    memcpy(f->tmp + plen, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
    f->fd = mkostemp(f->tmp, O_CLOEXEC);
    if (f->fd < 0) {
        rc = -errno;
        free(f->tmp);
        f->tmp = NULL;
        return scim_cache_seterr(err, errlen, rc, "%s: creating temp file: %s", f->path,
                                 strerror(-rc));
    }
    if ((rc = write_all(f->fd, f->img, f->len)) < 0 || (fsync(f->fd) < 0 && (rc = -errno)))
        return scim_cache_seterr(err, errlen, rc, "%s: writing: %s", f->tmp, strerror(-rc));
    if (fchmod(f->fd, f->mode) < 0) {
        rc = -errno;
        return scim_cache_seterr(err, errlen, rc, "%s: setting mode: %s", f->tmp, strerror(-rc));
    }
    /* Root without CAP_CHOWN (an empty capability set) may only give the file a group it
     * is a member of. Then the file stays root:root 0640: stricter, still served to root
     * processes; give the service SupplementaryGroups=shadow for unix_chkpwd to read it. */
    if (f->kind == SCIM_CACHE_FILE_SHADOW && shadow_gid != 0 &&
        fchown(f->fd, (uid_t)-1, shadow_gid) < 0 && errno != EPERM) {
        rc = -errno;
        return scim_cache_seterr(err, errlen, rc, "%s: setting group: %s", f->tmp,
                                 strerror(-rc));
    }
    rc = check_written(f, verr, sizeof(verr));
    if (rc < 0)
        return scim_cache_seterr(err, errlen, rc, "%s: verification failed, not published: %s",
                                 f->tmp, verr);
    /* The replaced file gets flagged after the rename; only if it really is a cache. */
    f->old_fd = open(f->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (f->old_fd >= 0) {
        char magic[SCIM_CACHE_MAGIC_LEN];
        const char *want = f->kind == SCIM_CACHE_FILE_NSS ? SCIM_CACHE_MAGIC_NSS
                                                          : SCIM_CACHE_MAGIC_SHADOW;
        if (pread(f->old_fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
            memcmp(magic, want, sizeof(magic)) != 0) {
            close(f->old_fd);
            f->old_fd = -1;
        }
    }
    return 0;
}

static int fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    int rc = 0, fd = -1;
    if (!copy)
        return -ENOMEM;
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0)
        rc = -errno;
    if (fd >= 0)
        close(fd);
    free(copy);
    return rc;
}

static void mark_superseded(int fd)
{
    static const uint8_t one = 1;
    /* Best effort: the rename already published the new file; readers that miss the flag
     * still notice the new inode through their periodic stat. */
    if (pwrite(fd, &one, 1, SCIM_CACHE_SUPERSEDED_OFFSET) != 1)
        return;
}

int scim_cache_write(const char *nss_path, const char *shadow_path,
                     const struct scim_cache_snapshot *snap, char *errbuf, size_t errlen)
{
    struct pending files[2] = {
        {.path = shadow_path, .kind = SCIM_CACHE_FILE_SHADOW, .mode = 0640, .fd = -1, .old_fd = -1},
        {.path = nss_path, .kind = SCIM_CACHE_FILE_NSS, .mode = 0644, .fd = -1, .old_fd = -1},
    };
    int rc;

    if (!nss_path || !shadow_path)
        return scim_cache_seterr(errbuf, errlen, -EINVAL, "cache paths must be set");
    if (strcmp(nss_path, shadow_path) == 0)
        return scim_cache_seterr(errbuf, errlen, -EINVAL,
                                 "nss and shadow cache paths must differ (%s)", nss_path);
    pthread_once(&shadow_gid_once, lookup_shadow_gid);
    if ((rc = scim_cache_validate_snapshot(snap, errbuf, errlen)) < 0)
        return rc;
    /* One image at a time: each is built, checked, written and read back, then freed before
     * the next is built, so an export never holds both. */
    for (int i = 0; i < 2; i++) {
        uint8_t *img = NULL;
        if ((rc = cache_build_image(snap, files[i].kind, &img, &files[i].len, errbuf,
                                    errlen)) < 0)
            goto out;
        files[i].img = img;
        rc = prepare(&files[i], snap, errbuf, errlen);
        files[i].img = NULL;
        free(img);
        if (rc < 0)
            goto out;
    }
    /* Shadow first: a deactivation locks the password before NSS shows the flag. */
    for (int i = 0; i < 2; i++) {
        if (rename(files[i].tmp, files[i].path) < 0) {
            rc = scim_cache_seterr(errbuf, errlen, -errno, "rename %s -> %s: %s", files[i].tmp,
                                   files[i].path, strerror(errno));
            goto out;
        }
        files[i].renamed = true;
    }
    for (int i = 0; i < 2; i++)
        if ((rc = fsync_dir_of(files[i].path)) < 0) {
            scim_cache_seterr(errbuf, errlen, rc, "fsync of the directory of %s: %s",
                              files[i].path, strerror(-rc));
            goto out;
        }
out:
    for (int i = 0; i < 2; i++) {
        struct pending *f = &files[i];
        if (f->old_fd >= 0) {
            if (f->renamed)
                mark_superseded(f->old_fd);
            close(f->old_fd);
        }
        if (f->fd >= 0)
            close(f->fd);
        if (f->tmp && !f->renamed)
            unlink(f->tmp);
        free(f->tmp);
    }
    return rc;
}
