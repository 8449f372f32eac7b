/* SPDX-License-Identifier: MIT */
/* The hub's identity (fleet_init.h). The feed id is made before the key is written so that a
 * key file never exists without the feed id it will sign for; the schema's v4 migration
 * normally made it already. */
#include "fleet/fleet_init.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "proto/scim_error.h"
#include "store/feed_repo.h"
#include "store/store.h"

struct feed_id_ctx {
    char feed_id[33];
};

/* Inside the write: keeps an existing feed id, else makes a random 128-bit one. */
static int ensure_feed_id(struct db *db, void *arg, struct scim_error *err)
{
    struct feed_id_ctx *c = arg;
    unsigned char raw[16];

    if (feed_id_get(db, c->feed_id) == 0)
        return 0;
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(c->feed_id, sizeof(c->feed_id), raw, sizeof(raw));
    return store_meta_write(db, "feed_id", c->feed_id, "the feed id", err);
}

static void identity_fill(struct fleet_identity *out, const struct feed_key *k,
                          const char feed_id[33])
{
    memcpy(out->public_key, k->pk_b64, sizeof(out->public_key));
    memcpy(out->key_id, k->key_id, sizeof(out->key_id));
    memcpy(out->feed_id, feed_id, sizeof(out->feed_id));
}

int fleet_init(struct store *st, const char *key_path, bool force, struct fleet_identity *out,
               char *err, size_t errlen)
{
    struct feed_id_ctx c = { { 0 } };
    struct feed_key k;
    struct scim_error e;
    struct stat sb;
    int rc = -1;

    memset(&k, 0, sizeof(k));
    memset(out, 0, sizeof(*out));
    scim_error_clear(&e);
    /* checked again by O_EXCL when writing; here so that a refusal changes nothing at all */
    if (!force && lstat(key_path, &sb) == 0) {
        snprintf(err, errlen, "%s exists; refusing to replace the signing key (--force "
                 "replaces it, and every follower must then pin the new key)", key_path);
        goto out;
    }
    if (feed_key_generate(&k, err, errlen) != 0)
        goto out;
    if (store_write(st, ensure_feed_id, &c, &e) != 0) {
        snprintf(err, errlen, "%s", e.detail);
        goto out;
    }
    if (feed_key_save(key_path, &k, force, err, errlen) != 0)
        goto out;
    identity_fill(out, &k, c.feed_id);
    rc = 0;
out:
    feed_key_clear(&k);
    return rc;
}

int fleet_show(struct store *st, const char *key_path, struct fleet_identity *out, char *err,
               size_t errlen)
{
    struct feed_key k;
    struct scim_error e;
    char feed_id[33];
    struct db *db = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    scim_error_clear(&e);
    if (feed_key_load(key_path, &k, err, errlen) != 0)
        goto out;
    db = store_reader_get(st, &e);
    if (!db) {
        snprintf(err, errlen, "%s", e.detail);
        goto out;
    }
    if (feed_id_get(db, feed_id) != 0) {
        snprintf(err, errlen, "the store has no feed id; run scimctl fleet init");
        goto out;
    }
    identity_fill(out, &k, feed_id);
    rc = 0;
out:
    if (db)
        store_reader_put(st, db);
    feed_key_clear(&k);
    return rc;
}
