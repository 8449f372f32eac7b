/* SPDX-License-Identifier: MIT */
/* Kernel audit records (accounts/audit_kernel.c) against a stand-in libaudit: the link wraps
 * audit_open, audit_log_user_message and audit_close (-Wl,--wrap), so each test sees exactly
 * which records scimd sends, with which type and fields, and how it behaves where the kernel
 * has no audit support, refuses records, or fails. The real kernel is tests/integration/ops/
 * test_audit_records.py's. */
#include <errno.h>
#include <libaudit.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accounts/audit_kernel.h"
#include "accounts/user_removal.h"
#include "accounts/users_service.h"
#include "core_fixture.h"
#include "fleet/feed_parse.h"
#include "scimd_config.h"
#include "store/materialize.h"
#include "store/store.h"

#define MAX_SENT 16

static struct {
    int open_errno;  /* audit_open fails with it when nonzero */
    int send_result; /* what audit_log_user_message answers */
    int send_errno;
    int opens, closes, open_fds;
    size_t n;
    int type[MAX_SENT];
    char msg[MAX_SENT][4096];
} fake;

int __wrap_audit_open(void);
int __wrap_audit_log_user_message(int fd, int type, const char *message, const char *hostname,
                                  const char *addr, const char *tty, int result);
void __wrap_audit_close(int fd);

int __wrap_audit_open(void)
{
    fake.opens++;
    if (fake.open_errno) {
        errno = fake.open_errno;
        return -1;
    }
    fake.open_fds++;
    return 99;
}

int __wrap_audit_log_user_message(int fd, int type, const char *message, const char *hostname,
                                  const char *addr, const char *tty, int result)
{
    assert_int_equal(fd, 99);
    assert_null(hostname);
    assert_null(addr);
    assert_non_null(tty); /* "": no ttyname lookup per record, terminal=? */
    assert_string_equal(tty, "");
    assert_int_equal(result, 1); /* every record is of a change that happened */
    if (fake.n < MAX_SENT) {
        fake.type[fake.n] = type;
        snprintf(fake.msg[fake.n], sizeof(fake.msg[0]), "%s", message);
        fake.n++;
    }
    errno = fake.send_errno;
    return fake.send_result;
}

void __wrap_audit_close(int fd)
{
    assert_int_equal(fd, 99);
    fake.closes++;
    fake.open_fds--;
}

static int reset(void **state)
{
    (void)state;
    audit_kernel_close();
    memset(&fake, 0, sizeof(fake));
    fake.send_result = 1;
    return 0;
}

static const struct audit_kernel_subject alice = { "alice", 10001,
                                                   "2819c223-7f76-453a-919d-413861904646",
                                                   "abcdefghijkmnpqr" };

static void test_format(void **state)
{
    (void)state;
    char buf[512];
    assert_int_equal(audit_kernel_format(AUDIT_KERNEL_USER_ADD, &alice, "userName,active", buf,
                                         sizeof(buf)), 0);
    assert_string_equal(buf, "op=add-user id=10001 acct=\"alice\" "
                             "scim_id=\"2819c223-7f76-453a-919d-413861904646\" "
                             "token=\"abcdefghijkmnpqr\" changed=\"userName,active\"");
    /* A group with no gid (SCIM-only or mapped) has no id=; no token is "?". A value with a
     * space, a quote or non-ASCII is hex, unquoted, as auparse reads acct=. */
    const struct audit_kernel_subject g = { "ops team", 0, "g\"1", NULL };
    assert_int_equal(audit_kernel_format(AUDIT_KERNEL_GROUP_DELETE, &g, NULL, buf, sizeof(buf)),
                     0);
    assert_string_equal(buf, "op=delete-group acct=6F7073207465616D scim_id=672231 token=?");
    const struct audit_kernel_subject u = { "jos\xc3\xa9", 5, "x", "scimctl" };
    assert_int_equal(audit_kernel_format(AUDIT_KERNEL_USER_DISABLE, &u, NULL, buf, sizeof(buf)),
                     0);
    assert_string_equal(buf, "op=disable-user id=5 acct=6A6F73C3A9 scim_id=\"x\" "
                             "token=\"scimctl\"");
    /* Too small a buffer is refused, never cut. */
    assert_int_equal(audit_kernel_format(AUDIT_KERNEL_USER_ADD, &alice, NULL, buf, 40), -1);
    assert_int_equal(audit_kernel_format(AUDIT_KERNEL_USER_ADD, &alice, NULL, buf, 10), -1);
}

