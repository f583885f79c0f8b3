/* Binary COPY in (the writer of bulk.h) and out (the COPY-out reader): rows encoded with
   the codec's binary forms, validated first, sent in bounded chunks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptoerd/bulk.h"
#include "ops/bulk_internal.h"
#include "ops/validate_internal.h"
#include "wire/codec.h"
#include "wire/field.h"
#include "conn/conn_internal.h"
#include "util/error_internal.h"

#define DEFAULT_FLUSH (256 * 1024)

struct cerd_copy {
    cerd_conn *conn;
    const cerd_table *t;
    char *target;              /* quoted relation name */
    char what[112];
    cerd_colset cols;
    bool have_cols, strict;
    int nset;
    cerd_copy_options opts;
    cerd__buf buf;
    bool in_copy, own_txn;
    int failed;                /* sticky failure code */
    char failmsg[512], failtable[64], failcol[64], failcon[64];
    int64_t written;           /* rows of completed COPY statements */
    size_t ordinal;            /* rows put so far */
    cerd_copy_rejects rejects;
    size_t rejects_cap;
    int part_col;              /* partition key column, or -1 */
    int32_t *months;           /* months whose partition this writer ensured */
    size_t nmonths, months_cap;
};

/* ------------------------------------------------------------------ statements */

/* Records the failed result res of a statement of w, in the table's own names (not a
   Citus shard's). */
static int server_error(cerd_copy *w, const PGresult *res)
{
    int rc;

    cerd__conn_error(w->conn, res, w->what);
    rc = cerd__error_worker_foreign_key(); /* Citus: a worker's foreign-key failure */
    cerd__error_logical_names(w->t);
    return rc;
}

static int flush(cerd_copy *w)
{
    if (w->buf.len == 0)
        return 0;
    if (cerd__pq_put_copy(w->conn, w->buf.data, (int)w->buf.len) != 1)
        return cerd__conn_error(w->conn, NULL, w->what);
    w->buf.len = 0;
    return 0;
}

static int start_copy(cerd_copy *w)
{
    cerd__sql q = {0};
    const char *text;
    PGresult *res;
    int rc = 0;

    cerd__sql_add(&q, "COPY ");
    cerd__sql_add(&q, w->target);
    cerd__sql_add(&q, " (");
    cerd__sql_columns(&q, w->t, &w->cols);
    cerd__sql_add(&q, ") FROM STDIN (FORMAT binary)");
    if (!(text = cerd__sql_text(&q))) {
        cerd__sql_free(&q);
        return CERD_ENOMEM;
    }
    res = cerd__pq_exec(w->conn, text);
    cerd__sql_free(&q);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        rc = server_error(w, res);
        PQclear(res);
        while ((res = cerd__pq_result(w->conn)))
            PQclear(res);
        return rc ? rc : CERD_ESERVER;
    }
    PQclear(res);
    w->in_copy = true;
    w->buf.len = 0;
    return cerd__copy_header(&w->buf) ? cerd__error(CERD_ENOMEM, "%s: out of memory", w->what)
                                      : 0;
}

/* Reads the results of the COPY statement up to the end; the count of a successful one
   goes to *rows. */
static int copy_result(cerd_copy *w, int64_t *rows)
{
    PGresult *res;
    int rc = 0, seen = 0;
    while ((res = cerd__pq_result(w->conn))) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_COPY_IN) { /* still in COPY: the end did not go through */
            PQclear(res);
            if (!rc)
                rc = cerd__conn_error(w->conn, NULL, w->what);
            if (cerd__pq_put_copy_end(w->conn, "copy ended after a failure") != 1)
                break; /* the connection is gone */
            continue;
        }
        if (!seen++ && st == PGRES_COMMAND_OK && rows)
            *rows = strtoll(PQcmdTuples(res), NULL, 10);
        else if (st != PGRES_COMMAND_OK && !rc)
            rc = server_error(w, res);
        PQclear(res);
    }
    if (!rc && !seen)
        rc = cerd__conn_error(w->conn, NULL, w->what);
    return rc;
}

static int finish_copy(cerd_copy *w)
{
    int64_t rows = 0;
    int rc;

    w->in_copy = false;
    if ((rc = cerd__copy_trailer(&w->buf)))
        rc = cerd__error(CERD_ENOMEM, "%s: out of memory", w->what);
    if (!rc)
        rc = flush(w);
    if (!rc && cerd__pq_put_copy_end(w->conn, NULL) != 1)
        rc = cerd__conn_error(w->conn, NULL, w->what);
    if (rc) {
        PGresult *res;
        while ((res = cerd__pq_result(w->conn)))
            PQclear(res);
        return rc;
    }
    if ((rc = copy_result(w, &rows)))
        return rc;
    w->written += rows;
    return 0;
}

