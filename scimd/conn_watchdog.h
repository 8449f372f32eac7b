/* Deadlines libmicrohttpd lacks: its connection timeout is an idle timeout, reset by every
 * byte, so a client sending one header byte a second holds a connection (and, with one thread
 * per connection, a thread) forever. The watchdog gives each request head connection_timeout
 * seconds and each request body a few times that from the moment it may start, then shuts
 * the socket down. */
#pragma once

#include <microhttpd.h>

struct conn_watchdog;

struct conn_watchdog *conn_watchdog_start(unsigned head_seconds, unsigned body_seconds);
void conn_watchdog_stop(struct conn_watchdog *wd);

/* Wire-up for MHD_OPTION_NOTIFY_CONNECTION (cls = the watchdog). */
void conn_watchdog_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe);

/* The request head has arrived (first access-handler call). */
void conn_watchdog_head_done(struct conn_watchdog *wd, struct MHD_Connection *conn);
/* The body has arrived: the request is being processed, no deadline applies. */
void conn_watchdog_body_done(struct conn_watchdog *wd, struct MHD_Connection *conn);
/* The response is done: the connection waits for its next request head. */
void conn_watchdog_request_done(struct conn_watchdog *wd, struct MHD_Connection *conn);
