/* SPDX-License-Identifier: MIT */
/* The users service: the rules of a /Users write and its transaction bodies. Uniqueness of
 * userName and login, the uid (allocated, or chosen by the IdP under accept_idp_ids), roles
 * into role groups, PATCH on the current document; each body runs in the store's writer and
 * re-reads the current row, so concurrent PATCHes never lose each other's updates. */
#include "accounts/users_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "accounts/audit.h"
#include "accounts/audit_kernel.h"
#include "accounts/home_path.h"
#include "accounts/host_probe.h"
#include "accounts/identity.h"
#include "accounts/login_names.h"
#include "accounts/linux_names.h"
#include "accounts/password.h"
#include "accounts/roles.h"
#include "accounts/sessions.h"
#include "accounts/user_removal.h"
#include "proto/etag.h"
#include "proto/patch.h"
#include "proto/schema.h"
#include "accounts/field_strings.h"
#include "store/store.h"
#include "store/users_query.h"

static int64_t today(void)
{
    int64_t day = (int64_t)time(NULL) / 86400;
    return day > 0 ? day : 1; /* sp_lstchg 0 would force a password change */
}

static bool etag_matches(const char *if_match, int64_t version)
{
    return !if_match || scim_etag_matches(if_match, version);
}

static const char *json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static bool active_of(const json_t *doc)
{
    const json_t *a = json_object_get(doc, "active");
    return a ? json_is_true(a) : true;
}

/* userName uniqueness (case-insensitive) and login-name uniqueness, excluding self_id. */
static int check_unique(struct db *db, const char *user_name, const char *login, const char *self_id,
                        struct scim_error *err)
{
    struct user_row other = { 0 };
    char *key = users_name_key_new(user_name);
    int ret = -1;
    if (!key)
        return scim_error_set(err, 500, NULL, "out of memory");
    int r = users_repo_find_by_key(db, USERS_KEY_USER_NAME, key, &other, err);
    if (r < 0)
        goto out;
    if (r == 1 && (!self_id || strcmp(other.id, self_id) != 0)) {
        scim_error_set(err, 409, "uniqueness", "userName '%.128s' is already in use", user_name);
        goto out;
    }
    user_row_clear(&other);
    r = users_repo_find_by_key(db, USERS_KEY_LOGIN, login, &other, err);
    if (r < 0)
        goto out;
    if (r == 1 && (!self_id || strcmp(other.id, self_id) != 0)) {
        scim_error_set(err, 409, "uniqueness",
                       "userName '%.128s' maps to login name '%s', which user '%.128s' already has",
                       user_name, login, other.user_name);
        goto out;
    }
    /* The user's own login is in the users table: only other kinds of names can clash. */
    enum linux_name_owner owner = LINUX_NAME_FREE;
    r = linux_name_taken_by(db, login, NULL, &owner, err);
    if (r < 0)
        goto out;
    if (r == 1 && owner != LINUX_NAME_USER) {
        scim_error_set(err, 409, "uniqueness",
                       "userName '%.128s' maps to login name '%s', which is already %s",
                       user_name, login, linux_name_owner_describe(owner));
        goto out;
    }
    ret = 0;
out:
    user_row_clear(&other);
    free(key);
    return ret;
}

static int set_doc_fields(struct user_row *row, json_t *doc, const char *login)
{
    char **const fields[] = { &row->user_name, &row->login, &row->external_id };
    const char *const values[] = { json_str(doc, "userName"), login, json_str(doc, "externalId") };
    if (strings_replace_all(fields, values, 3) < 0)
        return -1;
    row->active = active_of(doc);
    json_decref(row->doc);
    row->doc = json_incref(doc);
    return 0;
}

static int set_password(struct user_row *row, const char *hash)
{
    char *copy = strdup(hash);
    if (!copy)
        return -1;
    free(row->password_hash);
    row->password_hash = copy;
    row->password_day = today();
    return 0;
}

/* uidNumber/gidNumber in our extension: never stored in the doc (the row's uid is the
 * truth, rendered back on GET). Echoing the current uid back is fine; choosing one is only
 * allowed on create with [accounts] accept_idp_ids, inside the range (checked in the write). */
