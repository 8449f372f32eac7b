/* SPDX-License-Identifier: MIT */
/* sshPublicKeys value check: one plain public key per value (see ssh_key.h). */
#include "ssh_key.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"

static const char *const key_types[] = {
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
};

static int b64_digit(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes padded base64 of n characters into out (at least n / 4 * 3 bytes); -1 unless
 * canonical (length a multiple of 4, '=' only as the last one or two characters, no stray
 * bits in the final group). */
static long b64_decode(const char *in, size_t n, unsigned char *out)
{
    if (n == 0 || n % 4 != 0)
        return -1;
    size_t pad = in[n - 1] == '=' ? (in[n - 2] == '=' ? 2 : 1) : 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        for (size_t j = 0; j < 4; j++) {
            bool is_pad = i + j >= n - pad;
            int d = is_pad ? 0 : b64_digit((unsigned char)in[i + j]);
            if (d < 0)
                return -1;
            v = v << 6 | (uint32_t)d;
        }
        out[o++] = (unsigned char)(v >> 16);
        if (i + 4 < n || pad < 2)
            out[o++] = (unsigned char)(v >> 8);
        if (i + 4 < n || pad < 1)
            out[o++] = (unsigned char)v;
        if (i + 4 == n && ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff))))
            return -1;
    }
    return (long)o;
}

static const char *known_type(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
        if (strlen(key_types[i]) == n && memcmp(key_types[i], s, n) == 0)
            return key_types[i];
    return NULL;
}

bool scim_ssh_key_ok(const char *line, const char **why)
{
    unsigned char blob[SCIM_SSH_KEY_MAX / 4 * 3];
    size_t len = strlen(line);

    if (len > SCIM_SSH_KEY_MAX) {
        *why = "longer than any public key";
        return false;
    }
    /* Control characters would end the line sshd reads (newline) or reach a terminal. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c >= 0x7f) {
            *why = "contains a control or non-ASCII character";
            return false;
        }
    }
    const char *type = line, *sp = strchr(type, ' ');
    if (!sp) {
        *why = "is not 'type base64-key [comment]'";
        return false;
    }
    const char *name = known_type(type, (size_t)(sp - type));
    if (!name) {
        *why = "does not start with a plain public key type (options, markers such as "
               "@cert-authority and certificates are not accepted)";
        return false;
    }
    const char *b64 = sp;
    while (*b64 == ' ')
        b64++;
    size_t b64_len = strcspn(b64, " ");
    long n = b64_decode(b64, b64_len, blob);
    if (n < 0) {
        *why = "has a key that is not valid base64";
        return false;
    }
    size_t tl = strlen(name);
    if ((size_t)n <= 4 + tl || blob[0] || blob[1] || blob[2] != (tl >> 8 & 0xff) ||
        blob[3] != (tl & 0xff) || memcmp(blob + 4, name, tl) != 0) {
        *why = "has a key blob that does not match its type";
        return false;
    }
    return true;
}

int scim_user_ssh_keys_check(const json_t *user, struct scim_error *err)
{
    const json_t *keys =
        json_object_get(json_object_get(user, SCIM_URN_LINUX_USER), "sshPublicKeys");
    size_t i;
    const json_t *k;

    if (!json_is_array(keys))
        return 0;
    json_array_foreach(keys, i, k) {
        const char *v = json_string_value(json_object_get(k, "value")), *why = NULL;
        if (!v || scim_ssh_key_ok(v, &why))
            continue;
        /* The value is hostile by assumption: show only a short, printable prefix. */
        char prefix[33];
        size_t j = 0;
        for (; j < sizeof(prefix) - 1 && v[j]; j++)
            prefix[j] = v[j] >= 0x20 && v[j] < 0x7f ? v[j] : '?';
        prefix[j] = '\0';
        return scim_error_set(err, 400, "invalidValue",
                              "sshPublicKeys[%zu].value %s (value begins '%s%s')", i, why, prefix,
                              v[j] ? "..." : "");
    }
    return 0;
}
