/* SPDX-License-Identifier: MIT */
/* Classifies a login name against nss.cache, and decides what to do when the cache
 * cannot be used.
 *
 * Fail closed without knowing who is a SCIM user: the module asks NSS for the name's uid
 * (getpwnam_r). NSS may itself be broken, since nss_scim reads the same unusable cache, so:
 *   - the name resolves to a uid inside uid_min..uid_max  -> a SCIM user: refuse;
 *   - the name resolves to a uid outside the range        -> not ours: ignore (logged);
 *   - the name does not resolve, or NSS cannot tell       -> refuse. Every login path
 *     (sshd, login, su) needs the passwd entry anyway, so a name nothing resolves cannot
 *     log in whatever we answer; refusing it costs nothing and covers SCIM users whose
 *     entries vanished with the cache.
 * With a usable cache that lacks the name, a uid in the SCIM range means a deleted or
 * renamed SCIM user still visible through a stale name service cache (nscd, sssd): also
 * refused, and so is a name the host's NSS cannot tell about (host_nss.h: any failure, ENOENT
 * from an LDAP module included, is "cannot tell", never "unknown"). Local users never have
 * uids in the range (scimd refuses to start if they do). */
#include "pam_scim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "host_nss.h"

static bool in_range(const struct pam_scim_options *opts, uint32_t uid)
{
    return uid >= opts->uid_min && uid <= opts->uid_max;
}

/* The cache is unusable: decide by the uid NSS gives, refusing what cannot be resolved. */
static void classify_without_cache(const struct pam_scim_options *opts, const char *user,
                                   struct pam_scim_lookup *lk)
{
    int err = 0;
    int rc = host_nss_id(HOST_NSS_PWNAM, user, 0, &lk->nss_uid, &err);
    lk->has_nss_uid = rc == 1;
    lk->nss_err = rc < 0 ? err : 0;
    if (rc == 1 && !in_range(opts, lk->nss_uid))
        lk->verdict = PAM_SCIM_UNAVAILABLE_OTHER;
    else
        lk->verdict = PAM_SCIM_UNAVAILABLE_SCIM;
    if (rc < 0) {
        size_t n = strlen(lk->why);
        snprintf(lk->why + n, sizeof(lk->why) - n, "; getpwnam failed: %s", strerror(err));
    }
}

void pam_scim_lookup(pam_handle_t *pamh, const struct pam_scim_options *opts,
                     const char *user, struct pam_scim_lookup *lk)
{
    memset(lk, 0, sizeof(*lk));

    char err[200] = "";
    int rc = scim_cache_open(&lk->cache, opts->cache_path, SCIM_CACHE_FILE_NSS, 0, err,
                             sizeof(err));
    if (rc < 0) {
        /* The library's message names the path for some errors only: name it once. */
        const char *detail = err[0] ? err : strerror(-rc);
        size_t plen = strlen(opts->cache_path);
        if (strncmp(detail, opts->cache_path, plen) == 0 && detail[plen] == ':')
            snprintf(lk->why, sizeof(lk->why), "%s", detail);
        else
            snprintf(lk->why, sizeof(lk->why), "%s: %s", opts->cache_path, detail);
        classify_without_cache(opts, user, lk);
        return;
    }
    lk->cache_open = true;

    rc = scim_cache_user_by_name(&lk->cache, user, &lk->user);
    if (rc == 0) {
        lk->verdict = lk->user.active ? PAM_SCIM_ACTIVE : PAM_SCIM_DEACTIVATED;
        if (opts->debug)
            pam_syslog(pamh, LOG_DEBUG, "%s: uid %u, %s (cache %s, generation %llu)", user,
                       lk->user.uid, lk->user.active ? "active" : "deactivated",
                       opts->cache_path,
                       (unsigned long long)scim_cache_generation(&lk->cache));
        return;
    }
    if (rc != -ENOENT) {
        snprintf(lk->why, sizeof(lk->why), "%s: record of user %s is corrupt (%s)",
                 opts->cache_path, user, strerror(-rc));
        scim_cache_close(&lk->cache);
        lk->cache_open = false;
        classify_without_cache(opts, user, lk);
        return;
    }

    int nss_err = 0;
    rc = host_nss_id(HOST_NSS_PWNAM, user, 0, &lk->nss_uid, &nss_err);
    lk->has_nss_uid = rc == 1;
    if (rc < 0) {
        /* The cache does not know the name and the host cannot say whose it is: it may be a
         * SCIM uid a name service cache still holds. A name nothing resolves cannot log in
         * anyway, so refusing costs nothing. */
        lk->nss_err = nss_err;
        lk->verdict = PAM_SCIM_NSS_CANNOT_TELL;
        return;
    }
    if (lk->has_nss_uid && in_range(opts, lk->nss_uid))
        lk->verdict = PAM_SCIM_STALE_ID;
    else
        lk->verdict = PAM_SCIM_NOT_MANAGED;
    if (opts->debug)
        pam_syslog(pamh, LOG_DEBUG, "%s: not in %s%s", user, opts->cache_path,
                   lk->verdict == PAM_SCIM_STALE_ID ? " but its uid is in the SCIM range"
                                                    : ": not managed by scimd");
}

