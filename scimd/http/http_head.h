/* SPDX-License-Identifier: MIT */
/* The request head before scimd's handler sees it: a NUL decoded into the URL, conflicting
 * body framing, and the errors libmicrohttpd answers on its own (a head too large for the
 * connection's memory, a malformed Content-Length, HTTP/1.1 without Host), which get a SCIM
 * error body instead of libmicrohttpd's HTML page. Needs one thread per connection. */
#pragma once

#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* MHD_OPTION_UNESCAPE_CALLBACK: percent-decodes like libmicrohttpd, but a decoded NUL becomes
 * the byte 0xFF. libmicrohttpd hands the path on as a C string, so "/Users/<id>%00junk" would
 * otherwise reach the router as "/Users/<id>"; 0xFF is never valid UTF-8, so the handler's
 * UTF-8 check refuses the URL (and a query argument) with 400. */
size_t http_head_unescape(void *cls, struct MHD_Connection *conn, char *s);

/* MHD_OPTION_URI_LOG_CALLBACK: a request line has arrived; until http_head_handed_over, an
 * error libmicrohttpd answers on this thread is answered by us (see http_head_mhd_error). */
void *http_head_uri_seen(void *cls, const char *uri, struct MHD_Connection *conn);
/* The head reached the access handler: from here on scimd answers everything itself. */
void http_head_handed_over(void);

/* From the MHD_OPTION_EXTERNAL_LOGGER callback: when libmicrohttpd is about to answer a
 * request head with its own error page, writes the SCIM error with the same status to the
 * connection first and shuts down its sending side, so the HTML page never goes out. */
void http_head_mhd_error(const char *fmt, va_list ap);

/* Content-Length / Transfer-Encoding of a head libmicrohttpd accepted: 0 when the body's
 * framing is unambiguous, otherwise the status to refuse with (400, 411) and why. */
int http_head_check_framing(struct MHD_Connection *conn, size_t max_body, char *why,
                            size_t whylen);
