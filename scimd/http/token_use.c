/* SPDX-License-Identifier: MIT */
#include "http/token_use.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store/store.h"
#include "store/tokens.h"
#include "store/tokens_used.h"

#define SLOTS 64
#define EVERY_S 60

struct token_use {
    pthread_mutex_t mu;
    struct {
        char id[TOKEN_ID_LEN + 1];
        time_t at; /* CLOCK_MONOTONIC seconds of the last write */
    } slot[SLOTS];
    size_t n;
    bool warned;
};

struct token_use *token_use_new(void)
{
    struct token_use *u = calloc(1, sizeof(*u));
    if (u)
        pthread_mutex_init(&u->mu, NULL);
    return u;
}

void token_use_free(struct token_use *u)
{
    if (!u)
        return;
    pthread_mutex_destroy(&u->mu);
    free(u);
}

/* Whether id is due a write now; marks it written. Tokens are few: past SLOTS distinct ones
 * the least recently written slot is reused. */
static bool due(struct token_use *u, const char *id, time_t now)
{
    size_t i, oldest = 0;
    for (i = 0; i < u->n; i++) {
        if (strcmp(u->slot[i].id, id) == 0)
            break;
        if (u->slot[i].at < u->slot[oldest].at)
            oldest = i;
    }
    if (i == u->n) {
        i = u->n < SLOTS ? u->n++ : oldest;
        snprintf(u->slot[i].id, sizeof(u->slot[i].id), "%s", id);
    } else if (now - u->slot[i].at < EVERY_S) {
        return false;
    }
    u->slot[i].at = now;
    return true;
}

void token_use_note(struct token_use *u, struct store *st, const char *id)
{
    struct timespec ts;
    struct scim_error e;
    if (!u)
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    pthread_mutex_lock(&u->mu);
    bool write = due(u, id, ts.tv_sec);
    pthread_mutex_unlock(&u->mu);
    if (!write)
        return;
    char copy[TOKEN_ID_LEN + 1];
    snprintf(copy, sizeof(copy), "%s", id);
    if (store_write(st, tokens_used_write, copy, &e) < 0) {
        pthread_mutex_lock(&u->mu);
        bool first = !u->warned;
        u->warned = true;
        pthread_mutex_unlock(&u->mu);
        if (first)
            log_warn("auth: cannot record token %s's last use: %s", copy, e.detail);
    }
}
