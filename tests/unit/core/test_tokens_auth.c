/* SPDX-License-Identifier: MIT */
/* Access tokens (tokens.c) and request authentication (auth.c) against a temp SQLite store. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nettle/hmac.h>
#include "store/db.h"

#include "http/auth.h"
#include "core_fixture.h"
#include "store/db_sqlite.h"
#include "store/store.h"
#include "store/tokens.h"
#include "store/tokens_query.h"

struct fx {
    char *dir;
    char *db_path;
    struct store *st;
    struct auth *auth;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = core_mkdtemp();
    f->db_path = core_path(f->dir, "scimd.db");
    /* scimd's configuration: a writer thread, and auth on its own connection. */
    f->st = core_store_open(f->dir, "scimd.db", true);
    char err[512] = "";
    if (auth_open(&f->auth, f->st, err, sizeof(err)) != 0)
        fail_msg("auth_open: %s", err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    auth_free(f->auth);
    store_close(f->st);
    free(f->db_path);
    core_rmdir(f->dir);
    free(f);
    return 0;
}

static int list_one(void *arg, const struct token_row *t)
{
    fprintf(arg, "%s  %s  %s  %s\n", t->id, t->name, t->created,
            t->revoked ? "revoked" : "active");
    return 0;
}

/* What `scimctl token list` reads (tokens_each), one line a token; the caller frees it. */
static char *token_listing(struct store *st)
{
    struct scim_error e;
    struct db *db = store_reader_get(st, &e);
    if (!db)
        fail_msg("store_reader_get: %s", e.detail);
    char *out = NULL;
    size_t outlen = 0;
    FILE *mem = open_memstream(&out, &outlen);
    assert_non_null(mem);
    assert_int_equal(tokens_each(db, list_one, mem), 0);
    fclose(mem);
    store_reader_put(st, db);
    return out;
}