/* Aborts the COPY under way (the server discards everything it received). */
static void abort_copy(cerd_copy *w, const char *why)
{
    PGresult *res;
    w->buf.len = 0;
    if (!w->in_copy)
        return;
    w->in_copy = false;
    if (cerd__pq_put_copy_end(w->conn, why) == 1)
        while ((res = cerd__pq_result(w->conn)))
            PQclear(res);
}

static void rollback_own(cerd_copy *w)
{
    if (w->own_txn && PQstatus(w->conn->pg) == CONNECTION_OK
        && PQtransactionStatus(w->conn->pg) != PQTRANS_IDLE) {
        PGresult *res = cerd__pq_exec(w->conn, "ROLLBACK");
        PQclear(res);
    }
    w->own_txn = false;
}

/* The failure of the writer's own COMMIT: when the connection was lost (or its I/O
   timeout passed) after COMMIT was sent, the outcome is unknown (CERD_ECOMMITUNKNOWN). */
static int commit_error(cerd_copy *w, const PGresult *res)
{
    char why[512];
    int rc = server_error(w, res);

    if (PQstatus(w->conn->pg) == CONNECTION_OK)
        return rc;
    snprintf(why, sizeof why, "%s", cerd_error_last()->message);
    return cerd__error(CERD_ECOMMITUNKNOWN,
                       "%s: the connection was lost after COMMIT was sent; the rows may or "
                       "may not have been committed (%s)", w->what, why);
}

