/* SPDX-License-Identifier: MIT */
#include "store/tokens.h"


#include <errno.h>
#include <nettle/base64.h>
#include <nettle/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "store/epoch_file.h"

static int random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_decode(const char *in, unsigned char *out, size_t n)
{
    if (strlen(in) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(in + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    return 0;
}

void tokens_hmac(const unsigned char secret[32], const char *key, size_t keylen,
                 unsigned char out[TOKEN_HMAC_LEN])
{
    struct hmac_sha256_ctx ctx;
    hmac_sha256_set_key(&ctx, 32, secret);
    hmac_sha256_update(&ctx, keylen, (const uint8_t *)key);
    hmac_sha256_digest(&ctx, TOKEN_HMAC_LEN, out);
}

int tokens_hmac_key(struct db *db, unsigned char key[32], bool create)
{
    char hex[65];
    int r = store_meta_get(db, "token_hmac_key", hex, sizeof(hex));
    if (r == 1)
        return hex_decode(hex, key, 32);
    if (r < 0 || !create)
        return -1;
    if (random_bytes(key, 32) < 0)
        return -1;
    hex_encode(key, 32, hex);
    return store_meta_set(db, "token_hmac_key", hex);
}

int64_t tokens_data_version(struct db *db)
{
    struct db_stmt *s = NULL;
    int64_t v = -1;
    /* data_version is PostgreSQL's counter of token and meta changes (store_schema_pg.c). */
    const char *sql = db_backend(db) == DB_POSTGRESQL ? "SELECT n FROM data_version"
                                                      : "PRAGMA data_version";
    if (db_prepare(db, sql, &s) == DB_OK && db_step(s) == DB_ROW)
        v = db_column_int64(s, 0);
    db_finalize(s);
    return v;
}

int tokens_load_active(struct db *db, struct token_mac **out, size_t *n_out)
{
    struct db_stmt *s = NULL;
    struct token_mac *list = NULL;
    size_t n = 0, cap = 0;
    int ret = -1;

    if (db_prepare(db, "SELECT id, key_hmac FROM tokens WHERE revoked IS NULL", &s) != DB_OK)
        goto out;
    int rc;
    while ((rc = db_step(s)) == DB_ROW) {
        const char *id = db_column_text(s, 0);
        if (!id || strlen(id) != TOKEN_ID_LEN || db_column_bytes(s, 1) != TOKEN_HMAC_LEN)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            struct token_mac *grown = realloc(list, cap * sizeof(*list));
            if (!grown)
                goto out;
            list = grown;
        }
        memcpy(list[n].id, id, TOKEN_ID_LEN + 1);
        memcpy(list[n].mac, db_column_blob(s, 1), TOKEN_HMAC_LEN);
        n++;
    }
    if (rc != DB_DONE)
        goto out;
    *out = list;
    *n_out = n;
    list = NULL;
    ret = 0;
out:
    free(list);
    db_finalize(s);
    return ret;
}

int tokens_bump_epoch(struct db *db)
{
    char buf[32];
    long long epoch = 0;
    if (store_meta_get(db, "token_epoch", buf, sizeof(buf)) == 1)
        epoch = atoll(buf);
    snprintf(buf, sizeof(buf), "%lld", epoch + 1);
    return store_meta_set(db, "token_epoch", buf);
}

struct create_ctx {
    const char *name;
    struct token_secret *secret;
};

static int create_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct create_ctx *c = arg;
    unsigned char secret[32], mac[TOKEN_HMAC_LEN];
    struct db_stmt *s = NULL;
    int ret = -1;
    char now[32];

    if (tokens_hmac_key(db, secret, true) < 0) {
        scim_error_set(err, 500, NULL, "cannot read or create the token secret");
        goto out;
    }
    tokens_hmac(secret, c->secret->key, strlen(c->secret->key), mac);
    store_timestamp(now);
    int rc = db_prepare(db, "INSERT INTO tokens(id, name, key_hmac, created) VALUES(?,?,?,?)", &s);
    if (rc != DB_OK)
        goto sql_error;
    db_bind_text(s, 1, c->secret->id);
    db_bind_text(s, 2, c->name);
    db_bind_blob(s, 3, mac, sizeof(mac));
    db_bind_text(s, 4, now);
    rc = db_step(s);
    if (rc != DB_DONE)
        goto sql_error;
    if (tokens_bump_epoch(db) < 0) {
        scim_error_set(err, 500, NULL, "cannot update the token epoch");
        goto out;
    }
    ret = 0;
    goto out;
sql_error:
    store_db_error(db, rc, err, "token create");
out:
    db_finalize(s);
    return ret;
}

static bool token_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64)
        return false;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

