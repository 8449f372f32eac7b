/* SPDX-License-Identifier: MIT */
/* sshPublicKeys values: only "type base64 [comment]" plain public keys (ssh_key.h). */
#include "proto_test_util.h"

#include <string.h>

#include "ssh_key.h"
#include "validate.h"

#define LNX SCIM_URN_LINUX_USER
#define ED_B64 "AAAAC3NzaC1lZDI1NTE5AAAAIN080GsNXQsWRjbanLGtuDSaXS06lcnlUtP7QA1zfFo2"
#define ED_KEY "ssh-ed25519 " ED_B64
#define P256_KEY "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBL6YX0x7wu+j31hc5WdAJ1EY+F1WOLwu96YPFRbZxptnaz/RdFQTAYGz5I3bqhhqjv0X/NNaL9b5LeVMq8W7fqo="
/* An ecdsa-sha2-nistp256 key certified by an ed25519 CA (ssh-keygen -s). */
#define CERT_KEY "ecdsa-sha2-nistp256-cert-v01@openssh.com AAAAKGVjZHNhLXNoYTItbmlzdHAyNTYtY2VydC12MDFAb3BlbnNzaC5jb20AAAAgfqCtXhd5zIvfoqPFzM4rtcrD5KkXuse13hRcNi6W8g0AAAAIbmlzdHAyNTYAAABBBL6YX0x7wu+j31hc5WdAJ1EY+F1WOLwu96YPFRbZxptnaz/RdFQTAYGz5I3bqhhqjv0X/NNaL9b5LeVMq8W7fqoAAAAAAAAAAAAAAAEAAAACaWQAAAAFAAAAAXUAAAAAAAAAAP//////////AAAAAAAAAIIAAAAVcGVybWl0LVgxMS1mb3J3YXJkaW5nAAAAAAAAABdwZXJtaXQtYWdlbnQtZm9yd2FyZGluZwAAAAAAAAAWcGVybWl0LXBvcnQtZm9yd2FyZGluZwAAAAAAAAAKcGVybWl0LXB0eQAAAAAAAAAOcGVybWl0LXVzZXItcmMAAAAAAAAAAAAAADMAAAALc3NoLWVkMjU1MTkAAAAg3TzQaw1dCxZGNtqcsa24NJpdLTqVyeVS0/tADXN8WjYAAABTAAAAC3NzaC1lZDI1NTE5AAAAQGL98w+QHX26QBYOAI3UYTR/Axq4CNKcctTgQ2nNtaYLQy9EP5RU7MKVxyN/m5oDsHHjLcDMOh7tCTxgIsfgHgc="

static void accepted(const char *line)
{
    const char *why = NULL;
    if (!scim_ssh_key_ok(line, &why))
        fail_msg("refused '%s': %s", line, why);
}

static void refused(const char *line, const char *needle)
{
    const char *why = NULL;
    if (scim_ssh_key_ok(line, &why))
        fail_msg("accepted '%s'", line);
    if (!strstr(why, needle))
        fail_msg("'%s' refused for '%s', expected '%s'", line, why, needle);
}

static void test_plain_keys(void **state)
{
    (void)state;
    accepted(ED_KEY);
    accepted(ED_KEY " alice@laptop");
    accepted(ED_KEY "  two spaces, then a comment with (punctuation) = ok");
    accepted(P256_KEY " x");
    /* The wire-format check needs only the type prefix and some key data. */
    accepted("sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIA==");
}

static void test_options_and_markers(void **state)
{
    (void)state;
    refused("command=\"/bin/sh\" " ED_KEY, "plain public key type");
    refused("no-pty " ED_KEY, "plain public key type");
    refused("@cert-authority " ED_KEY, "plain public key type");
    refused("@revoked " ED_KEY, "plain public key type");
    refused("cert-authority " ED_KEY, "plain public key type");
    refused(" " ED_KEY, "plain public key type");
    refused(CERT_KEY, "plain public key type");
    refused("SSH-ED25519 " ED_B64, "plain public key type");
    refused("ssh-dss " ED_B64, "plain public key type");
    refused("ssh-ed25519", "not 'type base64-key");
    refused("", "not 'type base64-key");
}

static void test_control_characters(void **state)
{
    (void)state;
    refused(ED_KEY " a\nssh-rsa AAAA", "control");
    refused(ED_KEY " a\rb", "control");
    refused(ED_KEY " \033]0;owned\007", "control");
    refused(ED_KEY "\ta", "control");
    refused(ED_KEY " caf\xc3\xa9", "non-ASCII");
    refused(ED_KEY " \x7f", "control");
}

static void test_base64_and_blob(void **state)
{
    (void)state;
    refused("ssh-ed25519 AAAA", "does not match its type");        /* no type inside */
    refused("ssh-rsa " ED_B64, "does not match its type");         /* ed25519 blob */
    refused("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "does not match"); /* type, no key */
    refused("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN0!0GsN", "base64");
    refused("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIN0", "base64");   /* length */
    refused("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI=N0", "base64");  /* '=' inside */
    refused("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB==", "base64");  /* stray bits */
    refused("ssh-ed25519  ", "base64");
    char big[SCIM_SSH_KEY_MAX + 64];
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "ssh-rsa ", 8);
    refused(big, "longer");
}

/* Through the User document check: POST/PUT and PATCH results are refused with the index. */
static void test_user_document(void **state)
{
    (void)state;
    struct scim_error err = {0};
    json_t *res = jparse("{\"userName\": \"a\", \"" LNX "\": {\"sshPublicKeys\": ["
                         "{\"value\": \"" ED_KEY " ok\"},"
                         "{\"value\": \"command=\\\"id\\\" " ED_KEY "\"}]}}");
    json_t *before = json_deep_copy(res);
    assert_int_equal(scim_resource_validate(res, &scim_rt_user, SCIM_WRITE_CREATE, &err), -1);
    assert_scim_error(&err, 400, "invalidValue");
    if (!strstr(err.detail, "sshPublicKeys[1].value") ||
        !strstr(err.detail, "value begins 'command=\"id\" ssh-ed25519 AAAAC3N...'"))
        fail_msg("detail: %s", err.detail);
    assert_true(json_equal(res, before));
    json_decref(res);
    json_decref(before);

    /* A newline in the comment shows as '?' in the detail, never raw. */
    res = jparse("{\"userName\": \"a\", \"" LNX "\": {\"sshPublicKeys\": "
                 "[{\"value\": \"" ED_KEY "\\nx\"}]}}");
    assert_int_equal(scim_resource_validate(res, &scim_rt_user, SCIM_WRITE_REPLACE, &err), -1);
    if (!strstr(err.detail, "sshPublicKeys[0].value contains a control") || strchr(err.detail, '\n'))
        fail_msg("detail: %s", err.detail);
    json_decref(res);

    res = jparse("{\"userName\": \"a\", \"" LNX "\": {\"sshPublicKeys\": "
                 "[{\"value\": \"" ED_KEY " ok\"}, {\"value\": \"" P256_KEY "\"}]}}");
    assert_int_equal(scim_resource_validate(res, &scim_rt_user, SCIM_WRITE_CREATE, &err), 0);
    json_decref(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_keys),
        cmocka_unit_test(test_options_and_markers),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_base64_and_blob),
        cmocka_unit_test(test_user_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