static int take_idp_ids(const struct scimd_config *cfg, json_t *doc, uint32_t current_uid,
                        uint32_t *requested, struct scim_error *err)
{
    json_t *ext = json_object_get(doc, SCIM_URN_LINUX_USER);
    json_t *uidv = json_object_get(ext, "uidNumber"), *gidv = json_object_get(ext, "gidNumber");
    json_int_t uid = uidv ? json_integer_value(uidv) : 0;
    json_int_t gid = gidv ? json_integer_value(gidv) : uid;
    int ret = 0;
    *requested = 0;
    if (!uidv && !gidv)
        return 0;
    if (!uidv || gid != uid) {
        ret = scim_error_set(err, 400, "invalidValue",
                             "gidNumber must equal uidNumber: every user's primary group is its "
                             "private group (gid = uid)");
    } else if (current_uid != 0) {
        if (uid != (json_int_t)current_uid)
            ret = scim_error_set(err, 400, "mutability",
                                 "uidNumber cannot change (it is %u): uids are stable for the life "
                                 "of a user", current_uid);
    } else if (!cfg->accept_idp_ids) {
        ret = scim_error_set(err, 400, "invalidValue",
                             "uidNumber is not accepted from the identity provider on this host "
                             "([accounts] accept_idp_ids is off); scimd allocates uids");
    } else if (uid < (json_int_t)cfg->uid_min || uid > (json_int_t)cfg->uid_max) {
        ret = scim_error_set(err, 400, "invalidValue",
                             "uidNumber %lld is outside the configured range %u-%u",
                             (long long)uid, cfg->uid_min, cfg->uid_max);
    } else {
        *requested = (uint32_t)uid;
    }
    json_object_del(ext, "uidNumber");
    json_object_del(ext, "gidNumber");
    if (json_object_size(ext) == 0)
        json_object_del(doc, SCIM_URN_LINUX_USER);
    return ret;
}

/* roles_sync for this write: a body the writer runs again starts its list afresh. */
static int sync_roles(struct db *db, struct users_change *w, const json_t *doc,
                      struct scim_error *err)
{
    if (w->new_role_groups)
        json_array_clear(w->new_role_groups);
    return roles_sync_noting(db, w->cfg, doc, &w->new_role_groups, err);
}

static int create_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct users_change *w = arg;
    struct user_row *row = &w->row;
    const char *user_name = json_str(w->body, "userName");

    if (check_unique(db, user_name, w->login, NULL, err) < 0)
        return -1;
    if (sync_roles(db, w, w->body, err) < 0)
        return -1;
    if (users_new_id(row->id) < 0)
        return scim_error_set(err, 500, NULL, "cannot generate an id");
    if (w->requested_uid) {
        if (identity_claim_uid(db, w->cfg, row->id, w->login, w->requested_uid, err) < 0)
            return -1;
        row->uid = w->requested_uid;
    } else if (identity_allocate_uid(db, w->cfg, row->id, w->login, &row->uid, err) < 0) {
        return -1;
    }
    /* Fixed here, for the life of the user: no update writes it, so a rename keeps it. */
    free(row->home);
    row->home = home_path_new(w->cfg->home, w->login);
    if (!row->home || set_doc_fields(row, w->body, w->login) < 0 ||
        (w->password_hash && set_password(row, w->password_hash) < 0))
        return scim_error_set(err, 500, NULL, "out of memory");
    if (!w->password_hash)
        row->password_day = today();
    row->version = 1;
    store_timestamp(row->created);
    memcpy(row->modified, row->created, sizeof(row->modified));
    if (users_repo_insert(db, row, err) < 0)
        return -1;
    audit_changed_attributes(NULL, row->doc, w->password_hash != NULL, w->changed_attrs,
                             sizeof(w->changed_attrs));
    w->changed = true;
    return 0;
}

/* Loads the current row for PUT/PATCH/DELETE and checks If-Match. */
static int load_current(struct db *db, struct users_change *w, struct scim_error *err)
{
    int r = users_repo_get(db, w->id, &w->row, err);
    if (r < 0)
        return -1;
    if (r == 0)
        return scim_error_set(err, 404, NULL, "no user with id '%.64s'", w->id);
    w->was_active = w->row.active;
    if (!etag_matches(w->if_match, w->row.version))
        return scim_error_set(err, 412, NULL,
                              "If-Match does not match the current version W/\"%lld\"",
                              (long long)w->row.version);
    return 0;
}

