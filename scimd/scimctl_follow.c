/* SPDX-License-Identifier: MIT */
#include "scimctl_follow.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "scimctl_common.h"
#include "store/materialize.h"
#include "store/store.h"

static void follow_usage(FILE *out)
{
    fprintf(out, "usage: scimctl follow resync\n"
                 "  On a follower ([follow] hub set): forget the hub sequence this host holds,\n"
                 "  so that scimd takes the hub's snapshot at its next request (still checked\n"
                 "  against [follow] hub_keys and the pinned feed id) and replaces this host's\n"
                 "  accounts with it, even when it is older than what the host held. Running or\n"
                 "  stopped; a running follower that retries after a 409 takes it at its next\n"
                 "  try (restart scimd to take it now).\n");
}

struct forget_ctx {
    int64_t seq; /* the sequence forgotten, -1 when there was none */
};

/* Read and delete in one write. A running follower that applies a change set after it
 * records that set's sequence again: the command is for a follower the hub refuses (409),
 * which applies nothing, or a stopped one. */
static int forget_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct forget_ctx *c = arg;
    char feed[33];
    if (materialize_state(db, &c->seq, feed) < 0)
        return scim_error_set(err, 500, NULL, "cannot read this host's follow state");
    if (c->seq < 0)
        return 0;
    return materialize_forget_seq(db, err);
}

int scimctl_follow(const struct scimd_config *cfg, int argc, char **argv)
{
    static const char *const verbs[] = { "resync", NULL };
    struct store *st = NULL;
    struct scim_error e;
    int ret = 1;
    if (argc == 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        follow_usage(stdout);
        return 0;
    }
    if (argc >= 1 && !scimctl_is_one_of(argv[0], verbs)) {
        scimctl_unknown("follow command", argv[0], verbs);
        follow_usage(stderr);
        return 2;
    }
    if (argc != 1) {
        follow_usage(stderr);
        return 2;
    }
    if (!cfg->follow_hub) {
        fprintf(stderr, "scimctl: follow resync: this host is not a follower ([follow] hub is "
                        "not set); nothing changed\n");
        return 1;
    }
    if (scimctl_open_store(cfg, true, &st) < 0)
        goto out;
    struct forget_ctx c = { -1 };
    if (store_write(st, forget_fn, &c, &e) < 0) {
        fprintf(stderr, "scimctl: %s\n", e.detail);
        goto out;
    }
    if (c.seq < 0)
        printf("this host holds no hub sequence: scimd takes the hub's snapshot at its next "
               "request\n");
    else
        printf("forgot sequence %" PRId64 ": scimd takes the hub's snapshot at its next "
               "request and replaces this host's accounts with it (restart scimd to take it "
               "now)\n", c.seq);
    ret = 0;
out:
    store_close(st);
    return ret;
}
