/* SPDX-License-Identifier: MIT */
#include "follow_config.h"

#include "secret_file.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/base64.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scimd_config.h"

/* A plain-http hub is for tests on one machine: anything else could be read or forged on
 * the way (the feed is signed, but the host token would travel in clear). */
static bool host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcasecmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

int follow_config_hub_ok(const char *url, char *err, size_t errlen)
{
    bool tls;
    const char *p;
    char host[256];
    if (strncmp(url, "https://", 8) == 0) {
        tls = true;
        p = url + 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        tls = false;
        p = url + 7;
    } else {
        goto bad;
    }
    const char *host_end;
    if (*p == '[') {
        host_end = strchr(p, ']');
        if (!host_end || host_end == p + 1 || (size_t)(host_end - p - 1) >= sizeof(host))
            goto bad;
        memcpy(host, p + 1, host_end - p - 1);
        host[host_end - p - 1] = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, host, &a6) != 1)
            goto bad;
        host_end++;
    } else {
        host_end = p + strcspn(p, ":/");
        if (host_end == p || (size_t)(host_end - p) >= sizeof(host))
            goto bad;
        memcpy(host, p, host_end - p);
        host[host_end - p] = '\0';
        for (const char *c = host; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.')
                goto bad; /* no userinfo, no spaces, no percent-encoding */
    }
    p = host_end;
    if (*p == ':') {
        p++;
        unsigned long port = 0;
        size_t digits = 0;
        while (isdigit((unsigned char)*p) && digits < 6) {
            port = port * 10 + (unsigned long)(*p++ - '0');
            digits++;
        }
        if (digits == 0 || port == 0 || port > 65535)
            goto bad;
    }
    if (*p == '/')
        p++;
    if (*p != '\0')
        goto bad;
    if (!tls && !host_is_loopback(host)) {
        snprintf(err, errlen, "hub: http:// only to a loopback address (use https://), got '%s'",
                 url);
        return -1;
    }
    return 0;
bad:
    snprintf(err, errlen, "hub: expected https://HOST[:PORT], got '%s'", url);
    return -1;
}

static bool key_decodes_to_32(const char *b64, size_t len)
{
    uint8_t out[BASE64_DECODE_LENGTH(FOLLOW_KEY_B64_LEN)];
    size_t outlen = sizeof(out);
    struct base64_decode_ctx ctx;
    if (len != FOLLOW_KEY_B64_LEN)
        return false;
    base64_decode_init(&ctx);
    if (!base64_decode_update(&ctx, &outlen, out, len, b64) || !base64_decode_final(&ctx))
        return false;
    return outlen == 32;
}

int follow_config_keys(const char *list, char out[FOLLOW_MAX_HUB_KEYS][FOLLOW_KEY_B64_LEN + 1],
                       char *err, size_t errlen)
{
    int n = 0;
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, ", \t");
        if (n == FOLLOW_MAX_HUB_KEYS) {
            snprintf(err, errlen, "hub_keys: at most %d keys (the current one and the next)",
                     FOLLOW_MAX_HUB_KEYS);
            return -1;
        }
        if (!key_decodes_to_32(p, len)) {
            snprintf(err, errlen, "hub_keys: '%.*s' is not a base64 Ed25519 public key (32 bytes)",
                     (int)(len > 60 ? 60 : len), p);
            return -1;
        }
        memcpy(out[n], p, len);
        out[n][len] = '\0';
        n++;
        p += len;
    }
    if (n == 0) {
        snprintf(err, errlen, "hub_keys: no key given");
        return -1;
    }
    return n;
}

int follow_config_token(const struct scimd_config *cfg, char *buf, size_t buflen, char *err,
                        size_t errlen)
{
    if (cfg->follow_token) {
        if (strlen(cfg->follow_token) >= buflen) {
            snprintf(err, errlen, "token: too long");
            return -1;
        }
        snprintf(buf, buflen, "%s", cfg->follow_token);
        return 0;
    }
    return secret_file_read("token_file", cfg->follow_token_file, buf, buflen, err, errlen);
}

static bool is_feed_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!isxdigit((unsigned char)s[n]) || isupper((unsigned char)s[n]))
            return false;
    return n == 32;
}

int follow_config_check(const struct scimd_config *cfg, char *err, size_t errlen)
{
    const char *file = cfg->path ? cfg->path : "(defaults)";
    char msg[256];
    char keys[FOLLOW_MAX_HUB_KEYS][FOLLOW_KEY_B64_LEN + 1];
    char token[1024];
    if (!cfg->follow_hub) {
        if (cfg->follow_token || cfg->follow_token_file || cfg->follow_hub_keys ||
            cfg->follow_feed_id || cfg->follow_groups || cfg->follow_max_offline) {
            snprintf(err, errlen, "%s: [follow] keys are set but hub is not", file);
            return -1;
        }
        return 0;
    }
    if (follow_config_hub_ok(cfg->follow_hub, msg, sizeof(msg)) < 0)
        goto bad;
    if (cfg->remove_deactivated_after_days) {
        /* The hub's store is the authority: a follower removing users on its own would
         * drift from it. The hub's own setting reaches every follower as deletions. */
        snprintf(msg, sizeof(msg), "a follower takes no [accounts] remove_deactivated_after "
                                   "(set it on the hub)");
        goto bad;
    }
    if (!cfg->follow_hub_keys) {
        snprintf(msg, sizeof(msg), "hub_keys: required with hub (an unsigned feed is refused)");
        goto bad;
    }
    if (follow_config_keys(cfg->follow_hub_keys, keys, msg, sizeof(msg)) < 0)
        goto bad;
    if (!cfg->follow_token == !cfg->follow_token_file) {
        snprintf(msg, sizeof(msg), "exactly one of token and token_file is required with hub");
        goto bad;
    }
    if (follow_config_token(cfg, token, sizeof(token), msg, sizeof(msg)) < 0)
        goto bad;
    explicit_bzero(token, sizeof(token));
    if (cfg->follow_feed_id && !is_feed_id(cfg->follow_feed_id)) {
        snprintf(msg, sizeof(msg), "feed_id: expected 32 lower-case hex digits, got '%s'",
                 cfg->follow_feed_id);
        goto bad;
    }
    return 0;
bad:
    snprintf(err, errlen, "%s: [follow] %s", file, msg);
    return -1;
}
