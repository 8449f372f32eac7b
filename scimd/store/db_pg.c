/* SPDX-License-Identifier: MIT */
#include "store/db_pg.h"

#include "store/db_driver.h"
#include "store/db_pg_sql.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BYTEAOID 17
/* Seconds; libpq counts it per address tried. */
#define DB_PG_CONNECT_TIMEOUT "5"

struct pg_db {
    struct db base;
    PGconn *conn;
    int code;
    char msg[512];
    int64_t changes;
    unsigned next_name;
    struct pg_stmt *kept; /* prepared on the server, deallocated by close */
};

/* A column's bytea, decoded once per row. */
struct pg_blob {
    unsigned char *p;
    size_t n;
    bool done;
};

struct pg_stmt {
    struct db_stmt base;
    char *orig; /* the text db_kept finds it by */
    char *sql;  /* with $N parameters */
    int nparams;
    char **values;
    int *lengths;
    int *formats;
    PGresult *res;
    int row; /* the current row; -1 before the first step */
    int ncols;
    struct pg_blob *blobs;
    bool kept, handed_out, prepared;
    char name[24];
    struct pg_stmt *next;
};

static const struct db_ops pg_ops;

static struct pg_db *pg(struct db *db)
{
    return (struct pg_db *)db;
}

static struct pg_stmt *ps(struct db_stmt *s)
{
    return (struct pg_stmt *)s;
}

/* One line for the log: libpq's messages end in a newline and some span two lines. */
static void set_msg(struct pg_db *d, const char *m)
{
    size_t n = 0;
    for (m = m && *m ? m : "unknown error"; *m && n + 1 < sizeof(d->msg); m++) {
        bool space = *m == '\n' || *m == '\t' || *m == '\r';
        if (!space)
            d->msg[n++] = *m;
        else if (n > 0 && d->msg[n - 1] != ' ')
            d->msg[n++] = ' ';
    }
    while (n > 0 && d->msg[n - 1] == ' ')
        n--;
    d->msg[n] = '\0';
}

static int set_err(struct pg_db *d, int code, const char *m)
{
    d->code = code;
    set_msg(d, m);
    return code;
}

static void set_ok(struct pg_db *d)
{
    d->code = DB_OK;
    snprintf(d->msg, sizeof(d->msg), "not an error");
}

static bool lost(struct pg_db *d)
{
    return PQstatus(d->conn) == CONNECTION_BAD;
}

static int set_lost(struct pg_db *d)
{
    const char *m = PQerrorMessage(d->conn);
    return set_err(d, DB_UNAVAILABLE, m && *m ? m : "the connection to the database is lost");
}

/* A failed result as a DB_* code. Only the primary message is kept: the detail can quote
 * row values (a key's userName, a token's hash) that do not belong in a log line. */
static int result_err(struct pg_db *d, const PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    int code = db_pg_sqlstate_code(state);
    if (lost(d))
        code = DB_UNAVAILABLE;
    if (primary)
        return set_err(d, code, primary);
    if (r && *PQresultErrorMessage(r))
        return set_err(d, code, PQresultErrorMessage(r));
    return set_err(d, code, PQerrorMessage(d->conn));
}

/* sqlite3_changes counts the rows of INSERT, UPDATE and DELETE only. */
static void note_changes(struct pg_db *d, const PGresult *r)
{
    const char *tag = PQcmdStatus((PGresult *)r);
    if (strncmp(tag, "INSERT ", 7) == 0 || strncmp(tag, "UPDATE ", 7) == 0 ||
        strncmp(tag, "DELETE ", 7) == 0 || strncmp(tag, "MERGE ", 6) == 0)
        d->changes = strtoll(PQcmdTuples((PGresult *)r), NULL, 10);
}

static void silent_notice(void *arg, const char *msg)
{
    /* NOTICEs (CREATE … IF NOT EXISTS skipping) would go to stderr: not the daemon's log. */
    (void)arg;
    (void)msg;
}

