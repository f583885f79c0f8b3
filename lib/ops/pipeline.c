/* Pipelined batches: operations queued with their SQL and binary parameters, sent in libpq
   pipeline mode without waiting, one result per operation read back in order.
   Each operation's SQL and parameters come from crud.c's one builder (cerd__op_build), so
   a batch writes value / NULL / DEFAULT exactly as the single operations do. A shape
   (cerd__op_key) is built once per batch and runs as the connection's prepared statement:
   a shape the connection has not prepared yet is prepared in the same pipeline, before its
   first execution (unnamed-statement mode: each operation runs as the unnamed statement). */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptoerd/bulk.h"
#include "cryptoerd/query.h"
#include "ops/crud_internal.h"
#include "ops/query_internal.h"
#include "ops/sql.h"
#include "ops/validate_internal.h"
#include "wire/codec.h"
#include "wire/field.h"
#include "conn/conn_internal.h"
#include "util/error_internal.h"

typedef struct bop {
    cerd__op_kind kind;             /* 0 for a query */
    const cerd_query *query;        /* a typed query (cerd_batch_query), or NULL */
    unsigned char key[CERD__STMT_KEY_MAX]; /* its shape (cerd__op_key) */
    unsigned shape;    /* the batch's id of that shape: shape_sql[shape - 1] */
    cerd__params p;
    bool sent;         /* false: failed client-side, never sent */
    bool answered;
    cerd_batch_result r;
} bop;

struct cerd_batch {
    cerd_batch_options opts;
    bop *ops;
    size_t n, cap;
    bool ran;
    cerd__stmt_cache shapes; /* the shapes queued, by key */
    char **shape_sql;        /* their SQL text, by id - 1 */
    size_t nshape_sql;
    int *formats;      /* all 1 (binary), as many as the most parameters */
    int nformats;
};

static const char *const EMPTY = "";

int cerd_batch_new(cerd_batch **out, const cerd_batch_options *opts)
{
    static const cerd_batch_options defaults = CERD_BATCH_OPTIONS_INIT;
    cerd_batch *b;
    if (!out)
        return cerd__error(CERD_EMISUSE, "batch: out is NULL");
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (opts->version != 1)
        return cerd__error(CERD_EMISUSE, "batch: options version %u (expected 1)",
                           opts->version);
    if (!(b = calloc(1, sizeof *b)))
        return cerd__error(CERD_ENOMEM, "batch: out of memory");
    b->opts = *opts;
    *out = b;
    return 0;
}

static char *dup_or_empty(const char *s)
{
    return (char *)(s && *s ? strdup(s) : EMPTY);
}

static void free_str(const char *s)
{
    if (s && s != EMPTY)
        free((char *)s);
}

/* Copies the calling thread's error record into the result. */
static void snapshot(cerd_batch_result *r, int code)
{
    const cerd_error *e = cerd_error_last();
    r->code = code;
    memcpy(r->sqlstate, e->sqlstate, sizeof r->sqlstate);
    free_str(r->message);
    free_str(r->column);
    free_str(r->constraint);
    free_str(r->detail);
    r->message = dup_or_empty(e->message);
    r->column = dup_or_empty(e->column);
    r->constraint = dup_or_empty(e->constraint);
    r->detail = dup_or_empty(e->detail);
}

static const cerd_key *key_of(const cerd_table *t, int key)
{
    if (key < 0)
        return &t->primary_key;
    return key < t->nunique ? &t->unique_keys[key] : NULL;
}

/* Builds op's parameters into o->p and, for a shape not queued yet, its SQL text. */
static int build(cerd_batch *b, bop *o, const cerd__op *op)
{
    cerd__sql q = {0};
    int rc;

    cerd__op_key(o->key, op);
    o->shape = cerd__stmt_cache_find(&b->shapes, o->key);
    q.off = o->shape != 0;
    rc = cerd__op_build(&q, &o->p, op);
    if (!rc && !o->shape) {
        char **more;
        if (!cerd__sql_text(&q))
            rc = CERD_ENOMEM;
        else if (!(more = realloc(b->shape_sql, (b->nshape_sql + 1) * sizeof *more)))
            rc = cerd__error(CERD_ENOMEM, "batch: out of memory");
        else {
            b->shape_sql = more;
            if (!(o->shape = cerd__stmt_cache_add(&b->shapes, o->key))
                || o->shape != b->nshape_sql + 1)
                rc = cerd__error(CERD_ENOMEM, "batch: out of memory");
            else {
                b->shape_sql[b->nshape_sql++] = q.b.data; /* kept as the shape's text */
                q.b.data = NULL;
            }
        }
    }
    cerd__sql_free(&q);
    return rc;
}

