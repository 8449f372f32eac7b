/* require_group: a host restricted to one IdP role or group. Membership comes from the
 * cache (the user's gid list, its private group, the group's member list); a group the
 * cache does not know may be a local group, looked up through NSS. */
#include "pam_scim.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>

#define GR_BUF_MAX (4 * 1024 * 1024)

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

/* 1 member, 0 not, -ENOENT no such group, other negative: NSS error. */
static int in_local_group(const struct scim_cache_user_view *u, const char *group)
{
    struct group gr, *res = NULL;
    size_t len = 16384;
    char *buf = NULL;
    int rc;

    for (;;) {
        char *nbuf = realloc(buf, len);
        if (!nbuf) {
            rc = -ENOMEM;
            goto out;
        }
        buf = nbuf;
        int e = getgrnam_r(group, &gr, buf, len, &res);
        if (e == ERANGE && len < GR_BUF_MAX) {
            len *= 2;
            continue;
        }
        if (e != 0) {
            rc = -e;
            goto out;
        }
        break;
    }
    if (!res) {
        rc = -ENOENT;
        goto out;
    }
    rc = has_gid(u, (uint32_t)res->gr_gid);
    for (char **m = res->gr_mem; !rc && m && *m; m++)
        rc = strcmp(*m, u->name) == 0;
out:
    free(buf);
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
            rc = in_local_group(&lk->user, group);
            if (rc == -ENOENT) {
                pam_syslog(pamh, LOG_ERR, "require_group=%s: no such group in %s or NSS",
                           group, opts->cache_path);
                rc = 0;
            } else if (rc < 0) {
                pam_syslog(pamh, LOG_ERR, "require_group=%s: group lookup failed: %s", group,
                           strerror(-rc));
            }
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
