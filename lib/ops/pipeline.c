/* Pipelined batches: operations queued with their SQL and binary parameters, sent in libpq
   pipeline mode without waiting, one result per operation read back in order.
   The SQL shapes are those of lib/ops/crud.c (same conventions, built here with the
   growable builders of bulk_internal.h; to be folded together with crud.c's later). */
#include <poll.h>
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

enum { OP_INSERT = 1, OP_GET, OP_UPDATE, OP_UPSERT, OP_DELETE };

typedef struct bop {
    int kind;
    char *sql;
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

/* `"k1" = $a AND "k2" = $b [AND (predicate)]` with the key fields of row. */
static int sql_key_match(cerd__sql *q, cerd__params *p, const cerd_table *t,
                         const cerd_key *k, const void *row)
{
    for (int i = 0; i < k->ncolumns; i++) {
        const cerd_column *c = &t->columns[k->columns[i]];
        int n = cerd__params_field(p, t, c, row);
        if (n < 0)
            return n;
        if (i)
            cerd__sql_add(q, " AND ");
        cerd__sql_ident(q, c->name);
        cerd__sql_add(q, " = ");
        cerd__sql_param(q, n);
    }
    if (k->predicate) {
        cerd__sql_add(q, " AND (");
        cerd__sql_add(q, k->predicate);
        cerd__sql_add(q, ")");
    }
    return 0;
}

/* INSERT of the columns not absent per the write rule. */
static int sql_insert(cerd__sql *q, cerd__params *p, const cerd_table *t, const void *row,
                      const cerd_colset *set)
{
    int n;
    cerd__sql_add(q, "INSERT INTO ");
    cerd__sql_ident(q, t->name);
    if (cerd__colset_count(set, t->ncolumns) == 0) {
        cerd__sql_add(q, " DEFAULT VALUES");
        return 0;
    }
    cerd__sql_add(q, " (");
    cerd__sql_columns(q, t, set);
    cerd__sql_add(q, ") VALUES (");
    for (int i = 0; i < t->ncolumns; i++) {
        if (!cerd_colset_has(set, (unsigned)i))
            continue;
        if ((n = cerd__params_field(p, t, &t->columns[i], row)) < 0)
            return n;
        if (n > 1)
            cerd__sql_add(q, ", ");
        cerd__sql_param(q, n);
    }
    cerd__sql_add(q, ")");
    return 0;
}

static void sql_returning(cerd__sql *q, const cerd_table *t)
{
    cerd__sql_add(q, " RETURNING ");
    cerd__sql_all_columns(q, t);
}

/* As crud.c: an update sets the chosen columns, or every column outside the primary key
   except those the row leaves absent. */
static bool update_sets(const cerd_table *t, int i, const void *in, const cerd_colset *cols)
{
    const cerd_column *c = &t->columns[i];
    if (c->flags & (CERD_COL_PRIMARY_KEY | CERD_COL_IDENTITY))
        return false;
    if (cols)
        return cerd_colset_has(cols, (unsigned)i);
    return cerd__write_state(t, i, in) != CERD__W_ABSENT;
}

static int build(cerd__sql *q, cerd__params *p, int kind, const cerd_table *t, int key,
                 const void *row, const cerd_colset *cols, int flags)
{
    const cerd_key *k = key_of(t, key);
    cerd_colset set;
    int rc, n, count = 0;

    switch (kind) {
    case OP_INSERT:
        cerd__present_set(t, row, &set);
        rc = sql_insert(q, p, t, row, &set);
        sql_returning(q, t);
        return rc;
    case OP_GET:
        cerd__sql_add(q, "SELECT ");
        cerd__sql_all_columns(q, t);
        cerd__sql_add(q, " FROM ");
        cerd__sql_ident(q, t->name);
        cerd__sql_add(q, " WHERE ");
        return sql_key_match(q, p, t, k, row);
    case OP_UPDATE:
        cerd__sql_add(q, "UPDATE ");
        cerd__sql_ident(q, t->name);
        cerd__sql_add(q, " SET ");
        for (int i = 0; i < t->ncolumns; i++) {
            if (!update_sets(t, i, row, cols))
                continue;
            if ((n = cerd__params_field(p, t, &t->columns[i], row)) < 0)
                return n;
            if (count++)
                cerd__sql_add(q, ", ");
            cerd__sql_ident(q, t->columns[i].name);
            cerd__sql_add(q, " = ");
            cerd__sql_param(q, n);
        }
        if (!count)
            return cerd__error(CERD_EMISUSE, "%s: update: no column to set", t->name);
        cerd__sql_add(q, " WHERE ");
        if ((rc = sql_key_match(q, p, t, &t->primary_key, row)))
            return rc;
        sql_returning(q, t);
        return 0;
    case OP_UPSERT:
        cerd__present_set(t, row, &set);
        if ((rc = sql_insert(q, p, t, row, &set)))
            return rc;
        cerd__sql_add(q, " ON CONFLICT (");
        for (int i = 0; i < k->ncolumns; i++) {
            if (i)
                cerd__sql_add(q, ", ");
            cerd__sql_ident(q, t->columns[k->columns[i]].name);
        }
        cerd__sql_add(q, ")");
        if (k->predicate) {
            cerd__sql_add(q, " WHERE ");
            cerd__sql_add(q, k->predicate);
        }
        cerd__sql_add(q, " DO UPDATE SET ");
        for (int i = 0; i < t->ncolumns; i++) {
            const cerd_column *c = &t->columns[i];
            int in_key = 0;
            for (int j = 0; j < k->ncolumns; j++)
                in_key |= k->columns[j] == i;
            if (in_key || (c->flags & CERD_COL_IDENTITY) || !cerd_colset_has(&set, (unsigned)i))
                continue;
            if (count++)
                cerd__sql_add(q, ", ");
            cerd__sql_ident(q, c->name);
            cerd__sql_add(q, " = EXCLUDED.");
            cerd__sql_ident(q, c->name);
        }
        if (!count) {
            cerd__sql_ident(q, t->columns[k->columns[0]].name);
            cerd__sql_add(q, " = EXCLUDED.");
            cerd__sql_ident(q, t->columns[k->columns[0]].name);
        }
        sql_returning(q, t);
        return 0;
    case OP_DELETE:
        if (t->soft_delete_column >= 0 && !(flags & CERD_DELETE_HARD)) {
            const char *col = t->columns[t->soft_delete_column].name;
            cerd__sql_add(q, "UPDATE ");
            cerd__sql_ident(q, t->name);
            cerd__sql_add(q, " SET ");
            cerd__sql_ident(q, col);
            cerd__sql_add(q, " = now() WHERE ");
            cerd__sql_ident(q, col);
            cerd__sql_add(q, " IS NULL AND ");
        } else {
            cerd__sql_add(q, "DELETE FROM ");
            cerd__sql_ident(q, t->name);
            cerd__sql_add(q, " WHERE ");
        }
        return sql_key_match(q, p, t, &t->primary_key, row);
    }
    return cerd__error(CERD_EMISUSE, "batch: unknown operation");
}

static int queue(cerd_batch *b, int kind, const cerd_table *t, int key, const void *row,
                 const cerd_colset *cols, int flags)
{
    static const char *const names[] = {"", "insert", "get", "update", "upsert", "delete"};
    cerd__sql q = {0};
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
    if (kind == OP_INSERT || kind == OP_UPSERT)
        rc = cerd__row_validate(t, row, CERD_VALIDATE_INSERT, NULL, NULL);
    else if (kind == OP_UPDATE) {
        cerd_colset known = {{0}};
        for (int i = 0; i < t->ncolumns; i++)
            if (update_sets(t, i, row, cols))
                cerd_colset_add(&known, (unsigned)i);
        rc = cerd__row_validate(t, row, CERD_VALIDATE_STORED, &known, NULL);
    }
    if (rc == 0) {
        rc = build(&q, &o->p, kind, t, key, row, cols, flags);
        if (!rc && !cerd__sql_text(&q))
            rc = CERD_ENOMEM;
    }
    if (rc == CERD_ENOMEM || rc == CERD_EMISUSE) {
        cerd__sql_free(&q);
        cerd__params_free(&o->p);
        return rc;
    }
    if (rc) { /* refused client-side: its result is already known */
        cerd__error_prefix("batch operation %zu (%s %s)", b->n, names[kind], t->name);
        snapshot(&o->r, rc);
        o->answered = true;
        cerd__sql_free(&q);
        cerd__params_free(&o->p);
    } else {
        o->sent = true;
        o->sql = q.b.data; /* the buffer is kept as the statement text */
        cerd__params_values(&o->p);
        if (o->p.n > b->nformats) {
            int *f = realloc(b->formats, (size_t)o->p.n * sizeof *f);
            if (!f) {
                cerd__sql_free(&q);
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
    return queue(b, OP_INSERT, t, -1, row, NULL, 0);
}

int cerd_batch_update(cerd_batch *b, const cerd_table *t, const void *row,
                      const cerd_colset *columns)
{
    return queue(b, OP_UPDATE, t, -1, row, columns, 0);
}

int cerd_batch_upsert(cerd_batch *b, const cerd_table *t, int key, const void *row)
{
    return queue(b, OP_UPSERT, t, key, row, NULL, 0);
}

int cerd_batch_delete(cerd_batch *b, const cerd_table *t, const void *key_row, int flags)
{
    return queue(b, OP_DELETE, t, -1, key_row, NULL, flags);
}

int cerd_batch_get(cerd_batch *b, const cerd_table *t, int key, const void *key_row)
{
    return queue(b, OP_GET, t, key, key_row, NULL, 0);
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

typedef struct runner {
    cerd_batch *b;
    cerd_conn *conn;
    size_t *expect;    /* op index per statement, SYNC per sync point */
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

    snprintf(what, sizeof what, "batch operation %zu (%s %s)", index, names[o->kind], t->name);
    o->answered = true;
    if (st == PGRES_PIPELINE_ABORTED) {
        rc = cerd__error(CERD_ESERVER, "%s: not run: an earlier operation failed in the "
                         "same transaction", what);
        snapshot(&o->r, rc);
        return;
    }
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        snapshot(&o->r, cerd__error_from_pg(x->conn->pg, res, what));
        return;
    }
    o->r.affected = st == PGRES_TUPLES_OK ? PQntuples(res) : strtoll(PQcmdTuples(res), NULL, 10);
    if (o->r.affected == 0 && o->kind != OP_INSERT && o->kind != OP_UPSERT) {
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

/* Reads every result that is available without blocking. */
static void drain_ready(runner *x)
{
    PGconn *pg = x->conn->pg;
    while (x->pos < x->nexpect && !PQisBusy(pg)) {
        PGresult *res = PQgetResult(pg);
        size_t e = x->expect[x->pos];
        if (e == SYNC) {
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
        if (!x->got && e < x->b->n)
            take_result(x, &x->b->ops[e], res, e);
        x->got = true;
        PQclear(res);
    }
}

/* Waits for the socket, reads what came and takes the results; also flushes. */
static void wait_and_read(runner *x, bool want_write)
{
    PGconn *pg = x->conn->pg;
    struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN | (want_write ? POLLOUT : 0)};
    if (pfd.fd < 0 || poll(&pfd, 1, -1) < 0) {
        x->lost = true;
        return;
    }
    if (pfd.revents & (POLLIN | POLLERR | POLLHUP)) {
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

    if (!(x.expect = malloc((2 * b->n + 1) * sizeof *x.expect)))
        return cerd__error(CERD_ENOMEM, "batch: out of memory");
    if (!PQenterPipelineMode(conn->pg) || PQsetnonblocking(conn->pg, 1)) {
        free(x.expect);
        return cerd__error_from_pg(conn->pg, NULL, "batch");
    }
    for (size_t i = 0; i < b->n && !x.lost; i++) {
        bop *o = &b->ops[i];
        if (!o->sent)
            continue;
        if (!PQsendQueryParams(conn->pg, o->sql, o->p.n, (const Oid *)o->p.types,
                               o->p.values, o->p.lengths, b->formats, 1)) {
            x.lost = true;
            break;
        }
        x.expect[x.nexpect++] = i;
        if (!b->opts.atomic) {
            if (!PQpipelineSync(conn->pg)) {
                x.lost = true;
                break;
            }
            x.expect[x.nexpect++] = SYNC;
        }
        flush_all(&x);
    }
    if (b->opts.atomic && !x.lost) {
        if (!PQpipelineSync(conn->pg))
            x.lost = true;
        else
            x.expect[x.nexpect++] = SYNC;
    }
    flush_all(&x);
    drain_ready(&x);
    while (!x.lost && x.pos < x.nexpect)
        wait_and_read(&x, false);
    if (x.lost) {
        const char *msg = PQerrorMessage(conn->pg);
        for (size_t i = 0; i < b->n; i++)
            if (!b->ops[i].answered) {
                cerd__error(CERD_ECONNLOST, "batch operation %zu: the connection was lost "
                            "before its result came: %s", i, msg);
                snapshot(&b->ops[i].r, CERD_ECONNLOST);
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
        } else if ((rc2 = exec_cmd(conn, own_txn ? "COMMIT" : "RELEASE SAVEPOINT cerd_batch"))) {
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
        cerd__error_names(r->table->name, *r->column ? r->column : NULL,
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
        free(o->sql);
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
    free(b->ops);
    free(b->formats);
    free(b);
}
