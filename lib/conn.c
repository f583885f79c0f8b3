#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn_internal.h"
#include "error_internal.h"

/* Session settings every connection gets: timestamps travel and print in UTC. */
static const char SESSION_SETUP[] = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'";

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
    free(conn);
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
    return cerd__exec(conn, sql, "exec", NULL);
}

int cerd_conn_begin(cerd_conn *conn)
{
    if (conn && PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
        return cerd__error(CERD_EMISUSE, "begin: a transaction is already open");
    return cerd__exec(conn, "BEGIN", "begin", NULL);
}

int cerd_conn_commit(cerd_conn *conn)
{
    PGresult *res;
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
