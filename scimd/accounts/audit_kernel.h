/* SPDX-License-Identifier: MIT */
/* Account changes in the Linux audit trail (libaudit): the records useradd, usermod, userdel,
 * groupadd, groupmod and groupdel write, so STIG-style rules and ausearch see scimd's accounts
 * too, though scimd never touches /etc/passwd. Each record carries the SCIM id and the token id
 * (docs/operations.md, "Audit records"). Sent after the commit, never failing the change: a
 * kernel without audit, or a namespace the kernel takes no records from, is noted once at
 * debug level; a sandbox without CAP_AUDIT_WRITE or AF_NETLINK once as a warning.
 * Thread-safe. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum audit_kernel_kind {
    AUDIT_KERNEL_USER_ADD,      /* ADD_USER */
    AUDIT_KERNEL_USER_MODIFY,   /* USER_MGMT: attributes other than active and password */
    AUDIT_KERNEL_USER_PASSWORD, /* USER_CHAUTHTOK */
    AUDIT_KERNEL_USER_DISABLE,  /* ACCT_LOCK: active turned false */
    AUDIT_KERNEL_USER_ENABLE,   /* ACCT_UNLOCK: active turned true */
    AUDIT_KERNEL_USER_DELETE,   /* DEL_USER */
    AUDIT_KERNEL_GROUP_ADD,     /* ADD_GROUP */
    AUDIT_KERNEL_GROUP_MODIFY,  /* GRP_MGMT (members count as an attribute) */
    AUDIT_KERNEL_GROUP_DELETE,  /* DEL_GROUP */
};

struct audit_kernel_subject {
    const char *name;    /* login, or Linux group name (acct=) */
    uint32_t id;         /* uid or gid (id=); 0: none, for a group without a gid */
    const char *scim_id; /* scim_id= */
    const char *token;   /* token=: the SCIM token id, or "scimctl", "retention", "fleet" */
};

/* One record. changed: comma-separated attribute names (changed=), or NULL for none. */
void audit_kernel_record(enum audit_kernel_kind kind, const struct audit_kernel_subject *s,
                         const char *changed);

/* The records one committed user write makes: ADD_USER for a creation (with ACCT_LOCK when it
 * arrives inactive); otherwise ACCT_LOCK or ACCT_UNLOCK when active flipped, USER_CHAUTHTOK when
 * changed names password, and USER_MGMT naming the other changed attributes, if any. */
void audit_kernel_user_written(const struct audit_kernel_subject *s, bool created,
                               bool was_active, bool active, const char *changed);

/* The records of the account changes a follower took from its hub (store/materialize.h),
 * token "fleet": on each host, as the hub records them on its own. */
struct mat_change;
void audit_kernel_materialized(const struct mat_change *changes, size_t n);

/* Writes the message part of a record (op= ... changed=) into buf; values that need it are
 * hex-encoded the way libaudit encodes acct=. 0, or -1 when buf is too small. */
int audit_kernel_format(enum audit_kernel_kind kind, const struct audit_kernel_subject *s,
                        const char *changed, char *buf, size_t buflen);

/* Closes the audit socket and forgets what failed: the next record opens it again. */
void audit_kernel_close(void);
