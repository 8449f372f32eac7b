/* SPDX-License-Identifier: MIT */
#include "accounts/host_probe.h"

#include <stdbool.h>
#include <stdio.h>

#include "host_nss.h"

static bool host_checks = true;

void host_probe_set_host_checks(bool on)
{
    host_checks = on;
}

bool host_probe_host_checks(void)
{
    return host_checks;
}

static bool ours(const struct scimd_config *cfg, uint32_t id)
{
    return (id >= cfg->uid_min && id <= cfg->uid_max) || (id >= cfg->gid_min && id <= cfg->gid_max);
}

int identity_check_host(const struct scimd_config *cfg, const char *login, struct scim_error *err)
{
    if (!host_checks)
        return 0;
    uint32_t id = 0;
    int r = host_nss_id(HOST_NSS_PWNAM, login, 0, &id, NULL);
    if (r < 0)
        return scim_error_set(err, 503, NULL,
                              "cannot check whether login name '%s' exists on this host (the name "
                              "service failed); retry later", login);
    if (r == 1 && !ours(cfg, id))
        return scim_error_set(err, 409, "uniqueness",
                              "login name '%s' already belongs to a local account (uid %u) on "
                              "this host; SCIM users never shadow local accounts",
                              login, (unsigned)id);
    r = host_nss_id(HOST_NSS_GRNAM, login, 0, &id, NULL);
    if (r < 0)
        return scim_error_set(err, 503, NULL,
                              "cannot check whether group '%s' exists on this host (the name "
                              "service failed); retry later", login);
    if (r == 1 && !ours(cfg, id))
        return scim_error_set(err, 409, "uniqueness",
                              "login name '%s' is already a local group (gid %u) on this host, "
                              "so it cannot be the user's private group",
                              login, (unsigned)id);
    return 0;
}

int identity_host_group_gid(const char *name, uint32_t *gid)
{
    if (!host_checks)
        return 0;
    return host_nss_id(HOST_NSS_GRNAM, name, 0, gid, NULL);
}

int host_probe_local_group(const struct scimd_config *cfg, const char *name, char *why,
                           size_t whylen, struct scim_error *err)
{
    uint32_t gid = 0;
    int found = identity_host_group_gid(name, &gid);
    if (found < 0)
        return scim_error_set(err, 503, NULL,
                              "cannot check whether group '%s' exists on this host (the name "
                              "service failed); retry later", name);
    if (!found || (gid >= cfg->gid_min && gid <= cfg->gid_max))
        return 0;
    snprintf(why, whylen, "is a local group (gid %u) on this host", (unsigned)gid);
    return 1;
}

int host_probe_id_state(uint32_t id)
{
    if (!host_checks)
        return 0;
    uint32_t unused;
    int pw = host_nss_id(HOST_NSS_PWUID, NULL, id, &unused, NULL);
    if (pw != 0)
        return pw;
    return host_nss_id(HOST_NSS_GRGID, NULL, id, &unused, NULL);
}
