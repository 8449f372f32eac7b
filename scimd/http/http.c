/* SPDX-License-Identifier: MIT */
#include "http/http.h"

#include "http/conn_watchdog.h"
#include "http/http_head.h"
#include "log.h"
#include "http/router.h"
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "proto/utf8.h"

#define SCIM_CONTENT_TYPE "application/scim+json"
#define MAX_HEAD_BYTES (48 * 1024)

struct conn_state {
    struct timespec start;
    char *body;
    size_t body_len, body_cap;
    bool too_large;
    bool responded;
    int status;
    char token_id[TOKEN_ID_LEN + 1];
    enum metrics_route route;
    char method[16];
    char path[256];
};

static const char *mhd_lookup(void *transport, enum api_value_kind kind, const char *name)
{
    return MHD_lookup_connection_value(transport,
                                       kind == API_QUERY ? MHD_GET_ARGUMENT_KIND : MHD_HEADER_KIND,
                                       name);
}

static double elapsed_ms(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) * 1e3 + (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* Strings that reach the log are cut and stripped of control bytes: a request path is
 * attacker-chosen and must not forge log lines. */
static void copy_for_log(char *dst, size_t dstlen, const char *src)
{
    size_t i = 0;
    for (; src && *src && i + 1 < dstlen; src++)
        dst[i++] = ((unsigned char)*src < 0x20 || *src == 0x7f) ? '?' : *src;
    dst[i] = '\0';
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct conn_state *cs,
                             struct api_response *resp)
{
    char *body = NULL;
    size_t len = 0;
    enum MHD_Result ret = MHD_NO;
    const char *ctype = SCIM_CONTENT_TYPE;

    if (resp->json) {
        body = json_dumps(resp->json, JSON_COMPACT);
        if (!body) {
            api_error(resp, 500, NULL, "cannot encode response");
            body = json_dumps(resp->json, JSON_COMPACT);
        }
        len = body ? strlen(body) : 0;
    } else if (resp->text) {
        body = resp->text;
        resp->text = NULL;
        len = strlen(body);
        ctype = resp->content_type ? resp->content_type : "text/plain; charset=utf-8";
    } else if (resp->raw) {
        body = resp->raw;
        resp->raw = NULL;
        len = resp->raw_len;
        ctype = resp->content_type ? resp->content_type : "application/octet-stream";
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, body ? body : (void *)"", body ? MHD_RESPMEM_MUST_FREE
                                                                           : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (resp->status != 204 && resp->status != 304)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (resp->location)
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, resp->location);
    if (resp->etag)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, resp->etag);
    if (resp->allow[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
    if (resp->www_authenticate) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"scimd\"");
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"scimd\"");
    }
    if (resp->retry_after) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%u", resp->retry_after);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, buf);
    }
    if (resp->content_encoding)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, resp->content_encoding);
    if (resp->signature)
        MHD_add_response_header(r, "Scimd-Signature", resp->signature);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                            resp->cache_control ? resp->cache_control : "no-store");
    ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    cs->status = resp->status;
    cs->responded = true;
    return ret;
}

static bool body_allowed(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
           strcmp(method, "PATCH") == 0;
}

/* application/scim+json or application/json, with optional parameters (charset). */
static bool content_type_ok(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strcspn(ct, "; \t");
    return (n == strlen("application/scim+json") &&
            strncasecmp(ct, "application/scim+json", n) == 0) ||
           (n == strlen("application/json") && strncasecmp(ct, "application/json", n) == 0);
}

