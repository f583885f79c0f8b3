/* The generic row operations of table.h: SQL built from the descriptor, values bound as
   binary parameters of a prepared statement, one round trip, results decoded in binary.
   No value is ever formatted into SQL text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptoerd/row.h"
#include "wire/codec.h"
#include "wire/field.h"
#include "wire/rows_internal.h"
#include "conn/conn_internal.h"
#include "util/error_internal.h"
#include "ops/validate_internal.h"

#define SQL_MAX 24576
#define MAX_PARAMS (CERD_MAX_COLUMNS + 16)
#define DEFAULT_PAGE 100

/* ------------------------------------------------------------------ SQL text */

/* SQL text under construction. Disabled when the statement is already prepared on the
   connection: the builder then only binds the parameters. */
typedef struct sql {
    char text[SQL_MAX];
    size_t len;
    int overflow;
    int enabled;
} sql;

/* Only the used part of the buffers is ever read: no need to zero them. */
static void sql_init(sql *q, int enabled)
{
    q->len = 0;
    q->overflow = 0;
    q->enabled = enabled;
    q->text[0] = '\0';
}

static void sql_add(sql *q, const char *s)
{
    size_t n;
    if (!q->enabled)
        return;
    n = strlen(s);
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
    if (!q->enabled)
        return;
    snprintf(buf, sizeof buf, "$%d", number);
    sql_add(q, buf);
}