static void test_types(void **state)
{
    (void)state;
    static const int want[] = { AUDIT_ADD_USER,  AUDIT_USER_MGMT, AUDIT_USER_CHAUTHTOK,
                                AUDIT_ACCT_LOCK, AUDIT_ACCT_UNLOCK, AUDIT_DEL_USER,
                                AUDIT_ADD_GROUP, AUDIT_GRP_MGMT,  AUDIT_DEL_GROUP };
    static const char *const ops[] = { "add-user",   "modify-user", "change-password",
                                       "disable-user", "enable-user", "delete-user",
                                       "add-group",  "modify-group", "delete-group" };
    for (int k = AUDIT_KERNEL_USER_ADD; k <= AUDIT_KERNEL_GROUP_DELETE; k++)
        audit_kernel_record((enum audit_kernel_kind)k, &alice, NULL);
    assert_int_equal(fake.n, 9);
    assert_int_equal(fake.opens, 1); /* one socket for them all */
    for (size_t i = 0; i < fake.n; i++) {
        char op[64];
        snprintf(op, sizeof(op), "op=%s ", ops[i]);
        assert_int_equal(fake.type[i], want[i]);
        assert_true(strncmp(fake.msg[i], op, strlen(op)) == 0);
    }
}

static void test_user_written(void **state)
{
    (void)state;
    /* Created active: ADD_USER only; created inactive: and ACCT_LOCK. */
    audit_kernel_user_written(&alice, true, false, true, "userName,active");
    assert_int_equal(fake.n, 1);
    assert_int_equal(fake.type[0], AUDIT_ADD_USER);
    audit_kernel_user_written(&alice, true, false, false, "userName,active");
    assert_int_equal(fake.n, 3);
    assert_int_equal(fake.type[1], AUDIT_ADD_USER);
    assert_int_equal(fake.type[2], AUDIT_ACCT_LOCK);
    /* Deactivation alone: ACCT_LOCK, no USER_MGMT. */
    audit_kernel_user_written(&alice, false, true, false, "active");
    assert_int_equal(fake.n, 4);
    assert_int_equal(fake.type[3], AUDIT_ACCT_LOCK);
    /* Everything at once: USER_MGMT naming the other attributes, USER_CHAUTHTOK, ACCT_UNLOCK. */
    audit_kernel_user_written(&alice, false, false, true, "name,password,active,emails");
    assert_int_equal(fake.n, 7);
    assert_int_equal(fake.type[4], AUDIT_USER_MGMT);
    assert_non_null(strstr(fake.msg[4], " changed=\"name,emails\""));
    assert_int_equal(fake.type[5], AUDIT_USER_CHAUTHTOK);
    assert_null(strstr(fake.msg[5], "changed="));
    assert_int_equal(fake.type[6], AUDIT_ACCT_UNLOCK);
    /* A write that changed nothing sends nothing. */
    audit_kernel_user_written(&alice, false, true, true, "");
    assert_int_equal(fake.n, 7);
}

/* The callers: a SCIM DELETE, the retention sweep and scimctl users delete all end in
 * user_removal_done; every /Users write in users_service_done. */
static void test_callers(void **state)
{
    (void)state;
    struct scimd_config cfg = { 0 };
    cfg.terminate_on_deactivate = false;
    user_removal_done(&cfg, "scimctl", "id-1", "bob", 10002);
    assert_int_equal(fake.n, 1);
    assert_int_equal(fake.type[0], AUDIT_DEL_USER);
    assert_string_equal(fake.msg[0], "op=delete-user id=10002 acct=\"bob\" scim_id=\"id-1\" "
                                     "token=\"scimctl\"");

    char carol[] = "carol";
    struct users_change w = { .op = USERS_OP_PATCH, .changed = true, .was_active = true };
    snprintf(w.row.id, sizeof(w.row.id), "id-2");
    w.row.login = carol;
    w.row.uid = 10003;
    w.row.active = false;
    snprintf(w.changed_attrs, sizeof(w.changed_attrs), "active");
    users_service_done(&cfg, "tok1", &w);
    assert_int_equal(fake.n, 2);
    assert_int_equal(fake.type[1], AUDIT_ACCT_LOCK);
    assert_string_equal(fake.msg[1], "op=disable-user id=10003 acct=\"carol\" "
                                     "scim_id=\"id-2\" token=\"tok1\"");

    w.op = USERS_OP_CREATE;
    w.was_active = false;
    w.row.active = true;
    snprintf(w.changed_attrs, sizeof(w.changed_attrs), "userName,active");
    users_service_done(&cfg, "tok1", &w);
    assert_int_equal(fake.n, 3);
    assert_int_equal(fake.type[2], AUDIT_ADD_USER);
}

