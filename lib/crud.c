/* The generic row operations of table.h: SQL built from the descriptor, values bound as
   binary parameters of a prepared statement, one round trip, results decoded in binary.
   No value is ever formatted into SQL text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "conn_internal.h"
#include "error_internal.h"

#define SQL_MAX 24576
#define MAX_PARAMS (CERD_MAX_COLUMNS + 16)
#define DEFAULT_PAGE 100

/* ------------------------------------------------------------------ SQL text */

typedef struct sql {
    char text[SQL_MAX];
    size_t len;
    int overflow;
} sql;

/* Only the used part of the buffers is ever read: no need to zero them. */
static void sql_init(sql *q)
{
    q->len = 0;
    q->overflow = 0;
    q->text[0] = '\0';
}

static void sql_add(sql *q, const char *s)
{
    size_t n = strlen(s);
    if (q->len + n >= SQL_MAX) {
        q->overflow = 1;
        return;
    }
    memcpy(q->text + q->len, s, n + 1);
    q->len += n;
}

static void sql_ident(sql *q, const char *name)
{
    sql_add(q, "\"");
    sql_add(q, name);
    sql_add(q, "\"");
}

static void sql_param(sql *q, int number)
{
    char buf[16];
    snprintf(buf, sizeof buf, "$%d", number);
    sql_add(q, buf);
}

/* "c1", "c2", ... in table order: every result row decodes column i into field i. */
static void sql_all_columns(sql *q, const cerd_table *t)
{
    for (int i = 0; i < t->ncolumns; i++) {
        if (i)
            sql_add(q, ", ");
        sql_ident(q, t->columns[i].name);
    }
}

/* ------------------------------------------------------------------ parameters */

typedef struct params {
    int n;
    uint32_t types[MAX_PARAMS];
    size_t offsets[MAX_PARAMS];
    int lengths[MAX_PARAMS];
    const char *values[MAX_PARAMS];
    cerd__buf data;
} params;

static void params_init(params *p)
{
    p->n = 0;
    memset(&p->data, 0, sizeof p->data);
}

/* Adds raw binary bytes as the next parameter; returns its $ number or a negative code. */
static int param_bytes(params *p, uint32_t oid, const void *bytes, int len)
{
    if (p->n >= MAX_PARAMS)
        return cerd__error(CERD_EMISUSE, "too many parameters");
    p->types[p->n] = oid;
    p->offsets[p->n] = p->data.len;
    p->lengths[p->n] = len;
    if (len > 0 && cerd__buf_append(&p->data, bytes, (size_t)len))
        return cerd__error(CERD_ENOMEM, "out of memory");
    return ++p->n;
}

/* Adds the field of column c in row as the next parameter (NULL when it is null). */
static int param_field(params *p, const cerd_table *t, const cerd_column *c, const void *row)
{
    int rc;
    if (p->n >= MAX_PARAMS)
        return cerd__error(CERD_EMISUSE, "too many parameters");
    p->types[p->n] = cerd__type_oid(c->type);
    p->offsets[p->n] = p->data.len;
    if (cerd__field_is_null(c, row)) {
        p->lengths[p->n] = -1;
    } else {
        if ((rc = cerd__encode_field(t, c, row, &p->data)))
            return rc;
        p->lengths[p->n] = (int)(p->data.len - p->offsets[p->n]);
    }
    return ++p->n;
}

