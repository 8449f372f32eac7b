/* SPDX-License-Identifier: MIT */
#include "http/http_head.h"

#include "api/response.h"
#include "http/conn_watchdog.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

size_t http_head_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    size_t n = MHD_http_unescape(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0')
            s[i] = (char)0xff;
    return n;
}

/* The heads this libmicrohttpd thread is reading: each event thread reads many connections,
 * and its error log line comes while it works on one of them. */
static __thread struct http_head_mark *reading;

void http_head_reading(struct http_head_mark *m, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    http_head_done(m);
    m->fd = ci ? ci->connect_fd : -1;
    m->list = &reading;
    m->prev = NULL;
    m->next = reading;
    if (reading)
        reading->prev = m;
    reading = m;
}

void http_head_done(struct http_head_mark *m)
{
    if (!m->list)
        return;
    if (m->prev)
        m->prev->next = m->next;
    else
        *m->list = m->next;
    if (m->next)
        m->next->prev = m->prev;
    m->prev = m->next = NULL;
    m->list = NULL;
}

/* libmicrohttpd 0.9.75 (connection.c, transmit_error_response_len) logs this, with the status
 * as its first argument, right before it queues its own page. */
#define MHD_ERROR_FMT "Error processing request (HTTP response code is %u"

static const char *detail_for(unsigned status)
{
    switch (status) {
    case 413:
        return "Content-Length is larger than this server accepts";
    case 414:
        return "the request target is too long";
    case 431:
        return "the request line and headers are too large";
    case 400:
        return "malformed request head (Content-Length, Host or request line)";
    default:
        return "the request head was refused";
    }
}

/* Errors libmicrohttpd raises only once the request line was complete (its URI log callback
 * ran): a head too large for the pool once the URL is known (431; before, 414), and the
 * Content-Length and Host checks. A malformed line (400 "syntactically incorrect") may also
 * be a bad HTTP version in the request line, before the callback: not ours to answer. */
static bool after_request_line(unsigned status, const char *page)
{
    return status == 431 || (status == 413 && page && strstr(page, "Content-Length")) ||
           (status == 400 && page &&
            (strstr(page, "Content-Length") || strstr(page, "Host:")));
}

/* Writes the SCIM error for status to fd, on which nothing has been written in this
 * request, and shuts its sending side down. */
static void answer_head(int head_fd, unsigned status)
{
    struct api_response resp = { 0 };
    api_error(&resp, (int)status, NULL, "%s", detail_for(status));
    char *body = resp.json ? json_dumps(resp.json, JSON_COMPACT) : NULL;
    api_response_reset(&resp);
    if (!body)
        return;
    const char *reason = MHD_get_reason_phrase_for(status);
    char head[256];
    int hn = snprintf(head, sizeof(head),
                      "HTTP/1.1 %u %s\r\nConnection: close\r\nContent-Type: "
                      "application/scim+json\r\nCache-Control: no-store\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      status, reason && *reason ? reason : "Error", strlen(body));
    /* One send per piece on a socket nothing has been written to in this request: the
     * answer is a few hundred bytes and fits the empty send buffer. Shutting down the
     * sending side then makes libmicrohttpd's own page fail to go out (EPIPE), and it
     * closes the connection. */
    if (hn > 0 && (size_t)hn < sizeof(head) &&
        send(head_fd, head, (size_t)hn, MSG_NOSIGNAL | MSG_DONTWAIT) == hn &&
        send(head_fd, body, strlen(body), MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)strlen(body))
        shutdown(head_fd, SHUT_WR);
    free(body);
}

static void answer_line_431(int fd, void *arg)
{
    (void)arg;
    answer_head(fd, 431);
}

void http_head_mhd_error(const char *fmt, va_list ap, struct conn_watchdog *wd,
                         uint64_t min_line)
{
    if (strncmp(fmt, MHD_ERROR_FMT, strlen(MHD_ERROR_FMT)) != 0)
        return;
    va_list copy;
    va_copy(copy, ap);
    unsigned status = va_arg(copy, unsigned);
    const char *page = va_arg(copy, const char *);
    va_end(copy);
    if (status == 414) {
        /* Before the request line: no mark says whose. Our own limit answers it (431, as
         * for any head over max_request_head), on the connection(s) that received a line
         * that long. */
        conn_watchdog_overlong_lines(wd, min_line, answer_line_431, NULL);
        return;
    }
    struct http_head_mark *only = reading;
    if (!only || only->next || only->fd < 0)
        return;
    if (status < 400 || status > 599 || !after_request_line(status, page))
        return;
    answer_head(only->fd, status);
    only->fd = -1; /* answered once */
}

struct framing {
    unsigned content_lengths;
    unsigned transfer_encodings;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    (void)value;
    struct framing *f = cls;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
        f->content_lengths++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
        f->transfer_encodings++;
    return MHD_YES;
}

int http_head_check_framing(struct MHD_Connection *conn, size_t max_body, char *why,
                            size_t whylen)
{
    struct framing f = { 0 };
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
    /* libmicrohttpd takes the first of several Content-Length headers: a proxy in front that
     * takes the last would frame the body differently (request smuggling, RFC 9112 §6.3). */
    if (f.content_lengths > 1) {
        snprintf(why, whylen, "more than one Content-Length header");
        return 400;
    }
    if (f.transfer_encodings && f.content_lengths) {
        snprintf(why, whylen, "both Content-Length and Transfer-Encoding");
        return 400;
    }
    if (f.transfer_encodings > 1) {
        snprintf(why, whylen, "more than one Transfer-Encoding header");
        return 400;
    }
    const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (te && strcasecmp(te, "chunked") != 0) {
        /* libmicrohttpd would read such a body to the end of the connection. */
        snprintf(why, whylen, "unsupported Transfer-Encoding '%.64s'", te);
        return 400;
    }
    /* libmicrohttpd 0.9.75 can answer only before a body is read or after all of it: a
     * chunked body (no length to check up front) is refused before it is read. The IdPs
     * send Content-Length. */
    if (te) {
        snprintf(why, whylen,
                 "chunked request bodies are not accepted: send Content-Length (at most %zu "
                 "bytes)", max_body);
        return 411;
    }
    return 0;
}
