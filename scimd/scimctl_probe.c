/* SPDX-License-Identifier: MIT */
/* Three witnesses, because each alone misleads: systemd knows the unit but not a scimd started
 * by hand or with another -c; /proc finds the process but not whether it serves; a connection
 * shows it serves (or that systemd's socket holds the port) but not whose it is. */
#include "scimctl_probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"

extern char **environ;

/* systemctl show -p ActiveState --value scimd.service, without a shell. */
static void unit_state(char *out, size_t len)
{
    char *const argv[] = { "systemctl", "show", "-p", "ActiveState", "--value",
                           "scimd.service", NULL };
    posix_spawn_file_actions_t fa;
    int fds[2] = { -1, -1 };
    pid_t pid = 0;
    out[0] = '\0';
    if (access("/run/systemd/system", F_OK) != 0 || pipe2(fds, O_CLOEXEC) < 0)
        return;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    int e = posix_spawnp(&pid, "systemctl", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (e == 0) {
        ssize_t n = read(fds[0], out, len - 1);
        out[n > 0 ? n : 0] = '\0';
        out[strcspn(out, "\n")] = '\0';
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    close(fds[0]);
}

/* The -c/--config of a scimd command line (NUL-separated words), or the default. */
static const char *config_of(const char *cmdline, size_t n)
{
    const char *config = SCIMD_CONFIG_PATH;
    for (const char *w = cmdline; w < cmdline + n; w += strlen(w) + 1) {
        const char *next = w + strlen(w) + 1;
        if ((strcmp(w, "-c") == 0 || strcmp(w, "--config") == 0) && next < cmdline + n)
            config = next;
        else if (strncmp(w, "--config=", 9) == 0)
            config = w + 9;
        else if (strncmp(w, "-c", 2) == 0 && w[2])
            config = w + 2;
    }
    return config;
}

static bool same_file(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    if (realpath(a, ra) && realpath(b, rb))
        return strcmp(ra, rb) == 0;
    return strcmp(a, b) == 0;
}

static bool read_small(const char *path, char *buf, size_t len, size_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t r = read(fd, buf, len - 1);
    close(fd);
    if (r <= 0)
        return false;
    buf[r] = '\0';
    *n = (size_t)r;
    return true;
}

/* A process named scimd (comm, which any user may read) started with this configuration. */
static pid_t find_scimd(const char *config_path)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    pid_t found = 0;
    if (!d)
        return 0;
    while (!found && (de = readdir(d))) {
        char path[64], buf[8192];
        size_t n;
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0 || pid == getpid())
            continue;
        snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
        if (!read_small(path, buf, sizeof(buf), &n) || strcmp(buf, "scimd\n") != 0)
            continue;
        snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
        if (read_small(path, buf, sizeof(buf), &n) && same_file(config_of(buf, n), config_path))
            found = (pid_t)pid;
    }
    closedir(d);
    return found;
}

/* A TCP connection within two seconds. A wildcard listen address is reached on loopback. */
static bool connects(const char *host, unsigned port)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST |
                                                                       AI_NUMERICSERV };
    struct addrinfo *ai = NULL;
    char service[8];
    bool ok = false;
    int fd = -1;
    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    snprintf(service, sizeof(service), "%u", port);
    if (getaddrinfo(host, service, &hints, &ai) != 0)
        goto out;
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto out;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        ok = true;
        goto out;
    }
    if (errno != EINPROGRESS)
        goto out;
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    int err = 0;
    socklen_t len = sizeof(err);
    ok = poll(&p, 1, 2000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
         err == 0;
out:
    if (fd >= 0)
        close(fd);
    if (ai)
        freeaddrinfo(ai);
    return ok;
}

void scimd_probe_run(const struct scimd_config *cfg, const char *config_path,
                     struct scimd_probe *out)
{
    memset(out, 0, sizeof(*out));
    if (same_file(config_path, SCIMD_CONFIG_PATH))
        unit_state(out->unit_state, sizeof(out->unit_state));
    out->pid = find_scimd(config_path);
    if (cfg->listen_port) {
        const char *host = cfg->listen_host ? cfg->listen_host : "127.0.0.1";
        snprintf(out->listen, sizeof(out->listen), strchr(host, ':') ? "[%s]:%u" : "%s:%u",
                 host, (unsigned)cfg->listen_port);
        out->accepting = connects(host, cfg->listen_port);
    }
    /* A failed unit is down; an inactive one may be socket-activated (systemd holds the
     * port and starts scimd at the first connection), so the connection decides. */
    if (strcmp(out->unit_state, "failed") == 0)
        out->up = false;
    else if (cfg->listen_port)
        out->up = out->accepting;
    else
        out->up = out->pid != 0 || strcmp(out->unit_state, "active") == 0;
}
