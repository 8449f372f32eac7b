#include "accounts/identity.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host_nss.h"
#include "accounts/linux_names.h"
#include "scim_names.h"
#include "store/store.h"

int identity_login_name(const struct scimd_config *cfg, const char *user_name,
                        char out[LOGIN_NAME_BUF], struct scim_error *err)
{
    const char *why = NULL;
    enum scim_login_rule rule =
        cfg->login_name == LOGIN_NAME_LOCALPART ? SCIM_LOGIN_LOCALPART : SCIM_LOGIN_USERNAME;
    int r = scim_name_login_from_username(user_name, rule, cfg->max_name_length, out,
                                          LOGIN_NAME_BUF, &why);
    if (r == -ERANGE)
        return scim_error_set(err, 400, "invalidValue",
                              "userName '%.128s...' does not give a valid Linux login name: name "
                              "too long (at most %u bytes)", user_name, cfg->max_name_length);
    if (r < 0)
        return scim_error_set(err, 400, "invalidValue",
                              "userName '%.128s' does not give a valid Linux login name: %s",
                              user_name, why ? why : "name too long");
    const char *reserved = linux_name_reserved(cfg, out);
    if (reserved)
        return scim_error_set(err, 400, "invalidValue",
                              "userName '%.128s' maps to login name '%s', which is %s", user_name,
                              out, reserved);
    return 0;
}

static bool ours(const struct scimd_config *cfg, uint32_t id)
{
    return (id >= cfg->uid_min && id <= cfg->uid_max) || (id >= cfg->gid_min && id <= cfg->gid_max);
}

int identity_check_host(const struct scimd_config *cfg, const char *login, struct scim_error *err)
{
    uint32_t id = 0;
    int r = host_nss_id(HOST_NSS_PWNAM, login, 0, &id, NULL);
    if (r < 0)
        return scim_error_set(err, 503, NULL,
                              "cannot check whether login name '%s' exists on this host (the name "
                              "service failed); retry later", login);
    if (r == 1 && !ours(cfg, id))
        return scim_error_set(err, 409, "uniqueness",
                              "login name '%s' already belongs to a local account (uid %u) on "
                              "this host; SCIM users never shadow local accounts",
                              login, (unsigned)id);
    r = host_nss_id(HOST_NSS_GRNAM, login, 0, &id, NULL);
    if (r < 0)
        return scim_error_set(err, 503, NULL,
                              "cannot check whether group '%s' exists on this host (the name "
                              "service failed); retry later", login);
    if (r == 1 && !ours(cfg, id))
        return scim_error_set(err, 409, "uniqueness",
                              "login name '%s' is already a local group (gid %u) on this host, "
                              "so it cannot be the user's private group",
                              login, (unsigned)id);
    return 0;
}

int identity_host_group_gid(const char *name, uint32_t *gid)
{
    return host_nss_id(HOST_NSS_GRNAM, name, 0, gid, NULL);
}

/* 1 when the host resolves id as a user or a group, 0 when both lookups positively say
 * "not found", -1 when NSS failed (callers fail closed: "could not ask" is never "free"). */
static int host_id_state(uint32_t id)
{
    uint32_t unused;
    int pw = host_nss_id(HOST_NSS_PWUID, NULL, id, &unused, NULL);
    if (pw != 0)
        return pw;
    return host_nss_id(HOST_NSS_GRGID, NULL, id, &unused, NULL);
}

/* ---- pre-probed ids ----
 * Probing a candidate id costs two NSS misses (100-380 us each through nss-systemd). The
 * store has one writer thread, so probing inside the write would make the whole group
 * commit wait; instead request threads probe the ids just above the last allocated uid
 * before they queue their write, and the writer reads the verdicts. A verdict is a fact
 * about the host, not the database: the writer still computes the next id from the ledger
 * and the high-water mark, and uses a verdict only for exactly that id and only while it is
 * fresh; for anything else it probes inline as before. */
#define PREPROBE_SLOTS 64 /* direct-mapped by id; more than the ids probed ahead */
#define PREPROBE_AHEAD 32 /* ids above the last allocated uid that request threads probe */
#define PREPROBE_TTL_NS 1000000000LL

enum verdict { VERDICT_NONE, VERDICT_PROBING, VERDICT_FREE, VERDICT_TAKEN };

struct preprobe_slot {
    uint32_t id;
    enum verdict verdict;
    int64_t probed_at; /* CLOCK_MONOTONIC ns when the probe started */
};

