/* SPDX-License-Identifier: MIT */
#include "pam_test_env.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "scim_cache.h"

struct test_env env = {.log_fd = -1};

static int fail(const char *what)
{
    fprintf(stderr, "# pam test fixture: %s: %s\n", what, strerror(errno));
    return -1;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return fail(path);
    size_t len = strlen(text);
    ssize_t n = write(fd, text, len);
    close(fd);
    return n == (ssize_t)len ? 0 : fail(path);
}

static int copy_file(const char *from, const char *to, const char *append)
{
    char buf[1 << 16];
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
    if (in < 0)
        return fail(from);
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        fail(to);
        goto out;
    }
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            goto out;
    if (n < 0 || (append && write(out, append, strlen(append)) != (ssize_t)strlen(append)))
        goto out;
    rc = 0;
out:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return rc;
}

static int bind_over(const char *src, const char *dst)
{
    if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
        return fail(dst);
    return 0;
}

static void path_in_dir(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", env.dir, name);
}

/* Private /etc/passwd, /etc/group and nsswitch.conf: NSS sees files only, plus a local
 * user whose uid lies in the SCIM range and a local group with a SCIM user as member. */
static int private_etc(void)
{
    char p[300], g[300], n[300];
    path_in_dir(p, sizeof(p), "passwd");
    path_in_dir(g, sizeof(g), "group");
    path_in_dir(n, sizeof(n), "nsswitch.conf");
    if (copy_file("/etc/passwd", p, "inrange:x:2000500:2000500:in range:/:/bin/sh\n") < 0 ||
        copy_file("/etc/group", g, "localgrp:x:4321:dave\n") < 0 ||
        write_file(n, "passwd: files\ngroup: files\nshadow: files\n", 0644) < 0)
        return -1;
    return bind_over(p, "/etc/passwd") || bind_over(g, "/etc/group") ||
           bind_over(n, "/etc/nsswitch.conf") ? -1 : 0;
}

/* A tmpfs /dev holding null, urandom and a /dev/log socket of ours. */
static int private_dev(void)
{
    static const char *const keep[] = {"null", "urandom", "zero"};
    char saved[3][300];
    for (int i = 0; i < 3; i++) {
        char src[64];
        snprintf(src, sizeof(src), "/dev/%s", keep[i]);
        snprintf(saved[i], sizeof(saved[i]), "%s/dev-%s", env.dir, keep[i]);
        if (write_file(saved[i], "", 0644) < 0 || bind_over(src, saved[i]) < 0)
            return -1;
    }
    if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=0755") < 0)
        return fail("tmpfs on /dev");
    for (int i = 0; i < 3; i++) {
        char dst[64];
        snprintf(dst, sizeof(dst), "/dev/%s", keep[i]);
        if (write_file(dst, "", 0666) < 0 || bind_over(saved[i], dst) < 0)
            return -1;
    }
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy(sun.sun_path, "/dev/log");
    env.log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (env.log_fd < 0 || bind(env.log_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
        return fail("/dev/log");
    int size = 1 << 20;
    setsockopt(env.log_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    return 0;
}

static int make_caches(void)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE], err[512];
    struct crypt_data cd;
    memset(&cd, 0, sizeof(cd));
    if (!crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)))
        return fail("crypt_gensalt_rn");
    const char *h = crypt_r(T_PASSWORD, setting, &cd);
    if (!h || h[0] != '$')
        return fail("crypt_r");
    char *hash = strdup(h);

    struct scim_cache_user users[] = {
        {.name = "alice", .uid = T_ALICE_UID, .gid = T_ALICE_UID, .gecos = "Alice GECOSMARK",
         .home = "/home/alice", .shell = "/bin/sh", .active = true, .password_hash = hash,
         .last_change_day = 20000},
        {.name = "bob", .uid = T_BOB_UID, .gid = T_BOB_UID, .gecos = "Bob",
         .home = "/home/bob", .shell = "/bin/sh", .active = false, .password_hash = hash,
         .last_change_day = 20000},
        {.name = "carol", .uid = T_CAROL_UID, .gid = T_CAROL_UID, .gecos = "Carol",
         .home = "/home/carol", .shell = "/bin/sh", .active = true, .last_change_day = 20000},
        {.name = "dave", .uid = T_DAVE_UID, .gid = T_DAVE_UID, .gecos = "Dave",
         .home = "/home/dave", .shell = "/bin/sh", .active = true, .last_change_day = 20000},
    };
    static const uint32_t ops_members[] = {0, 1, 2}, sudo_members[] = {0};
    struct scim_cache_group groups[] = {
        {.name = "ops", .gid = T_OPS_GID, .kind = SCIM_GROUP_ROLE,
         .member_user_idx = ops_members, .n_members = 3},
        {.name = "sudo", .gid = 27, .kind = SCIM_GROUP_MAPPED_LOCAL,
         .member_user_idx = sudo_members, .n_members = 1},
    };
    struct scim_cache_snapshot snap = {
        .users = users, .n_users = 4, .groups = groups, .n_groups = 2,
        .generation = 1, .uid_hwm = T_DAVE_UID,
    };
    int rc = scim_cache_write(env.good_nss, env.good_shadow, &snap, err, sizeof(err));
    free(hash);
    if (rc < 0) {
        fprintf(stderr, "# scim_cache_write: %s\n", err);
        return -1;
    }
    return 0;
}