static int queue(cerd_batch *b, cerd__op_kind kind, const cerd_table *t, int key,
                 const void *row, const cerd_colset *cols, int flags)
{
    static const char *const names[] = {"", "insert", "get", "update", "upsert", "delete"};
    cerd__op op = {.kind = kind, .t = t, .key = key, .column = -1, .row = row, .cols = cols,
                   .flags = flags};
    bop *o;
    int rc = 0;

    if (!b || !t || !row)
        return cerd__error(CERD_EMISUSE, "batch: batch, table or row is NULL");
    if (b->ran)
        return cerd__error(CERD_EMISUSE, "batch: already run");
    if (t->abi != CERD_TABLE_ABI)
        return cerd__error(CERD_EMISUSE, "batch: descriptor of %s was generated for ABI %u",
                           t->name, (unsigned)t->abi);
    if (!key_of(t, key))
        return cerd__error(CERD_EMISUSE, "%s: %s: no key %d", t->name, names[kind], key);
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        bop *ops = realloc(b->ops, cap * sizeof *ops);
        if (!ops)
            return cerd__error(CERD_ENOMEM, "batch: out of memory");
        b->ops = ops;
        b->cap = cap;
    }
    o = &b->ops[b->n];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->r.table = t;
    o->r.message = o->r.column = o->r.constraint = o->r.detail = EMPTY;

    /* Client-side validation, as the single operations do it. */
    rc = cerd__op_validate(&op);
    if (rc == 0)
        rc = build(b, o, &op);
    if (rc == CERD_ENOMEM || rc == CERD_EMISUSE) {
        cerd__params_free(&o->p);
        return rc;
    }
    if (rc) { /* refused client-side: its result is already known */
        cerd__error_prefix("batch operation %zu (%s %s)", b->n, names[kind], t->name);
        snapshot(&o->r, rc);
        o->answered = true;
        cerd__params_free(&o->p);
    } else {
        o->sent = true;
        cerd__params_values(&o->p);
        if (o->p.n > b->nformats) {
            int *f = realloc(b->formats, (size_t)o->p.n * sizeof *f);
            if (!f) {
                cerd__params_free(&o->p);
                return cerd__error(CERD_ENOMEM, "batch: out of memory");
            }
            for (int i = b->nformats; i < o->p.n; i++)
                f[i] = 1;
            b->formats = f;
            b->nformats = o->p.n;
        }
    }
    b->n++;
    return 0;
}

int cerd_batch_insert(cerd_batch *b, const cerd_table *t, const void *row)
{
    return queue(b, CERD__OP_INSERT, t, -1, row, NULL, 0);
}

int cerd_batch_update(cerd_batch *b, const cerd_table *t, const void *row,
                      const cerd_colset *columns)
{
    return queue(b, CERD__OP_UPDATE, t, -1, row, columns, 0);
}

int cerd_batch_upsert(cerd_batch *b, const cerd_table *t, int key, const void *row)
{
    return queue(b, CERD__OP_UPSERT, t, key, row, NULL, 0);
}

int cerd_batch_delete(cerd_batch *b, const cerd_table *t, const void *key_row, int flags)
{
    return queue(b, CERD__OP_DELETE, t, -1, key_row, NULL, flags);
}

int cerd_batch_get(cerd_batch *b, const cerd_table *t, int key, const void *key_row)
{
    return queue(b, CERD__OP_GET, t, key, key_row, NULL, 0);
}

/* Room for one more operation. */
static bop *grow(cerd_batch *b)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        bop *ops = realloc(b->ops, cap * sizeof *ops);
        if (!ops)
            return NULL;
        b->ops = ops;
        b->cap = cap;
    }
    return &b->ops[b->n];
}