static void copy_field(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* Makes the writer failed with code: keeps the error record's contents for
   cerd_copy_end(), aborts the COPY and the writer's own transaction. */
static int fail(cerd_copy *w, int code)
{
    const cerd_error *e = cerd_error_last();
    copy_field(w->failmsg, sizeof w->failmsg, e->message);
    copy_field(w->failtable, sizeof w->failtable, e->table);
    copy_field(w->failcol, sizeof w->failcol, e->column);
    copy_field(w->failcon, sizeof w->failcon, e->constraint);
    w->failed = code;
    abort_copy(w, w->failmsg[0] ? w->failmsg : "aborted by the client");
    rollback_own(w);
    return code;
}

static int reraise(const cerd_copy *w)
{
    cerd__error(w->failed, "%s", w->failmsg);
    cerd__error_names(w->failtable[0] ? w->failtable : NULL, w->failcol[0] ? w->failcol : NULL,
                      w->failcon[0] ? w->failcon : NULL);
    return w->failed;
}

/* ------------------------------------------------------------------ partitions */

/* The month of a timestamp (microseconds since 1970 UTC) as year * 12 + month - 1. */
static int32_t month_of(cerd_timestamp ts)
{
    int64_t days = ts / INT64_C(86400000000);
    int64_t z, era, doe, yoe, y, doy, mp, m;
    if (ts % INT64_C(86400000000) < 0)
        days--;
    /* civil_from_days (H. Hinnant) */
    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    return (int32_t)(y * 12 + m - 1);
}

static int find_partition_column(cerd_copy *w)
{
    const char *values[1];
    char name[80];
    PGresult *res;
    int col;

    snprintf(name, sizeof name, "\"%s\"", w->t->name);
    values[0] = name;
    res = cerd__pq_exec_params(w->conn,
                       "SELECT a.attname FROM pg_catalog.pg_partitioned_table p "
                       "JOIN pg_catalog.pg_attribute a ON a.attrelid = p.partrelid "
                       "AND a.attnum = p.partattrs[0] "
                       "WHERE p.partrelid = $1::regclass AND p.partstrat = 'r' "
                       "AND p.partnatts = 1",
                       1, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        int rc = server_error(w, res);
        PQclear(res);
        return rc;
    }
    col = PQntuples(res) == 1 ? cerd_table_column(w->t, PQgetvalue(res, 0, 0)) : -1;
    PQclear(res);
    if (col < 0 || w->t->columns[col].type != CERD_TYPE_TIMESTAMPTZ
        || (w->t->columns[col].flags & CERD_COL_OPTIONAL))
        return cerd__error(CERD_EMISUSE, "%s: create_partitions: %s is not range-partitioned "
                           "on a timestamptz column", w->what, w->t->name);
    w->part_col = col;
    return 0;
}

static bool month_known(const cerd_copy *w, int32_t month)
{
    for (size_t i = w->nmonths; i-- > 0;)
        if (w->months[i] == month)
            return true;
    return false;
}

/* Creates the partition of month (if missing) before any row of it is sent: the COPY under
   way, if any, ends first (a COPY occupies the session); the next row starts a new one. */
static int ensure_month(cerd_copy *w, int32_t month)
{
    char from[40], to[40], name[80];
    const char *values[3] = {name, from, to};
    PGresult *res;
    int rc;

    if (month_known(w, month))
        return 0;
    if (w->nmonths == w->months_cap) {
        size_t cap = w->months_cap ? w->months_cap * 2 : 16;
        int32_t *m = realloc(w->months, cap * sizeof *m);
        if (!m)
            return cerd__error(CERD_ENOMEM, "%s: out of memory", w->what);
        w->months = m;
        w->months_cap = cap;
    }
    if (w->in_copy && (rc = finish_copy(w)))
        return rc;
    snprintf(name, sizeof name, "\"%s\"", w->t->name);
    snprintf(from, sizeof from, "%04d-%02d-01", (int)(month / 12), (int)(month % 12 + 1));
    snprintf(to, sizeof to, "%04d-%02d-01", (int)((month + 1) / 12),
             (int)((month + 1) % 12 + 1));
    res = cerd__pq_exec_params(w->conn,
                       "SELECT create_monthly_partitions($1::regclass, $2::date, $3::date)",
                       3, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        server_error(w, res);
        PQclear(res);
        return cerd__error_prefix("creating the partition of %s", from);
    }
    PQclear(res);
    w->months[w->nmonths++] = month;
    return 0;
}

static int row_month(const cerd_copy *w, const void *row, int32_t *month)
{
    const cerd_column *c = &w->t->columns[w->part_col];
    cerd_timestamp ts;
    if (cerd__field_is_null(c, row))
        return 0;
    ts = *(const cerd_timestamp *)cerd__field(c, row);
    if (ts == INT64_MAX || ts == INT64_MIN) /* infinity: the default partition */
        return 0;
    *month = month_of(ts);
    return 1;
}

/* ------------------------------------------------------------------ writer */

int cerd__copy_begin_into(cerd_copy **out, cerd_conn *conn, const cerd_table *t,
                          const char *target, const cerd_colset *columns,
                          const cerd_copy_options *opts, const char *what)
{
    static const cerd_copy_options defaults = CERD_COPY_OPTIONS_INIT;
    cerd_copy *w;
    int rc;

    if (!out)
        return cerd__error(CERD_EMISUSE, "copy: out is NULL");
    *out = NULL;
    if (!conn || !t)
        return cerd__error(CERD_EMISUSE, "copy: connection or table is NULL");
    if (t->abi != CERD_TABLE_ABI)
        return cerd__error(CERD_EMISUSE, "copy: descriptor of %s was generated for ABI %u",
                           t->name, (unsigned)t->abi);
    if (!opts)
        opts = &defaults;
    if (opts->version != 1)
        return cerd__error(CERD_EMISUSE, "copy: options version %u (expected 1)",
                           opts->version);
    if (PQisBusy(conn->pg) || PQpipelineStatus(conn->pg) != PQ_PIPELINE_OFF)
        return cerd__error(CERD_EMISUSE, "copy: the connection is busy");
    if (!(w = calloc(1, sizeof *w)))
        return cerd__error(CERD_ENOMEM, "copy: out of memory");
    w->conn = conn;
    w->t = t;
    w->opts = *opts;
    if (!w->opts.flush_bytes)
        w->opts.flush_bytes = DEFAULT_FLUSH;
    w->part_col = -1;
    snprintf(w->what, sizeof w->what, "%s: %s", t->name, what ? what : "copy");
    if (target)
        w->target = strdup(target);
    else if ((w->target = malloc(strlen(t->name) + 3)))
        sprintf(w->target, "\"%s\"", t->name);
    if (!w->target) {
        free(w);
        return cerd__error(CERD_ENOMEM, "copy: out of memory");
    }
    if (columns) {
        w->cols = *columns;
        w->have_cols = true;
        w->nset = cerd__colset_count(&w->cols, t->ncolumns);
        if (w->nset == 0) {
            cerd_copy_abort(w);
            return cerd__error(CERD_EMISUSE, "%s: empty column set", t->name);
        }
    }
    if (w->opts.create_partitions && (rc = find_partition_column(w))) {
        cerd_copy_abort(w);
        return rc;
    }
    /* Outside a caller's transaction the writer runs in one of its own, which defers the
       foreign-key checks of the COPY to its COMMIT (every foreign key of the schema is
       DEFERRABLE INITIALLY IMMEDIATE, migration 012): PostgreSQL 15 runs a COPY
       statement's queued checks while its multi-insert buffers still pin a tuple
       descriptor per buffered row, and depending on the backend's memory layout every
       check may then probe along those pins (docs/benchmarks.md: 1,000,000 candles cost
       11-12 s of server CPU deferred, 16-34 s or 12 s at random otherwise). In a caller's
       transaction the constraint modes are the caller's and are left alone.
       On Citus, creating a partition of a distributed table in a transaction that also
       writes to it must use one connection per worker (Citus refuses the parallel DDL
       there, or the transaction's own connections deadlock on the parent's shards): the
       transaction switches to sequential mode first, in the same round trip. Without
       Citus the setting is an unused placeholder, as citus.propagate_set_commands in
       cerd__conn_begin. */
    if (PQtransactionStatus(conn->pg) == PQTRANS_IDLE) {
        const char *begin_sql =
            w->opts.create_partitions
                ? "BEGIN; SET LOCAL citus.multi_shard_modify_mode = 'sequential'; "
                  "SET CONSTRAINTS ALL DEFERRED"
                : "BEGIN; SET CONSTRAINTS ALL DEFERRED";
        if ((rc = cerd__conn_begin(conn, begin_sql, w->what))) {
            cerd_copy_abort(w);
            return rc;
        }
        w->own_txn = true;
    }
    *out = w;
    return 0;
}

int cerd_copy_begin(cerd_copy **out, cerd_conn *conn, const cerd_table *t,
                    const cerd_colset *columns, const cerd_copy_options *opts)
{
    return cerd__copy_begin_into(out, conn, t, NULL, columns, opts, "copy");
}

static int push_reject(cerd_copy *w, size_t ordinal, cerd_violations *v)
{
    if (w->rejects.count == w->rejects_cap) {
        size_t cap = w->rejects_cap ? w->rejects_cap * 2 : 16;
        cerd_copy_reject *r = realloc(w->rejects.items, cap * sizeof *r);
        if (!r) {
            cerd_violations_free(v);
            return cerd__error(CERD_ENOMEM, "%s: out of memory", w->what);
        }
        w->rejects.items = r;
        w->rejects_cap = cap;
    }
    w->rejects.items[w->rejects.count].ordinal = ordinal;
    w->rejects.items[w->rejects.count].violations = *v;
    w->rejects.count++;
    return 0;
}

/* Validates and buffers one row; months of partitions are ensured by the caller. */
static int put_one(cerd_copy *w, const void *row)
{
    size_t ordinal = w->ordinal++;
    bool collect = w->opts.collect_invalid;
    cerd_violations v = {0};
    int rc = 0, bad = 0;

    if (!w->have_cols) {
        cerd__present_set(w->t, row, &w->cols);
        w->have_cols = w->strict = true;
        w->nset = cerd__colset_count(&w->cols, w->t->ncolumns);
        if (w->nset == 0)
            return fail(w, cerd__error(CERD_EMISUSE, "%s: the first row has no column to "
                                       "send", w->what));
    }
    if (!w->conn->validation_off) {
        rc = cerd__row_validate(w->t, row, CERD_VALIDATE_INSERT, w->strict ? NULL : &w->cols,
                                collect ? &v : NULL);
        if (rc == CERD_EINVALID)
            bad = 1;
        else if (rc) {
            cerd_violations_free(&v);
            return fail(w, rc);
        }
    }
    if (!bad || collect) {
        rc = cerd__copy_conform(w->t, &w->cols, w->strict, row, collect ? &v : NULL);
        if (rc == CERD_EINVALID)
            bad = 1;
        else if (rc) {
            cerd_violations_free(&v);
            return fail(w, rc);
        }
    }
    if (bad) {
        if (collect) {
            v.table = w->t;
            return (rc = push_reject(w, ordinal, &v)) ? fail(w, rc) : 0;
        }
        cerd__error_prefix("%s: copy row %zu", w->t->name, ordinal);
        return fail(w, CERD_EINVALID);
    }
    if (w->part_col >= 0) {
        int32_t month;
        if (row_month(w, row, &month) && (rc = ensure_month(w, month)))
            return fail(w, rc);
    }
    if (!w->in_copy && (rc = start_copy(w)))
        return fail(w, rc);
    if ((rc = cerd__copy_encode_row(&w->buf, w->t, &w->cols, w->nset, row))) {
        cerd__error_prefix("%s: copy row %zu", w->t->name, ordinal);
        return fail(w, rc);
    }
    if (w->buf.len >= w->opts.flush_bytes && (rc = flush(w)))
        return fail(w, rc);
    return 0;
}

int cerd_copy_put(cerd_copy *w, const void *row)
{
    if (!w || !row)
        return cerd__error(CERD_EMISUSE, "copy: writer or row is NULL");
    if (w->failed)
        return cerd__error(CERD_EMISUSE, "%s: the writer failed earlier (%s)", w->what,
                           w->failmsg);
    return put_one(w, row);
}

int cerd_copy_put_rows(cerd_copy *w, const void *rows, size_t n)
{
    const char *p = rows;
    int rc;

    if (!w || (!rows && n))
        return cerd__error(CERD_EMISUSE, "copy: writer or rows is NULL");
    if (w->failed)
        return cerd__error(CERD_EMISUSE, "%s: the writer failed earlier (%s)", w->what,
                           w->failmsg);
    if (w->part_col >= 0) /* every new month first: at most one break of the COPY */
        for (size_t i = 0; i < n; i++) {
            int32_t month;
            if (row_month(w, p + i * w->t->row_size, &month) && !month_known(w, month)
                && (rc = ensure_month(w, month)))
                return fail(w, rc);
        }
    for (size_t i = 0; i < n; i++)
        if ((rc = put_one(w, p + i * w->t->row_size)))
            return rc;
    return 0;
}

int cerd_copy_take_rejects(cerd_copy_rejects *out, cerd_copy *w)
{
    if (!out || !w)
        return cerd__error(CERD_EMISUSE, "copy: rejects or writer is NULL");
    cerd_copy_rejects_free(out);
    *out = w->rejects;
    memset(&w->rejects, 0, sizeof w->rejects);
    w->rejects_cap = 0;
    return 0;
}

void cerd_copy_rejects_free(cerd_copy_rejects *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++)
        cerd_violations_free(&r->items[i].violations);
    free(r->items);
    memset(r, 0, sizeof *r);
}

