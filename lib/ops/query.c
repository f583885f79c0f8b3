/* Typed queries (include/cryptoerd/query.h): a query's parameters and its result row are
   described like tables, so a query runs as a table operation does: parameters checked
   against the column rules they are compared with (ops/validate.c), encoded as binary
   parameters (wire/codec.c), the statement prepared once per connection (conn/stmt_cache.c),
   rows decoded by the descriptor (wire/codec.c) into one block (wire/rows.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptoerd/query.h"
#include "ops/bulk_internal.h"
#include "ops/query_internal.h"
#include "ops/validate_internal.h"
#include "wire/codec.h"
#include "wire/field.h"
#include "wire/rows_internal.h"
#include "conn/conn_internal.h"
#include "util/error_internal.h"

int cerd__query_check(const cerd_query *q, const void *params, cerd_query_shape shape,
                      const char *what)
{
    if (!q)
        return cerd__error(CERD_EMISUSE, "query: descriptor is NULL");
    if (q->abi != CERD_QUERY_ABI)
        return cerd__error(CERD_EMISUSE, "query %s: descriptor of ABI %u, runtime %u", q->name,
                           (unsigned)q->abi, (unsigned)CERD_QUERY_ABI);
    if (q->shape != shape)
        return cerd__error(CERD_EMISUSE, "query %s: %s used on a query of another shape",
                           q->name, what);
    if (q->params && !params)
        return cerd__error(CERD_EMISUSE, "query %s: parameters are NULL", q->name);
    return 0;
}

int cerd_query_validate(const cerd_query *q, const void *params)
{
    cerd__buf b = {0};
    int rc = 0;

    if (!q)
        return cerd__error(CERD_EMISUSE, "query: descriptor is NULL");
    for (unsigned i = 0; i < q->nchecks && !rc; i++) {
        const cerd_query_check *k = &q->checks[i];
        const cerd_column *pc = &q->params->columns[k->param];
        const cerd_table *t = k->table;
        const cerd_column *tc = &t->columns[k->column];
        cerd_colset known = {{0}};
        void *row;

        if (cerd__field_is_null(pc, params))
            continue; /* NULL compares as unknown: nothing to refuse */
        b.len = 0;
        if ((rc = cerd__encode_field(q->params, pc, params, &b)))
            break;
        if (!(row = calloc(1, t->row_size))) {
            rc = cerd__error(CERD_ENOMEM, "query %s: out of memory", q->name);
            break;
        }
        /* The parameter as a row of the column's table: its binary value decoded into
           that column's field, every other column unknown. */
        rc = cerd__decode_field(t, tc, b.data ? (const char *)b.data : "", (int)b.len, row);
        cerd_colset_add(&known, k->column);
        if (!rc && (rc = cerd__row_validate(t, row, CERD_VALIDATE_STORED, &known, NULL)))
            cerd__error_prefix("query %s (%s): parameter $%u (%s), compared with %s.%s",
                               q->name, q->origin, (unsigned)k->param + 1, pc->name,
                               t->name, tc->name);
        cerd_row_clear(t, row);
        free(row);
    }
    cerd__buf_free(&b);
    return rc;
}

/* The parameters as binary values, typed as the query was prepared with. */
int cerd__query_params(cerd__params *p, const cerd_query *q, const void *params)
{
    int n;
    if (!q->params)
        return cerd__params_values(p);
    for (unsigned i = 0; i < q->params->ncolumns; i++) {
        if ((n = cerd__params_field(p, q->params, &q->params->columns[i], params)) < 0)
            return n;
        p->types[n - 1] = q->param_oids[i];
    }
    return cerd__params_values(p);
}

void cerd__query_key(unsigned char key[CERD__STMT_KEY_MAX], const cerd_query *q)
{
    /* a marker no table operation uses, then the descriptor's address */
    memset(key, 0, CERD__STMT_KEY_MAX);
    key[0] = 'Q';
    memcpy(key + 8, &q, sizeof q);
}