static int need_formats(cerd_batch *b, int n)
{
    if (n > b->nformats) {
        int *f = realloc(b->formats, (size_t)n * sizeof *f);
        if (!f)
            return cerd__error(CERD_ENOMEM, "batch: out of memory");
        for (int i = b->nformats; i < n; i++)
            f[i] = 1;
        b->formats = f;
        b->nformats = n;
    }
    return 0;
}

int cerd_batch_query(cerd_batch *b, const cerd_query *q, const void *params)
{
    bop *o;
    int rc;

    if (!b)
        return cerd__error(CERD_EMISUSE, "batch: batch is NULL");
    if (b->ran)
        return cerd__error(CERD_EMISUSE, "batch: already run");
    if ((rc = cerd__query_check(q, params, q ? q->shape : CERD_QUERY_EXEC, "cerd_batch_query")))
        return rc;
    if (!(o = grow(b)))
        return cerd__error(CERD_ENOMEM, "batch: out of memory");
    memset(o, 0, sizeof *o);
    o->query = q;
    o->r.message = o->r.column = o->r.constraint = o->r.detail = EMPTY;
    cerd__query_key(o->key, q);
    if (!(o->shape = cerd__stmt_cache_find(&b->shapes, o->key))) {
        char **more = realloc(b->shape_sql, (b->nshape_sql + 1) * sizeof *more);
        if (!more)
            return cerd__error(CERD_ENOMEM, "batch: out of memory");
        b->shape_sql = more;
        if (!(b->shape_sql[b->nshape_sql] = strdup(q->sql)))
            return cerd__error(CERD_ENOMEM, "batch: out of memory");
        if (!(o->shape = cerd__stmt_cache_add(&b->shapes, o->key))) {
            free(b->shape_sql[b->nshape_sql]);
            return cerd__error(CERD_ENOMEM, "batch: out of memory");
        }
        b->nshape_sql++;
    }
    /* Client-side checks of the parameters, as a single call makes them. */
    rc = q->nchecks ? cerd_query_validate(q, params) : 0;
    if (!rc)
        rc = cerd__query_params(&o->p, q, params);
    if (rc == CERD_ENOMEM || rc == CERD_EMISUSE) {
        cerd__params_free(&o->p);
        return rc;
    }
    if (rc) {
        cerd__error_prefix("batch operation %zu (query %s)", b->n, q->name);
        snapshot(&o->r, rc);
        o->answered = true;
        cerd__params_free(&o->p);
    } else if ((rc = need_formats(b, o->p.n))) {
        cerd__params_free(&o->p);
        return rc;
    } else
        o->sent = true;
    b->n++;
    return 0;
}

/* The bulk variant of an `:exec` query (query.h): every parameter set as an operation of
   one atomic batch. Here, not in query.c, so that the typed queries do not use the
   pipeline that uses them. */
int cerd_query_execmany(int64_t *out, cerd_conn *conn, const cerd_query *q,
                        const void *params, size_t n)
{
    static const cerd_batch_options atomic = {1, true};
    cerd_batch *b = NULL;
    int rc;

    if (out)
        *out = 0;
    /* no parameter set (n = 0) may come as NULL */
    if ((rc = cerd__query_check(q, n ? params : (const void *)q, CERD_QUERY_EXEC,
                                "cerd_query_execmany")))
        return rc;
    if (!conn)
        return cerd__error(CERD_EMISUSE, "query %s: connection is NULL", q->name);
    if (n == 0)
        return 0;
    if ((rc = cerd_batch_new(&b, &atomic)))
        return rc;
    for (size_t i = 0; i < n && !rc; i++)
        rc = cerd_batch_query(b, q, q->params ? (const char *)params + i * q->params->row_size
                                              : NULL);
    if (!rc)
        rc = cerd_batch_run(b, conn);
    if (!rc && out)
        for (size_t i = 0; i < n; i++)
            *out += cerd_batch_result_at(b, i)->affected;
    cerd_batch_free(b);
    return rc;
}

size_t cerd_batch_count(const cerd_batch *b)
{
    return b ? b->n : 0;
}

const cerd_batch_result *cerd_batch_result_at(const cerd_batch *b, size_t index)
{
    return b && b->ran && index < b->n ? &b->ops[index].r : NULL;
}

/* ------------------------------------------------------------------ running */

#define SYNC ((size_t)-1)