static int param_int64(params *p, int64_t v)
{
    unsigned char be[8];
    for (int i = 0; i < 8; i++)
        be[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
    return param_bytes(p, 20 /* int8 */, be, 8);
}

/* Runs q with the parameters; the result (rows or command) goes to *res. */
static int run(cerd_conn *conn, const sql *q, params *p, const char *what, PGresult **res)
{
    if (!conn)
        return cerd__error(CERD_EMISUSE, "%s: connection is NULL", what);
    if (q->overflow)
        return cerd__error(CERD_EMISUSE, "%s: statement longer than %d bytes", what, SQL_MAX);
    for (int i = 0; i < p->n; i++)
        p->values[i] = p->lengths[i] < 0 ? NULL : p->data.data + p->offsets[i];
    return cerd__exec_prepared(conn, q->text, p->n, p->types, p->values, p->lengths, what, res);
}

/* ------------------------------------------------------------------ keys and rows */

static const cerd_key *key_of(const cerd_table *t, int key)
{
    if (key < 0)
        return &t->primary_key;
    return key < t->nunique ? &t->unique_keys[key] : NULL;
}

/* Appends `"k1" = $a AND "k2" = $b [AND (predicate)]` with the key fields of row. */
static int sql_key_match(sql *q, params *p, const cerd_table *t, const cerd_key *k,
                         const void *row)
{
    for (int i = 0; i < k->ncolumns; i++) {
        const cerd_column *c = &t->columns[k->columns[i]];
        int n = param_field(p, t, c, row);
        if (n < 0)
            return n;
        if (i)
            sql_add(q, " AND ");
        sql_ident(q, c->name);
        sql_add(q, " = ");
        sql_param(q, n);
    }
    if (k->predicate) {
        sql_add(q, " AND (");
        sql_add(q, k->predicate);
        sql_add(q, ")");
    }
    return 0;
}

/* "id = 42" (or "asset_id = 1, timeframe = '1h', ...") for messages. */
static void describe_key(const cerd_table *t, const cerd_key *k, const void *row, char *buf,
                         size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < k->ncolumns && used < size; i++) {
        const cerd_column *c = &t->columns[k->columns[i]];
        const char *field = (const char *)row + c->offset;
        char value[64];

        if (cerd__field_is_null(c, row))
            snprintf(value, sizeof value, "NULL");
        else if (c->type == CERD_TYPE_INT64)
            snprintf(value, sizeof value, "%lld", (long long)(c->flags & CERD_COL_OPTIONAL
                     ? ((const cerd_opt_int64 *)field)->value : *(const int64_t *)field));
        else if (c->type == CERD_TYPE_INT32)
            snprintf(value, sizeof value, "%ld", (long)(c->flags & CERD_COL_OPTIONAL
                     ? ((const cerd_opt_int32 *)field)->value : *(const int32_t *)field));
        else if (c->type == CERD_TYPE_TEXT)
            snprintf(value, sizeof value, "'%.48s'", *(char *const *)field);
        else if (c->type == CERD_TYPE_TIMESTAMPTZ && !(c->flags & CERD_COL_OPTIONAL)) {
            char ts[CERD_TIMESTAMP_BUFSIZE];
            cerd_timestamp_format(*(const cerd_timestamp *)field, ts);
            snprintf(value, sizeof value, "%s", ts);
        } else
            snprintf(value, sizeof value, "(value)");
        used += (size_t)snprintf(buf + used, size - used, "%s%s = %s", i ? ", " : "", c->name,
                                 value);
    }
}

static int decode_row(const cerd_table *t, const PGresult *res, int r, void *out)
{
    if (PQnfields(res) != t->ncolumns)
        return cerd__error(CERD_ERROR, "%s: result has %d columns, the descriptor %d",
                           t->name, PQnfields(res), t->ncolumns);
    for (int i = 0; i < t->ncolumns; i++) {
        int len = PQgetisnull(res, r, i) ? -1 : PQgetlength(res, r, i);
        int rc = cerd__decode_field(t, &t->columns[i], PQgetvalue(res, r, i), len, out);
        if (rc) {
            cerd_row_clear(t, out);
            return rc;
        }
    }
    return 0;
}

/* Decodes the single row of res into out (when out is given), or reports not found. */
static int finish_one(const cerd_table *t, PGresult *res, void *out, const char *what,
                      const cerd_key *k, const void *key_row)
{
    int rc = 0;
    if (PQntuples(res) == 0) {
        char key[256];
        describe_key(t, k, key_row, key, sizeof key);
        rc = cerd__error(CERD_ENOTFOUND, "%s: no row with %s", what, key);
    } else if (out) {
        cerd_row_clear(t, out);
        rc = decode_row(t, res, 0, out);
    }
    PQclear(res);
    return rc;
}