/* Validates, prepares once per connection and runs q; the result goes to *res. */
static int run(cerd_conn *conn, const cerd_query *q, const void *params, const char *what,
               PGresult **res)
{
    unsigned char key[CERD__STMT_KEY_MAX];
    int rc;

    if (!conn)
        return cerd__error(CERD_EMISUSE, "%s: connection is NULL", what);
    if (!conn->validation_off && q->nchecks && (rc = cerd_query_validate(q, params)))
        return rc;
    cerd__query_key(key, q);
    for (int attempt = 0;; attempt++) {
        cerd__params p = {0};
        unsigned id = cerd__stmt_find(conn, key);
        rc = cerd__query_params(&p, q, params);
        if (!rc)
            rc = cerd__stmt_run(conn, key, id, q->sql, p.n, p.types, p.values, p.lengths, what,
                                res);
        cerd__params_free(&p);
        if (rc != CERD__ESTMT_LOST)
            return rc;
        if (attempt)
            return cerd__error(CERD_ESERVER, "%s: the session keeps losing its prepared "
                               "statements", what);
    }
}

int cerd_query_one(void *out, cerd_conn *conn, const cerd_query *q, const void *params)
{
    PGresult *res = NULL;
    char what[128];
    int rc;

    if (!out)
        return cerd__error(CERD_EMISUSE, "query: out is NULL");
    if ((rc = cerd__query_check(q, params, CERD_QUERY_ONE, "cerd_query_one")))
        return rc;
    snprintf(what, sizeof what, "query %s", q->name);
    if ((rc = run(conn, q, params, what, &res)))
        return rc;
    if (PQntuples(res) == 0)
        rc = cerd__error(CERD_ENOTFOUND, "%s: no row", what);
    else if (PQntuples(res) > 1)
        rc = cerd__error(CERD_ERROR, "%s: %d rows for a :one query", what, PQntuples(res));
    else {
        cerd_row_clear(q->result, out);
        rc = cerd__decode_row(q->result, res, 0, out);
    }
    PQclear(res);
    return rc;
}

int cerd_query_many(cerd_rows *out, cerd_conn *conn, const cerd_query *q, const void *params)
{
    PGresult *res = NULL;
    const cerd_table *t;
    char what[128];
    int rc, n;

    if (!out)
        return cerd__error(CERD_EMISUSE, "query: out is NULL");
    if ((rc = cerd__query_check(q, params, CERD_QUERY_MANY, "cerd_query_many")))
        return rc;
    t = q->result;
    cerd_rows_free(t, out);
    snprintf(what, sizeof what, "query %s", q->name);
    if ((rc = run(conn, q, params, what, &res)))
        return rc;
    n = PQntuples(res);
    if (n > 0 && !(out->rows = cerd__rows_alloc((size_t)n, t->row_size)))
        rc = cerd__error(CERD_ENOMEM, "%s: out of memory for %d rows", what, n);
    for (int r = 0; r < n && !rc; r++)
        if (!(rc = cerd__decode_row(t, res, r, (char *)out->rows + (size_t)r * t->row_size)))
            out->count++;
    PQclear(res);
    if (rc)
        cerd_rows_free(t, out);
    return rc;
}

int cerd_query_exec(int64_t *out, cerd_conn *conn, const cerd_query *q, const void *params)
{
    PGresult *res = NULL;
    char what[128];
    int rc;

    if (out)
        *out = 0;
    if ((rc = cerd__query_check(q, params, CERD_QUERY_EXEC, "cerd_query_exec")))
        return rc;
    snprintf(what, sizeof what, "query %s", q->name);
    if ((rc = run(conn, q, params, what, &res)))
        return rc;
    if (out)
        *out = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return 0;
}

int cerd_query_stream(cerd_stream **out, cerd_conn *conn, const cerd_query *q,
                      const void *params, size_t fetch_rows)
{
    cerd__params p = {0};
    char what[128];
    int rc;

    if (!out)
        return cerd__error(CERD_EMISUSE, "query stream: out is NULL");
    *out = NULL;
    if ((rc = cerd__query_check(q, params, CERD_QUERY_MANY, "cerd_query_stream")))
        return rc;
    if (!conn)
        return cerd__error(CERD_EMISUSE, "query %s: connection is NULL", q->name);
    snprintf(what, sizeof what, "query %s: stream", q->name);
    if (!conn->validation_off && q->nchecks && (rc = cerd_query_validate(q, params)))
        return rc;
    if (!(rc = cerd__query_params(&p, q, params)))
        rc = cerd__stream_open_sql(out, conn, q->result, q->sql, &p, fetch_rows, what);
    cerd__params_free(&p);
    return rc;
}