/* What the next results answer: an operation, the prepare of its shape, a sync point. */
typedef struct expected {
    size_t index;      /* op index, or SYNC */
    bool prepare;
} expected;

typedef struct runner {
    cerd_batch *b;
    cerd_conn *conn;
    expected *expect;
    size_t nexpect, pos;
    bool got;          /* the current statement's first result was taken */
    bool lost;
} runner;

static void take_result(runner *x, bop *o, PGresult *res, size_t index)
{
    static const char *const names[] = {"", "insert", "get", "update", "upsert", "delete"};
    const cerd_table *t = o->r.table;
    ExecStatusType st = PQresultStatus(res);
    char what[128];
    int rc;

    if (o->answered) /* its prepare failed: that is its result */
        return;
    if (o->query)
        snprintf(what, sizeof what, "batch operation %zu (query %s)", index, o->query->name);
    else
        snprintf(what, sizeof what, "batch operation %zu (%s %s)", index, names[o->kind],
                 t->name);
    o->answered = true;
    if (st == PGRES_PIPELINE_ABORTED) {
        rc = cerd__error(CERD_ESERVER, "%s: not run: an earlier operation failed in the "
                         "same transaction", what);
        snapshot(&o->r, rc);
        return;
    }
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (state && !strcmp(state, "26000")) /* the session lost its statements */
            cerd__stmt_cache_clear(&x->conn->stmts);
        rc = cerd__error_from_pg(x->conn->pg, res, what);
        cerd__error_logical_names(o->r.table); /* a partition's or shard's names -> the table's */
        snapshot(&o->r, rc);
        return;
    }
    o->r.affected = st == PGRES_TUPLES_OK ? PQntuples(res) : strtoll(PQcmdTuples(res), NULL, 10);
    if (o->query) /* a query: the number of rows, never a row */
        return;
    if (o->r.affected == 0 && o->kind != CERD__OP_INSERT && o->kind != CERD__OP_UPSERT) {
        snapshot(&o->r, cerd__error(CERD_ENOTFOUND, "%s: no such row", what));
        return;
    }
    if (st == PGRES_TUPLES_OK && PQntuples(res) > 0) {
        if (!(o->r.row = calloc(1, t->row_size))) {
            snapshot(&o->r, cerd__error(CERD_ENOMEM, "%s: out of memory", what));
            return;
        }
        if ((rc = cerd__decode_row(t, res, 0, o->r.row))) {
            free(o->r.row);
            o->r.row = NULL;
            snapshot(&o->r, rc);
        }
    }
}

/* The result of preparing the shape of operation index: when it failed (or was not run,
   after a failure earlier in an atomic batch), the connection forgets the shape again
   and the operation's result is that failure. */
static void take_prepare(runner *x, bop *o, PGresult *res, size_t index)
{
    static const char *const names[] = {"", "insert", "get", "update", "upsert", "delete"};
    char what[128];
    if (PQresultStatus(res) == PGRES_COMMAND_OK)
        return;
    cerd__stmt_cache_remove(&x->conn->stmts, o->key);
    if (o->answered)
        return;
    if (o->query)
        snprintf(what, sizeof what, "batch operation %zu (query %s)", index, o->query->name);
    else
        snprintf(what, sizeof what, "batch operation %zu (%s %s)", index, names[o->kind],
                 o->r.table->name);
    o->answered = true;
    if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED)
        snapshot(&o->r, cerd__error(CERD_ESERVER, "%s: not run: an earlier operation failed "
                                    "in the same transaction", what));
    else {
        int rc = cerd__error_from_pg(x->conn->pg, res, what);
        cerd__error_logical_names(o->r.table); /* a partition's or shard's names -> the table's */
        snapshot(&o->r, rc);
    }
}