/* libpq quotes pieces of a conninfo it cannot parse, and a misplaced password is one. */
static void redact(char *msg, const char *password)
{
    if (!password || !*password)
        return;
    size_t n = strlen(password);
    char *p;
    while ((p = strstr(msg, password)) != NULL) {
        memset(p, '*', n < 3 ? n : 3);
        memmove(p + (n < 3 ? n : 3), p + n, strlen(p + n) + 1);
    }
}

int db_pg_open(const char *conninfo, const char *password, struct db **out, char *err,
               size_t errlen)
{
    PQconninfoOption *opts = NULL;
    char *perr = NULL;
    PGconn *conn = NULL;
    struct pg_db *d = NULL;
    int rc = DB_ERROR;
    *out = NULL;
    if (!conninfo || !*conninfo) {
        snprintf(err, errlen, "no PostgreSQL connection string");
        goto out;
    }
    opts = PQconninfoParse(conninfo, &perr);
    if (!opts) {
        snprintf(err, errlen, "invalid PostgreSQL connection string (libpq cannot parse it%s)",
                 perr ? "" : ": out of memory");
        goto out;
    }
    const char *secret = password;
    for (PQconninfoOption *o = opts; o->keyword && !secret; o++)
        if (strcmp(o->keyword, "password") == 0)
            secret = o->val;
    /* A password given apart (from a root-only file) overrides one in conninfo; libpq ignores
     * a NULL value, leaving its own sources (PGPASSWORD, the passfile). */
    /* libpq waits for ever for an address that does not answer (a failed-over primary
     * whose address is still routed): every request would hang on it instead of being
     * answered 503. Placed before dbname, so a connect_timeout in conninfo wins. The same
     * for an open connection whose server vanished without a reset (a partition, a dead
     * host): TCP keepalives and tcp_user_timeout notice within about a minute instead of
     * the kernel's two hours. A Unix socket ignores them. */
    const char *const keys[] = {"connect_timeout", "keepalives", "keepalives_idle",
                                "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                                "dbname", "client_encoding", "fallback_application_name",
                                "password", NULL};
    const char *const vals[] = {DB_PG_CONNECT_TIMEOUT, "1", "30", "10", "3", "60000", conninfo,
                                "UTF8", "scimd", password, NULL};
    conn = PQconnectdbParams(keys, vals, 1);
    if (!conn) {
        snprintf(err, errlen, "PostgreSQL: out of memory");
        goto out;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        snprintf(err, errlen, "PostgreSQL: %s", PQerrorMessage(conn));
        size_t n = strlen(err);
        while (n > 0 && err[n - 1] == '\n')
            err[--n] = '\0';
        redact(err, secret);
        rc = DB_UNAVAILABLE;
        goto out;
    }
    PQsetNoticeProcessor(conn, silent_notice, NULL);
    d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "PostgreSQL: out of memory");
        goto out;
    }
    d->base.ops = &pg_ops;
    d->conn = conn;
    conn = NULL;
    set_ok(d);
    *out = &d->base;
    d = NULL;
    rc = DB_OK;
out:
    free(d);
    PQfinish(conn);
    PQfreemem(perr);
    PQconninfoFree(opts);
    return rc;
}

static void clear_result(struct pg_stmt *s)
{
    for (int i = 0; s->blobs && i < s->ncols; i++)
        free(s->blobs[i].p);
    free(s->blobs);
    s->blobs = NULL;
    s->ncols = 0;
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
}

static void clear_params(struct pg_stmt *s)
{
    for (int i = 0; i < s->nparams; i++) {
        free(s->values[i]);
        s->values[i] = NULL;
        s->lengths[i] = 0;
        s->formats[i] = 0;
    }
}

