/* SPDX-License-Identifier: MIT */
/* scimctl users purge: the end of offboarding. A deactivated user is deleted as `scimctl
 * users delete` deletes (user_removal_apply: its uid stays reserved for ever), and its home
 * directory, which scimd never touches, is removed or archived then removed when asked — only
 * the home recorded for that login, and only after every check has passed
 * (scimctl_home_removal.c). A user deleted earlier is found by its tombstone in the id ledger,
 * which keeps the login; its home is then the [accounts] home template's for that login. */
#include "scimctl_purge.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "accounts/home_path.h"
#include "accounts/user_removal.h"
#include "log.h"
#include "scimctl_common.h"
#include "scimctl_home_removal.h"
#include "store/store.h"
#include "store/tombstones.h"
#include "store/users_repo.h"

struct purge {
    const char *login;
    const char *tmpl;
    /* The live user with the login, if any. */
    bool live, active;
    char id[SCIM_ID_LEN + 1];
    uint32_t uid;
    char *home;
    /* The login's tombstones, newest first. */
    uint32_t *uids;
    size_t nuids;
    char released[32];
    /* Every other live user's home. */
    char **others;
    size_t nothers;
    int oom;
};

static void purge_usage(void)
{
    fprintf(stderr, "usage: scimctl users purge LOGIN [--remove-home | --archive-home DIR] "
                    "[--all-filesystems]\n");
}

static char *home_of(const struct purge *p, const struct live_home *u)
{
    return u->home ? strdup(u->home) : home_path_new(p->tmpl, u->login);
}

static int live_one(void *arg, const struct live_home *u)
{
    struct purge *p = arg;
    if (strcmp(u->login, p->login) == 0) {
        p->live = true;
        p->active = u->active;
        p->uid = u->uid;
        snprintf(p->id, sizeof(p->id), "%s", u->id);
        p->home = home_of(p, u);
        p->oom |= !p->home;
        return 0;
    }
    char **grown = realloc(p->others, (p->nothers + 1) * sizeof(*grown));
    if (!grown || !(grown[p->nothers] = home_of(p, u))) {
        if (grown)
            p->others = grown;
        p->oom = 1;
        return 1;
    }
    p->others = grown;
    p->nothers++;
    return 0;
}

static int tombstone_one(void *arg, const struct tombstone *t)
{
    struct purge *p = arg;
    uint32_t *grown = realloc(p->uids, (p->nuids + 1) * sizeof(*grown));
    if (!grown) {
        p->oom = 1;
        return 1;
    }
    p->uids = grown;
    if (p->nuids == 0)
        snprintf(p->released, sizeof(p->released), "%s", t->released);
    p->uids[p->nuids++] = t->id;
    return 0;
}

/* One read transaction: the user, the login's tombstones, the other users' homes. */
static int purge_read(struct store *st, struct purge *p)
{
    struct scim_error e;
    struct db *db = store_reader_get(st, &e);
    int ret = -1;
    if (!db) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        return -1;
    }
    if (tombstones_live_homes(db, NULL, live_one, p) != 0 ||
        tombstones_each(db, p->login, tombstone_one, p) != 0) {
        if (p->oom)
            fprintf(stderr, "scimctl: out of memory\n");
        else
            fprintf(stderr, "scimctl: cannot read the store: %s\n", db_errmsg(db));
        goto out;
    }
    if (p->oom) {
        fprintf(stderr, "scimctl: out of memory\n");
        goto out;
    }
    ret = 0;
out:
    store_reader_put(st, db);
    return ret;
}

struct purge_delete {
    const struct purge *p;
    struct user_row row;
};

/* users delete's write, with the state the checks saw required again inside it: an IdP that
 * re-activated the user (or replaced it) since is not overruled. */