/* Reads every result that is available without blocking. */
static void drain_ready(runner *x)
{
    PGconn *pg = x->conn->pg;
    while (x->pos < x->nexpect && !PQisBusy(pg)) {
        PGresult *res = PQgetResult(pg);
        expected e = x->expect[x->pos];
        if (e.index == SYNC) {
            if (res && PQresultStatus(res) == PGRES_PIPELINE_SYNC)
                x->pos++;
            if (res)
                PQclear(res);
            else if (PQstatus(pg) != CONNECTION_OK) {
                x->lost = true;
                return;
            }
            continue;
        }
        if (!res) { /* end of this statement's results */
            if (PQstatus(pg) != CONNECTION_OK && !x->got) {
                x->lost = true;
                return;
            }
            x->pos++;
            x->got = false;
            continue;
        }
        if (!x->got && e.prepare)
            take_prepare(x, &x->b->ops[e.index], res, e.index);
        else if (!x->got)
            take_result(x, &x->b->ops[e.index], res, e.index);
        x->got = true;
        PQclear(res);
    }
}

/* Waits for the socket (within the connection's I/O timeout: cerd__conn_poll), reads
   what came and takes the results; also flushes. */
static void wait_and_read(runner *x, bool want_write)
{
    PGconn *pg = x->conn->pg;
    int ev = cerd__conn_poll(x->conn, want_write);
    if (ev <= 0) {
        x->lost = true;
        return;
    }
    if (ev & (POLLIN | POLLERR | POLLHUP)) {
        if (!PQconsumeInput(pg)) {
            x->lost = true;
            return;
        }
        drain_ready(x);
    }
}

static void flush_all(runner *x)
{
    int f;
    while (!x->lost && (f = PQflush(x->conn->pg)) == 1)
        wait_and_read(x, true);
    if (f < 0)
        x->lost = true;
}

static int exec_cmd(cerd_conn *conn, const char *sql)
{
    return cerd__exec(conn, sql, "batch", NULL);
}

