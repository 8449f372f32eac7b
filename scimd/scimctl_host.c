/* SPDX-License-Identifier: MIT */
#include "scimctl_host.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "store/feed_repo.h"
#include "store/hosts_repo.h"
#include "store/store.h"
#include "scimctl_common.h"

static void host_usage(void)
{
    fprintf(stderr, "usage: scimctl host add NAME\n"
                    "       scimctl host list [--json]\n"
                    "       scimctl host revoke ID|NAME\n");
}

struct add_ctx {
    const char *name;
    char id[HOST_ID_LEN + 1];
    char bearer[HOST_BEARER_LEN];
    char err[512];
};

static int add_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct add_ctx *c = arg;
    if (hosts_create(db, c->name, c->id, c->bearer, c->err, sizeof(c->err)) < 0)
        return scim_error_set(err, 400, NULL, "%s", c->err);
    return 0;
}

struct revoke_ctx {
    const char *who;
    int result;
};

static int revoke_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct revoke_ctx *c = arg;
    c->result = hosts_revoke(db, c->who);
    if (c->result < 0)
        return store_last_error(db, err, "revoking the host");
    return 0;
}

/* One reported conflict as the list shows it: "user bob (uid 123): local account bob". */
static void print_conflict(const json_t *c)
{
    const char *kind = json_string_value(json_object_get(c, "kind"));
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *id = json_string_value(json_object_get(c, "id"));
    const char *reason = json_string_value(json_object_get(c, "reason"));
    const json_t *num = json_object_get(c, "uid");
    const char *num_name = "uid";
    if (!num) {
        num = json_object_get(c, "gid");
        num_name = "gid";
    }
    printf("    conflict: %s %s", kind ? kind : "?", name ? name : id ? id : "?");
    if (json_is_integer(num))
        printf(" (%s %lld)", num_name, (long long)json_integer_value(num));
    printf("%s%s\n", reason ? ": " : "", reason ? reason : "");
}

struct list_ctx {
    int64_t max_seq;
    json_t *json; /* the array for --json, else NULL */
};

static int list_one(void *arg, const struct host_row *h)
{
    struct list_ctx *c = arg;
    /* The conflicts are what the host reported: shown, never trusted for more than a count. */
    json_t *conflicts = h->conflicts ? json_loads(h->conflicts, 0, NULL) : NULL;
    size_t n = json_is_array(conflicts) ? json_array_size(conflicts) : 0;
    long long lag = c->max_seq > h->seq_reached ? (long long)(c->max_seq - h->seq_reached) : 0;
    int ret = 0;
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:I, s:I, s:O?}", "name", h->name,
                              "id", h->id, "created", h->created, "last_seen", h->last_seen,
                              "revoked", h->revoked, "seq_reached", (json_int_t)h->seq_reached,
                              "lag", (json_int_t)lag, "conflicts",
                              json_is_array(conflicts) ? conflicts : NULL);
        if (!o || json_array_append_new(c->json, o) < 0)
            ret = -1;
        goto out;
    }
    printf("%-20s  %-16s  %-24s  %-24s  %8lld  %6lld  %9zu  %s\n", h->name, h->id, h->created,
           h->last_seen ? h->last_seen : "never", (long long)h->seq_reached, lag, n,
           h->revoked ? "revoked" : "active");
    for (size_t i = 0; i < n; i++)
        print_conflict(json_array_get(conflicts, i));
out:
    json_decref(conflicts);
    return ret;
}

static int list(struct store *st, bool as_json)
{
    struct scim_error e;
    struct list_ctx c = { 0 };
    int ret = 1;
    struct db *db = store_reader_get(st, &e);
    if (!db) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        return 1;
    }
    /* One read transaction: the lag is against the sequence of the same state. */
    if (store_read_begin(db, &e) < 0)
        goto fail_detail;
    if (feed_max_seq(db, &c.max_seq) < 0)
        goto fail;
    if (as_json && !(c.json = json_array()))
        goto fail;
    if (!as_json)
        printf("%-20s  %-16s  %-24s  %-24s  %8s  %6s  %9s  %s\n", "NAME", "ID", "CREATED",
               "LAST_SEEN", "SEQUENCE", "LAG", "CONFLICTS", "STATUS");
    if (hosts_each(db, list_one, &c) != 0)
        goto fail;
    if (as_json) {
        json_t *doc = json_pack("{s:I, s:O}", "max_seq", (json_int_t)c.max_seq, "hosts", c.json);
        if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2)) < 0) {
            json_decref(doc);
            goto fail;
        }
        putchar('\n');
        json_decref(doc);
    }
    ret = 0;
    goto out;
fail:
    store_last_error(db, &e, "listing hosts");
fail_detail:
    fprintf(stderr, "scimctl: cannot list hosts: %s\n", e.detail);
out:
    json_decref(c.json);
    store_reader_put(st, db); /* ends the read transaction */
    return ret;
}

int scimctl_host(const struct scimd_config *cfg, int argc, char **argv)
{
    struct store *st = NULL;
    struct scim_error e;
    int ret = 1;
    const char *verb = argc >= 1 ? argv[0] : "";
    bool add = strcmp(verb, "add") == 0 && argc == 2;
    bool revoke = strcmp(verb, "revoke") == 0 && argc == 2;
    bool as_json = strcmp(verb, "list") == 0 && argc == 2 && strcmp(argv[1], "--json") == 0;
    bool ls = strcmp(verb, "list") == 0 && (argc == 1 || as_json);

    static const char *const verbs[] = { "add", "list", "revoke", NULL };
    if (argc >= 1 && !scimctl_is_one_of(verb, verbs)) {
        scimctl_unknown("host command", verb, verbs);
        host_usage();
        return 2;
    }
    if (!add && !revoke && !ls) {
        host_usage();
        return 2;
    }
    /* Only a new host may be a new store's first state: list and revoke never create one. */
    if (scimctl_open_store(cfg, !add, &st) < 0)
        return 1;
    if (add) {
        struct add_ctx c = { .name = argv[1] };
        if (store_write(st, add_fn, &c, &e) < 0) {
            fprintf(stderr, "scimctl: %s\n", e.detail);
            goto out;
        }
        printf("host: %s\nid: %s\ntoken: %s\n", c.name, c.id, c.bearer);
        fprintf(stderr, "Put the token in the host's [follow] token (or token_file); it is not "
                        "shown again.\n");
    } else if (revoke) {
        struct revoke_ctx c = { .who = argv[1] };
        if (store_write(st, revoke_fn, &c, &e) < 0) {
            fprintf(stderr, "scimctl: %s\n", e.detail);
            goto out;
        }
        if (c.result == 0) {
            fprintf(stderr, "scimctl: no active host with id or name '%s' (see scimctl host "
                            "list)\n", argv[1]);
            goto out;
        }
        printf("revoked host %s\n", argv[1]);
    } else if (list(st, as_json) != 0) {
        goto out;
    }
    ret = 0;
out:
    store_close(st);
    return ret;
}
