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
    cerd__cancel_mark(conn->pg, 0);
    PQfreeCancel(conn->cancel);
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

/* Drains a pipeline's results up to its sync; returns the first failure's code. */
static int pipeline_results(cerd_conn *conn, const char *what)
{
    int rc = 0;

    for (int nulls = 0; nulls < 4;) {
        PGresult *res = PQgetResult(conn->pg);
        ExecStatusType st;

        if (!res) {
            if (PQstatus(conn->pg) != CONNECTION_OK)
                break;
            nulls++; /* one NULL ends each statement's results */
            continue;
        }
        nulls = 0;
        st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            break;
        }
        if (rc == 0 && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
            rc = st == PGRES_PIPELINE_ABORTED
                     ? cerd__error(CERD_ESERVER, "%s: pipeline aborted", what)
                     : cerd__error_from_pg(conn->pg, res, what);
        PQclear(res);
    }
    if (!PQexitPipelineMode(conn->pg) && rc == 0)
        rc = cerd__error_from_pg(conn->pg, NULL, what);
    if (rc == 0 && PQstatus(conn->pg) != CONNECTION_OK)
        rc = cerd__error_from_pg(conn->pg, NULL, what);
    return rc;
}

int cerd__conn_begin(cerd_conn *conn, const char *begin_sql, const char *what)
{
    char user[24];
    const char *values[1] = {user};

    if (!conn || !conn->has_user)
        return cerd__exec(conn, begin_sql, what, NULL);
    /* BEGIN and set_config in one round trip, the user id as a parameter. */
    snprintf(user, sizeof user, "%lld", (long long)conn->user_id);
    if (!PQenterPipelineMode(conn->pg))
        return cerd__error_from_pg(conn->pg, NULL, what);
    if (!PQsendQueryParams(conn->pg, begin_sql, 0, NULL, NULL, NULL, NULL, 0)
        || !PQsendQueryParams(conn->pg,
                              "SELECT pg_catalog.set_config('app.current_user_id', $1, true)",
                              1, NULL, values, NULL, NULL, 0)
        || !PQpipelineSync(conn->pg)) {
        int rc = cerd__error_from_pg(conn->pg, NULL, what);
        pipeline_results(conn, what);
        return rc;
    }
    return pipeline_results(conn, what);
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

    if (!opts)
        opts = &defaults;
    if (!conn || !fn || opts->version != 1 || opts->max_attempts < 1)
        return cerd__error(CERD_EMISUSE, "transact: bad arguments");
    if (PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
        return cerd__error(CERD_EMISUSE, "transact: a transaction is already open");
    for (unsigned attempt = 0; attempt < opts->max_attempts; attempt++) {
        if (attempt)
            backoff(attempt);
        if ((rc = cerd__conn_begin(conn, begin_sql(opts->isolation), "transact: begin")))
            return rc;
        rc = fn(conn, arg);
        if (rc == 0)
            rc = cerd_conn_commit(conn);
        if (rc == 0)
            return 0;
        if (PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
            PQclear(PQexec(conn->pg, "ROLLBACK"));
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