static void release(cerd_copy *w)
{
    cerd_copy_rejects_free(&w->rejects);
    cerd__buf_free(&w->buf);
    free(w->months);
    free(w->target);
    free(w);
}

int cerd_copy_end(int64_t *rows_out, cerd_copy *w)
{
    int rc = 0;

    if (rows_out)
        *rows_out = 0;
    if (!w)
        return cerd__error(CERD_EMISUSE, "copy: writer is NULL");
    if (w->failed)
        rc = reraise(w);
    else if (w->in_copy && (rc = finish_copy(w)))
        rc = fail(w, rc);
    else if (w->own_txn) {
        PGresult *res = cerd__pq_exec(w->conn, "COMMIT");
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = fail(w, commit_error(w, res));
        PQclear(res);
        w->own_txn = false;
    }
    if (!rc && rows_out)
        *rows_out = w->written;
    release(w);
    return rc;
}

void cerd_copy_abort(cerd_copy *w)
{
    if (!w)
        return;
    abort_copy(w, "aborted by cerd_copy_abort");
    rollback_own(w);
    release(w);
}

/* ------------------------------------------------------------------ COPY out */

struct cerd_copy_out {
    cerd_conn *conn;
    const cerd_table *t;
    char what[96];
    char *msg;       /* current CopyData message */
    int len, pos;
    bool header_done, done;
};

