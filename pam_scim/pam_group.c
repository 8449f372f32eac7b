/* SPDX-License-Identifier: MIT */
/* require_group: a host restricted to one IdP role or group. Membership comes from the
 * cache (the user's gid list, its private group, the group's member list); a group the
 * cache does not know may be a local group, looked up through NSS. */
#include "pam_scim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "host_nss.h"

static bool has_gid(const struct scim_cache_user_view *u, uint32_t gid)
{
    if (u->gid == gid)
        return true;
    for (uint32_t i = 0; i < u->n_gids; i++)
        if (u->gids[i] == gid)
            return true;
    return false;
}

struct member_search {
    const char *name;
    size_t len;
    bool found;
};

/* Never stops early: the list's checksum is verified only after its last member. */
static int member_matches(void *ctx, const char *name, uint32_t len)
{
    struct member_search *s = ctx;
    if (len == s->len && memcmp(name, s->name, len) == 0)
        s->found = true;
    return 0;
}

/* 1 member, 0 not, -1 corrupt member list. */
static int in_cache_group(const struct scim_cache *c, const struct scim_cache_user_view *u,
                          const struct scim_cache_group_view *g)
{
    if (has_gid(u, g->gid))
        return 1;
    struct member_search s = {.name = u->name, .len = u->name_len, .found = false};
    if (scim_cache_group_members(c, g, member_matches, &s) != 0)
        return -1;
    return s.found;
}

/* 1 member, 0 not a member, -1 the host cannot tell (*nss_err set; host_nss.h: any NSS failure,
 * ENOENT from an LDAP module included, is never "no such group"); *missing when the host
 * positively has no such group. */
static int in_local_group(const struct scim_cache_user_view *u, const char *group,
                          bool *missing, int *nss_err)
{
    struct host_nss_entry e;
    enum host_nss_answer ans = host_nss_lookup(HOST_NSS_GRNAM, group, 0, &e, nss_err);
    *missing = ans == HOST_NSS_NOT_FOUND;
    if (ans != HOST_NSS_FOUND)
        return *missing ? 0 : -1;
    int rc = has_gid(u, (uint32_t)e.gr.gr_gid);
    for (char **m = e.gr.gr_mem; !rc && m && *m; m++)
        rc = strcmp(*m, u->name) == 0;
    host_nss_entry_free(&e);
    return rc;
}

int pam_scim_group_check(pam_handle_t *pamh, const struct pam_scim_options *opts,
                         const struct pam_scim_lookup *lk, char *why, size_t whylen)
{
    int undecided = 0;
    size_t used = 0;

    why[0] = '\0';
    for (unsigned i = 0; i < opts->n_require_group; i++) {
        const char *group = opts->require_group[i];
        struct scim_cache_group_view g;
        int rc = scim_cache_group_by_name(&lk->cache, group, &g);
        if (rc == 0) {
            rc = in_cache_group(&lk->cache, &lk->user, &g);
            if (rc < 0)
                pam_syslog(pamh, LOG_ERR, "require_group=%s: member list of the group is "
                           "corrupt in %s", group, opts->cache_path);
        } else if (rc == -ENOENT) {
            bool missing = false;
            int nss_err = 0;
            rc = in_local_group(&lk->user, group, &missing, &nss_err);
            if (missing)
                pam_syslog(pamh, LOG_ERR, "require_group=%s: no such group in %s or NSS",
                           group, opts->cache_path);
            else if (rc < 0)
                pam_syslog(pamh, LOG_ERR, "require_group=%s: the host's name service cannot "
                           "tell (getgrnam failed: %s)", group, strerror(nss_err));
        } else {
            pam_syslog(pamh, LOG_ERR, "require_group=%s: group record is corrupt in %s",
                       group, opts->cache_path);
            rc = -1;
        }
        if (rc == 1) {
            snprintf(why, whylen, "member of %s", group);
            return 1;
        }
        if (rc < 0)
            undecided = 1;
        if (used < whylen) {
            int n = snprintf(why + used, whylen - used, "%s%s", i ? ", " : "not a member of ",
                             group);
            used += n > 0 ? (size_t)n : 0;
        }
    }
    return undecided ? -1 : 0;
}
