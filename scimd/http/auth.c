/* SPDX-License-Identifier: MIT */
#include "http/auth.h"

#include <nettle/memops.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "store/db_pg.h"
#include "http/token_use.h"
#include "store/store.h"

struct auth {
    pthread_mutex_t mu;
    struct store *st;
    struct db *db;
    bool shared; /* PostgreSQL: other instances write the same tokens */
    char *epoch_path;
    struct stat epoch_st;
    bool epoch_seen;
    int64_t data_version;
    struct timespec store_checked; /* CLOCK_MONOTONIC of the last data_version read */
    struct timespec reconnect_after; /* no connection is tried before, once one failed */
    bool reconnect_wait;
    bool loaded;
    unsigned char secret[32];
    bool have_secret;
    struct token_mac *tokens;
    size_t n_tokens;
    struct token_use *use; /* tokens.last_used, written at most once a minute per token */
};

static int reload(struct auth *a)
{
    struct token_mac *list = NULL;
    size_t n = 0;
    a->have_secret = tokens_hmac_key(a->db, a->secret, false) == 0;
    if (tokens_load_active(a->db, &list, &n) < 0)
        return -1;
    free(a->tokens);
    a->tokens = list;
    a->n_tokens = n;
    return 0;
}

static bool same_file_state(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* How long a change made to the store by any route (sqlite3 CLI, a restored backup, another
 * instance sharing it) may go unnoticed. */
#define STORE_CHECK_NS 1000000000LL

/* Whether now has reached t. */
static bool ts_reached(const struct timespec *t, const struct timespec *now)
{
    return t->tv_sec < now->tv_sec || (t->tv_sec == now->tv_sec && t->tv_nsec <= now->tv_nsec);
}

static bool store_check_due(const struct auth *a, struct timespec *now)
{
    if (a->shared)
        return true;
    clock_gettime(CLOCK_MONOTONIC, now);
    int64_t ns = (int64_t)(now->tv_sec - a->store_checked.tv_sec) * 1000000000LL +
                 (now->tv_nsec - a->store_checked.tv_nsec);
    return ns >= STORE_CHECK_NS;
}

/* The store is the truth: every second, PRAGMA data_version on this long-lived connection
 * tells whether anyone committed since the last look (one cheap read, no table scan), and
 * the token table is reloaded if so. Between those looks one stat(2) per request of the
 * epoch file scimctl replaces after each token change is the fast path: scimctl's
 * revocations apply to the next request. */
static int refresh(struct auth *a)
{
    struct stat st;
    struct timespec now;
    bool have = a->epoch_path && stat(a->epoch_path, &st) == 0;
    bool file_same = have == a->epoch_seen && (!have || same_file_state(&st, &a->epoch_st));
    if (a->loaded && file_same && !store_check_due(a, &now))
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (a->db && a->shared && !db_pg_alive(a->db)) {
        /* The database restarted or failed over since the last request: a new connection
         * now rather than a refused request. */
        store_connection_close(a->db);
        a->db = NULL;
    }
    if (!a->db) {
        /* Requests wait for this mutex while a connection is tried: against a database
         * address that does not answer, each would wait out libpq's connect timeout in turn.
         * After a failed try the next waits a second, and the requests meanwhile fail at
         * once (503). */
        if (a->reconnect_wait && !ts_reached(&a->reconnect_after, &now))
            return -1;
        struct scim_error e;
        a->db = store_reader_get(a->st, &e);
        if (!a->db) {
            clock_gettime(CLOCK_MONOTONIC, &a->reconnect_after);
            a->reconnect_after.tv_sec += 1;
            a->reconnect_wait = true;
            return -1;
        }
        a->reconnect_wait = false;
    }
    /* Read the version before the table: a commit in between is seen by the next check. */
    int64_t v = tokens_data_version(a->db);
    if (v < 0) {
        /* A PostgreSQL connection lost to a failover: the next request connects anew. */
        if (a->shared) {
            store_reader_put(a->st, a->db);
            a->db = NULL;
        }
        return -1;
    }
    if (!a->loaded || !file_same || v != a->data_version) {
        if (reload(a) < 0)
            return -1;
        a->loaded = true;
    }
    a->data_version = v;
    a->store_checked = now;
    a->epoch_seen = have;
    if (have)
        a->epoch_st = st;
    return 0;
}

int auth_open(struct auth **out, struct store *st, char *err, size_t errlen)
{
    struct auth *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&a->mu, NULL);
    struct scim_error e;
    a->st = st;
    a->use = token_use_new();
    a->shared = store_backend(st) == DB_POSTGRESQL;
    a->db = store_reader_get(st, &e);
    if (!a->db) {
        snprintf(err, errlen, "%s", e.detail);
        auth_free(a);
        return -1;
    }
    /* The epoch file lives next to a SQLite database; PostgreSQL has none. */
    const char *path = store_path(st);
    a->epoch_path = path ? tokens_epoch_path_new(path) : NULL;
    if (path && !a->epoch_path) {
        snprintf(err, errlen, "out of memory");
        auth_free(a);
        return -1;
    }
    *out = a;
    return 0;
}

void auth_free(struct auth *a)
{
    if (!a)
        return;
    if (a->db)
        store_reader_put(a->st, a->db);
    free(a->epoch_path);
    free(a->tokens);
    token_use_free(a->use);
    pthread_mutex_destroy(&a->mu);
    explicit_bzero(a->secret, sizeof(a->secret));
    free(a);
}

int auth_verify(struct auth *a, const char *authorization, char id_out[TOKEN_ID_LEN + 1],
                const char **why)
{
    char buf[256];
    const char *cred;
    int ret = -1;

    *why = "missing credentials";
    if (!authorization)
        return -1;
    if (strncasecmp(authorization, "Basic ", 6) == 0)
        cred = authorization + 6;
    else if (strncasecmp(authorization, "Bearer ", 7) == 0)
        cred = authorization + 7;
    else {
        *why = "unsupported authorization scheme";
        return -1;
    }
    while (*cred == ' ')
        cred++;
    char *colon = tokens_decode_pair(cred, buf, sizeof(buf));
    if (!colon) {
        *why = "malformed credentials";
        goto out;
    }
    *colon = '\0';
    const char *id = buf, *key = colon + 1;

    unsigned char mac[TOKEN_HMAC_LEN];
    pthread_mutex_lock(&a->mu);
    if (refresh(a) < 0) {
        pthread_mutex_unlock(&a->mu);
        /* Not the credential's fault: the client is told to retry, and no failure counts
         * against its address. */
        *why = "the token table cannot be read";
        ret = AUTH_UNAVAILABLE;
        goto out;
    }
    const struct token_mac *match = NULL;
    for (size_t i = 0; i < a->n_tokens; i++) {
        if (strcmp(a->tokens[i].id, id) == 0) {
            match = &a->tokens[i];
            break;
        }
    }
    if (!match || !a->have_secret) {
        pthread_mutex_unlock(&a->mu);
        *why = "unknown or revoked access id";
        goto out;
    }
    tokens_hmac(a->secret, key, strlen(key), mac);
    bool ok = memeql_sec(mac, match->mac, TOKEN_HMAC_LEN);
    pthread_mutex_unlock(&a->mu);
    if (!ok) {
        *why = "wrong access key";
        goto out;
    }
    memcpy(id_out, id, TOKEN_ID_LEN + 1);
    token_use_note(a->use, a->st, id_out);
    ret = 0;
out:
    explicit_bzero(buf, sizeof(buf));
    return ret;
}