static void free_stmt(struct pg_stmt *s)
{
    if (!s)
        return;
    clear_result(s);
    if (s->values)
        clear_params(s);
    free(s->values);
    free(s->lengths);
    free(s->formats);
    free(s->sql);
    free(s->orig);
    free(s);
}

static struct pg_stmt *new_stmt(struct pg_db *d, const char *sql)
{
    char err[128];
    struct pg_stmt *s = calloc(1, sizeof(*s));
    if (!s)
        goto oom;
    s->base.db = &d->base;
    s->row = -1;
    s->orig = strdup(sql);
    if (!s->orig)
        goto oom;
    s->sql = db_pg_rewrite(sql, &s->nparams, err, sizeof(err));
    if (!s->sql) {
        set_err(d, DB_ERROR, err);
        free_stmt(s);
        return NULL;
    }
    size_t n = s->nparams > 0 ? (size_t)s->nparams : 1;
    s->values = calloc(n, sizeof(*s->values));
    s->lengths = calloc(n, sizeof(*s->lengths));
    s->formats = calloc(n, sizeof(*s->formats));
    if (!s->values || !s->lengths || !s->formats)
        goto oom;
    return s;
oom:
    free_stmt(s);
    set_err(d, DB_ERROR, "out of memory");
    return NULL;
}

static int pg_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
    struct pg_db *d = pg(db);
    if (lost(d))
        return set_lost(d);
    struct pg_stmt *s = new_stmt(d, sql);
    if (!s)
        return d->code;
    set_ok(d);
    *out = &s->base;
    return DB_OK;
}

/* Parses s on the server under its name: at db_kept, and again after a reconnect. */
static int server_prepare(struct pg_db *d, struct pg_stmt *s)
{
    PGresult *r = PQprepare(d->conn, s->name, s->sql, s->nparams, NULL);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? DB_OK : result_err(d, r);
    PQclear(r);
    if (rc == DB_OK)
        s->prepared = true;
    return rc;
}

static struct db_stmt *pg_kept(struct db *db, const char *sql)
{
    struct pg_db *d = pg(db);
    if (lost(d)) {
        set_lost(d);
        return NULL;
    }
    /* A connection keeps a handful of statements: a linear look costs less than preparing. */
    for (struct pg_stmt *s = d->kept; s; s = s->next) {
        if (!s->handed_out && strcmp(s->orig, sql) == 0) {
            clear_result(s);
            clear_params(s);
            s->handed_out = true;
            set_ok(d);
            return &s->base;
        }
    }
    struct pg_stmt *s = new_stmt(d, sql);
    if (!s)
        return NULL;
    snprintf(s->name, sizeof(s->name), "scimd_%u", d->next_name++);
    if (server_prepare(d, s) != DB_OK) {
        free_stmt(s);
        return NULL;
    }
    s->kept = true;
    s->handed_out = true;
    s->next = d->kept;
    d->kept = s;
    set_ok(d);
    return &s->base;
}

static void pg_kept_done(struct db_stmt *st)
{
    struct pg_stmt *s = ps(st);
    clear_result(s);
    clear_params(s);
    s->handed_out = false;
}

static int bind_slot(struct db_stmt *st, int i)
{
    struct pg_stmt *s = ps(st);
    struct pg_db *d = pg(st->db);
    if (s->res)
        return set_err(d, DB_ERROR, "bind on a statement that has run: reset it first");
    if (i < 1 || i > s->nparams)
        return set_err(d, DB_ERROR, "column index out of range");
    free(s->values[i - 1]);
    s->values[i - 1] = NULL;
    s->lengths[i - 1] = 0;
    s->formats[i - 1] = 0;
    return DB_OK;
}

static int pg_bind_text(struct db_stmt *st, int i, const char *v)
{
    int rc = bind_slot(st, i);
    if (rc != DB_OK)
        return rc;
    struct pg_stmt *s = ps(st);
    s->values[i - 1] = strdup(v);
    if (!s->values[i - 1])
        return set_err(pg(st->db), DB_ERROR, "out of memory");
    return DB_OK;
}

