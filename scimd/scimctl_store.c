/* SPDX-License-Identifier: MIT */
#include "scimctl_store.h"

#include <stdio.h>
#include <string.h>

#include "secret_file.h"
#include "store/db_pg.h"
#include "store/store.h"
#include "store/store_copy.h"
#include "store_config.h"

static int store_usage(void)
{
    fprintf(stderr, "usage: scimctl store copy --to postgresql://... [--password-file FILE]\n");
    return 2;
}

/* The same rules as [store] url: a postgresql:// URI without a password, which belongs in
 * --password-file or libpq's environment (a command line is visible in ps). */
static int check_url(const char *url)
{
    char why[256];
    if (strncmp(url, "postgresql://", 13) != 0 && strncmp(url, "postgres://", 11) != 0) {
        fprintf(stderr, "scimctl: --to must be a postgresql:// URL; nothing was copied\n");
        return -1;
    }
    int has = db_pg_conninfo_has_password(url, why, sizeof(why));
    if (has < 0) {
        fprintf(stderr, "scimctl: --to: %s; nothing was copied\n", why);
        return -1;
    }
    if (has > 0) {
        fprintf(stderr, "scimctl: --to must not contain a password: give it with "
                        "--password-file (a root-only file) or PGPASSWORD/PGPASSFILE; nothing "
                        "was copied\n");
        return -1;
    }
    return 0;
}

static void print_counts(const char *from, const char *to, const struct store_copy_counts *n)
{
    printf("copied %s to %s:\n", from, to);
    printf("  users          %lld\n", (long long)n->users);
    printf("  groups         %lld (%lld memberships)\n", (long long)n->groups,
           (long long)n->members);
    printf("  role groups    %lld\n", (long long)n->role_groups);
    printf("  id ledger      %lld (%lld released, never handed out again)\n",
           (long long)n->ids, (long long)n->ids_released);
    printf("  subid ledger   %lld\n", (long long)n->subids);
    printf("  tokens         %lld\n", (long long)n->tokens);
    printf("  hosts          %lld\n", (long long)n->hosts);
    printf("  changes        %lld (the feed continues after sequence %lld)\n",
           (long long)n->changes, (long long)n->seq);
    printf("  meta           %lld\n", (long long)n->meta);
    printf("next: set [store] backend = postgresql, url = %s (and password_file) in scimd.conf,"
           " keep [store] database (the uid guard file lives next to it), start scimd\n", to);
}

static int cmd_copy(const struct scimd_config *cfg, const char *url, const char *password_file)
{
    struct store *src = NULL, *dst = NULL;
    struct store_copy_counts counts;
    struct scim_error e;
    char password[1024] = "", err[1024];
    int ret = 1;
    if (store_config_is_postgresql(cfg)) {
        fprintf(stderr, "scimctl: the configured store is already PostgreSQL (%s): store copy "
                        "reads the SQLite store named by [store] database\n", cfg->store_url);
        goto out;
    }
    if (check_url(url) < 0)
        goto out;
    if (password_file && secret_file_read("--password-file", password_file, password,
                                          sizeof(password), err, sizeof(err)) < 0) {
        fprintf(stderr, "scimctl: %s; nothing was copied\n", err);
        goto out;
    }
    /* A missing file is an error, never a new empty store copied. */
    if (store_config_open_existing(cfg, &src, err, sizeof(err)) < 0) {
        fprintf(stderr, "scimctl: %s; nothing was copied\n", err);
        goto out;
    }
    const struct store_target t = { .pg_url = url, .pg_password = password_file ? password
                                                                                 : NULL };
    if (store_open_target(&dst, &t, false, err, sizeof(err)) < 0) {
        fprintf(stderr, "scimctl: %s; nothing was copied\n", err);
        goto out;
    }
    fprintf(stderr, "scimctl: copying %s (scimd must be stopped: what it commits after the "
                    "copy's snapshot is not copied)\n", cfg->database);
    scim_error_clear(&e);
    if (store_copy(src, dst, &counts, &e) < 0) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        goto out;
    }
    print_counts(cfg->database, url, &counts);
    ret = 0;
out:
    explicit_bzero(password, sizeof(password));
    store_close(dst);
    store_close(src);
    return ret;
}

int scimctl_store(const struct scimd_config *cfg, int argc, char **argv)
{
    const char *url = NULL, *password_file = NULL;
    if (argc < 1 || strcmp(argv[0], "copy") != 0)
        return store_usage();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--to") == 0 && i + 1 < argc && !url)
            url = argv[++i];
        else if (strcmp(argv[i], "--password-file") == 0 && i + 1 < argc && !password_file)
            password_file = argv[++i];
        else
            return store_usage();
    }
    if (!url)
        return store_usage();
    return cmd_copy(cfg, url, password_file);
}
