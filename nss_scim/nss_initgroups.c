/* SPDX-License-Identifier: MIT */
/* initgroups_dyn: the user's own gid list from the cache; groups are never scanned.
 * glibc passes the primary gid of the account it resolved for the name. A SCIM user's is its
 * private group (gid = uid); any other gid means the name belongs to someone else (a local,
 * sssd or LDAP account of the same name earlier in nsswitch.conf), which gets none of the SCIM
 * user's groups (a mapped sudo among them). (gid_t)-1 names no account: getent initgroups
 * passes it to list a name's groups, and login programs never do (they pass pw_gid). */
#include <errno.h>
#include <stdlib.h>

#include "nss_buffer.h"
#include "nss_entry.h"
#include "nss_scim.h"
#include "nss_source.h"

static bool already_listed(const gid_t *groups, long int n, gid_t gid)
{
    for (long int i = 0; i < n; i++)
        if (groups[i] == gid)
            return true;
    return false;
}

/* Appends gid, growing the array as glibc expects (doubling, capped at limit when > 0).
 * Returns false when the limit is reached (not an error) or on ENOMEM (*oom set). */
static bool append_gid(gid_t gid, long int *start, long int *size, gid_t **groupsp,
                       long int limit, bool *oom)
{
    if (*start == *size) {
        if (limit > 0 && *size >= limit)
            return false;
        long int newsize = *size > 0 ? 2 * *size : 16;
        if (limit > 0 && newsize > limit)
            newsize = limit;
        gid_t *grown = realloc(*groupsp, (size_t)newsize * sizeof(gid_t));
        if (!grown) {
            *oom = true;
            return false;
        }
        *groupsp = grown;
        *size = newsize;
    }
    (*groupsp)[(*start)++] = gid;
    return true;
}

enum nss_status _nss_scim_initgroups_dyn(const char *user, gid_t group, long int *start,
                                         long int *size, gid_t **groupsp, long int limit,
                                         int *errnop)
{
    struct nss_entry e;
    struct scim_cache_user_view u;
    bool oom = false;
    enum nss_status st = nss_entry_begin(&e, &nss_scim_nss_source, errnop);
    if (st == NSS_STATUS_SUCCESS)
        st = nss_status_of(scim_cache_user_by_name(nss_entry_cache(&e), user, &u), errnop);
    if (st == NSS_STATUS_SUCCESS && group != (gid_t)-1 && u.gid != group)
        st = NSS_STATUS_NOTFOUND;
    for (uint32_t i = 0; st == NSS_STATUS_SUCCESS && i < u.n_gids; i++) {
        gid_t gid = u.gids[i];
        if (gid == group || already_listed(*groupsp, *start, gid))
            continue;
        if (!append_gid(gid, start, size, groupsp, limit, &oom))
            break;
    }
    if (oom) {
        *errnop = ENOMEM;
        st = NSS_STATUS_TRYAGAIN;
    }
    return nss_entry_end(&e, st);
}
