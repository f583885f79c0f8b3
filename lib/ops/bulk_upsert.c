/* Bulk upsert: rows checked client-side (validation, duplicate keys), sent by binary COPY
   into a temporary staging table, moved with one INSERT ... SELECT ... ON CONFLICT DO
   UPDATE, in one transaction (the library's own or a savepoint of the caller's). */
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

/* One row's key, encoded, for finding duplicates by sorting. */
typedef struct keyed {
    size_t ordinal;
    size_t off, len;   /* in the shared buffer */
    const char *bytes; /* off resolved once the buffer is complete (qsort has no context) */
    bool has_null;     /* a NULL in the key never conflicts */
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->bytes, y->bytes, n) : 0;
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

/* Marks in skip[] the rows a later row with the same key replaces (last wins), or fails
   naming the first pair. Key bytes: per column, a 4-byte length and the binary value. */
static int find_duplicates(const cerd_table *t, const cerd_key *k, const char *rows, size_t n,
                           bool last_wins, bool *skip, int64_t *skipped)
{
    cerd__buf b = {0};
    keyed *ks = malloc((n ? n : 1) * sizeof *ks);
    int rc = 0;

    if (!ks)
        return cerd__error(CERD_ENOMEM, "%s: upsert: out of memory", t->name);
    for (size_t i = 0; i < n && !rc; i++) {
        const void *row = rows + i * t->row_size;
        ks[i].ordinal = i;
        ks[i].off = b.len;
        ks[i].has_null = false;
        for (int j = 0; j < k->ncolumns && !rc; j++) {
            const cerd_column *c = &t->columns[k->columns[j]];
            size_t at = b.len;
            if (cerd__field_is_null(c, row)) {
                ks[i].has_null = true;
                continue;
            }
            if (cerd__buf_append(&b, "\0\0\0\0", 4)) {
                rc = cerd__error(CERD_ENOMEM, "%s: upsert: out of memory", t->name);
                break;
            }
            if ((rc = cerd__encode_field(t, c, row, &b)))
                break;
            for (int s = 0; s < 4; s++)
                b.data[at + (size_t)s] = (char)((b.len - at - 4) >> (24 - 8 * s));
        }
        ks[i].len = b.len - ks[i].off;
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++)
            ks[i].bytes = b.data ? b.data + ks[i].off : "";
        qsort(ks, n, sizeof *ks, cmp_keyed);
        for (size_t i = 1; i < n && !rc; i++) {
            const keyed *x = &ks[i - 1], *y = &ks[i];
            if (x->has_null || y->has_null || x->len != y->len
                || (x->len && memcmp(x->bytes, y->bytes, x->len)))
                continue;
            if (!last_wins) {
                rc = cerd__error(CERD_EINVALID, "%s: upsert rows %zu and %zu have the same %s "
                                 "key (a batch may hold each key once; ask for last_wins to "
                                 "keep the later row)", t->name, x->ordinal, y->ordinal,
                                 k->name);
                cerd__error_names(t->name, t->columns[k->columns[0]].name, k->name);
            } else {
                skip[x->ordinal] = true; /* sorted by ordinal within a key: y is later */
                (*skipped)++;
            }
        }
    }
    free(ks);
    cerd__buf_free(&b);
    return rc;
}

static int exec_simple(cerd_conn *conn, const char *sql, const char *what)
{
    return cerd__exec(conn, sql, what, NULL);
}

static int64_t be64(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | (unsigned char)p[i];
    return (int64_t)v;
}