static void fill_base_url(struct scimd_server *srv, struct MHD_Connection *conn,
                          struct http_exchange *req)
{
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    char fallback[64];
    bool host_ok = host && *host && strlen(host) < 256;
    for (const char *p = host; host_ok && *p; p++)
        if (!(*p == '.' || *p == '-' || *p == ':' || *p == '[' || *p == ']' || *p == '_' ||
              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            host_ok = false; /* a Host header must not inject into meta.location */
    if (!host_ok) {
        bool v6 = strchr(srv->cfg->listen_host, ':') != NULL;
        snprintf(fallback, sizeof(fallback), "%s%s%s:%u", v6 ? "[" : "", srv->cfg->listen_host,
                 v6 ? "]" : "", srv->port);
        host = fallback;
    }
    snprintf(req->api.base_url, sizeof(req->api.base_url), "%s://%s%s", srv->tls ? "https" : "http", host,
             srv->cfg->base_path);
}

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    size_t *total = cls;
    *total += (key ? strlen(key) : 0) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

/* Query parameters arrive percent-decoded: a %00 would silently cut a value short and
 * invalid UTF-8 would reach filters and logs. Both are refused up front. */
static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t key_size, const char *value, size_t value_size)
{
    bool *bad = cls;
    if (strlen(key) != key_size || !scim_utf8_valid((const unsigned char *)key, key_size) ||
        (value && (strlen(value) != value_size ||
                   !scim_utf8_valid((const unsigned char *)value, value_size)))) {
        *bad = true;
        return MHD_NO;
    }
    return MHD_YES;
}

/* Answers now with resp, then frees it: the one way a request is answered. */
static enum MHD_Result reply(struct MHD_Connection *conn, struct conn_state *cs,
                             struct api_response *resp)
{
    enum MHD_Result ret = queue(conn, cs, resp);
    api_response_reset(resp);
    return ret;
}

static struct conn_state *conn_state_new(struct scimd_server *srv, struct MHD_Connection *conn,
                                         const char *url, const char *method)
{
    struct conn_state *cs = calloc(1, sizeof(*cs));
    if (!cs)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &cs->start);
    http_head_handed_over();
    conn_watchdog_head_done(srv->watchdog, conn);
    copy_for_log(cs->method, sizeof(cs->method), method);
    copy_for_log(cs->path, sizeof(cs->path), url);
    return cs;
}

/* The head, before any authentication and before the body is read: 0 when it may go on,
 * otherwise resp holds the refusal. */
static int screen_head(const struct scimd_server *srv, struct MHD_Connection *conn,
                       const char *url, struct api_response *resp)
{
    size_t head = strlen(url);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header_size, &head);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_header_size, &head);
    if (head > MAX_HEAD_BYTES) {
        api_error(resp, 431, NULL, "request line and headers exceed %d bytes", MAX_HEAD_BYTES);
        return -1;
    }
    bool bad = !scim_utf8_valid((const unsigned char *)url, strlen(url));
    if (!bad)
        MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, check_arg, &bad);
    if (bad) {
        api_error(resp, 400, "invalidValue",
                  "the request URL contains a NUL byte or invalid UTF-8");
        return -1;
    }
    char why[160];
    int framing = http_head_check_framing(conn, srv->cfg->max_body_size, why, sizeof(why));
    if (framing) {
        api_error(resp, framing, NULL, "%s", why);
        return -1;
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > srv->cfg->max_body_size) {
        /* Answer before reading: MHD then discards the body and closes the connection. */
        api_error(resp, 413, NULL, "request body exceeds %zu bytes", srv->cfg->max_body_size);
        return -1;
    }
    return 0;
}

/* Appends one chunk of the body. Past max_body_size the body is dropped and only the 413 is
 * remembered. False when memory ran out. */
static bool accumulate_body(const struct scimd_server *srv, struct conn_state *cs,
                            const char *data, size_t n)
{
    if (cs->body_len + n > srv->cfg->max_body_size) {
        cs->too_large = true;
        free(cs->body);
        cs->body = NULL;
        cs->body_len = cs->body_cap = 0;
        return true;
    }
    if (cs->body_len + n + 1 > cs->body_cap) {
        size_t cap = cs->body_cap ? cs->body_cap : 4096;
        while (cap < cs->body_len + n + 1)
            cap *= 2;
        char *grown = realloc(cs->body, cap);
        if (!grown)
            return false;
        cs->body = grown;
        cs->body_cap = cap;
    }
    memcpy(cs->body + cs->body_len, data, n);
    cs->body_len += n;
    cs->body[cs->body_len] = '\0';
    return true;
}

