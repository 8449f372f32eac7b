/* SPDX-License-Identifier: MIT */
/* The PostgreSQL driver behind db.h, over libpq. One connection per struct db, used by one
 * thread at a time (as the store uses SQLite connections). Statements from db_prepare run
 * unnamed; db_kept statements are prepared on the server once and found again by their SQL
 * text. A step fetches the whole result at once: the store's queries are pages and keys.
 *
 * A lost connection never crashes: every operation after it returns DB_UNAVAILABLE until
 * db_pg_reconnect succeeds. When to reconnect is the caller's policy (store.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "store/db.h"

/* Connects with a libpq connection string or postgresql:// URI (client_encoding UTF8) and
 * password, which may be NULL (libpq then uses conninfo's, PGPASSWORD or its passfile).
 * DB_OK and *out, or a DB_* code (DB_UNAVAILABLE when the server cannot be reached) with a
 * message in err that never contains the password. */
int db_pg_open(const char *conninfo, const char *password, struct db **out, char *err,
               size_t errlen);

/* 1 when conninfo (a connection string or URI) carries a password, 0 when not, -1 with err
 * when libpq cannot parse it (err never quotes conninfo). */
int db_pg_conninfo_has_password(const char *conninfo, char *err, size_t errlen);
/* Whether a statement failed inside the open transaction, which PostgreSQL has then aborted:
 * only ROLLBACK (TO SAVEPOINT) works, and a COMMIT would roll back. */
bool db_pg_transaction_failed(struct db *db);
/* Whether db is a PostgreSQL connection that is still up (false for another backend). */
bool db_pg_connection_ok(struct db *db);
/* Whether an idle connection is still up, without a round trip: libpq learns that the
 * server closed a connection (restart, failover) only when it next reads from it, so a
 * pooled connection would fail its caller's first query. A zero-timeout poll of the socket
 * reads the server's goodbye, if any. */
bool db_pg_alive(struct db *db);
/* Reconnects with the same parameters (PQreset). The server forgot the kept statements and
 * every session setting, LISTEN included: kept statements are prepared again on their next
 * use; the caller repeats its own SET and LISTEN. DB_OK or DB_UNAVAILABLE. */
int db_pg_reconnect(struct db *db);
/* The connection's socket, for the caller's own poll; -1 when there is none. */
int db_pg_socket(struct db *db);
/* Waits up to timeout_ms (negative: forever) for a NOTIFY on a connection that ran LISTEN
 * and is outside a transaction. 1 with the channel's name in channel (truncated to len) and
 * its payload in payload (to plen; "" when none; either buffer may be NULL), 0 on timeout,
 * -1 when the connection is lost. Notifications that arrived during earlier queries are
 * returned first, without waiting. */
int db_pg_wait_notify(struct db *db, int timeout_ms, char *channel, size_t len, char *payload,
                      size_t plen);
