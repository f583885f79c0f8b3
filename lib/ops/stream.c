/* Range reads over an index given as columns, and streams through a server-side cursor
   fetched in binary with bounded memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptoerd/bulk.h"
#include "ops/bulk_internal.h"
#include "wire/codec.h"
#include "wire/field.h"
#include "wire/rows_internal.h"
#include "conn/conn_internal.h"
#include "util/error_internal.h"

#define DEFAULT_FETCH 1000

static int check_range(const cerd_table *t, const cerd_range *r, const char *what)
{
    if (r->ncolumns < 1 || r->ncolumns > 4 || r->nequal > r->ncolumns)
        return cerd__error(CERD_EMISUSE, "%s: range of %u columns with %u equal", what,
                           (unsigned)r->ncolumns, (unsigned)r->nequal);
    for (int i = 0; i < r->ncolumns; i++)
        if (r->columns[i] >= t->ncolumns)
            return cerd__error(CERD_EMISUSE, "%s: range column %u out of range", what,
                               (unsigned)r->columns[i]);
    if (r->nequal && !r->equal)
        return cerd__error(CERD_EMISUSE, "%s: range has %u equal columns but no row",
                           what, (unsigned)r->nequal);
    if ((r->from || r->to) && r->nequal >= r->ncolumns)
        return cerd__error(CERD_EMISUSE, "%s: range bounds need a column after the equal "
                           "ones", what);
    return 0;
}

/* The ordering columns: the index columns after the equal ones, then the primary-key
   columns not among the index columns. */
static int order_columns(const cerd_table *t, const cerd_range *r, uint16_t *ord)
{
    int n = 0;
    for (int i = r->nequal; i < r->ncolumns; i++)
        ord[n++] = r->columns[i];
    for (int j = 0; j < t->primary_key.ncolumns; j++) {
        uint16_t c = t->primary_key.columns[j];
        int seen = 0;
        for (int i = 0; i < r->ncolumns; i++)
            seen |= r->columns[i] == c;
        if (!seen)
            ord[n++] = c;
    }
    return n;
}

/* SELECT every column FROM t WHERE <range> ORDER BY <order> [LIMIT $n]; range NULL: the
   whole table in primary-key order. */
static int build_select(cerd__sql *q, cerd__params *p, const cerd_table *t,
                        const cerd_range *r, const char *what)
{
    static const cerd_range whole = {0};
    uint16_t ord[12];
    int nord, n, rc;

    if (r && (rc = check_range(t, r, what)))
        return rc;
    cerd__sql_add(q, "SELECT ");
    cerd__sql_all_columns(q, t);
    cerd__sql_add(q, " FROM ");
    cerd__sql_ident(q, t->name);
    if (!r)
        r = &whole;
    if (r == &whole) {
        nord = 0;
        for (int j = 0; j < t->primary_key.ncolumns; j++)
            ord[nord++] = t->primary_key.columns[j];
    } else {
        nord = order_columns(t, r, ord);
    }
    cerd__sql_add(q, " WHERE TRUE");
    for (int i = 0; i < r->nequal; i++) {
        const cerd_column *c = &t->columns[r->columns[i]];
        if ((n = cerd__params_field(p, t, c, r->equal)) < 0)
            return n;
        cerd__sql_add(q, " AND ");
        cerd__sql_ident(q, c->name);
        cerd__sql_add(q, " = ");
        cerd__sql_param(q, n);
    }
    if (r->from || r->to) {
        const cerd_column *c = &t->columns[r->columns[r->nequal]];
        if (r->from) {
            if ((n = cerd__params_field(p, t, c, r->from)) < 0)
                return n;
            cerd__sql_add(q, " AND ");
            cerd__sql_ident(q, c->name);
            cerd__sql_add(q, " >= ");
            cerd__sql_param(q, n);
        }
        if (r->to) {
            if ((n = cerd__params_field(p, t, c, r->to)) < 0)
                return n;
            cerd__sql_add(q, " AND ");
            cerd__sql_ident(q, c->name);
            cerd__sql_add(q, " < ");
            cerd__sql_param(q, n);
        }
    }
    if (r->after && nord) {
        cerd__sql_add(q, " AND (");
        for (int i = 0; i < nord; i++) {
            if (i)
                cerd__sql_add(q, ", ");
            cerd__sql_ident(q, t->columns[ord[i]].name);
        }
        cerd__sql_add(q, r->descending ? ") < (" : ") > (");
        for (int i = 0; i < nord; i++) {
            const cerd_column *c = &t->columns[ord[i]];
            if (cerd__field_is_null(c, r->after))
                return cerd__error(CERD_EMISUSE, "%s: the after row has NULL in ordering "
                                   "column %s", what, c->name);
            if ((n = cerd__params_field(p, t, c, r->after)) < 0)
                return n;
            if (i)
                cerd__sql_add(q, ", ");
            cerd__sql_param(q, n);
        }
        cerd__sql_add(q, ")");
    }
    if (nord)
        cerd__sql_add(q, " ORDER BY ");
    for (int i = 0; i < nord; i++) {
        if (i)
            cerd__sql_add(q, ", ");
        cerd__sql_ident(q, t->columns[ord[i]].name);
        if (r->descending)
            cerd__sql_add(q, " DESC");
    }
    if (r->limit) {
        if ((n = cerd__params_int64(p, r->limit)) < 0)
            return n;
        cerd__sql_add(q, " LIMIT ");
        cerd__sql_param(q, n);
    }
    if (!cerd__sql_text(q))
        return CERD_ENOMEM;
    return cerd__params_values(p);
}