int cerd_copy_out_open(cerd_copy_out **out, cerd_conn *conn, const cerd_table *t)
{
    cerd__sql q = {0};
    cerd_copy_out *r;
    const char *text;
    PGresult *res;
    int rc;

    if (!out)
        return cerd__error(CERD_EMISUSE, "copy out: out is NULL");
    *out = NULL;
    if (!conn || !t)
        return cerd__error(CERD_EMISUSE, "copy out: connection or table is NULL");
    if (!(r = calloc(1, sizeof *r)))
        return cerd__error(CERD_ENOMEM, "copy out: out of memory");
    r->conn = conn;
    r->t = t;
    snprintf(r->what, sizeof r->what, "%s: copy out", t->name);
    cerd__sql_add(&q, "COPY (SELECT ");
    cerd__sql_all_columns(&q, t);
    cerd__sql_add(&q, " FROM ");
    cerd__sql_ident(&q, t->name);
    cerd__sql_add(&q, ") TO STDOUT (FORMAT binary)");
    if (!(text = cerd__sql_text(&q))) {
        cerd__sql_free(&q);
        free(r);
        return CERD_ENOMEM;
    }
    res = cerd__pq_exec(conn, text);
    cerd__sql_free(&q);
    if (PQresultStatus(res) != PGRES_COPY_OUT) {
        rc = cerd__conn_error(conn, res, r->what);
        PQclear(res);
        free(r);
        return rc ? rc : CERD_ESERVER;
    }
    PQclear(res);
    *out = r;
    return 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int malformed(cerd_copy_out *r)
{
    return cerd__error(CERD_ERROR, "%s: malformed binary COPY data", r->what);
}

static int end_result(cerd_copy_out *r)
{
    PGresult *res;
    int rc = 0;
    r->done = true;
    while ((res = cerd__pq_result(r->conn))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && !rc)
            rc = cerd__conn_error(r->conn, res, r->what);
        PQclear(res);
    }
    return rc;
}