static struct {
    pthread_mutex_t mu;
    bool have_last;
    uint32_t last; /* the uid the writer allocated last */
    struct preprobe_slot slot[PREPROBE_SLOTS];
} preprobe = { .mu = PTHREAD_MUTEX_INITIALIZER };

static _Atomic int64_t preprobe_ttl_ns = PREPROBE_TTL_NS;

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Called with preprobe.mu held. */
static struct preprobe_slot *slot_of(uint32_t id)
{
    return &preprobe.slot[id % PREPROBE_SLOTS];
}

static bool slot_current(const struct preprobe_slot *s, uint32_t id, int64_t now)
{
    return s->id == id && s->verdict != VERDICT_NONE && now - s->probed_at < preprobe_ttl_ns;
}

void identity_preprobe_uid(const struct scimd_config *cfg)
{
    uint64_t id = 0;
    int64_t now = monotonic_ns();
    pthread_mutex_lock(&preprobe.mu);
    if (preprobe.have_last && preprobe.last >= cfg->uid_min && preprobe.last < cfg->uid_max) {
        /* The lowest id ahead without a current verdict or a probe under way. */
        for (uint64_t c = (uint64_t)preprobe.last + 1;
             c <= cfg->uid_max && c <= (uint64_t)preprobe.last + PREPROBE_AHEAD; c++) {
            struct preprobe_slot *s = slot_of((uint32_t)c);
            if (!slot_current(s, (uint32_t)c, now)) {
                *s = (struct preprobe_slot){ (uint32_t)c, VERDICT_PROBING, now };
                id = c;
                break;
            }
        }
    }
    pthread_mutex_unlock(&preprobe.mu);
    if (id == 0)
        return;
    int state = host_id_state((uint32_t)id);
    pthread_mutex_lock(&preprobe.mu);
    struct preprobe_slot *s = slot_of((uint32_t)id);
    /* A failed probe leaves no verdict: the writer asks again and fails closed itself. */
    if (s->id == id && s->verdict == VERDICT_PROBING && s->probed_at == now)
        s->verdict = state < 0 ? VERDICT_NONE : state ? VERDICT_TAKEN : VERDICT_FREE;
    pthread_mutex_unlock(&preprobe.mu);
}

void identity_preprobe_set_ttl_ms(unsigned ms)
{
    preprobe_ttl_ns = (int64_t)ms * 1000000LL;
}

/* The host state of id for the writer: a fresh pre-probed verdict, else an inline probe. */
static int writer_id_state(uint32_t id, bool *preprobed)
{
    int64_t now = monotonic_ns();
    enum verdict v = VERDICT_NONE;
    pthread_mutex_lock(&preprobe.mu);
    const struct preprobe_slot *s = slot_of(id);
    if (slot_current(s, id, now))
        v = s->verdict;
    pthread_mutex_unlock(&preprobe.mu);
    *preprobed = v == VERDICT_FREE || v == VERDICT_TAKEN;
    if (*preprobed)
        return v == VERDICT_TAKEN;
    return host_id_state(id);
}

static void publish_allocation(uint32_t id)
{
    pthread_mutex_lock(&preprobe.mu);
    preprobe.have_last = true;
    preprobe.last = id;
    pthread_mutex_unlock(&preprobe.mu);
}

static _Atomic uint64_t inline_probes;

uint64_t identity_inline_probes(void)
{
    return inline_probes;
}

/* The statements of an allocation run in the writer on every create: kept prepared. */
static int64_t query_int(sqlite3 *db, const char *sql, int64_t lo, int64_t hi, int64_t dflt)
{
    sqlite3_stmt *s = store_stmt(db, sql);
    int64_t v = dflt;
    if (!s)
        return dflt;
    sqlite3_bind_int64(s, 1, lo);
    sqlite3_bind_int64(s, 2, hi);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(s, 0);
    store_stmt_done(s);
    return v;
}

/* The next never-used id of the range: above every ledger entry and the high-water mark,
 * skipping ids another NSS service (local files, sssd, LDAP) already resolves. */
