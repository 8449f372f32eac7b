/* SPDX-License-Identifier: MIT */
#include "accounts/login_names.h"

#include <errno.h>

#include "accounts/linux_names.h"
#include "scim_names.h"

int identity_login_name(const struct scimd_config *cfg, const char *user_name,
                        char out[LOGIN_NAME_BUF], struct scim_error *err)
{
    const char *why = NULL;
    enum scim_login_rule rule =
        cfg->login_name == LOGIN_NAME_LOCALPART ? SCIM_LOGIN_LOCALPART : SCIM_LOGIN_USERNAME;
    int r = scim_name_login_from_username(user_name, rule, cfg->max_name_length, out,
                                          LOGIN_NAME_BUF, &why);
    if (r == -ERANGE)
        return scim_error_set(err, 400, "invalidValue",
                              "userName '%.128s...' does not give a valid Linux login name: name "
                              "too long (at most %u bytes)", user_name, cfg->max_name_length);
    if (r < 0)
        return scim_error_set(err, 400, "invalidValue",
                              "userName '%.128s' does not give a valid Linux login name: %s",
                              user_name, why ? why : "name too long");
    const char *reserved = linux_name_reserved(cfg, out);
    if (reserved)
        return scim_error_set(err, 400, "invalidValue",
                              "userName '%.128s' maps to login name '%s', which is %s", user_name,
                              out, reserved);
    return 0;
}
