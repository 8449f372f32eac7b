/* SPDX-License-Identifier: MIT */
#include "accounts/audit_kernel.h"

#include <errno.h>
#include <libaudit.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "store/materialize.h"

/* The types and op= values shadow-utils' tools use for the same changes, so existing rules and
 * reports (ausearch -m ADD_USER, aureport --auth) cover scimd's accounts without new ones. */
static const struct {
    int type;
    const char *op;
} kinds[] = {
    [AUDIT_KERNEL_USER_ADD] = { AUDIT_ADD_USER, "add-user" },
    [AUDIT_KERNEL_USER_MODIFY] = { AUDIT_USER_MGMT, "modify-user" },
    [AUDIT_KERNEL_USER_PASSWORD] = { AUDIT_USER_CHAUTHTOK, "change-password" },
    [AUDIT_KERNEL_USER_DISABLE] = { AUDIT_ACCT_LOCK, "disable-user" },
    [AUDIT_KERNEL_USER_ENABLE] = { AUDIT_ACCT_UNLOCK, "enable-user" },
    [AUDIT_KERNEL_USER_DELETE] = { AUDIT_DEL_USER, "delete-user" },
    [AUDIT_KERNEL_GROUP_ADD] = { AUDIT_ADD_GROUP, "add-group" },
    [AUDIT_KERNEL_GROUP_MODIFY] = { AUDIT_GRP_MGMT, "modify-group" },
    [AUDIT_KERNEL_GROUP_DELETE] = { AUDIT_DEL_GROUP, "delete-group" },
};

/* One socket for the process: libaudit waits for the kernel's ack on it, so one sender at a
 * time. gave_up: this kernel or namespace takes no records; stop asking until closed. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int audit_fd = -1;
static bool gave_up;

/* Appends " field=value": "quoted" when plain, hex (unquoted) when the value holds a space, a
 * quote, a control byte or non-ASCII, as auparse expects; "?" when there is none. */
static int put(char *buf, size_t buflen, size_t *used, const char *field, const char *v)
{
    size_t len = v ? strlen(v) : 0;
    size_t need = strlen(field) + 2 * len + 4;
    if (*used + need >= buflen)
        return -1;
    char *p = buf + *used;
    if (!len) {
        *used += (size_t)sprintf(p, " %s=?", field);
    } else if (audit_value_needs_encoding(v, (unsigned)len)) {
        p += sprintf(p, " %s=", field);
        audit_encode_value(p, v, (unsigned)len);
        *used += strlen(field) + 2 + 2 * len;
    } else {
        *used += (size_t)sprintf(p, " %s=\"%s\"", field, v);
    }
    return 0;
}

int audit_kernel_format(enum audit_kernel_kind kind, const struct audit_kernel_subject *s,
                        const char *changed, char *buf, size_t buflen)
{
    int n = snprintf(buf, buflen, "op=%s", kinds[kind].op);
    if (n < 0 || (size_t)n >= buflen)
        return -1;
    size_t used = (size_t)n;
    if (s->id) {
        n = snprintf(buf + used, buflen - used, " id=%u", (unsigned)s->id);
        if (n < 0 || (size_t)n >= buflen - used)
            return -1;
        used += (size_t)n;
    }
    if (put(buf, buflen, &used, "acct", s->name) < 0 ||
        put(buf, buflen, &used, "scim_id", s->scim_id) < 0 ||
        put(buf, buflen, &used, "token", s->token) < 0 ||
        (changed && put(buf, buflen, &used, "changed", changed) < 0))
        return -1;
    return 0;
}

/* Under the lock: a socket, or -1 (gave_up set when there will never be one). */
static int socket_get(void)
{
    if (audit_fd >= 0 || gave_up)
        return audit_fd;
    audit_fd = audit_open();
    if (audit_fd >= 0)
        return audit_fd;
    if (errno == EINVAL || errno == EPROTONOSUPPORT) {
        log_msg(LOG_DEBUG, "audit: this kernel has no audit support: account changes are "
                           "recorded in this log only");
        gave_up = true;
    } else if (errno == EAFNOSUPPORT) {
        /* Netlink is always in the kernel: a sandbox forbids it (systemd's
         * RestrictAddressFamilies= answers EAFNOSUPPORT), and records are lost. */
        log_warn("audit: scimd may not open netlink sockets (RestrictAddressFamilies= without "
                 "AF_NETLINK?): account changes are recorded in this log only");
        gave_up = true;
    } else {
        log_warn("audit: cannot open the kernel's audit socket (%s): this change is in this "
                 "log only", strerror(errno));
    }
    return -1;
}

