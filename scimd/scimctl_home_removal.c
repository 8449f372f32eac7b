/* SPDX-License-Identifier: MIT */
#include "scimctl_home_removal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* path resolved when it exists (a home not created yet is compared as written). */
static void canonical(const char *path, char out[PATH_MAX])
{
    if (!realpath(path, out))
        snprintf(out, PATH_MAX, "%s", path);
}

/* Whether inner is outer or below it. */
static bool within(const char *inner, const char *outer)
{
    size_t n = strlen(outer);
    if (strcmp(outer, "/") == 0)
        return true;
    return strncmp(inner, outer, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

/* One walk for the check (remove false: counts entries and finds mount points) and the
 * removal. fd is an open directory; path names it in messages. */
static int walk(int fd, const char *path, const struct home_removal *h, bool remove,
                uint64_t *files, char *err, size_t errlen)
{
    int ret = -1;
    int dup_fd = dup(fd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0)
            close(dup_fd);
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        struct stat st;
        char sub[PATH_MAX];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            snprintf(err, errlen, "cannot examine %s: %s", sub, strerror(errno));
            goto out;
        }
        (*files)++;
        if (S_ISDIR(st.st_mode)) {
            if (st.st_dev != h->dev) {
                snprintf(err, errlen, "%s is a file system mounted in the home: unmount it "
                                      "first", sub);
                goto out;
            }
            int subfd = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (subfd < 0) {
                snprintf(err, errlen, "cannot open %s: %s", sub, strerror(errno));
                goto out;
            }
            int r = walk(subfd, sub, h, remove, files, err, errlen);
            close(subfd);
            if (r < 0)
                goto out;
        }
        if (remove && unlinkat(fd, e->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0) {
            snprintf(err, errlen, "cannot remove %s: %s", sub, strerror(errno));
            goto out;
        }
        errno = 0;
    }
    if (errno) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    ret = 0;
out:
    closedir(d);
    return ret;
}

/* Opens the checked home again and makes sure it is still the directory that was checked. */
static int open_checked(const struct home_removal *h, char *err, size_t errlen)
{
    struct stat st;
    int fd = open(h->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", h->path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || st.st_dev != h->dev || st.st_ino != h->ino ||
        st.st_uid != h->owner) {
        snprintf(err, errlen, "%s changed since it was checked; nothing was removed", h->path);
        close(fd);
        return -1;
    }
    return fd;
}

int home_removal_check(struct home_removal *h, char *const *others, size_t nothers,
                       const char *archive_dir, char *err, size_t errlen)
{
    struct stat st, parent;
    char up[PATH_MAX + 3];
    int ret = -1;
    if (h->home[0] != '/') {
        snprintf(err, errlen, "%s's home '%s' is not an absolute path", h->login, h->home);
        return -1;
    }
    if (lstat(h->home, &st) < 0) {
        snprintf(err, errlen, "%s's home %s: %s", h->login, h->home, strerror(errno));
        return -1;
    }
    if (S_ISLNK(st.st_mode)) {
        snprintf(err, errlen, "%s's home %s is a symbolic link, not a directory: it is not "
                              "followed", h->login, h->home);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s's home %s is not a directory", h->login, h->home);
        return -1;
    }
    if (!realpath(h->home, h->path) || lstat(h->path, &st) < 0) {
        snprintf(err, errlen, "%s's home %s: %s", h->login, h->home, strerror(errno));
        return -1;
    }
    if (strcmp(h->path, "/") == 0) {
        snprintf(err, errlen, "%s's home is /, which is never removed", h->login);
        return -1;
    }
    bool owned = false;
    for (size_t i = 0; i < h->nuids; i++)
        owned = owned || st.st_uid == h->uids[i];
    if (!owned && h->nuids == 1) {
        snprintf(err, errlen, "%s's home %s is owned by uid %u, not by %s's uid %u: it may be "
                              "someone else's", h->login, h->path, (unsigned)st.st_uid,
                 h->login, h->uids[0]);
        return -1;
    }
    if (!owned) {
        snprintf(err, errlen, "%s's home %s is owned by uid %u, none of the %zu uids deleted "
                              "users named %s had: it may be someone else's", h->login, h->path,
                 (unsigned)st.st_uid, h->nuids, h->login);
        return -1;
    }
    for (size_t i = 0; i < nothers; i++) {
        char other[PATH_MAX];
        canonical(others[i], other);
        if (within(other, h->path) || within(h->path, other)) {
            snprintf(err, errlen, "%s's home %s %s another user's home, %s", h->login, h->path,
                     within(other, h->path) ? "is or holds" : "is inside", other);
            return -1;
        }
    }
    if (archive_dir) {
        char dir[PATH_MAX];
        canonical(archive_dir, dir);
        if (within(dir, h->path)) {
            snprintf(err, errlen, "the archive directory %s is inside the home %s it would "
                                  "remove", dir, h->path);
            return -1;
        }
    }
    snprintf(up, sizeof(up), "%s/..", h->path);
    if (stat(up, &parent) < 0) {
        snprintf(err, errlen, "%s: %s", up, strerror(errno));
        return -1;
    }
    if (parent.st_dev != st.st_dev && !h->all_filesystems) {
        snprintf(err, errlen, "%s's home %s is a file system of its own (a mount point; "
                              "--all-filesystems removes it)", h->login, h->path);
        return -1;
    }
    h->mount_point = parent.st_dev != st.st_dev;
    h->owner = st.st_uid;
    h->dev = st.st_dev;
    h->ino = st.st_ino;
    h->files = 0;
    int fd = open_checked(h, err, errlen);
    if (fd < 0)
        return -1;
    ret = walk(fd, h->path, h, false, &h->files, err, errlen);
    close(fd);
    return ret;
}

int home_removal_archive(const struct home_removal *h, const char *dir, char *out,
                         size_t outlen, char *err, size_t errlen)
{
    char date[16], parent[PATH_MAX];
    time_t now = time(NULL);
    struct tm tm;
    int dirfd = -1, fd = -1, ret = -1, status = 0;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%Y%m%d", &tm);
    snprintf(out, outlen, "%s/%s-%u-%s.tar.gz", dir, h->login, (unsigned)h->owner, date);
    const char *base = strrchr(h->path, '/') + 1;
    snprintf(parent, sizeof(parent), "%.*s", (int)(base - h->path > 1 ? base - h->path - 1 : 1),
             h->path);
    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        snprintf(err, errlen, "archive directory %s: %s", dir, strerror(errno));
        goto out;
    }
    fd = openat(dirfd, strrchr(out, '/') + 1,
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) < 0) {
        snprintf(err, errlen, "cannot create %s: %s", out, strerror(errno));
        goto out;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot run tar: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        /* The home's own name inside the archive, numeric ids (the names are gone), and one
         * file system (the check refused a mount inside): what the removal removes. */
        if (dup2(fd, STDOUT_FILENO) < 0)
            _exit(127);
        execlp("tar", "tar", "--create", "--gzip", "--numeric-owner", "--one-file-system",
               "--directory", parent, "--file", "-", "--", base, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "tar could not archive %s (%s %d); the home was kept", h->path,
                 WIFEXITED(status) ? "exit status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        goto out;
    }
    if (fsync(fd) < 0 || fsync(dirfd) < 0) {
        snprintf(err, errlen, "cannot write %s: %s; the home was kept", out, strerror(errno));
        goto out;
    }
    ret = 0;
out:
    if (fd >= 0) {
        close(fd);
        if (ret < 0)
            unlinkat(dirfd, strrchr(out, '/') + 1, 0);
    }
    if (dirfd >= 0)
        close(dirfd);
    return ret;
}