int tokens_new_secret(struct token_secret *out, char *err, size_t errlen)
{
    /* Lower-case letters and digits only: ids are typed into IdP consoles and never contain
     * ':' (the Basic credential separator). */
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
    unsigned char raw[32];

    if (random_bytes(raw, sizeof(raw)) < 0) {
        snprintf(err, errlen, "getrandom: %s", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < TOKEN_ID_LEN; i++)
        out->id[i] = alphabet[raw[i] & 31];
    out->id[TOKEN_ID_LEN] = '\0';
    if (random_bytes(raw, sizeof(raw)) < 0) {
        snprintf(err, errlen, "getrandom: %s", strerror(errno));
        return -1;
    }
    struct base64_encode_ctx b64;
    char enc[BASE64_ENCODE_LENGTH(32) + BASE64_ENCODE_FINAL_LENGTH + 1];
    base64url_encode_init(&b64);
    size_t n = base64_encode_update(&b64, enc, sizeof(raw), raw);
    n += base64_encode_final(&b64, enc + n);
    while (n > 0 && enc[n - 1] == '=')
        n--;
    if (n > TOKEN_KEY_LEN)
        n = TOKEN_KEY_LEN;
    memcpy(out->key, enc, n);
    out->key[n] = '\0';

    char pair[TOKEN_ID_LEN + 1 + TOKEN_KEY_LEN + 1];
    snprintf(pair, sizeof(pair), "%s:%s", out->id, out->key);
    base64_encode_raw(out->bearer, strlen(pair), (const uint8_t *)pair);
    out->bearer[BASE64_ENCODE_RAW_LENGTH(strlen(pair))] = '\0';
    explicit_bzero(raw, sizeof(raw));
    return 0;
}

int tokens_create(struct store *st, const char *name, struct token_secret *out, char *err,
                  size_t errlen)
{
    struct scim_error e;

    if (!token_name_ok(name)) {
        snprintf(err, errlen, "token name must be 1-64 printable characters");
        return -1;
    }
    if (tokens_new_secret(out, err, errlen) < 0)
        return -1;
    struct create_ctx c = { .name = name, .secret = out };
    if (store_write(st, create_fn, &c, &e) < 0) {
        snprintf(err, errlen, "%s", e.detail);
        return -1;
    }
    tokens_touch_epoch_file(store_path(st));
    return 0;
}

struct revoke_ctx {
    const char *id;
    int changed;
};

static int revoke_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct revoke_ctx *c = arg;
    struct db_stmt *s = NULL;
    char now[32];
    int ret = -1;
    store_timestamp(now);
    int rc = db_prepare(db, "UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL", &s);
    if (rc == DB_OK) {
        db_bind_text(s, 1, now);
        db_bind_text(s, 2, c->id);
        rc = db_step(s);
    }
    if (rc != DB_DONE) {
        store_db_error(db, rc, err, "token revoke");
        goto out;
    }
    c->changed = db_changes(db);
    if (c->changed && tokens_bump_epoch(db) < 0) {
        scim_error_set(err, 500, NULL, "cannot update the token epoch");
        goto out;
    }
    ret = 0;
out:
    db_finalize(s);
    return ret;
}

int tokens_revoke(struct store *st, const char *id, char *err, size_t errlen)
{
    struct revoke_ctx c = { .id = id };
    struct scim_error e;
    if (store_write(st, revoke_fn, &c, &e) < 0) {
        snprintf(err, errlen, "%s", e.detail);
        return -1;
    }
    if (c.changed > 0 && tokens_touch_epoch_file(store_path(st)) < 0) {
        snprintf(err, errlen, "token revoked in the store, but the running scimd could not be "
                              "told: restart scimd to be sure");
        return -1;
    }
    return c.changed > 0 ? 1 : 0;
}

char *tokens_epoch_path_new(const char *db_path)
{
    return epoch_file_path_new(db_path, ".token-epoch");
}

int tokens_touch_epoch_file(const char *db_path)
{
    /* No file on PostgreSQL: every instance reads data_version at each request instead. */
    if (!db_path)
        return 0;
    return epoch_file_touch(db_path, ".token-epoch");
}

char *tokens_decode_pair(const char *b64, char *buf, size_t buflen)
{
    size_t inlen = strlen(b64), outlen = buflen - 1;
    struct base64_decode_ctx ctx;
    if (inlen == 0 || BASE64_DECODE_LENGTH(inlen) >= buflen)
        return NULL;
    base64_decode_init(&ctx);
    if (!base64_decode_update(&ctx, &outlen, (uint8_t *)buf, inlen, b64) ||
        !base64_decode_final(&ctx))
        return NULL;
    buf[outlen] = '\0';
    if (strlen(buf) != outlen)
        return NULL; /* embedded NUL */
    return strchr(buf, ':');
}
