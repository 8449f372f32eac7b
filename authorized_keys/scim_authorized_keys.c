/* SPDX-License-Identifier: MIT */
/* scim-authorized-keys USER [UID]: sshd's AuthorizedKeysCommand (%u %U). sshd runs it on every
 * key login, so it is small and libc only (the cache reader and host NSS lookups of common/),
 * the way SSSD ships sss_ssh_authorizedkeys beside its daemon: no SQLite, jansson or store,
 * and no scimd.conf. It reads the cache nss_scim reads (the compiled-in path, or
 * SCIM_NSS_CACHE as nss_scim honours it), which is the only cache the host's NSS can resolve
 * the user from anyway. `scimctl authorized-keys` runs the same code. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "authorized_keys.h"
#include "config.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: scim-authorized-keys USER [UID]\n"
            "\n"
            "Print USER's SSH keys if USER is an active SCIM user the host's NSS resolves to\n"
            "its SCIM uid (and UID, sshd's %%U, is that uid). For sshd_config:\n"
            "  AuthorizedKeysCommand %s/scim-authorized-keys %%u %%U\n"
            "  AuthorizedKeysCommandUser nobody\n"
            "\n"
            "Options:\n"
            "  -h, --help     show this help\n"
            "  -V, --version  show the version\n",
            SCIMD_BINDIR);
}

/* The path nss_scim reads: an absolute SCIM_NSS_CACHE (tests) or the compiled-in one. */
static const char *cache_path(void)
{
    const char *p = secure_getenv("SCIM_NSS_CACHE");
    return p && p[0] == '/' ? p : SCIMD_NSS_CACHE_PATH;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("scim-authorized-keys %s\n", SCIMD_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    return scim_authorized_keys("scim-authorized-keys", cache_path(), argc - optind,
                                argv + optind);
}
