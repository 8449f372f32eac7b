/* SPDX-License-Identifier: MIT */
#include "accounts/nscd.h"

#include <errno.h>
#include <spawn.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

extern char **environ;

static const char *const nscd_paths[] = { "/usr/sbin/nscd", "/sbin/nscd" };
static const char *const nscd_sockets[] = { "/run/nscd/socket", "/var/run/nscd/socket" };

void nscd_invalidate(void)
{
    const char *bin = NULL;
    struct stat st;
    bool running = false;
    for (size_t i = 0; i < 2; i++)
        if (stat(nscd_sockets[i], &st) == 0 && S_ISSOCK(st.st_mode))
            running = true;
    for (size_t i = 0; i < 2 && !bin; i++)
        if (access(nscd_paths[i], X_OK) == 0)
            bin = nscd_paths[i];
    if (!running || !bin)
        return;
    static const char *const dbs[] = { "passwd", "group" };
    for (size_t i = 0; i < 2; i++) {
        pid_t pid;
        char *argv[] = { (char *)bin, (char *)"-i", (char *)dbs[i], NULL };
        if (posix_spawn(&pid, bin, NULL, NULL, argv, environ) != 0) {
            log_warn("nscd: cannot run %s -i %s", bin, dbs[i]);
            continue;
        }
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
}