/* A follower: what the hub's feed added, disabled, enabled and removed on this host, token
 * "fleet"; a snapshot that changes nothing sends nothing. */
#define FEED "0123456789abcdef0123456789abcdef"
#define LO 52000u

struct follow_ctx {
    struct core_ledger_fx *f;
    const char *body;
    struct mat_options opt;
    struct mat_result res;
};

static int follow_fn(struct db *db, void *arg, struct scim_error *err)
{
    struct follow_ctx *c = arg;
    struct feed_parsed p;
    char perr[256];
    if (feed_parse(&c->f->cfg, c->body, strlen(c->body), &p, perr, sizeof(perr)) < 0)
        return scim_error_set(err, 400, NULL, "%s", perr);
    int r = materialize_apply(db, &p.doc, &c->opt, &c->res, err);
    feed_parsed_free(&p);
    return r;
}

/* Applies a feed document with these users (and deletions), then sends its records. */
static void follow(struct follow_ctx *c, const char *type, const char *users, const char *deleted)
{
    static char body[4096];
    snprintf(body, sizeof(body),
             "{\"feed\":\"" FEED "\",\"type\":\"%s\",\"from\":%d,\"to\":%d,"
             "\"generated\":\"2026-12-04T00:00:00Z\",\"users\":[%s],\"groups\":[],"
             "\"roles\":[],\"deleted\":[%s]}",
             type, strcmp(type, "snapshot") == 0 ? 0 : 10, strcmp(type, "snapshot") == 0 ? 10 : 11,
             users, deleted);
    struct scim_error err;
    scim_error_clear(&err);
    materialize_result_free(&c->res);
    c->body = body;
    assert_int_equal(store_write(c->f->st, follow_fn, c, &err), 0);
    audit_kernel_materialized(c->res.changes, c->res.n_changes);
}

static const char *fuser(int slot, const char *id, const char *login, long uid,
                         const char *active)
{
    static char buf[2][512];
    snprintf(buf[slot], sizeof(buf[slot]),
             "{\"id\":\"%s\",\"userName\":\"%s@example.com\",\"login\":\"%s\",\"uid\":%ld,"
             "\"active\":%s,\"gecos\":\"%s\",\"roles\":[],\"sshKeys\":[],"
             "\"passwordHash\":null,\"passwordDay\":20000}",
             id, login, login, uid, active, login);
    return buf[slot];
}

static void test_follower(void **state)
{
    (void)state;
    struct follow_ctx c = { .f = core_ledger_fx_new(LO) };
    char users[1024];
    snprintf(users, sizeof(users), "%s,%s", fuser(0, "u1", "alice", LO, "true"),
             fuser(1, "u2", "bob", LO + 1, "false"));
    follow(&c, "snapshot", users, "");
    assert_int_equal(fake.n, 3);
    assert_int_equal(fake.type[0], AUDIT_ADD_USER);
    assert_string_equal(fake.msg[0], "op=add-user id=52000 acct=\"alice\" scim_id=\"u1\" "
                                     "token=\"fleet\"");
    assert_int_equal(fake.type[1], AUDIT_ADD_USER);
    assert_int_equal(fake.type[2], AUDIT_ACCT_LOCK); /* bob arrived inactive */
    assert_non_null(strstr(fake.msg[2], "acct=\"bob\" scim_id=\"u2\""));

    snprintf(users, sizeof(users), "%s,%s", fuser(0, "u1", "alice", LO, "false"),
             fuser(1, "u2", "bob", LO + 1, "true"));
    follow(&c, "changes", users, "");
    assert_int_equal(fake.n, 5);
    assert_int_equal(fake.type[3], AUDIT_ACCT_LOCK);
    assert_non_null(strstr(fake.msg[3], "acct=\"alice\""));
    assert_int_equal(fake.type[4], AUDIT_ACCT_UNLOCK);
    assert_non_null(strstr(fake.msg[4], "acct=\"bob\""));

    /* A snapshot naming only bob, unchanged: alice goes (DEL_USER), bob sends nothing. */
    follow(&c, "snapshot", fuser(1, "u2", "bob", LO + 1, "true"), "");
    assert_int_equal(fake.n, 6);
    assert_int_equal(fake.type[5], AUDIT_DEL_USER);
    assert_string_equal(fake.msg[5], "op=delete-user id=52000 acct=\"alice\" scim_id=\"u1\" "
                                     "token=\"fleet\"");
    follow(&c, "snapshot", fuser(1, "u2", "bob", LO + 1, "true"), "");
    assert_int_equal(fake.n, 6);
    materialize_result_free(&c.res);
    core_ledger_fx_free(c.f);
}