static int pg_bind_int64(struct db_stmt *st, int i, int64_t v)
{
    char num[24];
    snprintf(num, sizeof(num), "%" PRId64, v);
    return pg_bind_text(st, i, num);
}

static int pg_bind_null(struct db_stmt *st, int i)
{
    return bind_slot(st, i);
}

static int pg_bind_blob(struct db_stmt *st, int i, const void *v, size_t n)
{
    int rc = bind_slot(st, i);
    if (rc != DB_OK)
        return rc;
    struct pg_stmt *s = ps(st);
    if (n > 0x3fffffff)
        return set_err(pg(st->db), DB_ERROR, "blob too large");
    /* Never NULL, even for zero bytes: a NULL value is SQL NULL. */
    s->values[i - 1] = malloc(n ? n : 1);
    if (!s->values[i - 1])
        return set_err(pg(st->db), DB_ERROR, "out of memory");
    if (n)
        memcpy(s->values[i - 1], v, n);
    s->lengths[i - 1] = (int)n;
    s->formats[i - 1] = 1; /* binary: bytea's bytes as they are */
    return DB_OK;
}

static int run(struct pg_db *d, struct pg_stmt *s)
{
    if (s->kept && !s->prepared) {
        int rc = server_prepare(d, s);
        if (rc != DB_OK)
            return rc;
    }
    const char *const *vals = (const char *const *)s->values;
    PGresult *r = s->kept ? PQexecPrepared(d->conn, s->name, s->nparams, vals, s->lengths,
                                           s->formats, 0)
                          : PQexecParams(d->conn, s->sql, s->nparams, NULL, vals, s->lengths,
                                         s->formats, 0);
    switch (PQresultStatus(r)) {
    case PGRES_TUPLES_OK:
        note_changes(d, r);
        s->res = r;
        s->ncols = PQnfields(r);
        s->blobs = calloc(s->ncols > 0 ? (size_t)s->ncols : 1, sizeof(*s->blobs));
        if (!s->blobs) {
            clear_result(s);
            return set_err(d, DB_ERROR, "out of memory");
        }
        return DB_OK;
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY:
        note_changes(d, r);
        s->res = r; /* no rows: the first step is the last */
        return DB_OK;
    default: {
        int rc = result_err(d, r);
        PQclear(r);
        return rc;
    }
    }
}

static int pg_step(struct db_stmt *st)
{
    struct pg_stmt *s = ps(st);
    struct pg_db *d = pg(st->db);
    if (!s->res) {
        if (lost(d))
            return set_lost(d);
        int rc = run(d, s);
        if (rc != DB_OK)
            return rc;
    }
    for (int i = 0; i < s->ncols; i++) {
        free(s->blobs[i].p);
        s->blobs[i] = (struct pg_blob){0};
    }
    set_ok(d);
    if (s->row < PQntuples(s->res))
        s->row++;
    return s->row < PQntuples(s->res) ? DB_ROW : DB_DONE;
}

static void pg_reset(struct db_stmt *st)
{
    clear_result(ps(st));
}

static void pg_clear_bindings(struct db_stmt *st)
{
    clear_params(ps(st));
}

static void pg_finalize(struct db_stmt *st)
{
    struct pg_stmt *s = ps(st);
    if (s->kept) {
        pg_kept_done(st);
        return;
    }
    free_stmt(s);
}

/* The current row's value of column i, or NULL (no row, out of range, SQL NULL). */
static const char *value(struct pg_stmt *s, int i)
{
    if (!s->res || s->row < 0 || s->row >= PQntuples(s->res) || i < 0 || i >= s->ncols ||
        PQgetisnull(s->res, s->row, i))
        return NULL;
    return PQgetvalue(s->res, s->row, i);
}

