#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "conn/conn_internal.h"
#include "util/error_internal.h"

/* Session settings every connection gets: timestamps travel and print in UTC. The last
   statement reads the session's statement_timeout (from the connection string's options,
   the role, the database or the server), from which the I/O timeout is derived. */
#define SESSION_SETUP_SQL                                                              \
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD';"                                \
    " SELECT pg_catalog.current_setting('statement_timeout')"
static const char SESSION_SETUP[] = SESSION_SETUP_SQL;

/* Margin of the derived I/O timeout over the statement timeout: the server's error
   reaches the client well within it (round trips, a busy server) whenever the server
   and the network are there. */
#define IO_TIMEOUT_MARGIN_MS 5000u

/* statement_timeout as current_setting() prints it ("0", "500ms", "5s", "2min", "1h",
   "1d") in milliseconds; 0 when off or unreadable. */
static unsigned long long setting_ms(const char *text)
{
    static const struct { const char *unit; unsigned long long ms; } units[] = {
        {"", 1}, {"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}, {"d", 86400000}};
    char *end;
    unsigned long long v;

    if (!text || *text < '0' || *text > '9')
        return 0;
    v = strtoull(text, &end, 10);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(end, units[i].unit))
            return v > ULLONG_MAX / units[i].ms ? 0 : v * units[i].ms;
    return 0;
}

void cerd__conn_follow_statement_timeout(cerd_conn *conn, unsigned long long st)
{
    if (conn->io_timeout_set)
        return;
    conn->io_timeout_ms = st == 0                                ? 0
                          : st >= UINT_MAX - IO_TIMEOUT_MARGIN_MS ? UINT_MAX
                                                                  : (unsigned)st + IO_TIMEOUT_MARGIN_MS;
}

/* Runs the session setup; the I/O timeout follows the session's statement_timeout. */
static int session_setup(cerd_conn *conn, const char *what)
{
    PGresult *res = NULL;
    int rc = cerd__exec(conn, SESSION_SETUP, what, &res);

    if (rc == 0 && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        cerd__conn_follow_statement_timeout(conn, setting_ms(PQgetvalue(res, 0, 0)));
    PQclear(res);
    return rc;
}

/* A library does not write to stderr: server notices ("already exists, skipping") are
   dropped. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* TCP settings every connection gets unless its connection string sets them: a peer
   that vanishes without a word (a network partition, a host powered off) is noticed by
   the kernel instead of leaving a call blocked for hours. Idle: a keepalive probe after
   30 s of silence, then every 10 s, given up after 3 unanswered; busy: data unacknowledged
   for 30 s drops the connection (tcp_user_timeout). Ignored on Unix-domain sockets.
   Listed before dbname, so that the caller's string (expanded from dbname) overrides them. */
static const char *const TCP_KEYS[] = {"keepalives", "keepalives_idle", "keepalives_interval",
                                       "keepalives_count", "tcp_user_timeout", "dbname", NULL};
static const char *const TCP_VALUES[] = {"1", "30", "10", "3", "30000"};

int cerd_conn_open(cerd_conn **out, const char *conninfo)
{
    const char *values[sizeof TCP_KEYS / sizeof TCP_KEYS[0]];
    cerd_conn *conn;
    int rc;

    if (!out)
        return cerd__error(CERD_EMISUSE, "cerd_conn_open: out is NULL");
    *out = NULL;
    conn = calloc(1, sizeof *conn);
    if (!conn)
        return cerd__error(CERD_ENOMEM, "cerd_conn_open: out of memory");
    for (size_t i = 0; i + 2 < sizeof TCP_KEYS / sizeof TCP_KEYS[0]; i++)
        values[i] = TCP_VALUES[i];
    values[5] = conninfo ? conninfo : "";
    values[6] = NULL;
    conn->pg = PQconnectdbParams(TCP_KEYS, values, 1);
    if (!conn->pg) {
        free(conn);
        return cerd__error(CERD_ENOMEM, "cerd_conn_open: out of memory");
    }
    if (PQstatus(conn->pg) != CONNECTION_OK) {
        char message[1024];
        snprintf(message, sizeof message, "%s", PQerrorMessage(conn->pg));
        /* one line: libpq writes one line per host it tried */
        for (char *c = message; *c; c++)
            if (*c == '\n')
                *c = c[1] ? ' ' : '\0';
        cerd_conn_free(conn);
        return cerd__error(CERD_ECONNECT, "connect: %s", message);
    }
    PQsetNoticeProcessor(conn->pg, ignore_notice, NULL);
    if (!(conn->cancel = PQgetCancel(conn->pg))) {
        cerd_conn_free(conn);
        return cerd__error(CERD_ENOMEM, "cerd_conn_open: out of memory");
    }
    rc = session_setup(conn, "session setup");
    if (rc) {
        cerd_conn_free(conn);
        return rc;
    }
    *out = conn;
    return 0;
}

void cerd_conn_free(cerd_conn *conn)
{
    if (!conn)
        return;
    cerd__cancel_mark(conn->pg, 0);
    PQfreeCancel(conn->cancel);
    PQfinish(conn->pg);
    cerd__stmt_cache_free(&conn->stmts);
    free(conn);
}

/* ------------------------------------------------------------------ waiting, bounded */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Closes the connection under libpq's feet: after shutdown() the socket reads as
   end-of-file, so libpq's next read marks the connection CONNECTION_BAD and closes its
   socket; nothing can block on it any more, and a pool discards it. */
static void break_connection(cerd_conn *conn)
{
    int fd = PQsocket(conn->pg);
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
    for (int i = 0; i < 3 && PQstatus(conn->pg) == CONNECTION_OK; i++)
        PQconsumeInput(conn->pg);
}

int cerd__conn_poll(cerd_conn *conn, bool want_write)
{
    struct pollfd pfd = {.fd = PQsocket(conn->pg),
                         .events = (short)(POLLIN | (want_write ? POLLOUT : 0))};
    int timeout = conn->io_timeout_ms > INT_MAX ? INT_MAX
                  : conn->io_timeout_ms ? (int)conn->io_timeout_ms : -1;
    int64_t deadline = timeout >= 0 ? now_ms() + timeout : 0;

    if (pfd.fd < 0)
        return -1;
    for (;;) {
        int r = poll(&pfd, 1, timeout);
        if (r > 0)
            return pfd.revents;
        if (r == 0) {
            conn->io_expired = true;
            break_connection(conn);
            return 0;
        }
        if (errno != EINTR) {
            break_connection(conn);
            return -1;
        }
        if (timeout >= 0) {
            int64_t left = deadline - now_ms();
            timeout = left > 0 ? (int)left : 0;
        }
    }
}

void cerd__conn_io_begin(cerd_conn *conn)
{
    conn->io_expired = false;
    if (conn->io_timeout_ms)
        PQsetnonblocking(conn->pg, 1);
}

void cerd__conn_io_end(cerd_conn *conn)
{
    /* libpq refuses to leave non-blocking mode while output is queued; the await that
       ended the command has sent it all, or the connection is closed */
    if (conn->io_timeout_ms)
        PQsetnonblocking(conn->pg, 0);
}

/* Sends everything libpq has queued, reading what arrives meanwhile (a server that
   answers while the client sends must not deadlock). 0, or -1 (connection closed). */
static int send_all(cerd_conn *conn)
{
    int f;
    while ((f = PQflush(conn->pg)) == 1) {
        int ev = cerd__conn_poll(conn, true);
        if (ev <= 0)
            return -1;
        if ((ev & (POLLIN | POLLHUP | POLLERR)) && !PQconsumeInput(conn->pg))
            return -1;
    }
    return f < 0 ? -1 : 0;
}

int cerd__conn_await(cerd_conn *conn)
{
    if (!conn->io_timeout_ms)
        return 0; /* PQgetResult blocks as long as it takes */
    if (send_all(conn))
        return -1;
    while (PQisBusy(conn->pg)) {
        if (cerd__conn_poll(conn, false) <= 0 || !PQconsumeInput(conn->pg))
            return -1;
    }
    return 0;
}

PGresult *cerd__pq_result(cerd_conn *conn)
{
    /* after a failed wait the connection is closed: PQgetResult returns at once */
    (void)cerd__conn_await(conn);
    return PQgetResult(conn->pg);
}

/* The results of the command just sent, as PQexec gives them: the last one, or the first
   error; a COPY start ends the collection (the caller goes on with the COPY). */
static PGresult *collect(cerd_conn *conn)
{
    PGresult *last = NULL, *res;

    while ((res = cerd__pq_result(conn))) {
        ExecStatusType st = PQresultStatus(res);
        if (last && PQresultStatus(last) == PGRES_FATAL_ERROR) {
            PQclear(res);
            continue;
        }
        PQclear(last);
        last = res;
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
            break;
    }
    cerd__conn_io_end(conn);
    return last;
}

/* What PQexec does first: results of an earlier command nobody read are dropped. */
static void drop_pending(cerd_conn *conn)
{
    PGresult *res;
    while (!PQisBusy(conn->pg) && (res = PQgetResult(conn->pg))) {
        ExecStatusType st = PQresultStatus(res);
        PQclear(res);
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
            break; /* PQsendQuery refuses, as PQexec would */
    }
}

PGresult *cerd__pq_exec(cerd_conn *conn, const char *sql)
{
    conn->io_expired = false;
    if (!conn->io_timeout_ms)
        return PQexec(conn->pg, sql);
    drop_pending(conn);
    cerd__conn_io_begin(conn);
    if (!PQsendQuery(conn->pg, sql)) {
        cerd__conn_io_end(conn);
        return NULL;
    }
    return collect(conn);
}

PGresult *cerd__pq_exec_params(cerd_conn *conn, const char *sql, int nparams,
                               const Oid *types, const char *const *values,
                               const int *lengths, const int *formats, int result_format)
{
    conn->io_expired = false;
    if (!conn->io_timeout_ms)
        return PQexecParams(conn->pg, sql, nparams, types, values, lengths, formats,
                            result_format);
    drop_pending(conn);
    cerd__conn_io_begin(conn);
    if (!PQsendQueryParams(conn->pg, sql, nparams, types, values, lengths, formats,
                           result_format)) {
        cerd__conn_io_end(conn);
        return NULL;
    }
    return collect(conn);
}

PGresult *cerd__pq_exec_prepared(cerd_conn *conn, const char *name, int nparams,
                                 const char *const *values, const int *lengths,
                                 const int *formats, int result_format)
{
    conn->io_expired = false;
    if (!conn->io_timeout_ms)
        return PQexecPrepared(conn->pg, name, nparams, values, lengths, formats,
                              result_format);
    drop_pending(conn);
    cerd__conn_io_begin(conn);
    if (!PQsendQueryPrepared(conn->pg, name, nparams, values, lengths, formats,
                             result_format)) {
        cerd__conn_io_end(conn);
        return NULL;
    }
    return collect(conn);
}

int cerd__pq_put_copy(cerd_conn *conn, const char *buf, int len)
{
    int r;

    if (!conn->io_timeout_ms)
        return PQputCopyData(conn->pg, buf, len) == 1 ? 1 : -1;
    cerd__conn_io_begin(conn);
    /* 0: libpq's buffer is full and could not grow: send some, then again */
    while ((r = PQputCopyData(conn->pg, buf, len)) == 0)
        if (cerd__conn_poll(conn, true) <= 0 || PQflush(conn->pg) < 0) {
            r = -1;
            break;
        }
    if (r == 1 && send_all(conn))
        r = -1;
    cerd__conn_io_end(conn);
    return r == 1 ? 1 : -1;
}

int cerd__pq_put_copy_end(cerd_conn *conn, const char *errormsg)
{
    int r;

    if (!conn->io_timeout_ms)
        return PQputCopyEnd(conn->pg, errormsg) == 1 ? 1 : -1;
    cerd__conn_io_begin(conn);
    while ((r = PQputCopyEnd(conn->pg, errormsg)) == 0)
        if (cerd__conn_poll(conn, true) <= 0 || PQflush(conn->pg) < 0) {
            r = -1;
            break;
        }
    if (r == 1 && send_all(conn))
        r = -1;
    cerd__conn_io_end(conn);
    return r == 1 ? 1 : -1;
}

int cerd__pq_get_copy(cerd_conn *conn, char **buf)
{
    int n;

    if (!conn->io_timeout_ms)
        return PQgetCopyData(conn->pg, buf, 0);
    /* async: 0 means no complete row yet */
    while ((n = PQgetCopyData(conn->pg, buf, 1)) == 0)
        if (cerd__conn_poll(conn, false) <= 0 || !PQconsumeInput(conn->pg))
            return -2;
    return n;
}

int cerd__conn_error(cerd_conn *conn, const PGresult *res, const char *what)
{
    if (conn && conn->io_expired)
        return cerd__error(CERD_ETIMEOUT,
                           "%s%sthe server sent nothing for %u ms (the connection's I/O "
                           "timeout): the connection was closed",
                           what ? what : "", what && *what ? ": " : "", conn->io_timeout_ms);
    return cerd__error_from_pg(conn ? conn->pg : NULL, res, what);
}

void cerd_conn_set_io_timeout(cerd_conn *conn, unsigned ms)
{
    if (!conn)
        return;
    conn->io_timeout_ms = ms;
    conn->io_timeout_set = true;
}

unsigned cerd_conn_io_timeout(const cerd_conn *conn)
{
    return conn ? conn->io_timeout_ms : 0;
}

#define MAX_PARAMS 256

unsigned cerd__stmt_find(cerd_conn *conn, const void *key)
{
    if (conn->unnamed_statements)
        return 0; /* nothing is kept on the server: the SQL is built for every call */
    return cerd__stmt_cache_find(&conn->stmts, key);
}

void cerd__stmt_name(char *buf, size_t size, unsigned id)
{
    snprintf(buf, size, "cerd_%u", id);
}

/* "prepared statement ... does not exist" */
static int is_missing_statement(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return state && !strcmp(state, "26000");
}

/* The results of one query sent in pipeline mode: the first, the rest up to the NULL that
   ends them released. NULL when the connection broke. */
static PGresult *one_result(cerd_conn *conn)
{
    PGresult *first = cerd__pq_result(conn), *more;
    if (!first)
        return NULL;
    while ((more = cerd__pq_result(conn)))
        PQclear(more);
    return first;
}

/* First use of a shape: Parse, Bind/Execute and Sync sent together in pipeline mode, both
   results read back: one round trip. */
static int prepare_and_exec(cerd_conn *conn, const void *key, const char *name,
                            const char *sql, int nparams, const Oid *oids,
                            const char *const *values, const int *lengths, const int *binary,
                            const char *what, PGresult **res_out)
{
    PGconn *pg = conn->pg;
    PGresult *prep = NULL, *exec = NULL, *sync;
    int rc = 0;

    if (!PQenterPipelineMode(pg))
        return cerd__error_from_pg(pg, NULL, what);
    cerd__conn_io_begin(conn);
    if (PQsendPrepare(pg, name, sql, nparams, oids)
        && PQsendQueryPrepared(pg, name, nparams, values, lengths, binary, 1)
        && PQpipelineSync(pg)) {
        prep = one_result(conn);
        exec = prep ? one_result(conn) : NULL;
        if (exec) {
            sync = cerd__pq_result(conn);
            if (!sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC) {
                PQclear(exec);
                exec = NULL; /* the connection broke: reported below */
            }
            PQclear(sync);
        }
    }
    if (prep && PQresultStatus(prep) != PGRES_COMMAND_OK) {
        rc = cerd__conn_error(conn, prep, what);
        cerd__stmt_cache_remove(&conn->stmts, key); /* keep cache and server in step */
    } else if (!prep || !exec) {
        rc = cerd__conn_error(conn, NULL, what);
        cerd__stmt_cache_remove(&conn->stmts, key);
    } else {
        ExecStatusType st = PQresultStatus(exec);
        if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
            *res_out = exec;
            exec = NULL;
        } else {
            rc = cerd__conn_error(conn, exec, what);
        }
    }
    PQclear(prep);
    PQclear(exec);
    PQexitPipelineMode(pg);
    cerd__conn_io_end(conn);
    return rc;
}

int cerd__stmt_run(cerd_conn *conn, const void *key, unsigned id, const char *sql,
                   int nparams, const uint32_t *types, const char *const *values,
                   const int *lengths, const char *what, PGresult **res_out)
{
    Oid oids[MAX_PARAMS];
    int binary[MAX_PARAMS];
    char name[32];
    PGresult *res;
    ExecStatusType st;
    int rc;

    *res_out = NULL;
    if (nparams > MAX_PARAMS)
        return cerd__error(CERD_EMISUSE, "%s: %d parameters, at most %d", what, nparams,
                           MAX_PARAMS);
    if (!id && !sql)
        return cerd__error(CERD_EMISUSE, "%s: no statement text", what);
    for (int i = 0; i < nparams; i++) {
        oids[i] = types[i];
        binary[i] = 1;
    }
    if (!id && conn->unnamed_statements) {
        /* Nothing is kept on the server: the unnamed statement, one round trip. */
        res = cerd__pq_exec_params(conn, sql, nparams, oids, values, lengths, binary, 1);
    } else if (!id) {
        if (!(id = cerd__stmt_cache_add(&conn->stmts, key)))
            return cerd__error(CERD_ENOMEM, "%s: out of memory", what);
        cerd__stmt_name(name, sizeof name, id);
        return prepare_and_exec(conn, key, name, sql, nparams, oids, values, lengths, binary,
                                what, res_out);
    } else {
        cerd__stmt_name(name, sizeof name, id);
        res = cerd__pq_exec_prepared(conn, name, nparams, values, lengths, binary, 1);
    }
    st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        *res_out = res;
        return 0;
    }
    /* Inside a transaction the failed EXECUTE has aborted it: no retry can help. */
    if (is_missing_statement(res) && PQtransactionStatus(conn->pg) == PQTRANS_IDLE) {
        PQclear(res);
        cerd__stmt_cache_clear(&conn->stmts);
        return CERD__ESTMT_LOST;
    }
    rc = cerd__conn_error(conn, res, what);
    PQclear(res);
    return rc;
}