static PGresult *exec_binary(cerd_conn *conn, const char *sql, const cerd__params *p)
{
    int *formats = NULL;
    PGresult *res;
    if (p->n && !(formats = malloc((size_t)p->n * sizeof *formats)))
        return NULL;
    for (int i = 0; i < p->n; i++)
        formats[i] = 1;
    res = cerd__pq_exec_params(conn, sql, p->n, (const Oid *)p->types, p->values, p->lengths,
                       formats, 1);
    free(formats);
    return res;
}

/* The statement-cache key of a range's shape: a marker no other operation uses, the
   table, the index columns and which parts the range has (the values are parameters). */
static void range_key(unsigned char key[CERD__STMT_KEY_MAX], const cerd_table *t,
                      const cerd_range *r)
{
    unsigned char *k = key;
    memset(key, 0, CERD__STMT_KEY_MAX);
    *k = 'R';
    k += 8;
    memcpy(k, &t, sizeof t);
    k += sizeof t;
    *k++ = r->ncolumns;
    for (int i = 0; i < 4; i++) {
        memcpy(k, &r->columns[i], sizeof r->columns[i]);
        k += sizeof r->columns[i];
    }
    *k++ = r->nequal;
    *k = (unsigned char)((r->from ? 1 : 0) | (r->to ? 2 : 0) | (r->after ? 4 : 0) |
                         (r->descending ? 8 : 0) | (r->limit ? 16 : 0));
}

int cerd_row_range(cerd_rows *out, cerd_conn *conn, const cerd_table *t,
                   const cerd_range *range)
{
    unsigned char key[CERD__STMT_KEY_MAX];
    cerd__sql q = {0};
    cerd__params p = {0};
    PGresult *res = NULL;
    char what[96];
    int rc, n;

    if (!out)
        return cerd__error(CERD_EMISUSE, "range: out is NULL");
    memset(out, 0, sizeof *out);
    if (!conn || !t || !range)
        return cerd__error(CERD_EMISUSE, "range: connection, table or range is NULL");
    snprintf(what, sizeof what, "%s: range", t->name);
    range_key(key, t, range);
    /* A range's SQL depends only on its shape: prepared once per connection like every
       other operation's, so pages of a chart or a keyset walk are not planned again. */
    for (int attempt = 0;; attempt++) {
        unsigned id = cerd__stmt_find(conn, key);
        if ((rc = build_select(&q, &p, t, range, what)))
            goto done;
        rc = cerd__stmt_run(conn, key, id, q.b.data, p.n, p.types, p.values, p.lengths, what,
                            &res);
        if (rc != CERD__ESTMT_LOST || attempt)
            break;
        cerd__sql_free(&q);
        cerd__params_free(&p);
    }
    if (rc == CERD__ESTMT_LOST)
        rc = cerd__error(CERD_ESERVER, "%s: the session keeps losing its prepared statements",
                         what);
    if (rc)
        goto done;
    n = PQntuples(res);
    if (n > 0 && !(out->rows = cerd__rows_alloc((size_t)n, t->row_size))) {
        rc = cerd__error(CERD_ENOMEM, "%s: out of memory for %d rows", what, n);
        goto done;
    }
    for (int r = 0; r < n && !rc; r++)
        if (!(rc = cerd__decode_row(t, res, r, (char *)out->rows + (size_t)r * t->row_size)))
            out->count++;
    if (!rc && range->limit && (uint32_t)n == range->limit)
        out->next.valid = true;
done:
    if (res)
        PQclear(res);
    if (rc)
        cerd_rows_free(t, out);
    cerd__sql_free(&q);
    cerd__params_free(&p);
    return rc;
}

/* ------------------------------------------------------------------ streams */

struct cerd_stream {
    cerd_conn *conn;
    const cerd_table *t;
    char what[96];
    char cursor[48];
    char fetch[96];
    size_t fetch_rows;
    PGresult *res;
    int pos;
    bool exhausted, own_txn, failed;
};

/* Opens a stream whose cursor runs `select` (a SELECT over t's columns, with the binary
   parameters p, or NULL) instead of a range of t; what names it in messages. */