static int delete_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct purge_delete *d = arg;
    int r = users_repo_get(db, d->p->id, &d->row, err);
    if (r < 0)
        return -1;
    if (r == 0 || d->row.uid != d->p->uid || strcmp(d->row.login, d->p->login) != 0)
        return scim_error_set(err, 409, NULL, "user %s changed while it was being purged; "
                              "nothing was changed", d->p->login);
    if (d->row.active)
        return scim_error_set(err, 409, NULL, "user %s was activated again; nothing was "
                              "changed", d->p->login);
    return user_removal_apply(db, d->row.id, err);
}

static int delete_user(const struct scimd_config *cfg, struct store *st, const struct purge *p)
{
    struct purge_delete d = { .p = p };
    struct scim_error e;
    int ret = -1;
    scim_error_clear(&e);
    if (store_write(st, delete_fn, &d, &e) < 0) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        goto out;
    }
    log_init("scimctl"); /* the audit line names the tool, not scimd */
    user_removal_done(cfg, "scimctl", d.row.id, d.row.login, d.row.uid);
    printf("deleted user %s (uid %u, id %s); uid %u stays reserved and is never reused\n",
           d.row.login, d.row.uid, d.row.id, d.row.uid);
    if (user_removal_touch_epoch(cfg->database) < 0)
        fprintf(stderr, "scimctl: a running scimd could not be told (%s.users-epoch: %s): "
                        "restart scimd so the cache follows\n", cfg->database, strerror(errno));
    ret = 0;
out:
    user_row_clear(&d.row);
    return ret;
}

/* The first process running with any of uids as its real, effective, saved or file-system
 * uid, or 0. Its files would be archived half-written and removed under it. */
static long process_of(const uint32_t *uids, size_t n, uint32_t *which)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    long found = 0;
    if (!d)
        return 0;
    while (!found && (e = readdir(d))) {
        char path[300], line[256];
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue; /* it ended meanwhile */
        while (fgets(line, sizeof(line), f)) {
            unsigned long id[4];
            if (sscanf(line, "Uid: %lu %lu %lu %lu", &id[0], &id[1], &id[2], &id[3]) != 4)
                continue;
            for (size_t i = 0; i < n && !found; i++)
                for (int k = 0; k < 4 && !found; k++)
                    if (id[k] == uids[i]) {
                        found = strtol(e->d_name, NULL, 10);
                        *which = uids[i];
                    }
            break;
        }
        fclose(f);
    }
    closedir(d);
    return found;
}

struct purge_args {
    const char *login, *archive_dir;
    bool remove_home, all_filesystems;
};

static int parse(int argc, char **argv, struct purge_args *a)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--remove-home") == 0) {
            a->remove_home = true;
        } else if (strcmp(argv[i], "--all-filesystems") == 0) {
            a->all_filesystems = true;
        } else if (strcmp(argv[i], "--archive-home") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0') {
                fprintf(stderr, "scimctl: --archive-home needs a directory\n");
                return -1;
            }
            a->archive_dir = argv[++i];
        } else if (strncmp(argv[i], "--archive-home=", 15) == 0 && argv[i][15]) {
            a->archive_dir = argv[i] + 15;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "scimctl: users purge: unknown option '%s'\n", argv[i]);
            return -1;
        } else if (a->login) {
            fprintf(stderr, "scimctl: users purge takes one login ('%s' and '%s' given)\n",
                    a->login, argv[i]);
            return -1;
        } else {
            a->login = argv[i];
        }
    }
    if (!a->login || !a->login[0]) {
        fprintf(stderr, "scimctl: users purge needs a login\n");
        return -1;
    }
    if (a->remove_home && a->archive_dir) {
        fprintf(stderr, "scimctl: --remove-home and --archive-home are alternatives: "
                        "--archive-home removes the home once it is archived\n");
        return -1;
    }
    return 0;
}

static void purge_clear(struct purge *p)
{
    free(p->home);
    free(p->uids);
    for (size_t i = 0; i < p->nothers; i++)
        free(p->others[i]);
    free(p->others);
}