/* The complete request: what the body may not be (413, 415), then the router. */
static void dispatch(struct scimd_server *srv, struct MHD_Connection *conn,
                     struct conn_state *cs, const char *url, const char *method,
                     struct api_response *resp)
{
    if (cs->too_large) {
        api_error(resp, 413, NULL, "request body exceeds %zu bytes", srv->cfg->max_body_size);
        return;
    }

    /* HEAD is GET without a body: libmicrohttpd drops the body and keeps the headers. */
    struct http_exchange req = {
        .api = { .method = strcmp(method, "HEAD") == 0 ? "GET" : method,
                 .lookup = mhd_lookup, .transport = conn },
        .url = url,
    };
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    req.client = ci ? ci->client_addr : NULL;
    req.api.body = cs->body ? cs->body : "";
    req.api.body_len = cs->body_len;
    size_t blen = strlen(srv->cfg->base_path);
    if (strncmp(url, srv->cfg->base_path, blen) == 0 && (url[blen] == '/' || url[blen] == '\0'))
        req.path = url + blen;
    fill_base_url(srv, conn, &req);

    if (body_allowed(method) && cs->body_len > 0) {
        const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!content_type_ok(ct)) {
            api_error(resp, 415, NULL,
                      "Content-Type must be application/scim+json or application/json, got '%s'",
                      ct ? ct : "(none)");
            return;
        }
    }
    router_dispatch(srv, &req, resp);
    if (req.authenticated)
        conn_watchdog_trusted(srv->watchdog, conn);
    memcpy(cs->token_id, req.api.token_id, sizeof(cs->token_id));
    cs->route = req.route;
}

