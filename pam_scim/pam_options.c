/* SPDX-License-Identifier: MIT */
/* Module arguments. PAM convention: an option the module does not understand is logged
 * and ignored, so a typo never locks everyone out; a bad value keeps the default. */
#include "pam_scim.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "config.h"

static bool parse_id(const char *s, uint32_t *out)
{
    char *end = NULL;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > UINT32_MAX - 1)
        return false;
    *out = (uint32_t)v;
    return true;
}

static const char *value_of(const char *arg, const char *key)
{
    size_t n = strlen(key);
    return strncmp(arg, key, n) == 0 ? arg + n : NULL;
}

static void set_path(pam_handle_t *pamh, const char *arg, const char *value, const char **dst)
{
    if (value[0] != '/') {
        pam_syslog(pamh, LOG_ERR, "option '%s' ignored: the path must be absolute", arg);
        return;
    }
    *dst = value;
}

void pam_scim_options_parse(pam_handle_t *pamh, int argc, const char **argv,
                            struct pam_scim_options *opts)
{
    uint32_t uid_min = SCIMD_DEFAULT_UID_MIN, uid_max = SCIMD_DEFAULT_UID_MAX;
    const char *v;

    memset(opts, 0, sizeof(*opts));
    opts->cache_path = SCIMD_NSS_CACHE_PATH;
    opts->shadow_path = SCIMD_SHADOW_CACHE_PATH;

    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "debug") == 0) {
            opts->debug = true;
        } else if (strcmp(arg, "quiet") == 0) {
            opts->quiet = true;
        } else if (strcmp(arg, "try_first_pass") == 0 || strcmp(arg, "use_first_pass") == 0) {
            /* read by pam_get_authtok() itself */
        } else if ((v = value_of(arg, "cache="))) {
            set_path(pamh, arg, v, &opts->cache_path);
        } else if ((v = value_of(arg, "shadow="))) {
            set_path(pamh, arg, v, &opts->shadow_path);
        } else if ((v = value_of(arg, "uid_min="))) {
            if (!parse_id(v, &uid_min) || uid_min < 1000) {
                pam_syslog(pamh, LOG_ERR, "option '%s' ignored: need a uid from 1000 to %u",
                           arg, UINT32_MAX - 1);
                uid_min = SCIMD_DEFAULT_UID_MIN;
            }
        } else if ((v = value_of(arg, "uid_max="))) {
            if (!parse_id(v, &uid_max) || uid_max < 1000) {
                pam_syslog(pamh, LOG_ERR, "option '%s' ignored: need a uid from 1000 to %u",
                           arg, UINT32_MAX - 1);
                uid_max = SCIMD_DEFAULT_UID_MAX;
            }
        } else if ((v = value_of(arg, "require_group="))) {
            if (*v == '\0')
                pam_syslog(pamh, LOG_ERR, "option '%s' ignored: empty group name", arg);
            else if (opts->n_require_group == PAM_SCIM_MAX_GROUPS)
                pam_syslog(pamh, LOG_ERR, "option '%s' ignored: at most %d require_group options",
                           arg, PAM_SCIM_MAX_GROUPS);
            else
                opts->require_group[opts->n_require_group++] = v;
        } else {
            pam_syslog(pamh, LOG_ERR, "unknown option '%s' ignored", arg);
        }
    }

    if (uid_min > uid_max) {
        pam_syslog(pamh, LOG_ERR, "uid_min=%u is above uid_max=%u: using the default range %u-%u",
                   uid_min, uid_max, SCIMD_DEFAULT_UID_MIN, SCIMD_DEFAULT_UID_MAX);
        uid_min = SCIMD_DEFAULT_UID_MIN;
        uid_max = SCIMD_DEFAULT_UID_MAX;
    }
    opts->uid_min = uid_min;
    opts->uid_max = uid_max;
}
