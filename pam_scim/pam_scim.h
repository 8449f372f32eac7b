/* SPDX-License-Identifier: MIT */
/* pam_scim internals shared by the account and auth entry points. Nothing here is
 * exported from pam_scim.so: the version script keeps only pam_sm_*. */
#ifndef PAM_SCIM_H
#define PAM_SCIM_H

#include <stdbool.h>
#include <stdint.h>

#include <security/pam_modules.h>

#include "scim_cache.h"

/* What the user is told, verbatim (the issue and the docs quote these). */
#define PAM_SCIM_MSG_DEACTIVATED \
    "account deactivated by your identity provider; contact your administrator"
#define PAM_SCIM_MSG_UNAVAILABLE \
    "login unavailable: the account data from your identity provider cannot be read; " \
    "contact your administrator"
#define PAM_SCIM_MSG_NOT_IN_GROUP \
    "access to this host requires membership in group %s; contact your administrator"
#define PAM_SCIM_MSG_NOT_PROVISIONED \
    "account no longer provisioned by your identity provider; contact your administrator"

#define PAM_SCIM_MAX_GROUPS 8

/* Built with -fvisibility=hidden: only the PAM entry points are made visible (and the
 * version script keeps nothing else). */
#define PAM_SCIM_EXPORT __attribute__((visibility("default")))

struct pam_scim_options {
    const char *cache_path;  /* nss.cache (borrowed from argv or a compile-time default) */
    const char *shadow_path; /* shadow.cache */
    uint32_t uid_min, uid_max;
    const char *require_group[PAM_SCIM_MAX_GROUPS]; /* any one of them suffices */
    unsigned n_require_group;
    bool debug;
    bool quiet;
};

/* The PAM user name, or NULL (logged) when there is none or it is not fit to look up or
 * log: empty, longer than PAM_SCIM_NAME_MAX, or holding control characters. Such names
 * are neither SCIM users (scimd allows a-z 0-9 _ . @ + -) nor sane local ones, and an
 * attacker-chosen name must not forge syslog lines. *ret gets the PAM code to return. */
#define PAM_SCIM_NAME_MAX 256
const char *pam_scim_get_user(pam_handle_t *pamh, int *ret);

/* Parses argv; bad or unknown options are logged and ignored (the default stays). */
void pam_scim_options_parse(pam_handle_t *pamh, int argc, const char **argv,
                            struct pam_scim_options *opts);

enum pam_scim_verdict {
    PAM_SCIM_ACTIVE,             /* in the cache, active */
    PAM_SCIM_DEACTIVATED,        /* in the cache, active = false */
    PAM_SCIM_NOT_MANAGED,        /* cache fine, user absent, and not a SCIM uid */
    PAM_SCIM_STALE_ID,           /* cache fine, user absent, but NSS gives a SCIM-range uid */
    PAM_SCIM_UNAVAILABLE_SCIM,   /* cache unusable; user is (or may be) a SCIM user */
    PAM_SCIM_UNAVAILABLE_OTHER,  /* cache unusable; user resolves to a uid outside the range */
    PAM_SCIM_NSS_CANNOT_TELL,    /* cache fine, user absent, NSS failed: refused like STALE_ID */
};

/* The result of looking one user up. While `cache_open`, `user` borrows from `cache`;
 * release with pam_scim_lookup_done. */
struct pam_scim_lookup {
    enum pam_scim_verdict verdict;
    struct scim_cache cache;
    bool cache_open;
    struct scim_cache_user_view user; /* valid for ACTIVE and DEACTIVATED */
    uint32_t nss_uid;                  /* from getpwnam, when has_nss_uid */
    bool has_nss_uid;
    int nss_err;                       /* errno of a failed getpwnam (the host cannot tell) */
    char why[256];                     /* why the cache could not be used, for the log */
};

void pam_scim_lookup(pam_handle_t *pamh, const struct pam_scim_options *opts,
                     const char *user, struct pam_scim_lookup *lk);
void pam_scim_lookup_done(struct pam_scim_lookup *lk);

/* The start every phase shares: options, the user name, the lookup. Returns the user when
 * the phase has a decision to make (release lk with pam_scim_lookup_done); NULL with *ret
 * set when it has none: no fit user name (its PAM code), or a user the module stays out
 * for, PAM_IGNORE (not managed, or an unusable cache and a uid outside the range: logged). */
const char *pam_scim_begin(pam_handle_t *pamh, int argc, const char **argv,
                           struct pam_scim_options *opts, struct pam_scim_lookup *lk, int *ret);

/* Logs (always) why a user is refused or let through while the cache is unusable. */
void pam_scim_log_unavailable(pam_handle_t *pamh, const struct pam_scim_options *opts,
                              const char *user, const struct pam_scim_lookup *lk);

/* require_group: 1 if the user belongs to one of the groups, 0 if not, -1 when membership
 * cannot be decided (corrupt record); `why` names the groups checked / the problem. */
int pam_scim_group_check(pam_handle_t *pamh, const struct pam_scim_options *opts,
                         const struct pam_scim_lookup *lk, char *why, size_t whylen);

/* Verifies a password against a yescrypt hash with crypt_r and a constant-time compare.
 * 1 match, 0 mismatch, -1 the hash could not be used. */
int pam_scim_password_matches(const char *password, const char *hash);

/* A user-visible message unless the application asked for silence. */
void pam_scim_tell_user(pam_handle_t *pamh, int flags, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