static int check_args(const cerd_table *t, const void *in, const void *out, const char *op)
{
    if (!t || !in)
        return cerd__error(CERD_EMISUSE, "%s: table or row is NULL", op);
    if (t->abi != CERD_TABLE_ABI)
        return cerd__error(CERD_EMISUSE, "%s: descriptor of %s was generated for ABI %u",
                           op, t->name, (unsigned)t->abi);
    if (in == out)
        return cerd__error(CERD_EMISUSE, "%s: in and out must be different rows (out is "
                           "released before the stored row is written to it)", op);
    return 0;
}

/* Columns an insert sends: every column whose field is not null/absent. */
static int sql_insert(sql *q, params *p, const cerd_table *t, const void *in)
{
    int first = 1, rc;
    sql_add(q, "INSERT INTO ");
    sql_ident(q, t->name);
    for (int i = 0; i < t->ncolumns; i++) {
        if (cerd__field_is_null(&t->columns[i], in))
            continue;
        sql_add(q, first ? " (" : ", ");
        sql_ident(q, t->columns[i].name);
        first = 0;
    }
    if (first) {
        sql_add(q, " DEFAULT VALUES");
        return 0;
    }
    sql_add(q, ") VALUES (");
    for (int i = 0; i < t->ncolumns; i++) {
        if (cerd__field_is_null(&t->columns[i], in))
            continue;
        if ((rc = param_field(p, t, &t->columns[i], in)) < 0)
            return rc;
        if (rc > 1)
            sql_add(q, ", ");
        sql_param(q, rc);
    }
    sql_add(q, ")");
    return 0;
}

static void sql_returning(sql *q, const cerd_table *t)
{
    sql_add(q, " RETURNING ");
    sql_all_columns(q, t);
}

/* ------------------------------------------------------------------ operations */

int cerd_row_insert(cerd_conn *conn, const cerd_table *t, const void *in, void *out)
{
    sql q;
    params p;
    PGresult *res;
    char what[96];
    int rc;

    sql_init(&q);
    params_init(&p);

    if ((rc = check_args(t, in, out, "insert")))
        return rc;
    snprintf(what, sizeof what, "%s: insert", t->name);
    if (!(rc = sql_insert(&q, &p, t, in))) {
        sql_returning(&q, t);
        rc = run(conn, &q, &p, what, &res);
    }
    cerd__buf_free(&p.data);
    if (rc)
        return rc;
    return finish_one(t, res, out, what, &t->primary_key, in);
}

int cerd_row_get(cerd_conn *conn, const cerd_table *t, int key, const void *key_row, void *out)
{
    sql q;
    params p;
    const cerd_key *k;
    PGresult *res;
    char what[96];
    int rc;

    sql_init(&q);
    params_init(&p);

    if ((rc = check_args(t, key_row, out, "get")))
        return rc;
    if (!out || !(k = key_of(t, key)))
        return cerd__error(CERD_EMISUSE, "%s: get: no out row or no key %d", t->name, key);
    snprintf(what, sizeof what, "%s: get", t->name);
    sql_add(&q, "SELECT ");
    sql_all_columns(&q, t);
    sql_add(&q, " FROM ");
    sql_ident(&q, t->name);
    sql_add(&q, " WHERE ");
    if (!(rc = sql_key_match(&q, &p, t, k, key_row)))
        rc = run(conn, &q, &p, what, &res);
    cerd__buf_free(&p.data);
    if (rc)
        return rc;
    return finish_one(t, res, out, what, k, key_row);
}

/* Whether an update sets column i: chosen columns when a set is given; otherwise every
   column outside the primary key, except NOT NULL columns with a default the row leaves
   absent (created_at of a hand-built row stays as stored). */
static int update_sets(const cerd_table *t, int i, const void *in, const cerd_colset *columns)
{
    const cerd_column *c = &t->columns[i];
    if (c->flags & (CERD_COL_PRIMARY_KEY | CERD_COL_IDENTITY))
        return 0;
    if (columns)
        return cerd_colset_has(columns, (unsigned)i);
    return !((c->flags & CERD_COL_NOT_NULL) && (c->flags & CERD_COL_HAS_DEFAULT)
             && cerd__field_is_null(c, in));
}

