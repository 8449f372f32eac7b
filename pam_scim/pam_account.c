/* SPDX-License-Identifier: MIT */
/* Account phase: is this user allowed in right now, according to the IdP? */
#include "pam_scim.h"

#include <stdio.h>
#include <syslog.h>

#include <security/pam_ext.h>

/* "ops" or "one of ops, admins" for the user's message. */
static void group_list(const struct pam_scim_options *opts, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < opts->n_require_group && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%s",
                         i == 0 ? (opts->n_require_group > 1 ? "one of " : "") : ", ",
                         opts->require_group[i]);
        used += n > 0 ? (size_t)n : 0;
    }
}

static int check_active_user(pam_handle_t *pamh, int flags, const struct pam_scim_options *opts,
                             const char *user, const struct pam_scim_lookup *lk)
{
    char why[512];

    if (opts->n_require_group == 0) {
        if (!opts->quiet)
            pam_syslog(pamh, LOG_INFO, "granted %s (uid %u): active SCIM user", user,
                       lk->user.uid);
        return PAM_SUCCESS;
    }
    int rc = pam_scim_group_check(pamh, opts, lk, why, sizeof(why));
    if (rc == 1) {
        if (!opts->quiet)
            pam_syslog(pamh, LOG_INFO, "granted %s (uid %u): active SCIM user, %s", user,
                       lk->user.uid, why);
        return PAM_SUCCESS;
    }
    if (rc == 0) {
        pam_syslog(pamh, LOG_NOTICE, "denied %s (uid %u): require_group: %s", user,
                   lk->user.uid, why);
        char groups[256];
        group_list(opts, groups, sizeof(groups));
        pam_scim_tell_user(pamh, flags, PAM_SCIM_MSG_NOT_IN_GROUP, groups);
    } else {
        pam_syslog(pamh, LOG_ERR, "denied %s (uid %u): require_group membership cannot be "
                   "decided (%s)", user, lk->user.uid, why);
        pam_scim_tell_user(pamh, flags, "%s", PAM_SCIM_MSG_UNAVAILABLE);
    }
    return PAM_PERM_DENIED;
}

PAM_SCIM_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pam_scim_options opts;
    struct pam_scim_lookup lk;
    int ret;
    const char *user = pam_scim_begin(pamh, argc, argv, &opts, &lk, &ret);
    if (!user)
        return ret;

    switch (lk.verdict) {
    case PAM_SCIM_ACTIVE:
        ret = check_active_user(pamh, flags, &opts, user, &lk);
        break;
    case PAM_SCIM_DEACTIVATED:
        pam_syslog(pamh, LOG_NOTICE, "denied %s (uid %u): account deactivated by the "
                   "identity provider", user, lk.user.uid);
        pam_scim_tell_user(pamh, flags, "%s", PAM_SCIM_MSG_DEACTIVATED);
        ret = PAM_ACCT_EXPIRED;
        break;
    case PAM_SCIM_STALE_ID:
        pam_scim_log_unavailable(pamh, &opts, user, &lk);
        pam_scim_tell_user(pamh, flags, "%s", PAM_SCIM_MSG_NOT_PROVISIONED);
        ret = PAM_PERM_DENIED;
        break;
    case PAM_SCIM_UNAVAILABLE_SCIM:
    default:
        pam_scim_log_unavailable(pamh, &opts, user, &lk);
        pam_scim_tell_user(pamh, flags, "%s", PAM_SCIM_MSG_UNAVAILABLE);
        ret = PAM_PERM_DENIED;
        break;
    }
    pam_scim_lookup_done(&lk);
    return ret;
}
