/* SPDX-License-Identifier: MIT */
#include "http/http.h"

#include "fleet/feed_api.h"
#include "http/conn_watchdog.h"
#include "http/http_head.h"
#include "http/http_jobs.h"
#include "log.h"
#include "http/router.h"
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "proto/utf8.h"

#define SCIM_CONTENT_TYPE "application/scim+json"
/* libmicrohttpd's event threads only move bytes; the workers run requests. */
#define EVENT_THREADS 2
#define WORKER_THREADS 16
#define THREAD_STACK (512 * 1024)
/* The most SIGTERM waits for requests in progress (held polls end at once). */
#define DRAIN_SECONDS 10

/* The front door's own state, beside libmicrohttpd's. */
struct http_front {
    struct http_jobs *jobs;
    pthread_mutex_t mu;
    pthread_cond_t drained;
    unsigned held;  /* requests handed to a worker and not yet completed */
    bool stopping;  /* no more are handed over: new requests get 503 */
};

/* One request, from its request line (the URI log callback) to its completion. */
struct conn_state {
    struct scimd_server *srv;
    struct MHD_Connection *conn;
    struct http_head_mark mark;
    struct http_job job;      /* queued for a worker */
    struct fleet_poll poll;   /* a changes long-poll between its turns */
    const char *url, *verb;   /* libmicrohttpd's, valid for the request */
    struct MHD_Response *ready; /* the worker's answer, queued once resumed */
    bool started;             /* the access handler has seen the head */
    bool held;                /* counted in front->held */
    bool failed;              /* the worker could not build an answer: close */
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

/* libmicrohttpd's response for resp (status and headers), built on any thread; NULL when
 * out of memory. */
static struct MHD_Response *render(struct api_response *resp)
{
    char *body = NULL;
    size_t len = 0;
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
        return NULL;
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
    return r;
}

/* Sends r (taken) on conn: on libmicrohttpd's thread, from the access handler. */
static enum MHD_Result queue(struct MHD_Connection *conn, struct conn_state *cs,
                             struct MHD_Response *r, int status)
{
    if (!r)
        return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    cs->status = status;
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

/* Answers now with resp, then frees it: what libmicrohttpd's thread answers itself (the
 * head's refusals, shutdown). */
static enum MHD_Result reply(struct MHD_Connection *conn, struct conn_state *cs,
                             struct api_response *resp)
{
    int status = resp->status;
    enum MHD_Result ret = queue(conn, cs, render(resp), status);
    api_response_reset(resp);
    return ret;
}

static void on_poll_fired(struct feed_waiter *w);

/* MHD_OPTION_URI_LOG_CALLBACK: a request line has arrived. Its state starts here, so that
 * an error libmicrohttpd raises while reading the rest of the head can be told apart
 * (http_head.h); libmicrohttpd hands it back as *con_cls and always completes it. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct conn_state *cs = calloc(1, sizeof(*cs));
    (void)uri;
    if (!cs)
        return NULL;
    cs->srv = cls;
    cs->conn = conn;
    cs->job.fleet = false;
    cs->poll.waiter.fire = on_poll_fired;
    clock_gettime(CLOCK_MONOTONIC, &cs->start);
    http_head_reading(&cs->mark, conn);
    conn_watchdog_line_seen(cs->srv->watchdog, conn);
    return cs;
}

/* The head is complete: the access handler's first call. */
static void conn_state_start(struct conn_state *cs, const char *url, const char *method)
{
    cs->started = true;
    cs->url = url;
    cs->verb = method;
    cs->job.fleet = strcmp(url, "/fleet") == 0 || strncmp(url, "/fleet/", 7) == 0;
    http_head_done(&cs->mark);
    conn_watchdog_head_done(cs->srv->watchdog, cs->conn);
    copy_for_log(cs->method, sizeof(cs->method), method);
    copy_for_log(cs->path, sizeof(cs->path), url);
}

/* The head, before any authentication and before the body is read: 0 when it may go on,
 * otherwise resp holds the refusal. */
static int screen_head(const struct scimd_server *srv, struct MHD_Connection *conn,
                       const char *url, struct api_response *resp)
{
    size_t head = strlen(url);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header_size, &head);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_header_size, &head);
    if (head > srv->cfg->max_request_head) {
        api_error(resp, 431, NULL, "request line and headers exceed %u bytes",
                  srv->cfg->max_request_head);
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
        .poll = &cs->poll,
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

/* A worker's turn at a request: route it, and answer it unless it is a long-poll with
 * nothing to say yet, which is parked (it holds no thread) until a change, its deadline or
 * shutdown fires it back onto the queue. */
static void run_request(struct http_job *job)
{
    struct conn_state *cs = (struct conn_state *)((char *)job - offsetof(struct conn_state, job));
    struct scimd_server *srv = cs->srv;
    struct api_response resp = { 0 };
    for (;;) {
        dispatch(srv, cs->conn, cs, cs->url, cs->verb, &resp);
        if (!cs->poll.held)
            break;
        cs->poll.woken = true;
        /* The last touch of cs: once parked it may fire on another thread at once. */
        if (fleet_poll_park(srv->fleet, &cs->poll))
            return;
    }
    cs->ready = render(&resp);
    cs->status = resp.status;
    cs->failed = !cs->ready;
    api_response_reset(&resp);
    MHD_resume_connection(cs->conn);
}

static void on_poll_fired(struct feed_waiter *w)
{
    struct conn_state *cs =
        (struct conn_state *)((char *)w - offsetof(struct conn_state, poll.waiter));
    http_jobs_push(cs->srv->http->jobs, &cs->job);
}

/* Counts cs as handed to a worker; false once shutting down. */
static bool hold(struct http_front *front, struct conn_state *cs)
{
    pthread_mutex_lock(&front->mu);
    bool ok = !front->stopping;
    if (ok) {
        front->held++;
        cs->held = true;
    }
    pthread_mutex_unlock(&front->mu);
    return ok;
}

static void release(struct http_front *front, struct conn_state *cs)
{
    if (!cs->held)
        return;
    pthread_mutex_lock(&front->mu);
    cs->held = false;
    if (--front->held == 0)
        pthread_cond_broadcast(&front->drained);
    pthread_mutex_unlock(&front->mu);
}

/* libmicrohttpd calls this for the head (first call), for each chunk of the body, once the
 * body is complete, and once more after a worker answered and resumed the connection. It
 * runs on an event thread and never blocks. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct scimd_server *srv = cls;
    struct conn_state *cs = *con_cls;
    struct api_response resp = { 0 };

    if (!cs) /* out of memory at the request line */
        return MHD_NO;
    if (!cs->started) {
        conn_state_start(cs, url, method);
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
    if (cs->ready || cs->failed) {
        struct MHD_Response *r = cs->ready;
        cs->ready = NULL;
        return queue(conn, cs, r, cs->status);
    }
    conn_watchdog_body_done(srv->watchdog, conn);
    if (cs->too_large) {
        api_error(&resp, 413, NULL, "request body exceeds %zu bytes", srv->cfg->max_body_size);
        return reply(conn, cs, &resp);
    }
    if (!hold(srv->http, cs)) {
        api_error(&resp, 503, NULL, "the server is shutting down");
        resp.retry_after = 1;
        return reply(conn, cs, &resp);
    }
    /* Suspended before it is queued: a worker may resume it at once. */
    MHD_suspend_connection(conn);
    http_jobs_push(srv->http->jobs, &cs->job);
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct scimd_server *srv = cls;
    struct conn_state *cs = *con_cls;
    conn_watchdog_request_done(srv->watchdog, conn);
    if (!cs)
        return;
    http_head_done(&cs->mark);
    double ms = elapsed_ms(&cs->start);
    if (cs->responded) {
        log_info("%s %s %d %.1fms token=%s", cs->method, cs->path, cs->status, ms,
                 cs->token_id[0] ? cs->token_id : "-");
        metrics_request(cs->route, cs->status, ms / 1e3);
        metrics_token_request(cs->token_id, cs->route, cs->status);
    } else if (cs->started)
        log_info("%s %s aborted (%d) %.1fms", cs->method, cs->path, (int)toe, ms);
    release(srv->http, cs);
    if (cs->ready)
        MHD_destroy_response(cs->ready);
    free(cs->body);
    free(cs);
    *con_cls = NULL;
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt,
                                                             va_list ap)
{
    struct scimd_server *srv = cls;
    char buf[512];
    va_list copy;
    va_copy(copy, ap);
    /* A connection that received this much without a request line has one longer than
     * max_request_head: libmicrohttpd's pool holds max_request_head + HTTP_POOL_MARGIN, and
     * half the margin allows for a TLS handshake's bytes. */
    http_head_mhd_error(fmt, copy, srv->watchdog,
                        (uint64_t)srv->cfg->max_request_head + HTTP_POOL_MARGIN / 2);
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

static int http_front_start(struct scimd_server *srv, char *err, size_t errlen)
{
    struct http_front *front = calloc(1, sizeof(*front));
    if (!front) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&front->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&front->drained, &ca);
    pthread_condattr_destroy(&ca);
    front->jobs = http_jobs_start(WORKER_THREADS, THREAD_STACK, run_request);
    if (!front->jobs) {
        pthread_mutex_destroy(&front->mu);
        pthread_cond_destroy(&front->drained);
        free(front);
        snprintf(err, errlen, "cannot start the request workers");
        return -1;
    }
    srv->http = front;
    return 0;
}

/* Requests handed to workers end (a held poll ends at once once fleet_hub_shutdown ran):
 * stopping libmicrohttpd with a connection still suspended would leak it. New requests get
 * 503 meanwhile. */
static void http_front_drain(struct http_front *front)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += DRAIN_SECONDS;
    pthread_mutex_lock(&front->mu);
    front->stopping = true;
    while (front->held > 0 &&
           pthread_cond_timedwait(&front->drained, &front->mu, &until) == 0)
        ;
    if (front->held > 0)
        log_warn("http: %u request(s) still running after %d s; stopping anyway", front->held,
                 DRAIN_SECONDS);
    pthread_mutex_unlock(&front->mu);
}

static void http_front_free(struct http_front *front)
{
    if (!front)
        return;
    http_jobs_stop(front->jobs);
    pthread_mutex_destroy(&front->mu);
    pthread_cond_destroy(&front->drained);
    free(front);
}

int http_start(struct scimd_server *srv, int listen_fd, char *err, size_t errlen)
{
    const struct scimd_config *cfg = srv->cfg;
    struct sockaddr_storage ss;
    char *cert = NULL, *key = NULL;
    int ret = -1;
    /* A few epoll event threads, never blocked: a held long-poll is a suspended connection,
     * not a thread, and requests run on the workers (http_jobs.h). */
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;

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

    if (http_front_start(srv, err, errlen) < 0)
        goto out;

    struct MHD_OptionItem opts[24];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, srv };
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
    /* Per-connection memory: a head of our own limit plus the margin its parsed entries and
     * the response's header block take. A larger head fills the pool and libmicrohttpd
     * raises its 431 (414 while still in the request line), which http_head_mhd_error
     * answers in SCIM; one that fits but exceeds the limit gets screen_head's. After a
     * request on a kept-alive connection all of the pool stays resident (libmicrohttpd
     * zeroes it for the next request): with ten thousand held long-polls this is most of a
     * hub's memory, hence a small default (docs/architecture.md, threads). */
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                         (size_t)cfg->max_request_head + HTTP_POOL_MARGIN,
                                         NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, EVENT_THREADS, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_STACK_SIZE, THREAD_STACK, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                         cfg->max_connections_per_client, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_UNESCAPE_CALLBACK,
                                         (intptr_t)http_head_unescape, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK,
                                         (intptr_t)on_request_line, srv };
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
        http_front_drain(srv->http);
        MHD_stop_daemon(srv->mhd);
        srv->mhd = NULL;
    }
    http_front_free(srv->http);
    srv->http = NULL;
    conn_watchdog_stop(srv->watchdog);
    srv->watchdog = NULL;
}

unsigned http_connections(struct scimd_server *srv)
{
    if (!srv->mhd)
        return 0;
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}
