/* SPDX-License-Identifier: MIT */
#include "accounts/config_warnings.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accounts/host_probe.h"
#include "cache_dir_trust.h"
#include "config_dropins.h"
#include "host_nss.h"

struct warner {
    config_warn_fn fn;
    void *arg;
    size_t n;
};

static void warn(struct warner *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct warner *w, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    w->fn(w->arg, msg);
    w->n++;
}

static const char *group_name(gid_t gid, char *buf, size_t len)
{
    struct group *g = getgrgid(gid);
    if (g)
        snprintf(buf, len, "%s", g->gr_name);
    else
        snprintf(buf, len, "%u", (unsigned)gid);
    return buf;
}

/* A file or directory scimd takes settings from: only root (or whoever runs scimd, for a
 * test instance) may change it. A sticky drop-in directory is no better: anyone could still
 * add a file of their own to it. */
static void check_writers(struct warner *w, const char *path, const char *what)
{
    struct stat st;
    char grp[64];
    if (stat(path, &st) < 0) {
        warn(w, "%s %s: cannot examine: %s", what, path, strerror(errno));
        return;
    }
    if (st.st_uid != 0 && st.st_uid != geteuid())
        warn(w, "%s %s is owned by uid %u, not root: its owner can change what scimd (root) "
             "is configured to do, such as map a role onto sudo in [roles]; chown root %s",
             what, path, (unsigned)st.st_uid, path);
    if (st.st_mode & S_IWOTH)
        warn(w, "%s %s is world-writable: anyone on this host can change what scimd (root) "
             "is configured to do, such as map a role onto sudo in [roles]; chmod go-w %s",
             what, path, path);
    else if (st.st_mode & S_IWGRP)
        warn(w, "%s %s is writable by group %s: its members can change what scimd (root) is "
             "configured to do, such as map a role onto sudo in [roles]; chmod g-w %s",
             what, path, group_name(st.st_gid, grp, sizeof(grp)), path);
}

static void check_config_files(struct warner *w, const char *config_path)
{
    char why[1024], derr[1024];
    struct config_dropins d;
    check_writers(w, config_path, "configuration file");
    /* Every directory up to /, as for the cache: whoever may rename entries in one of them
     * can swap the file for another. */
    if (scim_cache_dirs_trusted(config_path, why, sizeof(why)) != 0)
        warn(w, "configuration file %s: %s; make every directory up to / root-owned and not "
             "group- or world-writable", config_path, why);
    if (config_dropins_list(config_path, &d, derr, sizeof(derr)) < 0)
        return; /* the load reported it already */
    if (access(d.dir, F_OK) == 0)
        check_writers(w, d.dir, "drop-in directory");
    for (size_t i = 0; i < d.n; i++)
        check_writers(w, d.files[i], "drop-in");
    config_dropins_free(&d);
}

static void check_tls_key(struct warner *w, const char *key)
{
    struct stat st;
    char grp[64];
    if (!key)
        return;
    if (stat(key, &st) < 0) {
        warn(w, "[server] tls_key %s: cannot examine: %s", key, strerror(errno));
        return;
    }
    if (st.st_mode & S_IROTH)
        warn(w, "[server] tls_key %s is readable by everyone: any local user can impersonate "
             "this SCIM endpoint and read the identity provider's token; chmod 0600 %s",
             key, key);
    else if (st.st_mode & S_IRGRP)
        warn(w, "[server] tls_key %s is readable by group %s: its members can impersonate this "
             "SCIM endpoint; chmod 0600 %s unless that group is meant to",
             key, group_name(st.st_gid, grp, sizeof(grp)), key);
}

static void check_maps(struct warner *w, const struct scimd_config *cfg, const char *section,
                       const struct local_group_map *maps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t gid = 0;
        int e = 0;
        const char *local = maps[i].local_group;
        enum host_nss_answer a = host_nss_id(HOST_NSS_GRNAM, local, 0, &gid, &e);
        if (a == HOST_NSS_CANNOT_TELL)
            warn(w, "[%s] %s = %s: cannot check whether local group '%s' exists (the name "
                 "service failed: %s)", section, maps[i].scim_name, local, local, strerror(e));
        else if (a == HOST_NSS_NOT_FOUND)
            warn(w, "[%s] %s = %s: this host has no group '%s', so the mapping gives nobody "
                 "anything (the export leaves it out); create the group or fix the name",
                 section, maps[i].scim_name, local, local);
        else if (gid >= cfg->gid_min && gid <= cfg->gid_max)
            warn(w, "[%s] %s = %s: '%s' (gid %u) is a group scimd made, not a local group; "
                 "map onto a group of this host", section, maps[i].scim_name, local, local,
                 (unsigned)gid);
    }
}

size_t config_warnings(const struct scimd_config *cfg, config_warn_fn fn, void *arg)
{
    struct warner w = { .fn = fn, .arg = arg };
    if (cfg->path)
        check_config_files(&w, cfg->path);
    check_tls_key(&w, cfg->tls_key);
    /* A hub-only host serves no accounts of its own: its local groups are beside the point. */
    if (host_probe_host_checks()) {
        check_maps(&w, cfg, "roles", cfg->role_maps, cfg->n_role_maps);
        check_maps(&w, cfg, "groups", cfg->group_maps, cfg->n_group_maps);
    }
    return w.n;
}