int cerd__exec(cerd_conn *conn, const char *sql, const char *what, PGresult **res_out)
{
    PGresult *res;
    ExecStatusType st;

    if (!conn || !sql)
        return cerd__error(CERD_EMISUSE, "%s: connection or SQL is NULL", what);
    res = cerd__pq_exec(conn, sql);
    st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        int rc = cerd__conn_error(conn, res, what);
        PQclear(res);
        return rc;
    }
    if (res_out)
        *res_out = res;
    else
        PQclear(res);
    return 0;
}

int cerd_conn_exec(cerd_conn *conn, const char *sql)
{
    if (conn)
        conn->session_dirty = true;
    return cerd__exec(conn, sql, "exec", NULL);
}

/* The user context of a transaction, after its BEGIN in the same query string:
   transaction-scoped settings made with SET LOCAL, which Citus forwards to the workers
   a distributed transaction touches when citus.propagate_set_commands is 'local' (set
   locally first: it is read when the next SET LOCAL runs). Without Citus the first
   setting is a harmless placeholder that ends with the transaction like the second.
   SET takes no parameters: the only value formatted is the library's own int64. */
#define USER_SQL_FORMAT                                                                \
    "; SET LOCAL citus.propagate_set_commands = 'local'"                               \
    "; SET LOCAL app.current_user_id = '%lld'"