/* Standard base64 with padding, written here independently of nettle. */
static char *b64(const void *data, size_t len)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *in = data;
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    assert_non_null(out);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? tbl[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

/* "SCHEME base64(id:key)" */
static char *header_for(const char *scheme, const char *id, const char *key)
{
    char pair[256];
    int n = snprintf(pair, sizeof(pair), "%s:%s", id, key);
    char *enc = b64(pair, (size_t)n);
    char *h = NULL;
    assert_true(asprintf(&h, "%s %s", scheme, enc) > 0);
    free(enc);
    return h;
}

static void create(struct fx *f, const char *name, struct token_secret *tok)
{
    char err[512] = "";
    memset(tok, 0, sizeof(*tok));
    if (tokens_create(f->st, name, tok, err, sizeof(err)) != 0)
        fail_msg("tokens_create(%s): %s", name, err);
}

static void expect_accept(struct fx *f, const char *header, const char *want_id)
{
    char id[TOKEN_ID_LEN + 1] = "";
    const char *why = NULL;
    if (auth_verify(f->auth, header, id, &why) != 0)
        fail_msg("refused '%s': %s", header, why ? why : "(no reason)");
    assert_string_equal(id, want_id);
}

static void expect_refuse(struct fx *f, const char *header, const char *why_part,
                          const char *secret)
{
    char id[TOKEN_ID_LEN + 1] = "";
    const char *why = NULL;
    if (auth_verify(f->auth, header, id, &why) != -1)
        fail_msg("accepted '%s'", header ? header : "(null)");
    assert_non_null(why);
    if (strstr(why, why_part) == NULL)
        fail_msg("refusal of '%s' says '%s', expected '%s'", header ? header : "(null)", why,
                 why_part);
    if (secret)
        assert_null(strstr(why, secret));
}

static int64_t count_tokens(const char *db_path)
{
    struct db *db = NULL;
    struct db_stmt *s = NULL;
    int64_t n = -1;
    assert_non_null(db = core_sqlite_open(db_path, SQLITE_OPEN_READONLY));
    if (db_prepare(db, "SELECT count(*) FROM tokens", &s) == DB_OK &&
        db_step(s) == DB_ROW)
        n = db_column_int64(s, 0);
    db_finalize(s);
    db_close(db);
    return n;
}

static void test_create_shapes(void **state)
{
    struct fx *f = *state;
    struct token_secret t[4];
    for (size_t i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof(name), "okta prod %zu", i);
        create(f, name, &t[i]);
        /* id: 16 characters that survive being typed into an IdP console (no 0/o, 1/l, ':'). */
        assert_int_equal(strlen(t[i].id), TOKEN_ID_LEN);
        assert_int_equal(strlen(t[i].id), 16);
        assert_int_equal(strspn(t[i].id, "abcdefghijkmnpqrstuvwxyz23456789"), 16);
        /* key: 32 random bytes as unpadded base64url, i.e. 43 characters carrying 256 bits:
         * the last character holds 4 bits, so its low 2 bits must be zero. */
        assert_int_equal(strlen(t[i].key), 43);
        assert_int_equal(
            strspn(t[i].key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
        const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        size_t last = (size_t)(strchr(alpha, t[i].key[42]) - alpha);
        assert_int_equal(last & 3, 0);
        /* bearer: base64(id:key), Sumo Logic's shape. */
        char pair[64];
        snprintf(pair, sizeof(pair), "%s:%s", t[i].id, t[i].key);
        char *want = b64(pair, strlen(pair));
        assert_string_equal(t[i].bearer, want);
        assert_int_equal(strlen(t[i].bearer), 80);
        free(want);
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(t[i].id, t[j].id);
            assert_string_not_equal(t[i].key, t[j].key);
        }
    }
    assert_int_equal(count_tokens(f->db_path), 4);

    /* token list shows ids and names, never keys or bearers. */
    char *out = token_listing(f->st);
    for (size_t i = 0; i < 4; i++) {
        assert_non_null(strstr(out, t[i].id));
        assert_null(strstr(out, t[i].key));
        assert_null(strstr(out, t[i].bearer));
    }
    assert_non_null(strstr(out, "okta prod 3"));
    assert_non_null(strstr(out, "active"));
    free(out);
}

static void test_create_refuses_bad_names(void **state)
{
    struct fx *f = *state;
    char long_name[70];
    memset(long_name, 'n', 65);
    long_name[65] = '\0';
    const char *bad[] = { "", long_name, "tab\there", "new\nline", "del\x7f" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct token_secret t;
        char err[512] = "";
        assert_int_equal(tokens_create(f->st, bad[i], &t, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "token name"));
    }
    assert_int_equal(count_tokens(f->db_path), 0);
    long_name[64] = '\0'; /* 64 is the limit, inclusive */
    struct token_secret t;
    create(f, long_name, &t);
    assert_int_equal(count_tokens(f->db_path), 1);
}

static void test_verify_basic_and_bearer(void **state)
{
    struct fx *f = *state;
    struct token_secret a, b;
    create(f, "entra", &a);
    create(f, "okta", &b);
    static const char *const basic[] = { "Basic", "basic", "BASIC", "bAsIc" };
    static const char *const bearer[] = { "Bearer", "bearer", "BEARER", "bEaReR" };
    for (size_t i = 0; i < 4; i++) {
        char *h = header_for(basic[i], a.id, a.key);
        expect_accept(f, h, a.id);
        free(h);
        h = header_for(basic[i], b.id, b.key);
        expect_accept(f, h, b.id);
        free(h);
        char hb[200];
        snprintf(hb, sizeof(hb), "%s %s", bearer[i], a.bearer);
        expect_accept(f, hb, a.id);
        snprintf(hb, sizeof(hb), "%s %s", bearer[i], b.bearer);
        expect_accept(f, hb, b.id);
    }
    /* Bearer with the Basic-encoded pair is the same credential. */
    char *h = header_for("Bearer", b.id, b.key);
    expect_accept(f, h, b.id);
    free(h);
}

static void test_verify_refusals(void **state)
{
    struct fx *f = *state;
    struct token_secret a, b;
    create(f, "entra", &a);
    create(f, "okta", &b);

    /* Wrong keys: another token's key, one changed character, a prefix, an extension. */
    char key[64];
    char *h = header_for("Basic", a.id, b.key);
    expect_refuse(f, h, "wrong access key", b.key);
    free(h);
    snprintf(key, sizeof(key), "%s", a.key);
    key[10] = key[10] == 'A' ? 'B' : 'A';
    h = header_for("Basic", a.id, key);
    expect_refuse(f, h, "wrong access key", key);
    free(h);
    snprintf(key, sizeof(key), "%.42s", a.key);
    h = header_for("Bearer", a.id, key);
    expect_refuse(f, h, "wrong access key", key);
    free(h);
    snprintf(key, sizeof(key), "%sx", a.key);
    h = header_for("Basic", a.id, key);
    expect_refuse(f, h, "wrong access key", key);
    free(h);
    h = header_for("Basic", a.id, "");
    expect_refuse(f, h, "wrong access key", NULL);
    free(h);

    /* Unknown ids, including a case variant of a real one. */
    h = header_for("Basic", "abcdefghijkmnpqr", a.key);
    expect_refuse(f, h, "unknown or revoked", a.key);
    free(h);
    char upper[TOKEN_ID_LEN + 1];
    for (size_t i = 0; i <= TOKEN_ID_LEN; i++)
        upper[i] = (char)(a.id[i] >= 'a' && a.id[i] <= 'z' ? a.id[i] - 32 : a.id[i]);
    h = header_for("Basic", upper, a.key);
    expect_refuse(f, h, "unknown or revoked", NULL);
    free(h);
    h = header_for("Basic", "", a.key);
    expect_refuse(f, h, "unknown or revoked", NULL);
    free(h);

    /* Not base64, not id:key, or hiding a NUL. */
    expect_refuse(f, "Basic !!!!", "malformed", NULL);
    expect_refuse(f, "Bearer ab$cd", "malformed", NULL);
    expect_refuse(f, "Basic Zm9vOmJhcg", "malformed", NULL); /* truncated, no padding */
    char *enc = b64("nocolonatall", 12);
    char hb[512];
    snprintf(hb, sizeof(hb), "Basic %s", enc);
    expect_refuse(f, hb, "malformed", NULL);
    free(enc);
    char pair[128];
    int n = snprintf(pair, sizeof(pair), "%s:%s", a.id, a.key);
    pair[n++] = '\0'; /* the right credential followed by a NUL and junk */
    pair[n++] = 'x';
    enc = b64(pair, (size_t)n);
    snprintf(hb, sizeof(hb), "Bearer %s", enc);
    expect_refuse(f, hb, "malformed", a.key);
    free(enc);
    n = snprintf(pair, sizeof(pair), "%sZ:%s", a.id, a.key);
    pair[TOKEN_ID_LEN] = '\0'; /* id NUL ':' key */
    enc = b64(pair, (size_t)n);
    snprintf(hb, sizeof(hb), "Basic %s", enc);
    expect_refuse(f, hb, "malformed", NULL);
    free(enc);
    /* A credential far longer than any real one is refused without being decoded. */
    char big[4200] = "Basic ";
    memset(big + 6, 'A', sizeof(big) - 7);
    big[sizeof(big) - 1] = '\0';
    expect_refuse(f, big, "malformed", NULL);

    /* Empty and missing. */
    expect_refuse(f, NULL, "missing", NULL);
    expect_refuse(f, "", "unsupported", NULL);
    expect_refuse(f, "Basic ", "malformed", NULL);
    expect_refuse(f, "Bearer    ", "malformed", NULL);

    /* Other schemes, or the scheme without its separating space. */
    snprintf(hb, sizeof(hb), "Digest %s", a.bearer);
    expect_refuse(f, hb, "unsupported", a.key);
    snprintf(hb, sizeof(hb), "Token %s", a.bearer);
    expect_refuse(f, hb, "unsupported", NULL);
    snprintf(hb, sizeof(hb), "Bearer%s", a.bearer);
    expect_refuse(f, hb, "unsupported", NULL);
    snprintf(hb, sizeof(hb), "%s", a.bearer);
    expect_refuse(f, hb, "unsupported", NULL);
    expect_refuse(f, "Basic", "unsupported", NULL);
    expect_refuse(f, "Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1MIIGcaADAgEFoQMCAQ6iBwMFACAAAACj",
                  "unsupported", NULL);

    /* None of that disturbed the good credentials. */
    h = header_for("Basic", a.id, a.key);
    expect_accept(f, h, a.id);
    free(h);
}

static void test_no_tokens_yet(void **state)
{
    struct fx *f = *state;
    /* A fresh store has no secret and no tokens: everything is refused, nothing crashes. */
    char *h = header_for("Basic", "abcdefghijkmnpqr", "AAAA");
    expect_refuse(f, h, "unknown or revoked", NULL);
    free(h);
}

static void test_revoke_seen_by_open_auth(void **state)
{
    struct fx *f = *state;
    struct token_secret a, b, c;
    create(f, "entra", &a);
    create(f, "okta", &b);
    char *ha = header_for("Basic", a.id, a.key);
    char hb[200];
    snprintf(hb, sizeof(hb), "Bearer %s", b.bearer);
    expect_accept(f, ha, a.id);
    expect_accept(f, hb, b.id);

    /* scimctl opens its own store (no writer thread) on the same file. */
    struct store *ctl = core_store_open(f->dir, "scimd.db", false);
    char err[512] = "";
    assert_int_equal(tokens_revoke(ctl, a.id, err, sizeof(err)), 1);
    expect_refuse(f, ha, "unknown or revoked", a.key);
    expect_accept(f, hb, b.id);
    /* Revoking twice, or an unknown id, reports "no such token" and changes nothing. */
    assert_int_equal(tokens_revoke(ctl, a.id, err, sizeof(err)), 0);
    assert_int_equal(tokens_revoke(ctl, "zzzzzzzzzzzzzzzz", err, sizeof(err)), 0);
    expect_accept(f, hb, b.id);

    /* A token scimctl creates while scimd runs works on the next request. */
    char cerr[512] = "";
    memset(&c, 0, sizeof(c));
    if (tokens_create(ctl, "onelogin", &c, cerr, sizeof(cerr)) != 0)
        fail_msg("tokens_create via scimctl handle: %s", cerr);
    char *hc = header_for("Basic", c.id, c.key);
    expect_accept(f, hc, c.id);

    /* The revocation also shows in the listing. */
    char *out = token_listing(ctl);
    char *line = strstr(out, a.id);
    assert_non_null(line);
    char *eol = strchr(line, '\n');
    assert_non_null(eol);
    *eol = '\0';
    assert_non_null(strstr(line, "revoked"));
    free(out);

    /* Revoking through scimd's own threaded store is seen too. */
    assert_int_equal(tokens_revoke(f->st, b.id, err, sizeof(err)), 1);
    expect_refuse(f, hb, "unknown or revoked", b.key);
    expect_accept(f, hc, c.id);

    store_close(ctl);
    free(ha);
    free(hc);
}

static void scan_file_for(const char *path, const char *const *secrets, size_t n)
{
    size_t len = 0;
    unsigned char *data = core_read(path, &len);
    for (size_t i = 0; data && i < n; i++)
        if (core_contains(data, len, secrets[i]))
            fail_msg("%s contains the secret '%s'", path, secrets[i]);
    free(data);
}

static void test_only_hmac_stored(void **state)
{
    struct fx *f = *state;
    struct token_secret t;
    create(f, "entra", &t);
    char *hdr = header_for("Basic", t.id, t.key);
    expect_accept(f, hdr, t.id);
    free(hdr);

    struct db *db = NULL;
    assert_non_null(db = core_sqlite_open(f->db_path, SQLITE_OPEN_READONLY));
    struct db_stmt *s = NULL;
    static const char *const cols[] = { "id", "name", "key_hmac", "created", "last_used",
                                        "revoked" };
    assert_int_equal(db_prepare(db, "SELECT id, name, key_hmac, created, last_used, revoked"
                                    " FROM tokens", &s), DB_OK);
    int rows = 0;
    while (db_step(s) == DB_ROW) {
        rows++;
        for (int c = 0; c < 6; c++) {
            const unsigned char *v = db_column_blob(s, c);
            int n = db_column_bytes(s, c);
            if (v && core_contains(v, (size_t)n, t.key))
                fail_msg("tokens.%s holds the key", cols[c]);
            if (v && core_contains(v, (size_t)n, t.bearer))
                fail_msg("tokens.%s holds the bearer", cols[c]);
        }
    }
    db_finalize(s);
    assert_int_equal(rows, 1);

    /* The stored value is HMAC-SHA-256(installation secret, key), computed here with nettle. */
    unsigned char secret[32];
    assert_int_equal(tokens_hmac_key(db, secret, false), 0);
    struct hmac_sha256_ctx ctx;
    unsigned char want[SHA256_DIGEST_SIZE];
    hmac_sha256_set_key(&ctx, sizeof(secret), secret);
    hmac_sha256_update(&ctx, strlen(t.key), (const uint8_t *)t.key);
    hmac_sha256_digest(&ctx, sizeof(want), want);
    assert_int_equal(db_prepare(db, "SELECT key_hmac FROM tokens WHERE id = ?", &s),
                     DB_OK);
    db_bind_text(s, 1, t.id);
    assert_int_equal(db_step(s), DB_ROW);
    assert_int_equal(db_column_bytes(s, 0), 32);
    assert_memory_equal(db_column_blob(s, 0), want, 32);
    db_finalize(s);
    store_connection_close(db); /* tokens_hmac_key cached a statement on it */

    /* Nowhere in the files either: not in the WAL while scimd runs, not in the database after. */
    char *wal = core_path(f->dir, "scimd.db-wal");
    const char *secrets[] = { t.key, t.bearer };
    scan_file_for(wal, secrets, 2);
    /* The change signal scimd watches carries no secret either. */
    char *epoch = core_path(f->dir, "scimd.db.token-epoch");
    scan_file_for(epoch, secrets, 2);
    free(epoch);
    scan_file_for(f->db_path, secrets, 2);
    auth_free(f->auth);
    f->auth = NULL;
    store_close(f->st);
    f->st = NULL;
    scan_file_for(wal, secrets, 2);
    scan_file_for(f->db_path, secrets, 2);
    free(wal);
}

struct verify_thread {
    struct fx *f;
    const char *header;
    const char *id;
    int ok;
};

static void *verify_main(void *arg)
{
    struct verify_thread *v = arg;
    for (int i = 0; i < 200; i++) {
        char id[TOKEN_ID_LEN + 1] = "";
        const char *why = NULL;
        if (auth_verify(v->f->auth, v->header, id, &why) == 0 && strcmp(id, v->id) == 0)
            v->ok++;
    }
    return NULL;
}

static void test_concurrent_verify(void **state)
{
    struct fx *f = *state;
    struct token_secret a, b;
    create(f, "entra", &a);
    create(f, "okta", &b);
    char *ha = header_for("Basic", a.id, a.key);
    char hb[200];
    snprintf(hb, sizeof(hb), "Bearer %s", b.bearer);
    struct verify_thread v[4] = {
        { f, ha, a.id, 0 }, { f, hb, b.id, 0 }, { f, ha, a.id, 0 }, { f, hb, b.id, 0 },
    };
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, verify_main, &v[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(v[i].ok, 200);
    }
    free(ha);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_refuses_bad_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_basic_and_bearer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_tokens_yet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_seen_by_open_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_hmac_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_verify, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