/* "c1", "c2", ... in table order: every result row decodes column i into field i. */
static void sql_all_columns(sql *q, const cerd_table *t)
{
    if (!q->enabled)
        return;
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

/* A key column's field as a parameter: as param_field, except that a server-numbered
   (identity) field is its value, 0 included: in a key it names a row (users.id 0 is the
   system user of 011_scale_out), it is not "let the server assign". */
static int param_key_field(params *p, const cerd_table *t, const cerd_column *c,
                           const void *row)
{
    int rc;
    if (!(c->flags & CERD_COL_IDENTITY))
        return param_field(p, t, c, row);
    if (p->n >= MAX_PARAMS)
        return cerd__error(CERD_EMISUSE, "too many parameters");
    p->types[p->n] = cerd__type_oid(c->type);
    p->offsets[p->n] = p->data.len;
    if ((rc = cerd__encode_field(t, c, row, &p->data)))
        return rc;
    p->lengths[p->n] = (int)(p->data.len - p->offsets[p->n]);
    return ++p->n;
}

static int param_int64(params *p, int64_t v)
{
    unsigned char be[8];
    for (int i = 0; i < 8; i++)
        be[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
    return param_bytes(p, 20 /* int8 */, be, 8);
}

/* ------------------------------------------------------------------ running */

/* What an operation works on; builders read only what their operation needs. */
typedef struct op_args {
    const cerd_table *t;
    int key;                 /* -1: primary key, else a unique key */
    int column;              /* list: the foreign key filtered on (index), or -1 */
    const void *row;         /* input or key row */
    const cerd_colset *cols; /* update: chosen columns, or NULL */
    const cerd_page *page;   /* list */
    int flags;               /* delete; get, count, exists: CERD_ROW_INCLUDE_DELETED */
} op_args;

typedef int (*builder)(sql *q, params *p, const op_args *a);

enum op { OP_INSERT = 1, OP_GET, OP_UPDATE, OP_UPSERT, OP_DELETE, OP_LIST, OP_COUNT, OP_EXISTS };

/* Everything the SQL text of an operation depends on, as a fixed-size key for the
   connection's statement cache. */
typedef struct stmt_key {
    const cerd_table *t;
    int16_t op, arg, flags;
    cerd_colset cols; /* insert, upsert: the columns written; update: the columns set */
    cerd_colset defs; /* of those, the ones written as DEFAULT */
} stmt_key;

/* The cache's key: every field of key one after the other, the rest zero. Never the
   struct's bytes: its padding is not reliably initialised (a struct assignment need
   not copy it), and the cache hashes and compares every byte. */
static void pack_key(unsigned char out[CERD__STMT_KEY_MAX], const stmt_key *key)
{
    unsigned char *p = out;
    memset(out, 0, CERD__STMT_KEY_MAX);
    memcpy(p, &key->t, sizeof key->t);
    p += sizeof key->t;
    memcpy(p, &key->op, sizeof key->op);
    p += sizeof key->op;
    memcpy(p, &key->arg, sizeof key->arg);
    p += sizeof key->arg;
    memcpy(p, &key->flags, sizeof key->flags);
    p += sizeof key->flags;
    memcpy(p, key->cols.bits, sizeof key->cols.bits);
    p += sizeof key->cols.bits;
    memcpy(p, key->defs.bits, sizeof key->defs.bits);
}
/* Every field of stmt_key is packed above: a field added there must be added here. */
_Static_assert(sizeof(const cerd_table *) + 3 * sizeof(int16_t) + 2 * sizeof(cerd_colset)
                   <= CERD__STMT_KEY_MAX, "statement key too large");

/* Builds (when not yet prepared) and runs one statement; the result goes to *res. */
static int run_op(cerd_conn *conn, const stmt_key *key, builder build, const op_args *a,
                  const char *what, PGresult **res)
{
    unsigned char k[CERD__STMT_KEY_MAX];

    if (!conn)
        return cerd__error(CERD_EMISUSE, "%s: connection is NULL", what);
    pack_key(k, key);
    for (int attempt = 0;; attempt++) {
        unsigned id = cerd__stmt_find(conn, k);
        sql q;
        params p;
        int rc;

        sql_init(&q, id == 0);
        params_init(&p);
        rc = build(&q, &p, a);
        if (!rc && q.overflow)
            rc = cerd__error(CERD_EMISUSE, "%s: statement longer than %d bytes", what, SQL_MAX);
        if (!rc && !id)
            rc = cerd__stmt_prepare(conn, k, q.text, p.n, p.types, what, &id);
        if (!rc) {
            for (int i = 0; i < p.n; i++)
                p.values[i] = p.lengths[i] < 0 ? NULL : p.data.data + p.offsets[i];
            rc = cerd__stmt_exec(conn, id, p.n, p.values, p.lengths, what, res);
        }
        cerd__buf_free(&p.data);
        if (rc != CERD__ESTMT_LOST)
            return rc;
        if (attempt) /* lost twice in a row: give up with a real error */
            return cerd__error(CERD_ESERVER, "%s: the session keeps losing its prepared "
                               "statements", what);
    }
}

static stmt_key make_key(const cerd_table *t, int op, int arg, int flags)
{
    stmt_key k;
    memset(&k, 0, sizeof k);
    k.t = t;
    k.op = (int16_t)op;
    k.arg = (int16_t)arg;
    k.flags = (int16_t)flags;
    return k;
}

/* The columns an insert of row writes (every one but the absent ones) into k->cols,
   those written as DEFAULT into k->defs: together they fix the statement's text. */
static void written_columns(const cerd_table *t, const void *row, stmt_key *k)
{
    for (int i = 0; i < t->ncolumns; i++) {
        int st = cerd__write_state(t, i, row);
        if (st != CERD__W_ABSENT)
            cerd_colset_add(&k->cols, (unsigned)i);
        if (st == CERD__W_DEFAULT)
            cerd_colset_add(&k->defs, (unsigned)i);
    }
}

/* Whether soft-deleted rows are hidden from a read of t with these flags. */
static int hides_deleted(const cerd_table *t, int flags)
{
    return t->soft_delete_column >= 0 && !(flags & CERD_ROW_INCLUDE_DELETED);
}

/* ` AND "deleted_at" IS NULL` */
static void sql_live_only(sql *q, const cerd_table *t)
{
    sql_add(q, " AND ");
    sql_ident(q, t->columns[t->soft_delete_column].name);
    sql_add(q, " IS NULL");
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
        int n = param_key_field(p, t, c, row);
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
        rc = cerd__decode_row(t, res, 0, out);
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

/* INSERT of every column but the absent ones (the write rule): a value or NULL as a
   parameter, a column in the row's defaults as DEFAULT. */
static int sql_insert(sql *q, params *p, const cerd_table *t, const void *in)
{
    int first = 1, n;
    sql_add(q, "INSERT INTO ");
    sql_ident(q, t->name);
    for (int i = 0; i < t->ncolumns; i++) {
        if (cerd__write_state(t, i, in) == CERD__W_ABSENT)
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
    first = 1;
    for (int i = 0; i < t->ncolumns; i++) {
        int st = cerd__write_state(t, i, in);
        if (st == CERD__W_ABSENT)
            continue;
        if (!first)
            sql_add(q, ", ");
        first = 0;
        if (st == CERD__W_DEFAULT) {
            sql_add(q, "DEFAULT");
            continue;
        }
        if ((n = param_field(p, t, &t->columns[i], in)) < 0)
            return n;
        sql_param(q, n);
    }
    sql_add(q, ")");
    return 0;
}

static void sql_returning(sql *q, const cerd_table *t)
{
    sql_add(q, " RETURNING ");
    sql_all_columns(q, t);
}

/* ------------------------------------------------------------------ builders */

static int build_insert(sql *q, params *p, const op_args *a)
{
    int rc = sql_insert(q, p, a->t, a->row);
    sql_returning(q, a->t);
    return rc;
}

static int build_get(sql *q, params *p, const op_args *a)
{
    sql_add(q, "SELECT ");
    sql_all_columns(q, a->t);
    sql_add(q, " FROM ");
    sql_ident(q, a->t->name);
    sql_add(q, " WHERE ");
    int rc = sql_key_match(q, p, a->t, key_of(a->t, a->key), a->row);
    if (hides_deleted(a->t, a->flags))
        sql_live_only(q, a->t);
    return rc;
}

/* Whether an update sets column i: a column outside the primary key, among the chosen
   ones when a set is given, that the row does not leave absent (the write rule: a NOT
   NULL column with a default left NULL, such as created_at of a hand-built row, stays
   as stored). */
static int update_sets(const cerd_table *t, int i, const void *in, const cerd_colset *columns)
{
    const cerd_column *c = &t->columns[i];
    if (c->flags & (CERD_COL_PRIMARY_KEY | CERD_COL_IDENTITY))
        return 0;
    if (columns && !cerd_colset_has(columns, (unsigned)i))
        return 0;
    return cerd__write_state(t, i, in) != CERD__W_ABSENT;
}

static int build_update(sql *q, params *p, const op_args *a)
{
    const cerd_table *t = a->t;
    int n, set = 0;

    sql_add(q, "UPDATE ");
    sql_ident(q, t->name);
    sql_add(q, " SET ");
    for (int i = 0; i < t->ncolumns; i++) {
        if (!update_sets(t, i, a->row, a->cols))
            continue;
        if (set++)
            sql_add(q, ", ");
        sql_ident(q, t->columns[i].name);
        if (cerd__write_state(t, i, a->row) == CERD__W_DEFAULT) {
            sql_add(q, " = DEFAULT");
            continue;
        }
        if ((n = param_field(p, t, &t->columns[i], a->row)) < 0)
            return n;
        sql_add(q, " = ");
        sql_param(q, n);
    }
    if (!set)
        return cerd__error(CERD_EMISUSE, "%s: update: no column to set", t->name);
    sql_add(q, " WHERE ");
    if ((n = sql_key_match(q, p, t, &t->primary_key, a->row)) < 0)
        return n;
    sql_returning(q, t);
    return 0;
}

static int build_upsert(sql *q, params *p, const op_args *a)
{
    const cerd_table *t = a->t;
    const cerd_key *k = key_of(t, a->key);
    int rc, set = 0;

    if ((rc = sql_insert(q, p, t, a->row)))
        return rc;
    sql_add(q, " ON CONFLICT (");
    for (int i = 0; i < k->ncolumns; i++) {
        if (i)
            sql_add(q, ", ");
        sql_ident(q, t->columns[k->columns[i]].name);
    }
    sql_add(q, ")");
    if (k->predicate) {
        sql_add(q, " WHERE ");
        sql_add(q, k->predicate);
    }
    sql_add(q, " DO UPDATE SET ");
    for (int i = 0; i < t->ncolumns; i++) {
        const cerd_column *c = &t->columns[i];
        int in_key = 0;
        for (int j = 0; j < k->ncolumns; j++)
            in_key |= k->columns[j] == i;
        /* EXCLUDED holds what the insert would have stored: the value, NULL, or the
           default of a column written as DEFAULT. Absent columns stay as they are. */
        if (in_key || (c->flags & CERD_COL_IDENTITY)
            || cerd__write_state(t, i, a->row) == CERD__W_ABSENT)
            continue;
        if (set++)
            sql_add(q, ", ");
        sql_ident(q, c->name);
        sql_add(q, " = EXCLUDED.");
        sql_ident(q, c->name);
    }
    if (!set) { /* nothing to change: touch the key so RETURNING yields the row */
        sql_ident(q, t->columns[k->columns[0]].name);
        sql_add(q, " = EXCLUDED.");
        sql_ident(q, t->columns[k->columns[0]].name);
    }
    sql_returning(q, t);
    return 0;
}

static int soft_delete(const op_args *a)
{
    return a->t->soft_delete_column >= 0 && !(a->flags & CERD_DELETE_HARD);
}

static int build_delete(sql *q, params *p, const op_args *a)
{
    const cerd_table *t = a->t;
    if (soft_delete(a)) {
        const char *col = t->columns[t->soft_delete_column].name;
        sql_add(q, "UPDATE ");
        sql_ident(q, t->name);
        sql_add(q, " SET ");
        sql_ident(q, col);
        sql_add(q, " = now() WHERE ");
        sql_ident(q, col);
        sql_add(q, " IS NULL AND ");
    } else {
        sql_add(q, "DELETE FROM ");
        sql_ident(q, t->name);
        sql_add(q, " WHERE ");
    }
    return sql_key_match(q, p, t, &t->primary_key, a->row);
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
        if ((rc = cerd__buf_append(&b, "\0\0", 2)) || (rc = cerd__encode_field(t, c, row, &b)))
            break;
        b.data[start - 2] = (char)((b.len - start) >> 8);
        b.data[start - 1] = (char)(b.len - start);
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

/* `("k1", "k2") > ($a, $b)` with the key values held by the cursor. */
static int sql_after_cursor(sql *q, params *p, const cerd_table *t, const cerd_cursor *cur,
                            bool descending)
{
    const cerd_key *k = &t->primary_key;
    size_t pos = 0;
    sql_add(q, "(");
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

static uint32_t page_limit(const cerd_page *page)
{
    return page->limit ? page->limit : DEFAULT_PAGE;
}

static int build_list(sql *q, params *p, const op_args *a)
{
    const cerd_table *t = a->t;
    int n;

    sql_add(q, "SELECT ");
    sql_all_columns(q, t);
    sql_add(q, " FROM ");
    sql_ident(q, t->name);
    sql_add(q, " WHERE TRUE");
    if (a->column >= 0) {
        const cerd_foreign_key *fk = &t->foreign_keys[a->column];
        for (int i = 0; i < fk->ncolumns; i++) {
            const cerd_column *c = &t->columns[fk->columns[i]];
            sql_add(q, " AND ");
            sql_ident(q, c->name);
            sql_add(q, " = ");
            if ((n = param_field(p, t, c, a->row)) < 0)
                return n;
            sql_param(q, n);
        }
    }
    if (t->soft_delete_column >= 0 && !a->page->include_deleted)
        sql_live_only(q, t);
    if (a->page->after.valid) {
        sql_add(q, " AND ");
        if ((n = sql_after_cursor(q, p, t, &a->page->after, a->page->descending)) < 0)
            return n;
    }
    sql_add(q, " ORDER BY ");
    for (int i = 0; i < t->primary_key.ncolumns; i++) {
        if (i)
            sql_add(q, ", ");
        sql_ident(q, t->columns[t->primary_key.columns[i]].name);
        sql_add(q, a->page->descending ? " DESC" : "");
    }
    sql_add(q, " LIMIT ");
    if ((n = param_int64(p, page_limit(a->page))) < 0)
        return n;
    sql_param(q, n);
    return 0;
}

static int build_count(sql *q, params *p, const op_args *a)
{
    (void)p;
    sql_add(q, "SELECT count(*) FROM ");
    sql_ident(q, a->t->name);
    if (hides_deleted(a->t, a->flags)) {
        sql_add(q, " WHERE TRUE");
        sql_live_only(q, a->t);
    }
    return 0;
}

static int build_exists(sql *q, params *p, const op_args *a)
{
    int rc;
    sql_add(q, "SELECT EXISTS (SELECT 1 FROM ");
    sql_ident(q, a->t->name);
    sql_add(q, " WHERE ");
    rc = sql_key_match(q, p, a->t, &a->t->primary_key, a->row);
    if (hides_deleted(a->t, a->flags))
        sql_live_only(q, a->t);
    sql_add(q, ")");
    return rc;
}

/* ------------------------------------------------------------------ operations */

int cerd_row_insert(void *out, cerd_conn *conn, const cerd_table *t, const void *in)
{
    op_args a = {.t = t, .row = in};
    stmt_key k;
    PGresult *res;
    char what[96];
    int rc;

    if ((rc = check_args(t, in, out, "insert")))
        return rc;
    if (conn && !conn->validation_off &&
        (rc = cerd__row_validate(t, in, CERD_VALIDATE_INSERT, NULL, NULL)))
        return rc;
    snprintf(what, sizeof what, "%s: insert", t->name);
    k = make_key(t, OP_INSERT, 0, 0);
    written_columns(t, in, &k);
    if ((rc = run_op(conn, &k, build_insert, &a, what, &res)))
        return rc;
    return finish_one(t, res, out, what, &t->primary_key, in);
}

int cerd_row_get(void *out, cerd_conn *conn, const cerd_table *t, int key, const void *key_row,
                 int flags)
{
    op_args a = {.t = t, .key = key, .row = key_row, .flags = flags};
    stmt_key k;
    PGresult *res;
    char what[96];
    int rc;

    if ((rc = check_args(t, key_row, out, "get")))
        return rc;
    if (!out || !key_of(t, key))
        return cerd__error(CERD_EMISUSE, "%s: get: no out row or no key %d", t->name, key);
    snprintf(what, sizeof what, "%s: get", t->name);
    k = make_key(t, OP_GET, key, hides_deleted(t, flags));
    if ((rc = run_op(conn, &k, build_get, &a, what, &res)))
        return rc;
    return finish_one(t, res, out, what, key_of(t, key), key_row);
}

int cerd_row_update(void *out, cerd_conn *conn, const cerd_table *t,
                    const void *in, const cerd_colset *columns)
{
    op_args a = {.t = t, .row = in, .cols = columns};
    stmt_key k;
    PGresult *res;
    char what[96];
    int rc;

    if ((rc = check_args(t, in, out, "update")))
        return rc;
    snprintf(what, sizeof what, "%s: update", t->name);
    k = make_key(t, OP_UPDATE, 0, 0);
    for (int i = 0; i < t->ncolumns; i++)
        if (update_sets(t, i, in, columns)) {
            cerd_colset_add(&k.cols, (unsigned)i);
            if (cerd__write_state(t, i, in) == CERD__W_DEFAULT)
                cerd_colset_add(&k.defs, (unsigned)i);
        }
    /* Only what the update sets: the other columns keep values the server knows. */
    if (conn && !conn->validation_off &&
        (rc = cerd__row_validate(t, in, CERD_VALIDATE_STORED, &k.cols, NULL)))
        return rc;
    if ((rc = run_op(conn, &k, build_update, &a, what, &res)))
        return rc;
    return finish_one(t, res, out, what, &t->primary_key, in);
}

int cerd_row_upsert(void *out, cerd_conn *conn, const cerd_table *t, int key, const void *in)
{
    op_args a = {.t = t, .key = key, .row = in};
    const cerd_key *ck;
    stmt_key k;
    PGresult *res;
    char what[96];
    int rc;

    if ((rc = check_args(t, in, out, "upsert")))
        return rc;
    if (!(ck = key_of(t, key)))
        return cerd__error(CERD_EMISUSE, "%s: upsert: no key %d", t->name, key);
    /* The row to insert is checked first (PostgreSQL checks it before the conflict). */
    if (conn && !conn->validation_off &&
        (rc = cerd__row_validate(t, in, CERD_VALIDATE_INSERT, NULL, NULL)))
        return rc;
    snprintf(what, sizeof what, "%s: upsert on %s", t->name, ck->name);
    k = make_key(t, OP_UPSERT, key, 0);
    written_columns(t, in, &k);
    if ((rc = run_op(conn, &k, build_upsert, &a, what, &res)))
        return rc;
    return finish_one(t, res, out, what, ck, in);
}

int cerd_row_delete(cerd_conn *conn, const cerd_table *t, const void *key_row, int flags)
{
    op_args a = {.t = t, .row = key_row, .flags = flags};
    stmt_key k;
    PGresult *res;
    char what[96];
    int rc, affected;

    if ((rc = check_args(t, key_row, NULL, "delete")))
        return rc;
    snprintf(what, sizeof what, "%s: %s", t->name, soft_delete(&a) ? "soft delete" : "delete");
    k = make_key(t, OP_DELETE, 0, soft_delete(&a));
    if ((rc = run_op(conn, &k, build_delete, &a, what, &res)))
        return rc;
    affected = atoi(PQcmdTuples(res));
    PQclear(res);
    if (affected == 0) {
        char key[256];
        describe_key(t, &t->primary_key, key_row, key, sizeof key);
        return cerd__error(CERD_ENOTFOUND, "%s: no %srow with %s", what,
                           soft_delete(&a) ? "live " : "", key);
    }
    return 0;
}

int cerd_row_list(cerd_rows *out, cerd_conn *conn, const cerd_table *t, int foreign_key,
                  const void *value_row, const cerd_page *page)
{
    static const cerd_page first_page = {0};
    op_args a = {.t = t, .column = foreign_key, .row = value_row, .page = page};
    stmt_key k;
    PGresult *res;
    char what[160];
    int rc = 0, n;

    if ((rc = check_args(t, foreign_key < 0 ? (const void *)t : value_row, out, "list")))
        return rc;
    if (!out || foreign_key < -1 || foreign_key >= t->nforeign)
        return cerd__error(CERD_EMISUSE, "%s: list: no out or bad foreign key %d", t->name,
                           foreign_key);
    if (!page)
        a.page = page = &first_page;
    if (foreign_key < 0)
        snprintf(what, sizeof what, "%s: list", t->name);
    else
        snprintf(what, sizeof what, "%s: list by %s", t->name,
                 t->foreign_keys[foreign_key].name);
    memset(out, 0, sizeof *out);
    k = make_key(t, OP_LIST, foreign_key,
                 (page->descending ? 1 : 0) | (page->after.valid ? 2 : 0)
                     | (t->soft_delete_column >= 0 && !page->include_deleted ? 4 : 0));
    if ((rc = run_op(conn, &k, build_list, &a, what, &res)))
        return rc;

    n = PQntuples(res);
    if (n > 0 && !(out->rows = cerd__rows_alloc((size_t)n, t->row_size)))
        rc = cerd__error(CERD_ENOMEM, "%s: out of memory for %d rows", what, n);
    for (int r = 0; r < n && !rc; r++) {
        rc = cerd__decode_row(t, res, r, (char *)out->rows + (size_t)r * t->row_size);
        if (!rc)
            out->count++;
    }
    if (!rc && (uint32_t)n == page_limit(page))
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

int cerd_row_count(int64_t *out, cerd_conn *conn, const cerd_table *t, int flags)
{
    op_args a = {.t = t, .flags = flags};
    stmt_key k;
    PGresult *res;
    char what[96];
    int rc;

    if (!t || !out)
        return cerd__error(CERD_EMISUSE, "count: table or out is NULL");
    snprintf(what, sizeof what, "%s: count", t->name);
    k = make_key(t, OP_COUNT, 0, hides_deleted(t, flags));
    if ((rc = run_op(conn, &k, build_count, &a, what, &res)))
        return rc;
    *out = be64(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

int cerd_row_exists(bool *out, cerd_conn *conn, const cerd_table *t, const void *key_row,
                    int flags)
{
    op_args a = {.t = t, .row = key_row, .flags = flags};
    stmt_key k;
    PGresult *res;
    char what[96];
    int rc;

    if ((rc = check_args(t, key_row, out, "exists")))
        return rc;
    if (!out)
        return cerd__error(CERD_EMISUSE, "%s: exists: out is NULL", t->name);
    snprintf(what, sizeof what, "%s: exists", t->name);
    k = make_key(t, OP_EXISTS, 0, hides_deleted(t, flags));
    if ((rc = run_op(conn, &k, build_exists, &a, what, &res)))
        return rc;
    *out = PQgetvalue(res, 0, 0)[0] != 0;
    PQclear(res);
    return 0;
}