/* Stores a new doc (and login) for an existing row, bumping the version only on change. */
static int commit_update(struct db *db, struct users_change *w, json_t *doc, const char *login,
                         const char *password_hash, struct scim_error *err)
{
    struct user_row *row = &w->row;
    const char *user_name = json_str(doc, "userName");
    bool login_changed = strcmp(login, row->login) != 0;

    if (check_unique(db, user_name, login, row->id, err) < 0)
        return -1;
    if (json_equal(doc, row->doc) && !password_hash)
        return 0; /* an idempotent push: nothing to store, version unchanged */
    audit_changed_attributes(row->doc, doc, password_hash != NULL, w->changed_attrs,
                             sizeof(w->changed_attrs));
    if (sync_roles(db, w, doc, err) < 0)
        return -1;
    if (set_doc_fields(row, doc, login) < 0 ||
        (password_hash && set_password(row, password_hash) < 0))
        return scim_error_set(err, 500, NULL, "out of memory");
    row->version++;
    store_timestamp(row->modified);
    if (users_repo_update(db, row, err) < 0)
        return -1;
    if (login_changed && identity_rename(db, row->id, login, err) < 0)
        return -1;
    w->changed = true;
    return 0;
}

static int replace_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct users_change *w = arg;
    if (load_current(db, w, err) < 0)
        return -1;
    if (w->requested_uid && w->requested_uid != w->row.uid)
        return scim_error_set(err, 400, "mutability",
                              "uidNumber cannot change (it is %u): uids are stable for the life of "
                              "a user", w->row.uid);
    return commit_update(db, w, w->body, w->login, w->password_hash, err);
}

static int patch_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct users_change *w = arg;
    json_t *res = NULL;
    char *inline_hash = NULL;
    char login[LOGIN_NAME_BUF];
    int ret = -1;

    if (load_current(db, w, err) < 0)
        goto out;
    res = json_deep_copy(w->row.doc);
    if (!res) {
        scim_error_set(err, 500, NULL, "out of memory");
        goto out;
    }
    json_object_set_new(res, "id", json_string(w->row.id));
    if (scim_patch_apply(res, w->body, &scim_rt_user, err) < 0)
        goto out;
    json_object_del(res, "id");
    json_object_del(res, "meta");
    if (scim_resource_validate(res, &scim_rt_user, SCIM_WRITE_REPLACE, err) < 0)
        goto out;
    uint32_t ignored;
    if (take_idp_ids(w->cfg, res, w->row.uid, &ignored, err) < 0)
        goto out;

    const char *hash = NULL;
    const json_t *pw = json_object_get(res, "password");
    if (pw) {
        if (!json_is_string(pw)) {
            scim_error_set(err, 400, "invalidValue", "password must be a string");
            goto out;
        }
        /* A password reached through an unusual path was not pre-hashed: hash it here. */
        hash = w->password_hash;
        if (!hash) {
            inline_hash = password_hash_new(json_string_value(pw), err);
            if (!inline_hash)
                goto out;
            hash = inline_hash;
        }
        json_object_del(res, "password");
    }
    const char *user_name = json_str(res, "userName");
    if (strcmp(user_name, w->row.user_name) == 0) {
        snprintf(login, sizeof(login), "%s", w->row.login);
    } else {
        if (identity_login_name(w->cfg, user_name, login, err) < 0)
            goto out;
        if (strcmp(login, w->row.login) != 0 && identity_check_host(w->cfg, login, err) < 0)
            goto out;
    }
    ret = commit_update(db, w, res, login, hash, err);
out:
    free(inline_hash);
    json_decref(res);
    return ret;
}

static int delete_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct users_change *w = arg;
    if (load_current(db, w, err) < 0)
        return -1;
    if (user_removal_apply(db, w->id, err) < 0)
        return -1;
    w->changed = true;
    return 0;
}

/* Finds a password in a PatchOp so the slow hash runs here, not in the writer. */
int users_service_prehash_patch(const json_t *patch, char **hash_out, struct scim_error *err)
{
    const json_t *ops = NULL, *op;
    const char *key;
    json_t *val;
    size_t i;
    json_object_foreach((json_t *)patch, key, val)
        if (strcasecmp(key, "Operations") == 0)
            ops = val;
    json_array_foreach(ops, i, op) {
        const json_t *path = NULL, *value = NULL, *pw = NULL;
        json_object_foreach((json_t *)op, key, val) {
            if (strcasecmp(key, "path") == 0)
                path = val;
            else if (strcasecmp(key, "value") == 0)
                value = val;
        }
        if (path && json_is_string(path) &&
            (strcasecmp(json_string_value(path), "password") == 0 ||
             strcasecmp(json_string_value(path), SCIM_URN_USER ":password") == 0))
            pw = value;
        else if (!path && json_is_object(value))
            json_object_foreach((json_t *)value, key, val)
                if (strcasecmp(key, "password") == 0)
                    pw = val;
        if (pw && json_is_string(pw)) {
            free(*hash_out);
            *hash_out = password_hash_new(json_string_value(pw), err);
            if (!*hash_out)
                return -1;
        }
    }
    return 0;
}