void audit_kernel_record(enum audit_kernel_kind kind, const struct audit_kernel_subject *s,
                         const char *changed)
{
    char msg[4096];
    if (audit_kernel_format(kind, s, changed, msg, sizeof(msg)) < 0) {
        log_warn("audit: the %s record for %s is too long for the kernel's audit trail",
                 kinds[kind].op, s->scim_id ? s->scim_id : "?");
        return;
    }
    pthread_mutex_lock(&lock);
    int fd = socket_get();
    if (fd < 0)
        goto out;
    errno = 0;
    /* tty "": terminal=? without libaudit's ttyname lookup of stdin on every record (a daemon
     * has none; a follower joining a large fleet sends one record per account). */
    int r = audit_log_user_message(fd, kinds[kind].type, msg, NULL, NULL, "", 1);
    if (r > 0)
        goto out;
    /* libaudit answers 0 where the kernel refused quietly: ECONNREFUSED outside the initial
     * user namespace (a container), EPERM without CAP_AUDIT_WRITE. Neither passes by itself. */
    if (r == 0 && errno == EPERM) {
        log_warn("audit: the kernel refuses audit records from scimd (no CAP_AUDIT_WRITE): "
                 "account changes are recorded in this log only");
    } else if (r == 0) {
        log_msg(LOG_DEBUG, "audit: the kernel takes no audit records here (%s; a container?): "
                           "account changes are recorded in this log only",
                errno ? strerror(errno) : "refused");
    } else {
        log_warn("audit: sending the %s record for %s failed (%s): this change is in this log "
                 "only", kinds[kind].op, s->scim_id ? s->scim_id : "?", strerror(errno));
        goto out;
    }
    gave_up = true;
    audit_close(audit_fd);
    audit_fd = -1;
out:
    pthread_mutex_unlock(&lock);
}

/* Copies the names in changed other than active and password into out. */
static void other_attributes(const char *changed, char *out, size_t outlen, bool *password)
{
    size_t used = 0;
    out[0] = '\0';
    *password = false;
    for (const char *p = changed; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == 8 && strncmp(p, "password", 8) == 0) {
            *password = true;
        } else if (!(len == 6 && strncmp(p, "active", 6) == 0) && used + len + 2 < outlen) {
            if (used)
                out[used++] = ',';
            memcpy(out + used, p, len);
            used += len;
            out[used] = '\0';
        }
        p += len + (p[len] == ',');
    }
}

void audit_kernel_user_written(const struct audit_kernel_subject *s, bool created,
                               bool was_active, bool active, const char *changed)
{
    if (created) {
        audit_kernel_record(AUDIT_KERNEL_USER_ADD, s, changed);
        if (!active)
            audit_kernel_record(AUDIT_KERNEL_USER_DISABLE, s, NULL);
        return;
    }
    char others[512];
    bool password;
    other_attributes(changed, others, sizeof(others), &password);
    if (others[0])
        audit_kernel_record(AUDIT_KERNEL_USER_MODIFY, s, others);
    if (password)
        audit_kernel_record(AUDIT_KERNEL_USER_PASSWORD, s, NULL);
    if (was_active != active)
        audit_kernel_record(active ? AUDIT_KERNEL_USER_ENABLE : AUDIT_KERNEL_USER_DISABLE, s,
                            NULL);
}

void audit_kernel_materialized(const struct mat_change *changes, size_t n)
{
    static const enum audit_kernel_kind kind_of[] = {
        [MAT_USER_ADDED] = AUDIT_KERNEL_USER_ADD,
        [MAT_USER_DISABLED] = AUDIT_KERNEL_USER_DISABLE,
        [MAT_USER_ENABLED] = AUDIT_KERNEL_USER_ENABLE,
        [MAT_USER_REMOVED] = AUDIT_KERNEL_USER_DELETE,
    };
    for (size_t i = 0; i < n; i++) {
        const struct audit_kernel_subject s = { changes[i].login, changes[i].uid, changes[i].id,
                                                "fleet" };
        audit_kernel_record(kind_of[changes[i].kind], &s, NULL);
    }
}

void audit_kernel_close(void)
{
    pthread_mutex_lock(&lock);
    if (audit_fd >= 0)
        audit_close(audit_fd);
    audit_fd = -1;
    gave_up = false;
    pthread_mutex_unlock(&lock);
}