/* A copy of the good cache with one byte of alice's gecos flipped: the file opens, the
 * other records read, alice's record fails its checksum. */
static int make_corrupt(void)
{
    struct scim_cache c;
    struct scim_cache_user_view u;
    if (copy_file(env.good_nss, env.corrupt_nss, NULL) < 0)
        return -1;
    if (scim_cache_open(&c, env.corrupt_nss, SCIM_CACHE_FILE_NSS, 0, NULL, 0) < 0)
        return fail("open corrupt copy");
    int rc = scim_cache_user_by_name(&c, "alice", &u);
    off_t off = rc == 0 ? (off_t)((const uint8_t *)u.gecos - c.base) : -1;
    scim_cache_close(&c);
    if (off < 0)
        return fail("alice in the copy");
    int fd = open(env.corrupt_nss, O_RDWR | O_CLOEXEC);
    char ch = 'X';
    rc = fd >= 0 && pwrite(fd, &ch, 1, off) == 1 ? 0 : -1;
    if (fd >= 0)
        close(fd);
    return rc;
}

int env_setup(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        fprintf(stderr, "# not root: pam_scim tests need a mount namespace and root-owned "
                        "caches; skipping\n");
        return 0;
    }
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return fail("unshare -m");
    strcpy(env.dir, "/tmp/pam-scim-unit-XXXXXX");
    if (!mkdtemp(env.dir) || chmod(env.dir, 0755) < 0)
        return fail("mkdtemp");
    path_in_dir(env.confdir, sizeof(env.confdir), "pam.d");
    path_in_dir(env.good_nss, sizeof(env.good_nss), "nss.cache");
    path_in_dir(env.good_shadow, sizeof(env.good_shadow), "shadow.cache");
    path_in_dir(env.missing_nss, sizeof(env.missing_nss), "missing/nss.cache");
    path_in_dir(env.corrupt_nss, sizeof(env.corrupt_nss), "corrupt.cache");
    path_in_dir(env.garbage_nss, sizeof(env.garbage_nss), "garbage.cache");
    path_in_dir(env.untrusted_nss, sizeof(env.untrusted_nss), "untrusted.cache");
    char other[400];
    snprintf(other, sizeof(other), "%s/other", env.confdir);
    if (mkdir(env.confdir, 0755) < 0 ||
        write_file(other, "auth required pam_deny.so\naccount required pam_deny.so\n", 0644))
        return fail(env.confdir);
    if (private_etc() < 0 || private_dev() < 0 || make_caches() < 0 || make_corrupt() < 0)
        return -1;
    char garbage[8192];
    memset(garbage, 'G', sizeof(garbage) - 1);
    garbage[sizeof(garbage) - 1] = '\0';
    if (write_file(env.garbage_nss, garbage, 0644) < 0 ||
        copy_file(env.good_nss, env.untrusted_nss, NULL) < 0 ||
        chown(env.untrusted_nss, 65534, 65534) < 0)
        return -1;
    env.ready = true;
    return 0;
}