static int stream_open(cerd_stream **out, cerd_conn *conn, const cerd_table *t,
                       const cerd_range *range, const char *select, const cerd__params *sp,
                       size_t fetch_rows, const char *what)
{
    cerd__sql q = {0};
    cerd__params p = {0};
    const cerd__params *pp = sp ? sp : &p;
    cerd_stream *s;
    PGresult *res = NULL;
    int rc;

    if (!out)
        return cerd__error(CERD_EMISUSE, "stream: out is NULL");
    *out = NULL;
    if (!conn || !t)
        return cerd__error(CERD_EMISUSE, "stream: connection or table is NULL");
    if (!(s = calloc(1, sizeof *s)))
        return cerd__error(CERD_ENOMEM, "stream: out of memory");
    s->conn = conn;
    s->t = t;
    s->fetch_rows = fetch_rows ? fetch_rows : DEFAULT_FETCH;
    if (what)
        snprintf(s->what, sizeof s->what, "%s", what);
    else
        snprintf(s->what, sizeof s->what, "%s: stream", t->name);
    snprintf(s->cursor, sizeof s->cursor, "cerd_stream_%p", (void *)s);
    snprintf(s->fetch, sizeof s->fetch, "FETCH FORWARD %zu FROM \"%s\"", s->fetch_rows,
             s->cursor);

    cerd__sql_add(&q, "DECLARE \"");
    cerd__sql_add(&q, s->cursor);
    cerd__sql_add(&q, "\" NO SCROLL CURSOR FOR ");
    if (select) {
        cerd__sql_add(&q, select);
        if (!cerd__sql_text(&q)) {
            rc = CERD_ENOMEM;
            goto fail;
        }
    } else if ((rc = build_select(&q, &p, t, range, s->what))) {
        goto fail;
    }
    if (PQtransactionStatus(conn->pg) == PQTRANS_IDLE) {
        if ((rc = cerd__conn_begin(conn, "BEGIN", s->what)))
            goto fail;
        s->own_txn = true;
    }
    if (!(res = exec_binary(conn, q.b.data, pp))) {
        rc = PQstatus(conn->pg) != CONNECTION_OK
                 ? cerd__conn_error(conn, NULL, s->what)
                 : cerd__error(CERD_ENOMEM, "%s: out of memory", s->what);
        goto fail;
    }
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = cerd__conn_error(conn, res, s->what);
        goto fail;
    }
    PQclear(res);
    cerd__sql_free(&q);
    cerd__params_free(&p);
    *out = s;
    return 0;
fail:
    if (res)
        PQclear(res);
    cerd__sql_free(&q);
    cerd__params_free(&p);
    if (s->own_txn && PQstatus(conn->pg) == CONNECTION_OK)
        PQclear(cerd__pq_exec(conn, "ROLLBACK"));
    free(s);
    return rc;
}

int cerd_stream_open(cerd_stream **out, cerd_conn *conn, const cerd_table *t,
                     const cerd_range *range, size_t fetch_rows)
{
    return stream_open(out, conn, t, range, NULL, NULL, fetch_rows, NULL);
}

int cerd__stream_open_sql(cerd_stream **out, cerd_conn *conn, const cerd_table *t,
                          const char *select, const cerd__params *p, size_t fetch_rows,
                          const char *what)
{
    return stream_open(out, conn, t, NULL, select, p, fetch_rows, what);
}

int cerd_stream_next(cerd_stream *s, void *row_out)
{
    int rc;
    if (!s || !row_out)
        return cerd__error(CERD_EMISUSE, "stream: stream or row is NULL");
    if (s->failed)
        return cerd__error(CERD_EMISUSE, "%s: the stream failed earlier", s->what);
    if (!s->res || s->pos >= PQntuples(s->res)) {
        if (s->res) {
            PQclear(s->res);
            s->res = NULL;
        }
        if (s->exhausted)
            return 0;
        s->res = cerd__pq_exec_params(s->conn, s->fetch, 0, NULL, NULL, NULL, NULL, 1);
        if (PQresultStatus(s->res) != PGRES_TUPLES_OK) {
            rc = cerd__conn_error(s->conn, s->res, s->what);
            PQclear(s->res);
            s->res = NULL;
            s->failed = true;
            return rc;
        }
        s->pos = 0;
        if ((size_t)PQntuples(s->res) < s->fetch_rows)
            s->exhausted = true;
        if (PQntuples(s->res) == 0)
            return 0;
    }
    cerd_row_clear(s->t, row_out);
    if ((rc = cerd__decode_row(s->t, s->res, s->pos++, row_out))) {
        s->failed = true;
        return rc;
    }
    return 1;
}

int cerd_stream_close(cerd_stream *s)
{
    int rc = 0;
    if (!s)
        return 0;
    if (s->res)
        PQclear(s->res);
    if (PQstatus(s->conn->pg) == CONNECTION_OK) {
        if (s->own_txn) {
            PGresult *res = cerd__pq_exec(s->conn, s->failed ? "ROLLBACK" : "COMMIT");
            if (PQresultStatus(res) != PGRES_COMMAND_OK)
                rc = cerd__conn_error(s->conn, res, s->what);
            PQclear(res);
        } else if (PQtransactionStatus(s->conn->pg) == PQTRANS_INTRANS) {
            char sql[80];
            PGresult *res;
            snprintf(sql, sizeof sql, "CLOSE \"%s\"", s->cursor);
            res = cerd__pq_exec(s->conn, sql);
            if (PQresultStatus(res) != PGRES_COMMAND_OK)
                rc = cerd__conn_error(s->conn, res, s->what);
            PQclear(res);
        }
    }
    free(s);
    return rc;
}
