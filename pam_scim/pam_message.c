/* SPDX-License-Identifier: MIT */
/* Messages for the person logging in, through the application's conversation function
 * (sshd relays an account-phase PAM_ERROR_MSG to the client as a banner). */
#include "pam_scim.h"

#include <stdarg.h>

#include <security/pam_ext.h>

void pam_scim_tell_user(pam_handle_t *pamh, int flags, const char *fmt, ...)
{
    va_list ap;
    if (flags & PAM_SILENT)
        return;
    va_start(ap, fmt);
    pam_verror(pamh, fmt, ap);
    va_end(ap);
}