int cerd_batch_run(cerd_batch *b, cerd_conn *conn)
{
    runner x = {0};
    bool own_txn = false, savepoint = false;
    size_t first_fail = SYNC;
    int rc = 0;

    if (!b || !conn)
        return cerd__error(CERD_EMISUSE, "batch: batch or connection is NULL");
    if (b->ran)
        return cerd__error(CERD_EMISUSE, "batch: already run");
    b->ran = true;
    if (b->n == 0)
        return 0;
    if (PQpipelineStatus(conn->pg) != PQ_PIPELINE_OFF || PQisBusy(conn->pg))
        return cerd__error(CERD_EMISUSE, "batch: the connection is busy");
    x.b = b;
    x.conn = conn;
    conn->io_expired = false;

    if (b->opts.atomic) {
        for (size_t i = 0; i < b->n; i++)
            if (!b->ops[i].sent) { /* refused client-side: nothing is sent */
                for (size_t j = 0; j < b->n; j++)
                    if (b->ops[j].sent) {
                        cerd__error(CERD_ESERVER, "batch operation %zu: not run: operation "
                                    "%zu was refused", j, i);
                        snapshot(&b->ops[j].r, CERD_ESERVER);
                        b->ops[j].answered = true;
                    }
                first_fail = i;
                goto report;
            }
        if (PQtransactionStatus(conn->pg) == PQTRANS_IDLE) {
            if ((rc = cerd__conn_begin(conn, "BEGIN", "batch")))
                return rc;
            own_txn = true;
        } else {
            if ((rc = exec_cmd(conn, "SAVEPOINT cerd_batch")))
                return rc;
            savepoint = true;
        }
    }

    if (!(x.expect = malloc((3 * b->n + 1) * sizeof *x.expect)))
        return cerd__error(CERD_ENOMEM, "batch: out of memory");
    if (!PQenterPipelineMode(conn->pg) || PQsetnonblocking(conn->pg, 1)) {
        free(x.expect);
        return cerd__error_from_pg(conn->pg, NULL, "batch");
    }
    for (size_t i = 0; i < b->n && !x.lost; i++) {
        bop *o = &b->ops[i];
        const char *sql;
        char name[32];
        unsigned id;
        if (!o->sent)
            continue;
        sql = b->shape_sql[o->shape - 1];
        if (conn->unnamed_statements) {
            if (!PQsendQueryParams(conn->pg, sql, o->p.n, (const Oid *)o->p.types,
                                   o->p.values, o->p.lengths, b->formats, 1)) {
                x.lost = true;
                break;
            }
        } else {
            if (!(id = cerd__stmt_find(conn, o->key))) {
                /* First use of the shape on this connection: prepared in the pipeline. */
                if (!(id = cerd__stmt_cache_add(&conn->stmts, o->key))) {
                    cerd__error(CERD_ENOMEM, "batch operation %zu: out of memory", i);
                    snapshot(&o->r, CERD_ENOMEM);
                    o->answered = true;
                    continue;
                }
                cerd__stmt_name(name, sizeof name, id);
                if (!PQsendPrepare(conn->pg, name, sql, o->p.n, (const Oid *)o->p.types)) {
                    x.lost = true;
                    break;
                }
                x.expect[x.nexpect++] = (expected){i, true};
            }
            cerd__stmt_name(name, sizeof name, id);
            if (!PQsendQueryPrepared(conn->pg, name, o->p.n, o->p.values, o->p.lengths,
                                     b->formats, 1)) {
                x.lost = true;
                break;
            }
        }
        x.expect[x.nexpect++] = (expected){i, false};
        if (!b->opts.atomic) {
            if (!PQpipelineSync(conn->pg)) {
                x.lost = true;
                break;
            }
            x.expect[x.nexpect++] = (expected){SYNC, false};
        }
        flush_all(&x);
    }
    if (b->opts.atomic && !x.lost) {
        if (!PQpipelineSync(conn->pg))
            x.lost = true;
        else
            x.expect[x.nexpect++] = (expected){SYNC, false};
    }
    flush_all(&x);
    drain_ready(&x);
    while (!x.lost && x.pos < x.nexpect)
        wait_and_read(&x, false);
    if (x.lost) {
        const char *msg = PQerrorMessage(conn->pg);
        for (size_t i = 0; i < b->n; i++)
            if (!b->ops[i].answered) {
                if (conn->io_expired)
                    cerd__error(CERD_ETIMEOUT, "batch operation %zu: the server sent nothing "
                                "for %u ms (the connection's I/O timeout) before its result "
                                "came: the connection was closed", i, conn->io_timeout_ms);
                else
                    cerd__error(CERD_ECONNLOST, "batch operation %zu: the connection was "
                                "lost before its result came: %s", i, msg);
                snapshot(&b->ops[i].r, conn->io_expired ? CERD_ETIMEOUT : CERD_ECONNLOST);
                b->ops[i].answered = true;
            }
    }
    PQsetnonblocking(conn->pg, 0);
    if (!x.lost)
        PQexitPipelineMode(conn->pg);
    free(x.expect);

    for (size_t i = 0; i < b->n; i++)
        if (b->ops[i].r.code && first_fail == SYNC)
            first_fail = i;
    if (b->opts.atomic && PQstatus(conn->pg) == CONNECTION_OK) {
        int rc2;
        if (first_fail != SYNC) {
            rc2 = exec_cmd(conn, own_txn ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT cerd_batch");
            if (!rc2 && savepoint)
                rc2 = exec_cmd(conn, "RELEASE SAVEPOINT cerd_batch");
            for (size_t i = 0; i < b->n; i++)
                if (b->ops[i].r.code == 0)
                    b->ops[i].r.rolled_back = true;
            (void)rc2;
        } else if ((rc2 = own_txn ? cerd_conn_commit(conn)
                                  : exec_cmd(conn, "RELEASE SAVEPOINT cerd_batch"))) {
            for (size_t i = 0; i < b->n; i++)
                b->ops[i].r.rolled_back = true;
            return rc2;
        }
    }
report:
    if (first_fail == SYNC)
        return 0;
    {
        const cerd_batch_result *r = &b->ops[first_fail].r;
        cerd__error(r->code, "%s", r->message);
        cerd__error_names(r->table ? r->table->name : NULL, *r->column ? r->column : NULL,
                          *r->constraint ? r->constraint : NULL);
        return r->code;
    }
}

void cerd_batch_free(cerd_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        bop *o = &b->ops[i];
        cerd__params_free(&o->p);
        if (o->r.row) {
            cerd_row_clear(o->r.table, o->r.row);
            free(o->r.row);
        }
        free_str(o->r.message);
        free_str(o->r.column);
        free_str(o->r.constraint);
        free_str(o->r.detail);
    }
    for (size_t i = 0; i < b->nshape_sql; i++)
        free(b->shape_sql[i]);
    free(b->shape_sql);
    cerd__stmt_cache_free(&b->shapes);
    free(b->ops);
    free(b->formats);
    free(b);
}