/* libmicrohttpd calls this for the head (first call), for each chunk of the body, and once
 * the body is complete. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct scimd_server *srv = cls;
    struct conn_state *cs = *con_cls;
    struct api_response resp = { 0 };

    if (!cs) {
        cs = conn_state_new(srv, conn, url, method);
        if (!cs)
            return MHD_NO;
        *con_cls = cs;
        if (screen_head(srv, conn, url, &resp) < 0)
            return reply(conn, cs, &resp);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!cs->responded && !cs->too_large &&
            !accumulate_body(srv, cs, upload_data, *upload_data_size))
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (cs->responded)
        return MHD_YES;
    conn_watchdog_body_done(srv->watchdog, conn);
    dispatch(srv, conn, cs, url, method, &resp);
    return reply(conn, cs, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct scimd_server *srv = cls;
    struct conn_state *cs = *con_cls;
    conn_watchdog_request_done(srv->watchdog, conn);
    if (!cs)
        return;
    double ms = elapsed_ms(&cs->start);
    if (cs->responded) {
        log_info("%s %s %d %.1fms token=%s", cs->method, cs->path, cs->status, ms,
                 cs->token_id[0] ? cs->token_id : "-");
        metrics_request(cs->route, cs->status, ms / 1e3);
    } else
        log_info("%s %s aborted (%d) %.1fms", cs->method, cs->path, (int)toe,
                 elapsed_ms(&cs->start));
    free(cs->body);
    free(cs);
    *con_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt,
                                                             va_list ap)
{
    char buf[512];
    va_list copy;
    va_copy(copy, ap);
    http_head_mhd_error(fmt, copy);
    va_end(copy);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    log_warn("http: %s", buf);
}

static int resolve_listen(const struct scimd_config *cfg, struct sockaddr_storage *ss,
                          char *err, size_t errlen)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    const char *host = cfg->listen_host;
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(cfg->listen_port);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(cfg->listen_port);
        return 0;
    }
    snprintf(err, errlen, "%s: [server] listen: '%s' is not an IP address", cfg->path ? cfg->path : "",
             cfg->listen_host);
    return -1;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && n < 1024 * 1024 && fseek(f, 0, SEEK_SET) == 0) {
            buf = calloc(1, (size_t)n + 1);
            if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            }
        }
    }
    if (!buf)
        snprintf(err, errlen, "%s: cannot read", path);
    fclose(f);
    return buf;
}

int http_start(struct scimd_server *srv, int listen_fd, char *err, size_t errlen)
{
    const struct scimd_config *cfg = srv->cfg;
    struct sockaddr_storage ss;
    char *cert = NULL, *key = NULL;
    int ret = -1;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ERROR_LOG;

    if (listen_fd < 0 && resolve_listen(cfg, &ss, err, errlen) < 0)
        goto out;
    if (listen_fd < 0 && ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (cfg->tls_cert) {
        cert = read_file(cfg->tls_cert, err, errlen);
        key = cert ? read_file(cfg->tls_key, err, errlen) : NULL;
        if (!key)
            goto out;
        flags |= MHD_USE_TLS;
        srv->tls = true;
    }

    struct MHD_OptionItem opts[20];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL };
    /* max_connections itself is enforced by the watchdog's accept policy, on connections that
     * are not closing; this is the hard ceiling including those being closed. */
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, 2 * cfg->max_connections,
                                         NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv };
    /* The reserve is capped at half the slots: a new client's first request must still get
     * in to show its token. */
    unsigned reserve = cfg->reserved_connections < cfg->max_connections / 2
                           ? cfg->reserved_connections
                           : cfg->max_connections / 2;
    struct conn_watchdog_limits limits = {
        .head_seconds = cfg->request_head_timeout,
        .idle_seconds = cfg->connection_timeout,
        .body_seconds = cfg->connection_timeout * 4 > 60 ? cfg->connection_timeout * 4 : 60,
        .max_untrusted = cfg->max_connections - reserve,
        .max_live = cfg->max_connections,
    };
    srv->watchdog = conn_watchdog_start(&limits);
    if (!srv->watchdog) {
        snprintf(err, errlen, "cannot start the connection watchdog");
        goto out;
    }
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
                                         (intptr_t)conn_watchdog_notify, srv->watchdog };
    /* Per-connection memory: room for a request head up to twice our own limit, so an
     * oversized head gets our SCIM 431 rather than libmicrohttpd's HTML one. */
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                         2 * MAX_HEAD_BYTES + 16 * 1024, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_STACK_SIZE, 512 * 1024, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                         cfg->max_connections_per_client, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_UNESCAPE_CALLBACK,
                                         (intptr_t)http_head_unescape, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK,
                                         (intptr_t)http_head_uri_seen, NULL };
    if (listen_fd >= 0)
        opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL };
    else
        opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &ss };
    if (cert) {
        opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, cert };
        opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, key };
    }
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

    srv->mhd = MHD_start_daemon(flags, 0, conn_watchdog_accept, srv->watchdog, on_request, srv,
                                MHD_OPTION_ARRAY, opts,
                                MHD_OPTION_END);
    if (!srv->mhd) {
        snprintf(err, errlen, "cannot listen on %s:%u: %s", cfg->listen_host, cfg->listen_port,
                 errno ? strerror(errno) : "libmicrohttpd refused the configuration");
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_storage bound;
    socklen_t blen = sizeof(bound);
    srv->port = cfg->listen_port;
    if (info && getsockname(info->listen_fd, (struct sockaddr *)&bound, &blen) == 0) {
        if (bound.ss_family == AF_INET)
            srv->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
        else if (bound.ss_family == AF_INET6)
            srv->port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
    }
    ret = 0;
out:
    free(cert);
    if (key)
        explicit_bzero(key, strlen(key));
    free(key);
    return ret;
}

void http_stop(struct scimd_server *srv)
{
    if (srv->mhd) {
        MHD_stop_daemon(srv->mhd);
        srv->mhd = NULL;
    }
    conn_watchdog_stop(srv->watchdog);
    srv->watchdog = NULL;
}