static bool pg_column_is_null(struct db_stmt *st, int i)
{
    return value(ps(st), i) == NULL;
}

static const char *pg_column_text(struct db_stmt *st, int i)
{
    return value(ps(st), i);
}

/* A bytea column's bytes; other types read as their text, as SQLite gives a text's bytes. */
static const struct pg_blob *blob(struct pg_stmt *s, int i)
{
    const char *v = value(s, i);
    if (!v || PQftype(s->res, i) != BYTEAOID)
        return NULL;
    struct pg_blob *b = &s->blobs[i];
    if (!b->done) {
        size_t len = strlen(v);
        b->p = malloc(len / 2 + 1);
        if (!b->p)
            return NULL;
        long n = db_pg_bytea_hex_decode(v, b->p);
        if (n < 0) { /* bytea_output = escape: not what this driver asks for */
            free(b->p);
            b->p = NULL;
            return NULL;
        }
        b->n = (size_t)n;
        b->done = true;
    }
    return b;
}

static size_t pg_column_bytes(struct db_stmt *st, int i)
{
    struct pg_stmt *s = ps(st);
    const char *v = value(s, i);
    if (!v)
        return 0;
    if (PQftype(s->res, i) == BYTEAOID) {
        const struct pg_blob *b = blob(s, i);
        return b ? b->n : 0;
    }
    return (size_t)PQgetlength(s->res, s->row, i);
}

static int64_t pg_column_int64(struct db_stmt *st, int i)
{
    const char *v = value(ps(st), i);
    if (!v)
        return 0;
    if (strcmp(v, "t") == 0)
        return 1;
    if (strcmp(v, "f") == 0)
        return 0;
    return strtoll(v, NULL, 10);
}

static const void *pg_column_blob(struct db_stmt *st, int i)
{
    struct pg_stmt *s = ps(st);
    const char *v = value(s, i);
    if (!v)
        return NULL;
    if (PQftype(s->res, i) == BYTEAOID) {
        const struct pg_blob *b = blob(s, i);
        /* Zero bytes read as NULL, as in SQLite. */
        return b && b->n ? b->p : NULL;
    }
    return v;
}

static int pg_exec(struct db *db, const char *sql)
{
    struct pg_db *d = pg(db);
    if (lost(d))
        return set_lost(d);
    PGresult *r = PQexec(d->conn, sql);
    int rc = DB_OK;
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
        note_changes(d, r);
        set_ok(d);
    } else {
        rc = result_err(d, r);
    }
    PQclear(r);
    return rc;
}

static int64_t pg_changes(struct db *db)
{
    return pg(db)->changes;
}

static int pg_errcode(struct db *db)
{
    return pg(db)->code;
}

static const char *pg_errmsg(struct db *db)
{
    return pg(db)->msg;
}

static bool pg_in_transaction(struct db *db)
{
    /* PQTRANS_UNKNOWN: the connection is lost, and its transaction with it. */
    switch (PQtransactionStatus(pg(db)->conn)) {
    case PQTRANS_ACTIVE:
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR:
        return true;
    default:
        return false;
    }
}

static void pg_reset_kept(struct db *db)
{
    for (struct pg_stmt *s = pg(db)->kept; s; s = s->next)
        clear_result(s);
}

static void pg_close(struct db *db)
{
    struct pg_db *d = pg(db);
    struct pg_stmt *s = d->kept;
    /* PQfinish ends the session, which deallocates its prepared statements. */
    while (s) {
        struct pg_stmt *next = s->next;
        free_stmt(s);
        s = next;
    }
    PQfinish(d->conn);
    free(d);
}

int db_pg_conninfo_has_password(const char *conninfo, char *err, size_t errlen)
{
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
    /* perr may quote the password: it is never shown. */
    PQfreemem(perr);
    if (!opts) {
        snprintf(err, errlen, "libpq cannot parse it");
        return -1;
    }
    int has = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
            has = 1;
    PQconninfoFree(opts);
    return has;
}