int cerd_row_update(cerd_conn *conn, const cerd_table *t, const void *in,
                    const cerd_colset *columns, void *out)
{
    sql q;
    params p;
    PGresult *res;
    char what[96];
    int rc = 0, set = 0;

    sql_init(&q);
    params_init(&p);

    if ((rc = check_args(t, in, out, "update")))
        return rc;
    snprintf(what, sizeof what, "%s: update", t->name);
    sql_add(&q, "UPDATE ");
    sql_ident(&q, t->name);
    sql_add(&q, " SET ");
    for (int i = 0; i < t->ncolumns && rc >= 0; i++) {
        if (!update_sets(t, i, in, columns))
            continue;
        if ((rc = param_field(&p, t, &t->columns[i], in)) < 0)
            break;
        if (set++)
            sql_add(&q, ", ");
        sql_ident(&q, t->columns[i].name);
        sql_add(&q, " = ");
        sql_param(&q, rc);
    }
    if (rc >= 0 && !set)
        rc = cerd__error(CERD_EMISUSE, "%s: no column to set", what);
    if (rc >= 0) {
        sql_add(&q, " WHERE ");
        rc = sql_key_match(&q, &p, t, &t->primary_key, in);
    }
    if (rc >= 0) {
        sql_returning(&q, t);
        rc = run(conn, &q, &p, what, &res);
    }
    cerd__buf_free(&p.data);
    if (rc)
        return rc;
    return finish_one(t, res, out, what, &t->primary_key, in);
}

int cerd_row_upsert(cerd_conn *conn, const cerd_table *t, int key, const void *in, void *out)
{
    sql q;
    params p;
    const cerd_key *k;
    PGresult *res;
    char what[96];
    int rc, set = 0;

    sql_init(&q);
    params_init(&p);

    if ((rc = check_args(t, in, out, "upsert")))
        return rc;
    if (!(k = key_of(t, key)))
        return cerd__error(CERD_EMISUSE, "%s: upsert: no key %d", t->name, key);
    snprintf(what, sizeof what, "%s: upsert on %s", t->name, k->name);
    if (!(rc = sql_insert(&q, &p, t, in))) {
        sql_add(&q, " ON CONFLICT (");
        for (int i = 0; i < k->ncolumns; i++) {
            if (i)
                sql_add(&q, ", ");
            sql_ident(&q, t->columns[k->columns[i]].name);
        }
        sql_add(&q, ")");
        if (k->predicate) {
            sql_add(&q, " WHERE ");
            sql_add(&q, k->predicate);
        }
        sql_add(&q, " DO UPDATE SET ");
        for (int i = 0; i < t->ncolumns; i++) {
            const cerd_column *c = &t->columns[i];
            int in_key = 0;
            for (int j = 0; j < k->ncolumns; j++)
                in_key |= k->columns[j] == i;
            if (in_key || (c->flags & CERD_COL_IDENTITY) || cerd__field_is_null(c, in))
                continue;
            if (set++)
                sql_add(&q, ", ");
            sql_ident(&q, c->name);
            sql_add(&q, " = EXCLUDED.");
            sql_ident(&q, c->name);
        }
        if (!set) { /* nothing to change: touch the key so RETURNING yields the row */
            sql_ident(&q, t->columns[k->columns[0]].name);
            sql_add(&q, " = EXCLUDED.");
            sql_ident(&q, t->columns[k->columns[0]].name);
        }
        sql_returning(&q, t);
        rc = run(conn, &q, &p, what, &res);
    }
    cerd__buf_free(&p.data);
    if (rc)
        return rc;
    return finish_one(t, res, out, what, k, in);
}