static void two_records(void *arg)
{
    (void)arg;
    audit_kernel_record(AUDIT_KERNEL_USER_ADD, &alice, NULL);
    audit_kernel_record(AUDIT_KERNEL_USER_DELETE, &alice, NULL);
}

static size_t count(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* No audit in the kernel (audit_open: EPROTONOSUPPORT): nothing sent, one debug line, and
 * the socket is not asked for again. */
static void test_no_kernel_support(void **state)
{
    (void)state;
    fake.open_errno = EPROTONOSUPPORT;
    size_t len;
    char *log = core_capture_stderr(two_records, NULL, &len);
    assert_int_equal(fake.n, 0);
    assert_int_equal(fake.opens, 1);
    assert_int_equal(count(log, "has no audit support"), 1);
    free(log);
}

/* A sandbox without netlink (RestrictAddressFamilies=): records are lost, a warning once. */
static void test_no_netlink(void **state)
{
    (void)state;
    fake.open_errno = EAFNOSUPPORT;
    size_t len;
    char *log = core_capture_stderr(two_records, NULL, &len);
    assert_int_equal(fake.n, 0);
    assert_int_equal(fake.opens, 1);
    assert_int_equal(count(log, "may not open netlink sockets"), 1);
    assert_int_equal(count(log, "has no audit support"), 0);
    free(log);
}

/* A container (the kernel answers ECONNREFUSED outside the initial user namespace, libaudit
 * returns 0): one debug line, the socket closed, nothing more sent. */
static void test_refused(void **state)
{
    (void)state;
    fake.send_result = 0;
    fake.send_errno = ECONNREFUSED;
    size_t len;
    char *log = core_capture_stderr(two_records, NULL, &len);
    assert_int_equal(fake.n, 1);
    assert_int_equal(fake.closes, 1);
    assert_int_equal(fake.open_fds, 0);
    assert_int_equal(count(log, "takes no audit records here"), 1);
    free(log);
}

/* No CAP_AUDIT_WRITE (a unit that drops it): records are lost, so this one is a warning. */
static void test_no_capability(void **state)
{
    (void)state;
    fake.send_result = 0;
    fake.send_errno = EPERM;
    size_t len;
    char *log = core_capture_stderr(two_records, NULL, &len);
    assert_int_equal(fake.n, 1);
    assert_int_equal(count(log, "no CAP_AUDIT_WRITE"), 1);
    free(log);
}

/* Any other failure (a full socket buffer) is logged per record, and the next one is tried. */
static void test_send_failure(void **state)
{
    (void)state;
    fake.send_result = -1;
    fake.send_errno = ENOBUFS;
    size_t len;
    char *log = core_capture_stderr(two_records, NULL, &len);
    assert_int_equal(fake.n, 2);
    assert_int_equal(fake.opens, 1);
    assert_int_equal(count(log, "record for 2819c223-7f76-453a-919d-413861904646 failed"), 2);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_format, reset, reset),
        cmocka_unit_test_setup_teardown(test_types, reset, reset),
        cmocka_unit_test_setup_teardown(test_user_written, reset, reset),
        cmocka_unit_test_setup_teardown(test_callers, reset, reset),
        cmocka_unit_test_setup_teardown(test_follower, reset, reset),
        cmocka_unit_test_setup_teardown(test_no_kernel_support, reset, reset),
        cmocka_unit_test_setup_teardown(test_no_netlink, reset, reset),
        cmocka_unit_test_setup_teardown(test_refused, reset, reset),
        cmocka_unit_test_setup_teardown(test_no_capability, reset, reset),
        cmocka_unit_test_setup_teardown(test_send_failure, reset, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