int cerd_copy_out_next(cerd_copy_out *r, void *row_out)
{
    const cerd_table *t;
    if (!r || !row_out)
        return cerd__error(CERD_EMISUSE, "copy out: reader or row is NULL");
    t = r->t;
    while (!r->done) {
        const unsigned char *d;
        int nfields, rc;

        if (!r->msg || r->pos >= r->len) {
            if (r->msg)
                PQfreemem(r->msg);
            r->msg = NULL;
            r->len = cerd__pq_get_copy(r->conn, &r->msg);
            r->pos = 0;
            if (r->len == -1) {
                r->msg = NULL;
                return (rc = end_result(r)) ? rc : 0;
            }
            if (r->len < 0) {
                r->msg = NULL;
                r->done = true;
                return cerd__conn_error(r->conn, NULL, r->what);
            }
            continue;
        }
        d = (const unsigned char *)r->msg;
        if (!r->header_done) {
            uint32_t ext;
            if (r->len - r->pos < 19 || memcmp(d + r->pos, "PGCOPY\n\377\r\n\0", 11))
                return malformed(r);
            ext = be32(d + r->pos + 15);
            if ((uint64_t)r->len - (uint64_t)r->pos < 19 + (uint64_t)ext)
                return malformed(r);
            r->pos += 19 + (int)ext;
            r->header_done = true;
            continue;
        }
        if (r->len - r->pos < 2)
            return malformed(r);
        nfields = (int16_t)(d[r->pos] << 8 | d[r->pos + 1]);
        r->pos += 2;
        if (nfields == -1) { /* trailer: the end follows */
            r->pos = r->len;
            continue;
        }
        if (nfields != t->ncolumns)
            return malformed(r);
        cerd_row_clear(t, row_out);
        for (int i = 0; i < nfields; i++) {
            int32_t flen;
            if (r->len - r->pos < 4) {
                cerd_row_clear(t, row_out);
                return malformed(r);
            }
            flen = (int32_t)be32(d + r->pos);
            r->pos += 4;
            if (flen > r->len - r->pos) {
                cerd_row_clear(t, row_out);
                return malformed(r);
            }
            if ((rc = cerd__decode_field(t, &t->columns[i], flen < 0 ? NULL : r->msg + r->pos,
                                         flen < 0 ? -1 : flen, row_out))) {
                cerd_row_clear(t, row_out);
                return rc;
            }
            if (flen > 0)
                r->pos += flen;
        }
        return 1;
    }
    return 0;
}

int cerd_copy_out_close(cerd_copy_out *r)
{
    int rc = 0;
    if (!r)
        return 0;
    if (r->msg)
        PQfreemem(r->msg);
    if (!r->done) { /* rows remain: cancel the COPY, then drain what was already sent */
        PGcancel *c = PQgetCancel(r->conn->pg);
        char err[256];
        char *m;
        int n;
        if (c) {
            PQcancel(c, err, sizeof err);
            PQfreeCancel(c);
        }
        r->conn->io_expired = false;
        while ((n = cerd__pq_get_copy(r->conn, &m)) > 0)
            PQfreemem(m);
        PGresult *res;
        while ((res = cerd__pq_result(r->conn)))
            PQclear(res);
        if (PQstatus(r->conn->pg) != CONNECTION_OK)
            rc = cerd__conn_error(r->conn, NULL, r->what);
    }
    free(r);
    return rc;
}