int cerd_row_delete(cerd_conn *conn, const cerd_table *t, const void *key_row, int flags)
{
    sql q;
    params p;
    PGresult *res;
    char what[96];
    int rc, soft, affected;

    sql_init(&q);
    params_init(&p);

    if ((rc = check_args(t, key_row, NULL, "delete")))
        return rc;
    soft = t->soft_delete_column >= 0 && !(flags & CERD_DELETE_HARD);
    snprintf(what, sizeof what, "%s: %s", t->name, soft ? "soft delete" : "delete");
    if (soft) {
        const char *col = t->columns[t->soft_delete_column].name;
        sql_add(&q, "UPDATE ");
        sql_ident(&q, t->name);
        sql_add(&q, " SET ");
        sql_ident(&q, col);
        sql_add(&q, " = now() WHERE ");
        sql_ident(&q, col);
        sql_add(&q, " IS NULL AND ");
    } else {
        sql_add(&q, "DELETE FROM ");
        sql_ident(&q, t->name);
        sql_add(&q, " WHERE ");
    }
    if (!(rc = sql_key_match(&q, &p, t, &t->primary_key, key_row)))
        rc = run(conn, &q, &p, what, &res);
    cerd__buf_free(&p.data);
    if (rc)
        return rc;
    affected = atoi(PQcmdTuples(res));
    PQclear(res);
    if (affected == 0) {
        char key[256];
        describe_key(t, &t->primary_key, key_row, key, sizeof key);
        return cerd__error(CERD_ENOTFOUND, "%s: no %srow with %s", what,
                           soft ? "live " : "", key);
    }
    return 0;
}

/* The cursor holds the primary-key values of a page's last row: per column a
   big-endian uint16 length and the value in binary. */
static int cursor_from_row(cerd_cursor *cur, const cerd_table *t, const void *row)
{
    cerd__buf b = {0};
    int rc = 0;
    memset(cur, 0, sizeof *cur);
    for (int i = 0; i < t->primary_key.ncolumns && !rc; i++) {
        const cerd_column *c = &t->columns[t->primary_key.columns[i]];
        size_t start = b.len + 2;
        unsigned char len[2];
        if ((rc = cerd__buf_append(&b, "\0\0", 2)) || (rc = cerd__encode_field(t, c, row, &b)))
            break;
        len[0] = (unsigned char)((b.len - start) >> 8);
        len[1] = (unsigned char)(b.len - start);
        memcpy(b.data + start - 2, len, 2);
    }
    if (!rc && b.len > sizeof cur->data)
        rc = cerd__error(CERD_ERANGE, "%s: primary key too long for a cursor", t->name);
    if (!rc) {
        memcpy(cur->data, b.data, b.len);
        cur->len = (uint16_t)b.len;
        cur->valid = true;
    }
    cerd__buf_free(&b);
    return rc;
}

static int cursor_params(params *p, sql *q, const cerd_table *t, const cerd_cursor *cur,
                         bool descending)
{
    const cerd_key *k = &t->primary_key;
    size_t pos = 0;
    sql_add(q, " AND (");
    for (int i = 0; i < k->ncolumns; i++) {
        if (i)
            sql_add(q, ", ");
        sql_ident(q, t->columns[k->columns[i]].name);
    }
    sql_add(q, descending ? ") < (" : ") > (");
    for (int i = 0; i < k->ncolumns; i++) {
        const cerd_column *c = &t->columns[k->columns[i]];
        int len, n;
        if (pos + 2 > cur->len)
            return cerd__error(CERD_EMISUSE, "%s: list: cursor is not from this table", t->name);
        len = (cur->data[pos] << 8) | cur->data[pos + 1];
        pos += 2;
        if (pos + (size_t)len > cur->len)
            return cerd__error(CERD_EMISUSE, "%s: list: cursor is not from this table", t->name);
        if ((n = param_bytes(p, cerd__type_oid(c->type), cur->data + pos, len)) < 0)
            return n;
        pos += (size_t)len;
        if (i)
            sql_add(q, ", ");
        sql_param(q, n);
    }
    sql_add(q, ")");
    return 0;
}

