/* SPDX-License-Identifier: MIT */
/* The request head before scimd's handler sees it: a NUL decoded into the URL, conflicting
 * body framing, and the errors libmicrohttpd answers on its own (a head too large for the
 * connection's memory, a malformed Content-Length, HTTP/1.1 without Host), which get a SCIM
 * error body instead of libmicrohttpd's HTML page. */
#pragma once

#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn_watchdog;

/* MHD_OPTION_UNESCAPE_CALLBACK: percent-decodes like libmicrohttpd, but a decoded NUL becomes
 * the byte 0xFF. libmicrohttpd hands the path on as a C string, so "/Users/<id>%00junk" would
 * otherwise reach the router as "/Users/<id>"; 0xFF is never valid UTF-8, so the handler's
 * UTF-8 check refuses the URL (and a query argument) with 400. */
size_t http_head_unescape(void *cls, struct MHD_Connection *conn, char *s);

/* A connection whose request line has arrived and whose head has not reached scimd's handler
 * yet, on the list of the libmicrohttpd thread reading it. Lives in the request's state. */
struct http_head_mark {
    struct http_head_mark *prev, *next;
    struct http_head_mark **list; /* the reading thread's list; NULL when on none */
    int fd;
};

/* From MHD_OPTION_URI_LOG_CALLBACK: m's request line has arrived on this thread. */
void http_head_reading(struct http_head_mark *m, struct MHD_Connection *conn);
/* The head reached the access handler, or the request ended: off the list. Idempotent. */
void http_head_done(struct http_head_mark *m);

/* From the MHD_OPTION_EXTERNAL_LOGGER callback: when libmicrohttpd is about to answer a
 * request head with its own error page, writes the SCIM error with the same status to the
 * connection first and shuts down its sending side, so the HTML page never goes out.
 * libmicrohttpd's log line does not say which connection: it is the one connection on this
 * thread's list, and when several heads are being read on the thread at once the page is
 * left alone: a wrong guess would answer somebody else's request. Its 414, a request line
 * too long for the connection's memory, comes before any mark: it is answered 431 on each
 * connection wd knows to have received min_line bytes or more since its request began
 * without a line (conn_watchdog_overlong_lines), a line our own limit refuses anyway. */
void http_head_mhd_error(const char *fmt, va_list ap, struct conn_watchdog *wd,
                         uint64_t min_line);

/* Content-Length / Transfer-Encoding of a head libmicrohttpd accepted: 0 when the body's
 * framing is unambiguous, otherwise the status to refuse with (400, 411) and why. */
int http_head_check_framing(struct MHD_Connection *conn, size_t max_body, char *why,
                            size_t whylen);
