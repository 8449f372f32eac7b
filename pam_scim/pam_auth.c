/* SPDX-License-Identifier: MIT */
/* Auth phase: the password the IdP synced (a yescrypt hash in shadow.cache).
 *
 * Returns: PAM_SUCCESS for the right password of an active SCIM user; PAM_AUTH_ERR for a
 * wrong one, for a deactivated user (never prompted, never authenticated) and when the
 * caches are unusable for a SCIM user (fail closed); PAM_AUTHINFO_UNAVAIL for a SCIM user
 * without a synced password or when shadow.cache is not readable by this process (so
 * key-based logins and other auth modules carry on); PAM_IGNORE for users scimd does not
 * manage. */
#include "pam_scim.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#define SETCRED_DATA "pam_scim_auth_result"

static void cleanup_result(pam_handle_t *pamh, void *data, int error_status)
{
    (void)pamh;
    (void)data;
    (void)error_status;
}

/* Remembers the outcome for pam_sm_setcred (an int cast to a pointer: nothing to free). */
static int remember(pam_handle_t *pamh, int ret)
{
    pam_set_data(pamh, SETCRED_DATA, (void *)(intptr_t)(ret + 1), cleanup_result);
    return ret;
}

static int verify_password(pam_handle_t *pamh, const struct pam_scim_options *opts,
                           const char *user, const struct pam_scim_lookup *lk)
{
    struct scim_cache shadow;
    struct scim_cache_shadow_view sv;
    char err[256] = "";
    const char *password = NULL;
    bool shadow_open = false;
    int ret;

    int rc = scim_cache_open(&shadow, opts->shadow_path, SCIM_CACHE_FILE_SHADOW, 0, err,
                             sizeof(err));
    if (rc == -EACCES) {
        /* An unprivileged caller (a screen locker): leave it to pam_unix's helper. */
        if (opts->debug)
            pam_syslog(pamh, LOG_DEBUG, "%s: cannot read %s", user, opts->shadow_path);
        ret = PAM_AUTHINFO_UNAVAIL;
        goto out;
    }
    if (rc < 0) {
        pam_syslog(pamh, LOG_ERR, "authentication of %s (uid %u) refused: shadow cache "
                   "unusable: %s", user, lk->user.uid, err[0] ? err : strerror(-rc));
        ret = PAM_AUTH_ERR;
        goto out;
    }
    shadow_open = true;

    rc = scim_cache_shadow_by_name(&shadow, user, &sv);
    if (rc == -ENOENT) {
        /* nss.cache and shadow.cache are renamed one after the other: a brand-new user
         * may briefly be missing here. No hash known, so nothing to verify. */
        ret = PAM_AUTHINFO_UNAVAIL;
        goto out;
    }
    if (rc < 0) {
        pam_syslog(pamh, LOG_ERR, "authentication of %s refused: shadow record corrupt in %s",
                   user, opts->shadow_path);
        ret = PAM_AUTH_ERR;
        goto out;
    }
    if (!sv.active) {
        pam_syslog(pamh, LOG_NOTICE, "authentication of %s refused: account deactivated by "
                   "the identity provider", user);
        ret = PAM_AUTH_ERR;
        goto out;
    }
    if (strncmp(sv.passwd, "$y$", 3) != 0) {
        if (opts->debug)
            pam_syslog(pamh, LOG_DEBUG, "%s: no password synced from the identity provider",
                       user);
        ret = PAM_AUTHINFO_UNAVAIL;
        goto out;
    }

    ret = pam_get_authtok(pamh, PAM_AUTHTOK, &password, NULL);
    if (ret != PAM_SUCCESS) {
        if (ret != PAM_CONV_AGAIN)
            pam_syslog(pamh, LOG_ERR, "cannot get the password of %s: %s", user,
                       pam_strerror(pamh, ret));
        goto out;
    }
    rc = pam_scim_password_matches(password, sv.passwd);
    if (rc == 1) {
        if (!opts->quiet)
            pam_syslog(pamh, LOG_INFO, "authenticated %s (uid %u) with the password synced "
                       "from the identity provider", user, lk->user.uid);
        ret = PAM_SUCCESS;
    } else if (rc == 0) {
        pam_syslog(pamh, LOG_NOTICE, "authentication failure for %s (uid %u): wrong password",
                   user, lk->user.uid);
        ret = PAM_AUTH_ERR;
    } else {
        pam_syslog(pamh, LOG_ERR, "authentication of %s refused: the stored hash cannot be "
                   "used", user);
        ret = PAM_AUTH_ERR;
    }
out:
    if (shadow_open)
        scim_cache_close(&shadow);
    return ret;
}

PAM_SCIM_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    struct pam_scim_options opts;
    struct pam_scim_lookup lk;
    int ret;

    (void)flags;
    const char *user = pam_scim_begin(pamh, argc, argv, &opts, &lk, &ret);
    if (!user)
        return remember(pamh, ret);

    switch (lk.verdict) {
    case PAM_SCIM_ACTIVE:
        ret = verify_password(pamh, &opts, user, &lk);
        break;
    case PAM_SCIM_DEACTIVATED:
        pam_syslog(pamh, LOG_NOTICE, "authentication of %s (uid %u) refused: account "
                   "deactivated by the identity provider", user, lk.user.uid);
        ret = PAM_AUTH_ERR;
        break;
    case PAM_SCIM_STALE_ID:
    case PAM_SCIM_UNAVAILABLE_SCIM:
    default:
        pam_scim_log_unavailable(pamh, &opts, user, &lk);
        ret = PAM_AUTH_ERR;
        break;
    }
    pam_scim_lookup_done(&lk);
    return remember(pamh, ret);
}

PAM_SCIM_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    const void *data = NULL;
    (void)flags;
    (void)argc;
    (void)argv;
    /* No credentials of our own: succeed where we authenticated, stay out where our
     * authenticate did not succeed. sshd runs keyboard-interactive authentication in a
     * child process, so the handle that calls setcred may carry no record at all: then
     * succeed, as there is nothing to establish (pam_unix does the same). */
    if (pam_get_data(pamh, SETCRED_DATA, &data) != PAM_SUCCESS)
        return PAM_SUCCESS;
    return (intptr_t)data - 1 == PAM_SUCCESS ? PAM_SUCCESS : PAM_IGNORE;
}