int cerd_row_list(cerd_conn *conn, const cerd_table *t, int column, const void *value_row,
                  const cerd_page *page, cerd_rows *out)
{
    static const cerd_page first_page = {0};
    sql q;
    params p;
    PGresult *res = NULL;
    char what[128];
    uint32_t limit;
    int rc, n;

    sql_init(&q);
    params_init(&p);

    if ((rc = check_args(t, value_row, out, "list")))
        return rc;
    if (!out || column < 0 || column >= t->ncolumns)
        return cerd__error(CERD_EMISUSE, "%s: list: no out or bad column %d", t->name, column);
    if (!page)
        page = &first_page;
    limit = page->limit ? page->limit : DEFAULT_PAGE;
    snprintf(what, sizeof what, "%s: list by %s", t->name, t->columns[column].name);
    memset(out, 0, sizeof *out);

    sql_add(&q, "SELECT ");
    sql_all_columns(&q, t);
    sql_add(&q, " FROM ");
    sql_ident(&q, t->name);
    sql_add(&q, " WHERE ");
    sql_ident(&q, t->columns[column].name);
    sql_add(&q, " = ");
    if ((n = param_field(&p, t, &t->columns[column], value_row)) < 0)
        rc = n;
    sql_param(&q, n);
    if (!rc && page->after.valid)
        rc = cursor_params(&p, &q, t, &page->after, page->descending);
    sql_add(&q, " ORDER BY ");
    for (int i = 0; i < t->primary_key.ncolumns; i++) {
        if (i)
            sql_add(&q, ", ");
        sql_ident(&q, t->columns[t->primary_key.columns[i]].name);
        sql_add(&q, page->descending ? " DESC" : "");
    }
    sql_add(&q, " LIMIT ");
    if (!rc && (n = param_int64(&p, limit)) < 0)
        rc = n;
    sql_param(&q, n);
    if (!rc)
        rc = run(conn, &q, &p, what, &res);
    cerd__buf_free(&p.data);
    if (rc)
        return rc;

    n = PQntuples(res);
    if (n > 0 && !(out->rows = calloc((size_t)n, t->row_size)))
        rc = cerd__error(CERD_ENOMEM, "%s: out of memory for %d rows", what, n);
    for (int r = 0; r < n && !rc; r++) {
        rc = decode_row(t, res, r, (char *)out->rows + (size_t)r * t->row_size);
        if (!rc)
            out->count++;
    }
    if (!rc && (uint32_t)n == limit)
        rc = cursor_from_row(&out->next, t, (char *)out->rows + (size_t)(n - 1) * t->row_size);
    PQclear(res);
    if (rc)
        cerd_rows_free(t, out);
    return rc;
}

static int64_t be64(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | (unsigned char)p[i];
    return (int64_t)v;
}

int cerd_row_count(cerd_conn *conn, const cerd_table *t, int64_t *out)
{
    sql q;
    params p;
    PGresult *res;
    char what[96];
    int rc;

    sql_init(&q);
    params_init(&p);

    if (!t || !out)
        return cerd__error(CERD_EMISUSE, "count: table or out is NULL");
    snprintf(what, sizeof what, "%s: count", t->name);
    sql_add(&q, "SELECT count(*) FROM ");
    sql_ident(&q, t->name);
    if ((rc = run(conn, &q, &p, what, &res)))
        return rc;
    *out = be64(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

int cerd_row_exists(cerd_conn *conn, const cerd_table *t, const void *key_row, bool *out)
{
    sql q;
    params p;
    PGresult *res;
    char what[96];
    int rc;

    sql_init(&q);
    params_init(&p);

    if ((rc = check_args(t, key_row, out, "exists")))
        return rc;
    if (!out)
        return cerd__error(CERD_EMISUSE, "%s: exists: out is NULL", t->name);
    snprintf(what, sizeof what, "%s: exists", t->name);
    sql_add(&q, "SELECT EXISTS (SELECT 1 FROM ");
    sql_ident(&q, t->name);
    sql_add(&q, " WHERE ");
    if (!(rc = sql_key_match(&q, &p, t, &t->primary_key, key_row))) {
        sql_add(&q, ")");
        rc = run(conn, &q, &p, what, &res);
    }
    cerd__buf_free(&p.data);
    if (rc)
        return rc;
    *out = PQgetvalue(res, 0, 0)[0] != 0;
    PQclear(res);
    return 0;
}