void pam_scim_lookup_done(struct pam_scim_lookup *lk)
{
    if (lk->cache_open)
        scim_cache_close(&lk->cache);
    lk->cache_open = false;
}

const char *pam_scim_begin(pam_handle_t *pamh, int argc, const char **argv,
                           struct pam_scim_options *opts, struct pam_scim_lookup *lk, int *ret)
{
    pam_scim_options_parse(pamh, argc, argv, opts);
    const char *user = pam_scim_get_user(pamh, ret);
    if (!user)
        return NULL;
    pam_scim_lookup(pamh, opts, user, lk);
    if (lk->verdict != PAM_SCIM_NOT_MANAGED && lk->verdict != PAM_SCIM_UNAVAILABLE_OTHER)
        return user;
    if (lk->verdict == PAM_SCIM_UNAVAILABLE_OTHER)
        pam_scim_log_unavailable(pamh, opts, user, lk);
    pam_scim_lookup_done(lk);
    *ret = PAM_IGNORE;
    return NULL;
}

void pam_scim_log_unavailable(pam_handle_t *pamh, const struct pam_scim_options *opts,
                              const char *user, const struct pam_scim_lookup *lk)
{
    switch (lk->verdict) {
    case PAM_SCIM_UNAVAILABLE_SCIM:
        if (lk->has_nss_uid)
            pam_syslog(pamh, LOG_ERR, "denying %s (uid %u, in the SCIM range %u-%u): "
                       "cache unusable: %s", user, lk->nss_uid, opts->uid_min, opts->uid_max,
                       lk->why);
        else if (lk->nss_err)
            pam_syslog(pamh, LOG_ERR, "denying %s (the host's name service cannot tell its "
                       "uid, may be a SCIM user): cache unusable: %s", user, lk->why);
        else
            pam_syslog(pamh, LOG_ERR, "denying %s (name not resolvable, may be a SCIM user): "
                       "cache unusable: %s", user, lk->why);
        break;
    case PAM_SCIM_NSS_CANNOT_TELL:
        pam_syslog(pamh, LOG_ERR, "denying %s: not in %s, and the host's name service cannot "
                   "tell its uid (getpwnam failed: %s), so it may be a SCIM user", user,
                   opts->cache_path, strerror(lk->nss_err));
        break;
    case PAM_SCIM_UNAVAILABLE_OTHER:
        pam_syslog(pamh, LOG_WARNING, "ignoring %s (uid %u, outside the SCIM range %u-%u): "
                   "cache unusable: %s", user, lk->nss_uid, opts->uid_min, opts->uid_max,
                   lk->why);
        break;
    case PAM_SCIM_STALE_ID:
        pam_syslog(pamh, LOG_ERR, "denying %s (uid %u, in the SCIM range %u-%u): not in %s "
                   "(deleted or renamed SCIM user still known to a name service cache?)",
                   user, lk->nss_uid, opts->uid_min, opts->uid_max, opts->cache_path);
        break;
    default:
        break;
    }
}
