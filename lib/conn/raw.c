/* The escape hatch: SQL of the caller's own on the library's connection, either through
   the borrowed PGconn or as rows of exact JSON. Until typed queries exist, this is how a
   join or an aggregate runs without a second connection outside the pool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "conn/conn_internal.h"
#include "types/json_internal.h"
#include "util/buf.h"
#include "util/error_internal.h"

struct pg_conn *cerd_conn_pgconn(cerd_conn *conn)
{
    if (!conn)
        return NULL;
    /* What the caller does through the handle may change the session (SET, LISTEN,
       temporary tables): a pool resets it before lending the connection again. */
    conn->session_dirty = true;
    return conn->pg;
}

int cerd_conn_query_json(struct cJSON **out, cerd_conn *conn, const char *sql, int nparams,
                         const char *const *params)
{
    static const char head[] = "SELECT row_to_json(q)::text FROM (", tail[] = "\n) q";
    cerd__buf q = {0};
    PGresult *res = NULL;
    cJSON *rows = NULL;
    int rc;

    if (!out || !conn || !sql || nparams < 0 || (nparams > 0 && !params))
        return cerd__error(CERD_EMISUSE, "cerd_conn_query_json: out, conn or sql is NULL, "
                                         "or parameters are missing");
    *out = NULL;
    conn->session_dirty = true; /* caller SQL: set_config() may hide in it */
    /* row_to_json keeps the columns' order and prints values as to_jsonb does. The
       newline ends a trailing "--" comment of the caller's query. */
    if ((rc = cerd__buf_append(&q, head, sizeof head - 1)) ||
        (rc = cerd__buf_append(&q, sql, strlen(sql))) ||
        (rc = cerd__buf_append(&q, tail, sizeof tail)))
        goto done;
    res = cerd__pq_exec_params(conn, q.data, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = cerd__conn_error(conn, res, "query");
        goto done;
    }
    if (!(rows = cJSON_CreateArray())) {
        rc = cerd__error(CERD_ENOMEM, "query: out of memory");
        goto done;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        cJSON *row = NULL;
        if ((rc = cerd__json_parse(PQgetvalue(res, r, 0), (size_t)PQgetlength(res, r, 0),
                                   &row)))
            goto done;
        cJSON_AddItemToArray(rows, row);
    }
    *out = rows;
    rows = NULL;
done:
    cJSON_Delete(rows);
    PQclear(res);
    cerd__buf_free(&q);
    return rc;
}