int scimctl_purge(const struct scimd_config *cfg, int argc, char **argv)
{
    struct purge_args a = { 0 };
    struct purge p = { .tmpl = cfg->home };
    struct home_removal h = { 0 };
    struct store *st = NULL;
    char err[PATH_MAX + 512], archive[PATH_MAX + 64];
    struct stat sb;
    int ret = 1;
    if (parse(argc, argv, &a) < 0) {
        purge_usage();
        return 2;
    }
    p.login = a.login;
    bool home_too = a.remove_home || a.archive_dir;
    if (a.archive_dir && stat(a.archive_dir, &sb) < 0) {
        fprintf(stderr, "scimctl: archive directory %s: %s; nothing was changed\n", a.archive_dir,
                strerror(errno));
        return 1;
    }
    if (a.archive_dir && !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "scimctl: archive directory %s is not a directory; nothing was "
                        "changed\n", a.archive_dir);
        return 1;
    }
    if (scimctl_open_store(cfg, true, &st) < 0 || purge_read(st, &p) < 0)
        goto out;
    if (p.live && p.active) {
        fprintf(stderr, "scimctl: user %s (uid %u) is active: purge removes deactivated or "
                        "deleted users only (scimctl users deactivate %s, or deactivate it at "
                        "the identity provider); nothing was changed\n", p.login, p.uid, p.login);
        goto out;
    }
    if (!p.live && p.nuids == 0) {
        fprintf(stderr, "scimctl: no user and no deleted user with login name '%s' (see "
                        "scimctl users list); nothing was changed\n", p.login);
        goto out;
    }
    if (!p.live && !(p.home = home_path_new(p.tmpl, p.login))) {
        fprintf(stderr, "scimctl: out of memory\n");
        goto out;
    }
    if (home_too) {
        h.login = p.login;
        h.home = p.home;
        h.uids = p.live ? &p.uid : p.uids;
        h.nuids = p.live ? 1 : p.nuids;
        h.all_filesystems = a.all_filesystems;
        uint32_t busy = 0;
        long pid = process_of(h.uids, h.nuids, &busy);
        if (pid > 0) {
            fprintf(stderr, "scimctl: uid %u still runs processes (pid %ld): end them first "
                            "(loginctl terminate-user %u, or kill them); nothing was changed\n",
                    busy, pid, busy);
            goto out;
        }
        if (home_removal_check(&h, p.others, p.nothers, a.archive_dir, err, sizeof(err)) < 0) {
            fprintf(stderr, "scimctl: %s; nothing was changed\n", err);
            goto out;
        }
    }
    if (a.archive_dir) {
        if (home_removal_archive(&h, a.archive_dir, archive, sizeof(archive), err,
                                 sizeof(err)) < 0) {
            fprintf(stderr, "scimctl: %s; nothing was changed\n", err);
            goto out;
        }
        printf("archived %s (%llu entries) to %s\n", h.path, (unsigned long long)h.files,
               archive);
    }
    if (p.live && delete_user(cfg, st, &p) < 0) {
        if (a.archive_dir)
            fprintf(stderr, "scimctl: the home was archived to %s and kept\n", archive);
        goto out;
    }
    if (!p.live)
        printf("user %s was deleted already (uid %u, released %s); the uid stays reserved\n",
               p.login, p.uids[0], p.released);
    if (!home_too) {
        if (lstat(p.home, &sb) < 0)
            printf("no home directory at %s\n", p.home);
        else
            printf("home %s kept (--remove-home or --archive-home DIR removes it)\n", p.home);
        ret = 0;
        goto out;
    }
    if (home_removal_remove(&h, err, sizeof(err)) < 0) {
        fprintf(stderr, "scimctl: %s\n", err);
        goto out;
    }
    if (h.mount_point)
        printf("emptied %s (%llu entries); it is a mount point: unmount it and remove the "
               "directory\n", h.path, (unsigned long long)h.files);
    else
        printf("removed %s (%llu entries)\n", h.path, (unsigned long long)h.files);
    ret = 0;
out:
    purge_clear(&p);
    store_close(st);
    return ret;
}