int users_service_prepare(const struct scimd_config *cfg, json_t *doc, enum scim_write_mode mode,
                          char login[LOGIN_NAME_BUF], char **hash_out, uint32_t *requested_uid,
                          struct scim_error *err)
{
    if (scim_resource_validate(doc, &scim_rt_user, mode, err) < 0)
        return -1;
    /* On PUT the uid is checked against the row in the write (0 = "creating" here only when
     * the mode is create). */
    if (mode == SCIM_WRITE_CREATE) {
        if (take_idp_ids(cfg, doc, 0, requested_uid, err) < 0)
            return -1;
    } else {
        json_t *ext = json_object_get(doc, SCIM_URN_LINUX_USER);
        json_t *u = json_object_get(ext, "uidNumber"), *g = json_object_get(ext, "gidNumber");
        if ((u || g) && (!u || !g || json_integer_value(u) != json_integer_value(g))) {
            scim_error_set(err, 400, "invalidValue", "gidNumber must equal uidNumber");
            return -1;
        }
        *requested_uid = u ? (uint32_t)json_integer_value(u) : 0;
        json_object_del(ext, "uidNumber");
        json_object_del(ext, "gidNumber");
        if (ext && json_object_size(ext) == 0)
            json_object_del(doc, SCIM_URN_LINUX_USER);
    }
    if (identity_login_name(cfg, json_str(doc, "userName"), login, err) < 0 ||
        identity_check_host(cfg, login, err) < 0)
        return -1;
    const json_t *pw = json_object_get(doc, "password");
    if (pw) {
        if (!json_is_string(pw)) {
            scim_error_set(err, 400, "invalidValue", "password must be a string");
            return -1;
        }
        *hash_out = password_hash_new(json_string_value(pw), err);
        if (!*hash_out)
            return -1;
        json_object_del(doc, "password");
    }
    return 0;
}


int users_service_write(struct store *st, const struct scimd_config *cfg, struct users_change *w,
                        struct scim_error *err)
{
    w->cfg = cfg;
    int r = store_write(st, w->op == USERS_OP_CREATE    ? create_fn
                            : w->op == USERS_OP_REPLACE ? replace_fn
                            : w->op == USERS_OP_PATCH   ? patch_fn
                                                        : delete_fn,
                        w, err);
    if (r < 0) { /* rolled back: the role groups were never made */
        json_decref(w->new_role_groups);
        w->new_role_groups = NULL;
    }
    return r;
}

/* groupadd's record for each role group the write made; the group has no SCIM id. */
static void record_role_groups(const char *actor, const json_t *created)
{
    size_t i;
    const json_t *g;
    json_array_foreach(created, i, g) {
        const char *name = json_string_value(json_object_get(g, "name"));
        uint32_t gid = (uint32_t)json_integer_value(json_object_get(g, "gid"));
        char id[40];
        snprintf(id, sizeof(id), "gid:%u", (unsigned)gid);
        audit_log(actor, "create", "RoleGroup", id, name, "");
        const struct audit_kernel_subject subject = { name, gid, NULL, actor };
        audit_kernel_record(AUDIT_KERNEL_GROUP_ADD, &subject, NULL);
    }
}

void users_service_done(const struct scimd_config *cfg, const char *actor,
                        struct users_change *w)
{
    static const char *const actions[] = { "create", "replace", "patch", "delete" };
    record_role_groups(actor, w->new_role_groups);
    json_decref(w->new_role_groups);
    w->new_role_groups = NULL;
    if (!w->changed)
        return;
    /* A removal is audited and ends sessions the way every removal does. */
    if (w->op == USERS_OP_DELETE) {
        user_removal_done(cfg, actor, w->row.id, w->row.login, w->row.uid);
        return;
    }
    audit_log(actor, actions[w->op], "User", w->row.id, w->row.login, w->changed_attrs);
    const struct audit_kernel_subject subject = { w->row.login, w->row.uid, w->row.id, actor };
    audit_kernel_user_written(&subject, w->op == USERS_OP_CREATE, w->was_active, w->row.active,
                              w->changed_attrs);
    if (w->was_active && !w->row.active && cfg->terminate_on_deactivate)
        sessions_terminate(w->row.uid, w->row.login, NULL);
}