bool db_pg_transaction_failed(struct db *db)
{
    return db && db->ops == &pg_ops && PQtransactionStatus(pg(db)->conn) == PQTRANS_INERROR;
}

bool db_pg_connection_ok(struct db *db)
{
    return db && db->ops == &pg_ops && PQstatus(pg(db)->conn) == CONNECTION_OK;
}

bool db_pg_alive(struct db *db)
{
    if (!db_pg_connection_ok(db))
        return false;
    PGconn *conn = pg(db)->conn;
    /* An idle session is sent nothing (no LISTEN outside the listener's own connection):
     * anything readable is the server's goodbye, an error message then the end of the
     * stream, which takes more than one read to reach. */
    for (int i = 0; i < 4; i++) {
        struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};
        if (pfd.fd < 0)
            return false;
        if (poll(&pfd, 1, 0) <= 0)
            break;
        if (!PQconsumeInput(conn))
            return false;
    }
    return PQstatus(conn) == CONNECTION_OK;
}

int db_pg_reconnect(struct db *db)
{
    if (!db || db->ops != &pg_ops)
        return DB_ERROR;
    struct pg_db *d = pg(db);
    PQreset(d->conn);
    if (PQstatus(d->conn) != CONNECTION_OK)
        return set_lost(d);
    PQsetNoticeProcessor(d->conn, silent_notice, NULL);
    /* A new session: the server knows none of the kept statements' names. */
    for (struct pg_stmt *s = d->kept; s; s = s->next) {
        clear_result(s);
        s->prepared = false;
    }
    set_ok(d);
    return DB_OK;
}

int db_pg_socket(struct db *db)
{
    return db && db->ops == &pg_ops ? PQsocket(pg(db)->conn) : -1;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int db_pg_wait_notify(struct db *db, int timeout_ms, char *channel, size_t len, char *payload,
                      size_t plen)
{
    if (!db || db->ops != &pg_ops)
        return -1;
    struct pg_db *d = pg(db);
    int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    for (;;) {
        if (lost(d) || !PQconsumeInput(d->conn)) {
            set_lost(d);
            return -1;
        }
        PGnotify *n = PQnotifies(d->conn);
        if (n) {
            if (channel && len)
                snprintf(channel, len, "%s", n->relname);
            if (payload && plen)
                snprintf(payload, plen, "%s", n->extra ? n->extra : "");
            PQfreemem(n);
            return 1;
        }
        int wait = -1;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            if (left <= 0)
                return 0;
            wait = left > 0x7fffffff ? 0x7fffffff : (int)left;
        }
        struct pollfd pfd = {.fd = PQsocket(d->conn), .events = POLLIN};
        if (pfd.fd < 0) {
            set_lost(d);
            return -1;
        }
        int rc = poll(&pfd, 1, wait);
        if (rc < 0 && errno != EINTR) {
            set_err(d, DB_ERROR, strerror(errno));
            return -1;
        }
    }
}

static const struct db_ops pg_ops = {
    .backend = DB_POSTGRESQL,
    .prepare = pg_prepare,
    .kept = pg_kept,
    .kept_done = pg_kept_done,
    .bind_text = pg_bind_text,
    .bind_int64 = pg_bind_int64,
    .bind_null = pg_bind_null,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .reset = pg_reset,
    .clear_bindings = pg_clear_bindings,
    .finalize = pg_finalize,
    .column_is_null = pg_column_is_null,
    .column_text = pg_column_text,
    .column_bytes = pg_column_bytes,
    .column_int64 = pg_column_int64,
    .column_blob = pg_column_blob,
    .exec = pg_exec,
    .changes = pg_changes,
    .errcode = pg_errcode,
    .errmsg = pg_errmsg,
    .in_transaction = pg_in_transaction,
    .reset_kept = pg_reset_kept,
    .close = pg_close,
};