static int allocate(sqlite3 *db, const char *kind, uint32_t lo, uint32_t hi, const char *hwm_key,
                    const char *owner, const char *name, uint32_t *out, struct scim_error *err)
{
    char buf[32], now[32];
    int64_t next = lo;
    /* A range scan on the primary key: O(log n), where filtering on kind would scan. */
    int64_t ledger_max =
        query_int(db, "SELECT MAX(id) FROM id_ledger WHERE id BETWEEN ? AND ?", lo, hi, -1);
    if (ledger_max >= next)
        next = ledger_max + 1;
    if (store_meta_get(db, hwm_key, buf, sizeof(buf)) == 1 && atoll(buf) >= next)
        next = atoll(buf) + 1;
    for (; next <= hi; next++) {
        bool preprobed;
        int state = writer_id_state((uint32_t)next, &preprobed);
        if (!preprobed)
            inline_probes++;
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
    store_timestamp(now);
    sqlite3_stmt *s = store_stmt(db, "INSERT INTO id_ledger(id, kind, owner, name, allocated)"
                                     " VALUES(?, ?, ?, ?, ?)");
    int rc = SQLITE_ERROR;
    if (s) {
        sqlite3_bind_int64(s, 1, next);
        sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, owner, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, now, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        store_stmt_done(s);
    }
    if (rc != SQLITE_DONE)
        return store_sqlite_error(db, rc == SQLITE_ERROR ? sqlite3_errcode(db) : rc, err,
                                  "id ledger");
    snprintf(buf, sizeof(buf), "%lld", (long long)next);
    if (store_meta_set(db, hwm_key, buf) < 0)
        return store_sqlite_error(db, sqlite3_errcode(db), err, "id high-water mark");
    *out = (uint32_t)next;
    return 0;
}

int identity_allocate_uid(sqlite3 *db, const struct scimd_config *cfg, const char *owner,
                          const char *login, uint32_t *uid_out, struct scim_error *err)
{
    if (allocate(db, "user", cfg->uid_min, cfg->uid_max, "uid_hwm", owner, login, uid_out, err) < 0)
        return -1;
    publish_allocation(*uid_out);
    return 0;
}

int identity_allocate_gid(sqlite3 *db, const struct scimd_config *cfg, const char *owner,
                          const char *name, uint32_t *gid_out, struct scim_error *err)
{
    return allocate(db, "group", cfg->gid_min, cfg->gid_max, "gid_hwm", owner, name, gid_out, err);
}

static int ledger_update(sqlite3 *db, const char *sql, const char *a, const char *owner,
                         struct scim_error *err)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(db, rc, err, "uid ledger");
    return 0;
}

int identity_release(sqlite3 *db, const char *owner, struct scim_error *err)
{
    char now[32];
    store_timestamp(now);
    return ledger_update(db, "UPDATE id_ledger SET released = ? WHERE owner = ? AND released IS NULL",
                         now, owner, err);
}

int identity_rename(sqlite3 *db, const char *owner, const char *login, struct scim_error *err)
{
    return ledger_update(db, "UPDATE id_ledger SET name = ? WHERE owner = ? AND released IS NULL",
                         login, owner, err);
}

int identity_claim_uid(sqlite3 *db, const struct scimd_config *cfg, const char *owner,
                       const char *login, uint32_t uid, struct scim_error *err)
{
    char sql[] = "SELECT COUNT(*) FROM id_ledger WHERE id = ?";
    sqlite3_stmt *s = NULL;
    int64_t used = 1;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, uid);
        if (sqlite3_step(s) == SQLITE_ROW)
            used = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    if (used)
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
    int state = host_id_state(uid);
    if (state < 0)
        return scim_error_set(err, 503, NULL,
                              "cannot check whether uidNumber %u is free on this host (the name "
                              "service failed); retry later", uid);
    if (state > 0)
        return scim_error_set(err, 409, "uniqueness",
                              "uidNumber %u is already used by an account or group on this host", uid);
    char now[32], buf[32];
    store_timestamp(now);
    int rc = sqlite3_prepare_v2(db, "INSERT INTO id_ledger(id, kind, owner, name, allocated)"
                                    " VALUES(?, 'user', ?, ?, ?)", -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, uid);
        sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, login, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, now, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(db, rc, err, "uid ledger");
    /* Raise the mark so later allocations stay above every id ever handed out. */
    if (store_meta_get(db, "uid_hwm", buf, sizeof(buf)) != 1 || (uint64_t)atoll(buf) < uid) {
        snprintf(buf, sizeof(buf), "%u", uid);
        if (store_meta_set(db, "uid_hwm", buf) < 0)
            return store_sqlite_error(db, sqlite3_errcode(db), err, "uid high-water mark");
    }
    (void)cfg;
    return 0;
}
