/* SPDX-License-Identifier: MIT */
/* The user name the application gave PAM, checked before it reaches a lookup or the log. */
#include "pam_scim.h"

#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

const char *pam_scim_get_user(pam_handle_t *pamh, int *ret)
{
    const char *user = NULL;
    *ret = pam_get_user(pamh, &user, NULL);
    if (*ret != PAM_SUCCESS || !user) {
        pam_syslog(pamh, LOG_ERR, "cannot determine the user name");
        if (*ret == PAM_SUCCESS)
            *ret = PAM_USER_UNKNOWN;
        return NULL;
    }
    size_t len = strnlen(user, PAM_SCIM_NAME_MAX + 1);
    const char *problem = NULL;
    if (len == 0)
        problem = "empty";
    else if (len > PAM_SCIM_NAME_MAX)
        problem = "longer than 256 bytes";
    for (size_t i = 0; !problem && i < len; i++) {
        unsigned char ch = (unsigned char)user[i];
        if (ch < 0x20 || ch == 0x7f)
            problem = "control characters";
    }
    if (problem) {
        pam_syslog(pamh, LOG_ERR, "refusing a user name that is not fit to look up or log "
                   "(%s)", problem);
        *ret = PAM_USER_UNKNOWN;
        return NULL;
    }
    return user;
}
