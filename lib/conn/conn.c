#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conn/conn_internal.h"
#include "util/error_internal.h"

/* Session settings every connection gets: timestamps travel and print in UTC. */
#define SESSION_SETUP_SQL "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'"
static const char SESSION_SETUP[] = SESSION_SETUP_SQL;

/* A library does not write to stderr: server notices ("already exists, skipping") are
   dropped. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int cerd_conn_open(cerd_conn **out, const char *conninfo)
{
    cerd_conn *conn;
    int rc;

    if (!out)
        return cerd__error(CERD_EMISUSE, "cerd_conn_open: out is NULL");
    *out = NULL;
    conn = calloc(1, sizeof *conn);
    if (!conn)
        return cerd__error(CERD_ENOMEM, "cerd_conn_open: out of memory");
    conn->pg = PQconnectdb(conninfo ? conninfo : "");
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
    rc = cerd__exec(conn, SESSION_SETUP, "session setup", NULL);
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
    PQfinish(conn->pg);
    cerd__stmt_cache_free(&conn->stmts);
    free(conn->unnamed_sql);
    free(conn->unnamed_types);
    free(conn);
}

#define MAX_PARAMS 256

unsigned cerd__stmt_find(cerd_conn *conn, const void *key)
{
    if (conn->unnamed_statements)
        return 0; /* nothing is kept on the server: the SQL is built for every call */
    return cerd__stmt_cache_find(&conn->stmts, key);
}

/* Unnamed-statement mode: keeps sql and its parameter types for cerd__stmt_exec. */
static int keep_unnamed(cerd_conn *conn, const char *sql, int nparams, const uint32_t *types,
                        const char *what)
{
    size_t n = strlen(sql) + 1;
    char *text = malloc(n);

    if (!text)
        return cerd__error(CERD_ENOMEM, "%s: out of memory", what);
    memcpy(text, sql, n);
    if (nparams > conn->unnamed_cap) {
        Oid *t = realloc(conn->unnamed_types, (size_t)nparams * sizeof *t);
        if (!t) {
            free(text);
            return cerd__error(CERD_ENOMEM, "%s: out of memory", what);
        }
        conn->unnamed_types = t;
        conn->unnamed_cap = nparams;
    }
    for (int i = 0; i < nparams; i++)
        conn->unnamed_types[i] = types[i];
    free(conn->unnamed_sql);
    conn->unnamed_sql = text;
    conn->unnamed_nparams = nparams;
    return 0;
}

int cerd__stmt_prepare(cerd_conn *conn, const void *key, const char *sql, int nparams,
                       const uint32_t *types, const char *what, unsigned *id)
{
    Oid oids[MAX_PARAMS];
    char name[32];
    PGresult *res;
    int rc = 0;

    if (nparams > MAX_PARAMS)
        return cerd__error(CERD_EMISUSE, "%s: %d parameters, at most %d", what, nparams,
                           MAX_PARAMS);
    if (conn->unnamed_statements) {
        *id = CERD__STMT_UNNAMED;
        return keep_unnamed(conn, sql, nparams, types, what);
    }
    for (int i = 0; i < nparams; i++)
        oids[i] = types[i];
    if (!(*id = cerd__stmt_cache_add(&conn->stmts, key)))
        return cerd__error(CERD_ENOMEM, "%s: out of memory", what);
    snprintf(name, sizeof name, "cerd_%u", *id);
    res = PQprepare(conn->pg, name, sql, nparams, oids);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = cerd__error_from_pg(conn->pg, res, what);
        cerd__stmt_cache_clear(&conn->stmts); /* keep cache and server in step */
    }
    PQclear(res);
    return rc;
}

/* "prepared statement ... does not exist" */
static int is_missing_statement(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return state && !strcmp(state, "26000");
}

