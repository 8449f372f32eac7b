/* SPDX-License-Identifier: MIT */
#include "accounts/sessions.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "accounts/host_probe.h"
#include "log.h"

static int logind_terminate(uint32_t uid)
{
    sd_bus *bus = NULL;
    sd_bus_error error = SD_BUS_ERROR_NULL;
    int r = sd_bus_open_system(&bus);
    if (r >= 0)
        r = sd_bus_call_method(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
                               "org.freedesktop.login1.Manager", "TerminateUser", &error, NULL,
                               "u", uid);
    if (r < 0 && !sd_bus_error_has_name(&error, "org.freedesktop.login1.NoSuchUser"))
        log_warn("sessions: logind TerminateUser(%u) failed: %s", uid,
                 error.message ? error.message : strerror(-r));
    else
        r = 0;
    sd_bus_error_free(&error);
    sd_bus_unref(bus);
    return r;
}

/* True when a live process (not a zombie waiting to be reaped) has uid as any of its real,
 * effective, saved or filesystem uids. */
static bool process_has_uid(const char *proc_root, const char *pid, uint32_t uid)
{
    char path[512], line[256];
    snprintf(path, sizeof(path), "%s/%s/status", proc_root, pid);
    FILE *f = fopen(path, "re");
    bool match = false, dead = false;
    if (!f)
        return false;
    while (fgets(line, sizeof(line), f)) {
        char state;
        unsigned long r, e, s, fs;
        if (sscanf(line, "State: %c", &state) == 1)
            dead = state == 'Z' || state == 'X';
        if (sscanf(line, "Uid: %lu %lu %lu %lu", &r, &e, &s, &fs) == 4) {
            match = r == uid || e == uid || s == uid || fs == uid;
            break;
        }
    }
    fclose(f);
    return match && !dead;
}

static bool pid_listed(const pid_t *pids, size_t n, pid_t pid)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

/* Returns how many distinct processes were killed, or -1. A process that got SIGKILL can
 * still show its uid and a live state for a moment before it becomes a zombie, so a later
 * pass may see it again: it is signalled again (harmless) but counted once. */
static int kill_all(uint32_t uid, const char *proc_root)
{
    pid_t *killed = NULL;
    size_t n_killed = 0, cap = 0;
    int ret = -1;
    /* A few passes: a process may fork between the scan and the kill. */
    for (int pass = 0; pass < 3; pass++) {
        DIR *d = opendir(proc_root);
        int this_pass = 0;
        if (!d)
            goto out;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (!isdigit((unsigned char)de->d_name[0]))
                continue;
            pid_t pid = (pid_t)atoi(de->d_name);
            if (pid <= 1 || pid == getpid() || !process_has_uid(proc_root, de->d_name, uid))
                continue;
            if (kill(pid, SIGKILL) != 0 || pid_listed(killed, n_killed, pid))
                continue;
            if (n_killed == cap) {
                size_t grown_cap = cap ? cap * 2 : 16;
                pid_t *grown = realloc(killed, grown_cap * sizeof(*grown));
                if (!grown) {
                    closedir(d);
                    goto out;
                }
                killed = grown;
                cap = grown_cap;
            }
            killed[n_killed++] = pid;
            this_pass++;
        }
        closedir(d);
        if (this_pass == 0)
            break;
    }
    ret = (int)n_killed;
out:
    free(killed);
    return ret;
}

int sessions_terminate(uint32_t uid, const char *login, const char *proc_root)
{
    if (uid < 1000 || uid == 65534 || uid == 65535 || uid == UINT32_MAX)
        return -1; /* never system or special ids, whatever the store says */
    if (!host_probe_host_checks())
        return 0; /* a hub-only host: the user has no sessions here, followers end theirs */
    /* logind runs only where systemd booted the host and the system bus is up. */
    if (access("/run/systemd/seats", F_OK) == 0 &&
        access("/run/dbus/system_bus_socket", F_OK) == 0 && logind_terminate(uid) == 0) {
        log_info("sessions: asked logind to end every session of %s (uid %u)", login, uid);
        /* logind leaves processes outside sessions (cron, nohup): signal those too. */
    }
    int n = kill_all(uid, proc_root ? proc_root : "/proc");
    if (n < 0)
        log_warn("sessions: cannot scan processes of %s (uid %u): %s", login, uid, strerror(errno));
    else if (n > 0)
        log_info("sessions: killed %d process(es) of deactivated user %s (uid %u)", n, login, uid);
    return n;
}
