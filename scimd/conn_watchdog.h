/* Deadlines and slot keeping libmicrohttpd lacks. Its connection timeout is an idle timeout,
 * reset by every byte, so a client sending one header byte a second holds a connection (and,
 * with one thread per connection, a thread) forever; and whoever opens connections fastest
 * gets the slots. The watchdog gives a new client's request head head_seconds, the next head
 * on a connection that authenticated idle_seconds, each request body body_seconds from the
 * moment it may start, then shuts the socket down. It also caps connections that have not
 * authenticated yet at max_untrusted: a new connection beyond it makes the one that has waited
 * longest for its head or body close, so clients with a token always find a slot. */
#pragma once

#include <microhttpd.h>

struct conn_watchdog;

struct conn_watchdog_limits {
    unsigned head_seconds;  /* request head on a connection that has not authenticated */
    unsigned idle_seconds;  /* next request head on one that has */
    unsigned body_seconds;  /* request body */
    unsigned max_untrusted; /* connections open at once that have not authenticated */
};

struct conn_watchdog *conn_watchdog_start(const struct conn_watchdog_limits *limits);
void conn_watchdog_stop(struct conn_watchdog *wd);

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
