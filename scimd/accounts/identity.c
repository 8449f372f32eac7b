/* SPDX-License-Identifier: MIT */
#include "accounts/identity.h"

#include <stdio.h>
#include <stdlib.h>

#include "accounts/host_probe.h"
#include "accounts/preprobe.h"
#include "accounts/subids.h"
#include "store/id_ledger.h"
#include "store/store.h"

/* The next never-used id of the range: above every ledger entry and the high-water mark,
 * skipping ids another NSS service (local files, sssd, LDAP) already resolves. */
static int allocate(struct db *db, const char *kind, uint32_t lo, uint32_t hi, const char *hwm_key,
                    const char *owner, const char *name, uint32_t *out, struct scim_error *err)
{
    char buf[32];
    int64_t next = lo;
    int64_t ledger_max = id_ledger_max_in(db, lo, hi);
    if (ledger_max >= next)
        next = ledger_max + 1;
    if (store_meta_get(db, hwm_key, buf, sizeof(buf)) == 1 && atoll(buf) >= next)
        next = atoll(buf) + 1;
    for (; next <= hi; next++) {
        int state = preprobe_writer_id_state((uint32_t)next);
        if (state < 0)
            return scim_error_set(err, 503, NULL,
                                  "cannot check whether %s id %lld is free on this host (the name "
                                  "service failed); retry later", kind, (long long)next);
        if (state == 0)
            break;
    }
    if (next > hi)
        return scim_error_set(err, 500, NULL,
                              "%s id range exhausted: every id from %u to %u has been allocated "
                              "(ids are never reused); widen the range in [accounts]",
                              kind, lo, hi);
    if (id_ledger_insert(db, next, kind, owner, name, "id ledger", err) < 0)
        return -1;
    snprintf(buf, sizeof(buf), "%lld", (long long)next);
    if (store_meta_write(db, hwm_key, buf, "id high-water mark", err) < 0)
        return -1;
    *out = (uint32_t)next;
    return 0;
}

int identity_allocate_uid(struct db *db, const struct scimd_config *cfg, const char *owner,
                          const char *login, uint32_t *uid_out, struct scim_error *err)
{
    if (allocate(db, "user", cfg->uid_min, cfg->uid_max, "uid_hwm", owner, login, uid_out, err) < 0 ||
        subids_assign(db, cfg, owner, err) < 0)
        return -1;
    preprobe_note_allocation(*uid_out);
    return 0;
}

int identity_allocate_gid(struct db *db, const struct scimd_config *cfg, const char *owner,
                          const char *name, uint32_t *gid_out, struct scim_error *err)
{
    return allocate(db, "group", cfg->gid_min, cfg->gid_max, "gid_hwm", owner, name, gid_out, err);
}

int identity_release(struct db *db, const char *owner, struct scim_error *err)
{
    if (subids_release(db, owner, err) < 0)
        return -1;
    return id_ledger_release(db, owner, err);
}

int identity_rename(struct db *db, const char *owner, const char *login, struct scim_error *err)
{
    return id_ledger_rename(db, owner, login, err);
}

int identity_claim_uid(struct db *db, const struct scimd_config *cfg, const char *owner,
                       const char *login, uint32_t uid, struct scim_error *err)
{
    if (id_ledger_uses(db, uid))
        return scim_error_set(err, 409, "uniqueness",
                              "uidNumber %u was already handed out (uids are never reused)", uid);
    /* After 'scimctl high-water adopt' the ledger below the adopted mark is lost: any id up
     * to it may have been someone's, so none of them can be claimed. */
    char floor_buf[32];
    if (store_meta_get(db, "uid_claim_floor", floor_buf, sizeof(floor_buf)) == 1 &&
        (uint64_t)uid <= strtoull(floor_buf, NULL, 10))
        return scim_error_set(err, 409, "uniqueness",
                              "uidNumber %u is at or below %s, the high-water mark adopted after a "
                              "database restore: it may have belonged to a deleted user",
                              uid, floor_buf);
    int state = host_probe_id_state(uid);
    if (state < 0)
        return scim_error_set(err, 503, NULL,
                              "cannot check whether uidNumber %u is free on this host (the name "
                              "service failed); retry later", uid);
    if (state > 0)
        return scim_error_set(err, 409, "uniqueness",
                              "uidNumber %u is already used by an account or group on this host", uid);
    if (id_ledger_insert_claimed(db, uid, owner, login, err) < 0)
        return -1;
    /* Raise the mark so later allocations stay above every id ever handed out. */
    char buf[32];
    if (store_meta_get(db, "uid_hwm", buf, sizeof(buf)) != 1 || (uint64_t)atoll(buf) < uid) {
        snprintf(buf, sizeof(buf), "%u", uid);
        if (store_meta_write(db, "uid_hwm", buf, "uid high-water mark", err) < 0)
            return -1;
    }
    return subids_assign(db, cfg, owner, err);
}
