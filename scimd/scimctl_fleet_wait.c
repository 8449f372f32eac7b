/* SPDX-License-Identifier: MIT */
#include "scimctl_fleet_wait.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleet/fleet_status.h"
#include "store/store.h"
#include "store_config.h"

#define POLL_MS 200

static bool parse_u(const char *s, int64_t max, int64_t *out)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

static void name_laggard(void *arg, const struct host_row *h)
{
    (void)arg;
    fprintf(stderr, "  %s (%s): reached %" PRId64 ", last seen %s\n", h->name, h->id,
            h->seq_reached, h->last_seen);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int scimctl_fleet_wait(const struct scimd_config *cfg, int argc, char **argv)
{
    int64_t seq = 0, timeout = 60;
    struct store *st = NULL;
    struct scim_error e;
    struct fleet_status fs;
    char err[1024];
    int ret = 1;

    if (!(argc == 1 || (argc == 3 && strcmp(argv[1], "--timeout") == 0)) ||
        !parse_u(argv[0], INT64_MAX, &seq) ||
        (argc == 3 && !parse_u(argv[2], 86400, &timeout))) {
        fprintf(stderr, "usage: scimctl fleet wait SEQ [--timeout SECONDS]  (SEQ >= 0, "
                        "timeout 0..86400, default 60)\n");
        return 2;
    }
    if (store_config_open(cfg, &st, false, err, sizeof(err)) < 0) {
        fprintf(stderr, "scimctl: %s\n", err);
        return 1;
    }
    double deadline = now_s() + (double)timeout;
    for (;;) {
        struct db *db = store_reader_get(st, &e);
        int rc = db ? fleet_status_read(db, time(NULL), seq, &fs, NULL, NULL) : -1;
        if (rc == 0 && fs.lagging == 0) {
            store_reader_put(st, db);
            printf("every host seen in the last %d minutes has reached %" PRId64 " (%lld "
                   "current, %lld silent)\n", FLEET_SILENT_AFTER / 60, seq, fs.current,
                   fs.silent);
            ret = 0;
            break;
        }
        if (rc < 0 || now_s() >= deadline) {
            if (rc < 0)
                fprintf(stderr, "scimctl: cannot read the fleet's hosts from %s\n",
                        cfg->database);
            else {
                fprintf(stderr, "scimctl: after %" PRId64 " s, %lld host(s) have not reached "
                        "%" PRId64 ":\n", timeout, fs.lagging, seq);
                fleet_status_read(db, time(NULL), seq, &fs, name_laggard, NULL);
            }
            store_reader_put(st, db);
            break;
        }
        store_reader_put(st, db);
        usleep(POLL_MS * 1000);
    }
    store_close(st);
    return ret;
}