int cerd__stmt_exec(cerd_conn *conn, unsigned id, int nparams, const char *const *values,
                    const int *lengths, const char *what, PGresult **res_out)
{
    int binary[MAX_PARAMS];
    char name[32];
    PGresult *res;
    ExecStatusType st;
    int rc;

    *res_out = NULL;
    for (int i = 0; i < nparams && i < MAX_PARAMS; i++)
        binary[i] = 1;
    if (id == CERD__STMT_UNNAMED) {
        if (!conn->unnamed_sql || nparams != conn->unnamed_nparams)
            return cerd__error(CERD_EMISUSE, "%s: no statement was prepared", what);
        res = PQexecParams(conn->pg, conn->unnamed_sql, nparams, conn->unnamed_types, values,
                           lengths, binary, 1);
    } else {
        snprintf(name, sizeof name, "cerd_%u", id);
        res = PQexecPrepared(conn->pg, name, nparams, values, lengths, binary, 1);
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
    rc = cerd__error_from_pg(conn->pg, res, what);
    PQclear(res);
    return rc;
}

int cerd__exec(cerd_conn *conn, const char *sql, const char *what, PGresult **res_out)
{
    PGresult *res;
    ExecStatusType st;

    if (!conn || !sql)
        return cerd__error(CERD_EMISUSE, "%s: connection or SQL is NULL", what);
    res = PQexec(conn->pg, sql);
    st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        int rc = cerd__error_from_pg(conn->pg, res, what);
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
    char sql[256];
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
        PQclear(PQexec(conn->pg, "ROLLBACK"));
    return rc;
}

int cerd__conn_reset_session(cerd_conn *conn)
{
    /* DISCARD ALL cannot share a query string (an implicit transaction) with the setup */
    int rc = cerd__exec(conn, "DISCARD ALL", "session reset", NULL);

    if (rc == 0)
        rc = cerd__exec(conn, SESSION_SETUP, "session reset", NULL);

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
    rc = cerd__exec(conn, "COMMIT", "commit", &res);
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
    bool rolled_back = false, have = false;
    PGresult *res;
    int rc = 0;

    if (!out || !conn)
        return cerd__error(CERD_EMISUSE, "commit: out or connection is NULL");
    out->value = 0;
    if (PQtransactionStatus(conn->pg) == PQTRANS_IDLE)
        return cerd__error(CERD_EMISUSE, "commit: no transaction is open");
    /* one simple query: its results arrive one statement after the other */
    if (!PQsendQuery(conn->pg, COMMIT_LSN_SQL))
        return cerd__error_from_pg(conn->pg, NULL, "commit");
    for (int n = 0; (res = PQgetResult(conn->pg)); n++) {
        ExecStatusType st = PQresultStatus(res);

        if (rc == 0 && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            rc = cerd__error_from_pg(conn->pg, res, n == 0 ? "commit" : "commit: position");
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

int cerd_conn_cancel(cerd_conn *conn)
{
    char errbuf[256];
    if (!conn || !conn->pg)
        return cerd__error(CERD_EMISUSE, "cerd_conn_cancel: no connection");
    /* PQgetCancel only reads what the session's startup fixed (backend pid, cancel key,
       address), so it may run while another thread waits on the connection. */
    PGcancel *c = PQgetCancel(conn->pg);
    if (!c)
        return cerd__error(CERD_ECONNLOST, "cerd_conn_cancel: the connection has no server");
    int ok = PQcancel(c, errbuf, sizeof errbuf);
    PQfreeCancel(c);
    if (!ok)
        return cerd__error(CERD_ECONNECT, "cerd_conn_cancel: could not send the cancel request: %s",
                           errbuf);
    return 0;
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
            PQclear(PQexec(conn->pg, "ROLLBACK"));
        if (rc != CERD_ESERIALIZATION)
            return rc;
    }
    return rc;
}

void cerd_conn_set_validation(cerd_conn *conn, bool on)
{
    if (conn)
        conn->validation_off = !on;
}
