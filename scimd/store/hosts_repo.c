/* SPDX-License-Identifier: MIT */
#include "store/hosts_repo.h"

#include <nettle/memops.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/tokens.h"

/* Host names are what `scimctl host list` shows and `host revoke` takes: printable, no
 * spaces (so the list's columns stay columns), at most 64 bytes. */
static int host_name_ok(const char *name, char *err, size_t errlen)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64) {
        snprintf(err, errlen, "host name must be 1-64 printable characters");
        return -1;
    }
    for (const char *p = name; *p; p++) {
        if ((unsigned char)*p < 0x21 || *p == 0x7f) {
            snprintf(err, errlen, "host name must be 1-64 printable characters without spaces");
            return -1;
        }
    }
    return 0;
}

int hosts_create(struct db *db, const char *name, char id_out[HOST_ID_LEN + 1],
                 char bearer_out[HOST_BEARER_LEN], char *err, size_t errlen)
{
    struct token_secret t;
    unsigned char secret[32], mac[TOKEN_HMAC_LEN];
    struct db_stmt *s = NULL;
    char now[32];
    int ret = -1, rc;

    if (host_name_ok(name, err, errlen) < 0 || tokens_new_secret(&t, err, errlen) < 0)
        goto out;
    if (tokens_hmac_key(db, secret, true) < 0) {
        snprintf(err, errlen, "cannot read or create the token secret: %s", db_errmsg(db));
        goto out;
    }
    tokens_hmac(secret, t.key, strlen(t.key), mac);
    store_timestamp(now);
    rc = db_prepare(db, "INSERT INTO hosts(id, name, key_hmac, created) VALUES(?,?,?,?)", &s);
    if (rc == DB_OK) {
        db_bind_text(s, 1, t.id);
        db_bind_text(s, 2, name);
        db_bind_blob(s, 3, mac, sizeof(mac));
        db_bind_text(s, 4, now);
        rc = db_step(s);
    }
    if (rc == DB_CONSTRAINT) {
        snprintf(err, errlen, "a host named '%s' already exists", name);
        goto out;
    }
    if (rc != DB_DONE) {
        snprintf(err, errlen, "cannot add host: %s", db_errmsg(db));
        goto out;
    }
    memcpy(id_out, t.id, HOST_ID_LEN + 1);
    snprintf(bearer_out, HOST_BEARER_LEN, "%s", t.bearer);
    ret = 0;
out:
    db_finalize(s);
    explicit_bzero(&t, sizeof(t));
    explicit_bzero(secret, sizeof(secret));
    return ret;
}

int hosts_authenticate(struct db *db, const char *bearer, char id_out[HOST_ID_LEN + 1])
{
    char buf[256];
    unsigned char secret[32], mac[TOKEN_HMAC_LEN];
    struct db_stmt *s = NULL;
    int ret = -1;

    if (!bearer)
        return -1;
    char *colon = tokens_decode_pair(bearer, buf, sizeof(buf));
    if (!colon || colon - buf != HOST_ID_LEN)
        goto out;
    *colon = '\0';
    const char *key = colon + 1;
    if (tokens_hmac_key(db, secret, false) < 0)
        goto out;
    if (db_prepare(db, "SELECT key_hmac FROM hosts WHERE id = ? AND revoked IS NULL", &s) != DB_OK)
        goto out;
    db_bind_text(s, 1, buf);
    if (db_step(s) != DB_ROW || db_column_bytes(s, 0) != TOKEN_HMAC_LEN)
        goto out;
    tokens_hmac(secret, key, strlen(key), mac);
    if (!memeql_sec(mac, db_column_blob(s, 0), TOKEN_HMAC_LEN))
        goto out;
    memcpy(id_out, buf, HOST_ID_LEN + 1);
    ret = 0;
out:
    db_finalize(s);
    explicit_bzero(buf, sizeof(buf));
    explicit_bzero(secret, sizeof(secret));
    return ret;
}

/* Runs sql with text ?1 and ?2 (NULL binds NULL) and, when it has one, int ?3; how many rows
 * it changed, or -1. */
static int exec3(struct db *db, const char *sql, const char *a, const char *b, int64_t c)
{
    struct db_stmt *s = NULL;
    int ret = -1;
    if (db_prepare(db, sql, &s) != DB_OK)
        goto out;
    db_bind_text(s, 1, a);
    if (b)
        db_bind_text(s, 2, b);
    else
        db_bind_null(s, 2);
    if (strstr(sql, "?3"))
        db_bind_int64(s, 3, c);
    if (db_step(s) == DB_DONE)
        ret = db_changes(db);
out:
    db_finalize(s);
    return ret;
}

int hosts_seen(struct db *db, const char *id, int64_t seq_reached)
{
    char now[32];
    store_timestamp(now);
    return hosts_seen_at(db, id, seq_reached, now);
}

int hosts_seen_at(struct db *db, const char *id, int64_t seq_reached, const char *at)
{
    return exec3(db, "UPDATE hosts SET last_seen = ?2, seq_reached = ?3 WHERE id = ?1", id, at,
                 seq_reached) < 0 ? -1 : 0;
}

int hosts_set_conflicts(struct db *db, const char *id, const char *conflicts_json)
{
    return exec3(db, "UPDATE hosts SET conflicts = ?2 WHERE id = ?1", id, conflicts_json, 0) < 0
               ? -1
               : 0;
}

int hosts_revoke(struct db *db, const char *id_or_name)
{
    char now[32];
    store_timestamp(now);
    /* The id first: should a host be named like another host's id, the id still means its
     * own host. */
    int n = exec3(db, "UPDATE hosts SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
                  id_or_name, now, 0);
    if (n == 0)
        n = exec3(db, "UPDATE hosts SET revoked = ?2 WHERE name = ?1 AND revoked IS NULL",
                  id_or_name, now, 0);
    return n < 0 ? -1 : n > 0 ? 1 : 0;
}

struct host_walk {
    int (*cb)(void *, const struct host_row *);
    void *arg;
};

static int read_host(struct db_stmt *s, void *arg)
{
    const struct host_walk *w = arg;
    const struct host_row h = {
        .id = db_column_text(s, 0),
        .name = db_column_text(s, 1),
        .created = db_column_text(s, 2),
        .revoked = db_column_text(s, 3),
        .last_seen = db_column_text(s, 4),
        .conflicts = db_column_text(s, 5),
        .seq_reached = db_column_int64(s, 6),
    };
    return w->cb(w->arg, &h);
}

int hosts_each(struct db *db, int (*cb)(void *, const struct host_row *), void *arg)
{
    struct host_walk w = { .cb = cb, .arg = arg };
    struct db_stmt *s = NULL;
    int rc = db_prepare(db, "SELECT id, name, created, revoked, last_seen, conflicts,"
                            " seq_reached FROM hosts ORDER BY created, rowid", &s);
    int ret = store_stmt_walk(rc, s, read_host, &w);
    db_finalize(s);
    return ret;
}