int cerd_bulk_upsert(cerd_bulk_result *out, cerd_conn *conn, const cerd_table *t, int key,
                     const void *rows, size_t n, const cerd_bulk_options *opts)
{
    static const cerd_bulk_options defaults = CERD_BULK_OPTIONS_INIT;
    const char *p = rows;
    const cerd_key *k;
    cerd_bulk_result result = {0, 0, 0};
    cerd_colset cols;
    bool *skip = NULL, own_txn = false, savepoint = false;
    char what[112], stage[64], qstage[72];
    cerd__sql q = {0};
    cerd_copy *w = NULL;
    cerd_copy_options copts = CERD_COPY_OPTIONS_INIT;
    PGresult *res = NULL;
    int rc = 0, set = 0;

    if (out)
        memset(out, 0, sizeof *out);
    if (!conn || !t || (!rows && n))
        return cerd__error(CERD_EMISUSE, "upsert: connection, table or rows is NULL");
    if (!opts)
        opts = &defaults;
    if (opts->version != 1)
        return cerd__error(CERD_EMISUSE, "upsert: options version %u (expected 1)",
                           opts->version);
    k = key < 0 ? &t->primary_key : key < t->nunique ? &t->unique_keys[key] : NULL;
    if (!k)
        return cerd__error(CERD_EMISUSE, "%s: upsert: no key %d", t->name, key);
    if (n == 0)
        return 0;
    snprintf(what, sizeof what, "%s: bulk upsert on %s", t->name, k->name);

    /* Client side: the column set, validation, duplicates. Nothing is sent before. */
    cerd__present_set(t, p, &cols);
    for (int j = 0; j < k->ncolumns; j++)
        if (!cerd_colset_has(&cols, k->columns[j]))
            return cerd__error(CERD_EMISUSE, "%s: key column %s is absent in row 0", what,
                               t->columns[k->columns[j]].name);
    for (size_t i = 0; i < n; i++) {
        const void *row = p + i * t->row_size;
        if ((!conn->validation_off
             && (rc = cerd__row_validate(t, row, CERD_VALIDATE_INSERT, NULL, NULL)))
            || (rc = cerd__copy_conform(t, &cols, true, row, NULL))) {
            return cerd__error_prefix("%s: upsert row %zu", t->name, i);
        }
    }
    if (!(skip = calloc(n, sizeof *skip)))
        return cerd__error(CERD_ENOMEM, "%s: out of memory", what);
    if ((rc = find_duplicates(t, k, p, n, opts->last_wins, skip, &result.skipped)))
        goto done;

    /* Server side, in one transaction. */
    if (PQtransactionStatus(conn->pg) == PQTRANS_IDLE) {
        if ((rc = cerd__conn_begin(conn, "BEGIN", what)))
            goto done;
        own_txn = true;
    } else {
        if ((rc = exec_simple(conn, "SAVEPOINT cerd_bulk_upsert", what)))
            goto done;
        savepoint = true;
    }
    snprintf(stage, sizeof stage, "cerd_bulk_stage");
    snprintf(qstage, sizeof qstage, "\"%s\"", stage);
    cerd__sql_add(&q, "CREATE TEMP TABLE ");
    cerd__sql_add(&q, qstage);
    cerd__sql_add(&q, " ON COMMIT DROP AS SELECT ");
    cerd__sql_columns(&q, t, &cols);
    cerd__sql_add(&q, " FROM ");
    cerd__sql_ident(&q, t->name);
    cerd__sql_add(&q, " WITH NO DATA");
    if (!cerd__sql_text(&q) || (rc = exec_simple(conn, q.b.data, what))) {
        rc = rc ? rc : CERD_ENOMEM;
        goto done;
    }
    cerd__sql_free(&q);

    copts.flush_bytes = opts->flush_bytes;
    {
        /* Validation was done above, on every row. */
        bool was_off = conn->validation_off;
        conn->validation_off = true;
        rc = cerd__copy_begin_into(&w, conn, t, qstage, &cols, &copts, "bulk upsert staging");
        for (size_t i = 0; i < n && !rc; i++)
            if (!skip[i])
                rc = cerd_copy_put(w, p + i * t->row_size);
        conn->validation_off = was_off;
    }
    if (rc) {
        cerd_copy_abort(w);
        goto done;
    }
    if ((rc = cerd_copy_end(NULL, w)))
        goto done;

    /* Rows whose key exists already are the ones the INSERT will update. (RETURNING
       xmax = 0 cannot tell on a partitioned table: no system columns there.) The count is
       exact unless another session inserts or deletes the same keys meanwhile: the key is
       unique in the table (the key's predicate selects the rows its index holds) and in
       the staging table (duplicates were removed above), so the join counts each staged
       row that will update at most once. A plain join, not a correlated EXISTS: Citus
       plans a join of a distributed table with a local (here temporary) one by moving the
       local rows to the workers, but refuses the correlated subquery (0A000). The key's
       predicate names the table's columns unqualified, so it stays inside the table's own
       subquery (the staging table has the same column names). */
    cerd__sql_add(&q, "SELECT count(*) FROM ");
    cerd__sql_add(&q, qstage);
    cerd__sql_add(&q, " s JOIN (SELECT ");
    for (int j = 0; j < k->ncolumns; j++) {
        if (j)
            cerd__sql_add(&q, ", ");
        cerd__sql_ident(&q, t->columns[k->columns[j]].name);
    }
    cerd__sql_add(&q, " FROM ");
    cerd__sql_ident(&q, t->name);
    if (k->predicate) {
        cerd__sql_add(&q, " WHERE (");
        cerd__sql_add(&q, k->predicate);
        cerd__sql_add(&q, ")");
    }
    cerd__sql_add(&q, ") d ON ");
    for (int j = 0; j < k->ncolumns; j++) {
        if (j)
            cerd__sql_add(&q, " AND ");
        cerd__sql_add(&q, "d.");
        cerd__sql_ident(&q, t->columns[k->columns[j]].name);
        cerd__sql_add(&q, " = s.");
        cerd__sql_ident(&q, t->columns[k->columns[j]].name);
    }
    if (!cerd__sql_text(&q)) {
        rc = CERD_ENOMEM;
        goto done;
    }
    res = cerd__pq_exec_params(conn, q.b.data, 0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        rc = cerd__conn_error(conn, res, what);
        cerd__error_logical_names(t);
        goto done;
    }
    result.updated = be64(PQgetvalue(res, 0, 0));
    PQclear(res);
    res = NULL;
    cerd__sql_free(&q);

    cerd__sql_add(&q, "INSERT INTO ");
    cerd__sql_ident(&q, t->name);
    cerd__sql_add(&q, " (");
    cerd__sql_columns(&q, t, &cols);
    cerd__sql_add(&q, ") SELECT ");
    cerd__sql_columns(&q, t, &cols);
    cerd__sql_add(&q, " FROM ");
    cerd__sql_add(&q, qstage);
    cerd__sql_add(&q, " ON CONFLICT (");
    for (int j = 0; j < k->ncolumns; j++) {
        if (j)
            cerd__sql_add(&q, ", ");
        cerd__sql_ident(&q, t->columns[k->columns[j]].name);
    }
    cerd__sql_add(&q, ")");
    if (k->predicate) {
        cerd__sql_add(&q, " WHERE ");
        cerd__sql_add(&q, k->predicate);
    }
    cerd__sql_add(&q, " DO UPDATE SET ");
    for (int i = 0; i < t->ncolumns; i++) {
        const cerd_column *c = &t->columns[i];
        int in_key = 0;
        for (int j = 0; j < k->ncolumns; j++)
            in_key |= k->columns[j] == i;
        if (in_key || (c->flags & CERD_COL_IDENTITY) || !cerd_colset_has(&cols, (unsigned)i))
            continue;
        if (set++)
            cerd__sql_add(&q, ", ");
        cerd__sql_ident(&q, c->name);
        cerd__sql_add(&q, " = EXCLUDED.");
        cerd__sql_ident(&q, c->name);
    }
    if (!set) {
        cerd__sql_ident(&q, t->columns[k->columns[0]].name);
        cerd__sql_add(&q, " = EXCLUDED.");
        cerd__sql_ident(&q, t->columns[k->columns[0]].name);
    }
    if (!cerd__sql_text(&q)) {
        rc = CERD_ENOMEM;
        goto done;
    }
    res = cerd__pq_exec(conn, q.b.data);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = cerd__conn_error(conn, res, what);
        cerd__error_logical_names(t);
        goto done;
    }
    result.inserted = strtoll(PQcmdTuples(res), NULL, 10) - result.updated;
    PQclear(res);
    res = NULL;
    cerd__sql_free(&q);
    cerd__sql_add(&q, "DROP TABLE ");
    cerd__sql_add(&q, qstage);
    if (!cerd__sql_text(&q) || (rc = exec_simple(conn, q.b.data, what))) {
        rc = rc ? rc : CERD_ENOMEM;
        goto done;
    }
    if (own_txn)
        rc = exec_simple(conn, "COMMIT", what);
    else
        rc = exec_simple(conn, "RELEASE SAVEPOINT cerd_bulk_upsert", what);
    own_txn = savepoint = false;

done:
    if (res)
        PQclear(res);
    cerd__sql_free(&q);
    free(skip);
    if (rc && (own_txn || savepoint) && PQstatus(conn->pg) == CONNECTION_OK) {
        /* The record describes the failure; cleaning up must not overwrite it. */
        PGresult *r2 = cerd__pq_exec(conn, own_txn ? "ROLLBACK"
                              : "ROLLBACK TO SAVEPOINT cerd_bulk_upsert; "
                                "RELEASE SAVEPOINT cerd_bulk_upsert");
        PQclear(r2);
        while ((r2 = cerd__pq_result(conn)))
            PQclear(r2);
    }
    if (!rc && out)
        *out = result;
    return rc;
}