int cerd__conn_begin(cerd_conn *conn, const char *begin_sql, const char *what)
{
    char sql[384];
    int rc;

    if (!conn || !conn->has_user)
        return cerd__exec(conn, begin_sql, what, NULL);
    /* BEGIN and the user's settings in one round trip: one simple query, whose
       statements run in order and stop at the first error. */
    if ((size_t)snprintf(sql, sizeof sql, "%s" USER_SQL_FORMAT, begin_sql,
                         (long long)conn->user_id) >= sizeof sql)
        return cerd__error(CERD_EMISUSE, "%s: BEGIN statement too long", what);
    rc = cerd__exec(conn, sql, what, NULL);
    /* a BEGIN that succeeded before a failed SET leaves a failed transaction: end it,
       so that a failed begin leaves no transaction behind */
    if (rc && PQstatus(conn->pg) == CONNECTION_OK
        && PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
        PQclear(cerd__pq_exec(conn, "ROLLBACK"));
    return rc;
}

int cerd__conn_reset_session(cerd_conn *conn)
{
    /* DISCARD ALL cannot share a query string (an implicit transaction) with the setup */
    int rc = cerd__exec(conn, "DISCARD ALL", "session reset", NULL);

    if (rc == 0)
        rc = session_setup(conn, "session reset");

    cerd__stmt_cache_clear(&conn->stmts); /* DISCARD ALL dropped them */
    if (rc == 0)
        conn->session_dirty = false;
    return rc;
}

int cerd_conn_begin(cerd_conn *conn)
{
    if (conn && PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
        return cerd__error(CERD_EMISUSE, "begin: a transaction is already open");
    return cerd__conn_begin(conn, "BEGIN", "begin");
}

int cerd_conn_commit(cerd_conn *conn)
{
    PGresult *res = NULL;
    int rc, rolled_back;

    if (conn && PQtransactionStatus(conn->pg) == PQTRANS_IDLE)
        return cerd__error(CERD_EMISUSE, "commit: no transaction is open");
    /* Lost before COMMIT could be sent: the server rolls the transaction back. */
    if (conn && PQstatus(conn->pg) != CONNECTION_OK)
        return cerd__error(CERD_ECONNLOST, "commit: the connection was lost before COMMIT "
                                           "was sent: the transaction was not committed");
    rc = cerd__exec(conn, "COMMIT", "commit", &res);
    if (rc == CERD_ECONNLOST || (rc && conn && PQstatus(conn->pg) != CONNECTION_OK)) {
        /* COMMIT went out and its answer did not come back: the server may have
           committed (only the reply was lost) or not. */
        char why[512];
        snprintf(why, sizeof why, "%s", cerd_error_last()->message);
        return cerd__error(CERD_ECOMMITUNKNOWN,
                           "commit: the connection was lost after COMMIT was sent; the "
                           "transaction may or may not have been committed (%s)", why);
    }
    if (rc)
        return rc;
    /* COMMIT of a failed transaction "succeeds" with the tag ROLLBACK: nothing was saved. */
    rolled_back = strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
    PQclear(res);
    if (rolled_back)
        return cerd__error(CERD_EMISUSE,
                           "commit: the transaction had failed and was rolled back");
    return 0;
}

/* "X/Y" (hexadecimal halves) to a 64-bit position; 0 when unreadable. */
static uint64_t parse_lsn(const char *text)
{
    unsigned long long hi, lo;
    char end;

    if (!text || sscanf(text, "%llx/%llx%c", &hi, &lo, &end) != 2 || hi > 0xFFFFFFFFull
        || lo > 0xFFFFFFFFull)
        return 0;
    return (uint64_t)hi << 32 | (uint64_t)lo;
}

/* A position right after a page header is where the next record would start, which the
   standby's replay position (the end of the last record) never equals: the record before
   ended at the page's start. Given that way, a standby that has replayed everything is
   not made to wait for a record nobody may write. Short headers are 24 bytes, the long
   one opening a segment 40 (XLogPageHeaderData, XLogLongPageHeaderData). */
static uint64_t record_end(uint64_t lsn, uint64_t block, uint64_t segment)
{
    if (segment && lsn % segment == 40)
        return lsn - 40;
    if (block && lsn % block == 24)
        return lsn - 24;
    return lsn;
}

#define COMMIT_LSN_SQL                                                                 \
    "COMMIT; SELECT CASE WHEN pg_catalog.pg_is_in_recovery()"                          \
    " THEN pg_catalog.pg_last_wal_replay_lsn()"                                        \
    " ELSE pg_catalog.pg_current_wal_insert_lsn() END,"                                \
    " pg_catalog.current_setting('wal_block_size'),"                                   \
    " pg_catalog.pg_size_bytes(pg_catalog.current_setting('wal_segment_size'))"

int cerd_conn_commit_lsn(cerd_lsn *out, cerd_conn *conn)
{
    bool rolled_back = false, have = false, commit_failed = false;
    PGresult *res;
    int rc = 0;

    if (!out || !conn)
        return cerd__error(CERD_EMISUSE, "commit: out or connection is NULL");
    out->value = 0;
    if (PQtransactionStatus(conn->pg) == PQTRANS_IDLE)
        return cerd__error(CERD_EMISUSE, "commit: no transaction is open");
    if (PQstatus(conn->pg) != CONNECTION_OK)
        return cerd__error(CERD_ECONNLOST, "commit: the connection was lost before COMMIT "
                                           "was sent: the transaction was not committed");
    /* one simple query: its results arrive one statement after the other */
    cerd__conn_io_begin(conn);
    if (!PQsendQuery(conn->pg, COMMIT_LSN_SQL)) {
        cerd__conn_io_end(conn);
        return cerd__error_from_pg(conn->pg, NULL, "commit");
    }
    for (int n = 0; (res = cerd__pq_result(conn)); n++) {
        ExecStatusType st = PQresultStatus(res);

        if (rc == 0 && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            rc = cerd__conn_error(conn, res, n == 0 ? "commit" : "commit: position");
            commit_failed = n == 0;
        }
        else if (n == 0)
            rolled_back = strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
        else if (st == PGRES_TUPLES_OK && PQntuples(res) == 1 && PQnfields(res) == 3) {
            uint64_t lsn = parse_lsn(PQgetvalue(res, 0, 0)); /* "" for NULL: 0 */
            out->value = record_end(lsn, strtoull(PQgetvalue(res, 0, 1), NULL, 10),
                                    strtoull(PQgetvalue(res, 0, 2), NULL, 10));
            have = lsn != 0;
        }
        PQclear(res);
    }
    cerd__conn_io_end(conn);
    if (rc && commit_failed && PQstatus(conn->pg) != CONNECTION_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", cerd_error_last()->message);
        rc = cerd__error(CERD_ECOMMITUNKNOWN,
                         "commit: the connection was lost after COMMIT was sent; the "
                         "transaction may or may not have been committed (%s)", why);
    }
    if (rc == 0 && rolled_back)
        rc = cerd__error(CERD_EMISUSE, "commit: the transaction had failed and was rolled back");
    else if (rc == 0 && !have)
        rc = cerd__error(CERD_ESERVER, "commit: committed, but the server gave no WAL position");
    if (rc)
        out->value = 0;
    return rc;
}

int cerd_conn_rollback(cerd_conn *conn)
{
    if (conn && PQtransactionStatus(conn->pg) == PQTRANS_IDLE)
        return 0;
    return cerd__exec(conn, "ROLLBACK", "rollback", NULL);
}

int cerd_conn_ok(const cerd_conn *conn)
{
    return conn && PQstatus(conn->pg) == CONNECTION_OK;
}

/* SAVEPOINT / ROLLBACK TO / RELEASE with a checked identifier. */
static int savepoint_command(cerd_conn *conn, const char *verb, const char *name)
{
    char sql[128];
    size_t n = name ? strlen(name) : 0;

    if (!conn || n == 0 || n > 63 || strspn(name, "abcdefghijklmnopqrstuvwxyz"
                                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n
        || (name[0] >= '0' && name[0] <= '9'))
        return cerd__error(CERD_EMISUSE, "%s: savepoint name must be an identifier", verb);
    if (PQtransactionStatus(conn->pg) == PQTRANS_IDLE)
        return cerd__error(CERD_EMISUSE, "%s: no transaction is open", verb);
    snprintf(sql, sizeof sql, "%s %s", verb, name);
    return cerd__exec(conn, sql, verb, NULL);
}

int cerd_conn_savepoint(cerd_conn *conn, const char *name)
{
    return savepoint_command(conn, "SAVEPOINT", name);
}

int cerd_conn_rollback_to(cerd_conn *conn, const char *name)
{
    return savepoint_command(conn, "ROLLBACK TO SAVEPOINT", name);
}

int cerd_conn_release(cerd_conn *conn, const char *name)
{
    return savepoint_command(conn, "RELEASE SAVEPOINT", name);
}

static const char *begin_sql(cerd_isolation isolation)
{
    switch (isolation) {
    case CERD_ISOLATION_READ_COMMITTED: return "BEGIN ISOLATION LEVEL READ COMMITTED";
    case CERD_ISOLATION_REPEATABLE_READ: return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case CERD_ISOLATION_SERIALIZABLE: return "BEGIN ISOLATION LEVEL SERIALIZABLE";
    default: return "BEGIN";
    }
}

/* Randomised, growing pause between attempts, so that transactions that collided do
   not collide again in lockstep: up to 1 ms * 2^attempt, capped at 100 ms. */
static void backoff(unsigned attempt)
{
    static _Thread_local unsigned seed;
    long cap_us = attempt < 7 ? 1000L << attempt : 100000L;
    struct timespec ts;

    if (!seed)
        seed = (unsigned)(uintptr_t)&seed ^ (unsigned)time(NULL);
    seed = seed * 1103515245u + 12345u;
    ts.tv_sec = 0;
    ts.tv_nsec = (long)((seed >> 8) % (unsigned long)cap_us) * 1000L;
    nanosleep(&ts, NULL);
}

int cerd_conn_transact(cerd_conn *conn, const cerd_txn_options *opts, cerd_txn_fn fn,
                       void *arg)
{
    cerd_txn_options defaults = CERD_TXN_OPTIONS_INIT;
    int rc = CERD_ESERIALIZATION;
    cerd_lsn *lsn;

    if (!opts)
        opts = &defaults;
    if (!conn || !fn || opts->version < 1 || opts->version > 2 || opts->max_attempts < 1)
        return cerd__error(CERD_EMISUSE, "transact: bad arguments");
    if (PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
        return cerd__error(CERD_EMISUSE, "transact: a transaction is already open");
    lsn = opts->version >= 2 ? opts->commit_lsn : NULL;
    if (lsn)
        lsn->value = 0;
    for (unsigned attempt = 0; attempt < opts->max_attempts; attempt++) {
        if (attempt)
            backoff(attempt);
        if ((rc = cerd__conn_begin(conn, begin_sql(opts->isolation), "transact: begin")))
            return rc;
        rc = fn(conn, arg);
        if (rc == 0)
            rc = lsn ? cerd_conn_commit_lsn(lsn, conn) : cerd_conn_commit(conn);
        if (rc == 0)
            return 0;
        if (PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
            PQclear(cerd__pq_exec(conn, "ROLLBACK"));
        if (rc != CERD_ESERIALIZATION)
            return rc;
    }
    return rc;
}

void cerd_conn_set_unnamed_statements(cerd_conn *conn, bool on)
{
    if (conn)
        conn->unnamed_statements = on;
}

int cerd_conn_cancel(cerd_conn *conn)
{
    char why[256];

    if (!conn || !conn->cancel)
        return cerd__error(CERD_EMISUSE, "cancel: connection is NULL");
    cerd__cancel_mark(conn->pg, 1);
    if (!PQcancel(conn->cancel, why, (int)sizeof why)) {
        cerd__cancel_mark(conn->pg, 0);
        return cerd__error(CERD_ECONNECT, "cancel: the cancel request could not be sent: %s",
                           why);
    }
    return 0;
}

void cerd_conn_set_validation(cerd_conn *conn, bool on)
{
    if (conn)
        conn->validation_off = !on;
}
