/* SPDX-License-Identifier: MIT */
/* Deadlines and slot keeping libmicrohttpd lacks. Its connection timeout is an idle timeout,
 * reset by every byte, so a client sending one header byte a second holds a connection
 * forever; and whoever opens connections fastest gets the slots. The watchdog gives a new
 * client's request head head_seconds, the next head on a connection that authenticated
 * idle_seconds, each request body body_seconds from the
 * moment it may start, then shuts the socket down. It also caps connections that have not
 * authenticated yet at max_untrusted: past it, a new connection from an address that already
 * holds such connections is refused when accepted, and one from any other address makes one
 * of the address holding the most close (the one that has waited longest for its head or
 * body), so clients with a token always find a slot. Refusing at accept matters: a closed
 * connection keeps its libmicrohttpd slot until its event thread cleans it up, and a flood that
 * forced a close per connect would fill max_connections with closing ones; for the same reason
 * the watchdog, not libmicrohttpd, enforces max_live (libmicrohttpd's own limit is set higher,
 * room for connections that are closing). */
#pragma once

#include <microhttpd.h>
#include <stdint.h>

struct conn_watchdog;

struct conn_watchdog_limits {
    unsigned head_seconds;  /* request head on a connection that has not authenticated */
    unsigned idle_seconds;  /* next request head on one that has */
    unsigned body_seconds;  /* request body */
    unsigned max_untrusted; /* connections open at once that have not authenticated */
    unsigned max_live;      /* connections open at once, closing ones aside */
};

struct conn_watchdog *conn_watchdog_start(const struct conn_watchdog_limits *limits);
void conn_watchdog_stop(struct conn_watchdog *wd);

/* Wire-up for MHD_start_daemon's accept policy (cls = the watchdog). */
enum MHD_Result conn_watchdog_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);

/* Wire-up for MHD_OPTION_NOTIFY_CONNECTION (cls = the watchdog). */
void conn_watchdog_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe);

/* The request head has arrived (first access-handler call). */
void conn_watchdog_head_done(struct conn_watchdog *wd, struct MHD_Connection *conn);
/* The body has arrived: the request is being processed, no deadline applies. */
void conn_watchdog_body_done(struct conn_watchdog *wd, struct MHD_Connection *conn);
/* A request on this connection carried a valid token: it is never closed to make room. */
void conn_watchdog_trusted(struct conn_watchdog *wd, struct MHD_Connection *conn);
/* The response is done: the connection waits for its next request head. */
void conn_watchdog_request_done(struct conn_watchdog *wd, struct MHD_Connection *conn);
/* The request line has arrived (MHD_OPTION_URI_LOG_CALLBACK). */
void conn_watchdog_line_seen(struct conn_watchdog *wd, struct MHD_Connection *conn);
/* Calls answer, under the watchdog's lock (the fd stays the connection's), for each
 * connection waiting for a request line that has received at least min_bytes since its
 * request began without one arriving: a request line that long is refused whoever reads
 * it. libmicrohttpd's "URI too long" names no connection (http_head.h); this finds it by
 * what its socket received. Returns how many were answered. */
unsigned conn_watchdog_overlong_lines(struct conn_watchdog *wd, uint64_t min_bytes,
                                      void (*answer)(int fd, void *arg), void *arg);