int home_removal_remove(const struct home_removal *h, char *err, size_t errlen)
{
    char up[PATH_MAX + 3];
    struct stat st;
    uint64_t n = 0;
    int ret = -1, parentfd = -1;
    int fd = open_checked(h, err, errlen);
    if (fd < 0)
        return -1;
    snprintf(up, sizeof(up), "%s/..", h->path);
    parentfd = open(up, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const char *base = strrchr(h->path, '/') + 1;
    /* The name in its parent must still be the directory opened, not a link put there. */
    if (parentfd < 0 || fstatat(parentfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        st.st_dev != h->dev || st.st_ino != h->ino) {
        snprintf(err, errlen, "%s changed since it was checked; nothing was removed", h->path);
        goto out;
    }
    if (walk(fd, h->path, h, true, &n, err, errlen) < 0)
        goto out;
    /* A mount point cannot be removed: it is left empty for the administrator to unmount. */
    if (!h->mount_point && unlinkat(parentfd, base, AT_REMOVEDIR) < 0) {
        snprintf(err, errlen, "emptied %s but cannot remove it: %s%s", h->path, strerror(errno),
                 errno == EBUSY ? " (a mount point: unmount it)" : "");
        goto out;
    }
    ret = 0;
out:
    if (parentfd >= 0)
        close(parentfd);
    close(fd);
    return ret;
}