int env_teardown(void **state)
{
    (void)state;
    if (env.log_fd >= 0)
        close(env.log_fd);
    if (env.dir[0]) {
        char cmd[400];
        /* The mounts go with the namespace when this process exits; the files stay on
         * the host's /tmp unless removed. */
        snprintf(cmd, sizeof(cmd), "rm -rf '%s' 2>/dev/null", env.dir);
        umount2("/etc/passwd", MNT_DETACH);
        umount2("/etc/group", MNT_DETACH);
        umount2("/etc/nsswitch.conf", MNT_DETACH);
        umount2("/dev", MNT_DETACH);
        static const char *const saved[] = {"null", "urandom", "zero"};
        for (int i = 0; i < 3; i++) {
            char p[300];
            snprintf(p, sizeof(p), "%s/dev-%s", env.dir, saved[i]);
            umount2(p, MNT_DETACH);
        }
        if (system(cmd) != 0)
            fprintf(stderr, "# could not remove %s\n", env.dir);
    }
    return 0;
}

void env_service(const char *service, const char *type, const char *args)
{
    char path[400], text[2048];
    snprintf(path, sizeof(path), "%s/%s", env.confdir, service);
    snprintf(text, sizeof(text),
             "%s [success=done ignore=ignore default=die] %s cache=%s shadow=%s "
             "uid_min=%u uid_max=%u %s\n"
             "%s required pam_debug.so %s\n",
             type, PAM_SCIM_MODULE, env.good_nss, env.good_shadow, T_UID_MIN, T_UID_MAX,
             args ? args : "", type,
             strcmp(type, "auth") == 0 ? "auth=service_err cred=service_err"
                                       : "acct=service_err");
    if (write_file(path, text, 0644) < 0)
        abort();
}

void env_drain_log(void)
{
    size_t used = 0;
    char buf[2048];
    env.log[0] = '\0';
    for (;;) {
        ssize_t n = recv(env.log_fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
            break;
        buf[n] = '\0';
        if (used + (size_t)n + 2 < sizeof(env.log)) {
            memcpy(env.log + used, buf, (size_t)n);
            used += (size_t)n;
            env.log[used++] = '\n';
            env.log[used] = '\0';
        }
    }
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct conv_log *cl = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    if (!r)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        size_t used = strlen(cl->messages);
        switch (msg[i]->msg_style) {
        case PAM_ERROR_MSG:
        case PAM_TEXT_INFO:
            snprintf(cl->messages + used, sizeof(cl->messages) - used, "%c:%s\n",
                     msg[i]->msg_style == PAM_ERROR_MSG ? 'E' : 'I', msg[i]->msg);
            break;
        default:
            cl->prompts++;
            if (!cl->answer) {
                free(r);
                return PAM_CONV_ERR;
            }
            r[i].resp = strdup(cl->answer);
            break;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

static int run(const char *service, const char *user, struct conv_log *cl, bool auth,
               int flags, int *cred)
{
    struct pam_conv pc = {.conv = conv, .appdata_ptr = cl};
    pam_handle_t *pamh = NULL;
    env_drain_log();
    int rc = pam_start_confdir(service, user, &pc, env.confdir, &pamh);
    if (rc != PAM_SUCCESS)
        return -1000 - rc;
    rc = auth ? pam_authenticate(pamh, flags) : pam_acct_mgmt(pamh, flags);
    if (cred)
        *cred = pam_setcred(pamh, PAM_ESTABLISH_CRED);
    pam_end(pamh, rc);
    env_drain_log();
    return rc;
}

int run_account(const char *service, const char *user, int flags, struct conv_log *cl)
{
    return run(service, user, cl, false, flags, NULL);
}

int run_auth(const char *service, const char *user, const char *password,
             struct conv_log *cl, int *cred)
{
    cl->answer = password;
    return run(service, user, cl, true, 0, cred);
}

int run_setcred_only(const char *service, const char *user)
{
    struct conv_log cl = {0};
    struct pam_conv pc = {.conv = conv, .appdata_ptr = &cl};
    pam_handle_t *pamh = NULL;
    env_drain_log();
    int rc = pam_start_confdir(service, user, &pc, env.confdir, &pamh);
    if (rc != PAM_SUCCESS)
        return -1000 - rc;
    rc = pam_setcred(pamh, PAM_ESTABLISH_CRED);
    pam_end(pamh, rc);
    env_drain_log();
    return rc;
}
