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
#include "ops/crud_internal.h"

#define DEFAULT_PAGE 100

/* ------------------------------------------------------------------ parameters */

/* A key column's field as a parameter: as cerd__params_field, except that a
   server-numbered (identity) field is its value, 0 included: in a key it names a row
   (users.id 0 is the system user of 011_scale_out), it is not "let the server assign". */
static int param_key_field(cerd__params *p, const cerd_table *t, const cerd_column *c,
                           const void *row)
{
    if (!(c->flags & CERD_COL_IDENTITY))
        return cerd__params_field(p, t, c, row);
    return cerd__params_value(p, t, c, row);
}

/* ------------------------------------------------------------------ running */

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

/* Builds (when not yet prepared on conn) and runs op's statement: a shape's first use
   prepares and executes it in one round trip; the result goes to *res. */
static int run_op(cerd_conn *conn, const cerd__op *op, const char *what, PGresult **res)
{
    unsigned char k[CERD__STMT_KEY_MAX];

    if (!conn)
        return cerd__error(CERD_EMISUSE, "%s: connection is NULL", what);
    cerd__op_key(k, op);
    for (int attempt = 0;; attempt++) {
        unsigned id = cerd__stmt_find(conn, k);
        cerd__sql q = {.off = id != 0};
        cerd__params p = {0};
        int rc = cerd__op_build(&q, &p, op);

        if (!rc && !id && !cerd__sql_text(&q))
            rc = CERD_ENOMEM;
        if (!rc) {
            cerd__params_values(&p);
            rc = cerd__stmt_run(conn, k, id, id ? NULL : q.b.data, p.n, p.types, p.values,
                                p.lengths, what, res);
        }
        cerd__sql_free(&q);
        cerd__params_free(&p);
        if (rc && rc != CERD__ESTMT_LOST)
            cerd__error_logical_names(op->t); /* a partition's or shard's names -> the table's */
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
static void sql_live_only(cerd__sql *q, const cerd_table *t)
{
    cerd__sql_add(q, " AND ");
    cerd__sql_ident(q, t->columns[t->soft_delete_column].name);
    cerd__sql_add(q, " IS NULL");
}

/* ------------------------------------------------------------------ keys and rows */

static const cerd_key *key_of(const cerd_table *t, int key)
{
    if (key < 0)
        return &t->primary_key;
    return key < t->nunique ? &t->unique_keys[key] : NULL;
}

/* Appends `"k1" = $a AND "k2" = $b [AND (predicate)]` with the key fields of row. */
static int sql_key_match(cerd__sql *q, cerd__params *p, const cerd_table *t,
                         const cerd_key *k, const void *row)
{
    for (int i = 0; i < k->ncolumns; i++) {
        const cerd_column *c = &t->columns[k->columns[i]];
        int n = param_key_field(p, t, c, row);
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
static int sql_insert(cerd__sql *q, cerd__params *p, const cerd_table *t, const void *in)
{
    int first = 1, n;
    cerd__sql_add(q, "INSERT INTO ");
    cerd__sql_ident(q, t->name);
    for (int i = 0; i < t->ncolumns; i++) {
        if (cerd__write_state(t, i, in) == CERD__W_ABSENT)
            continue;
        cerd__sql_add(q, first ? " (" : ", ");
        cerd__sql_ident(q, t->columns[i].name);
        first = 0;
    }
    if (first) {
        cerd__sql_add(q, " DEFAULT VALUES");
        return 0;
    }
    cerd__sql_add(q, ") VALUES (");
    first = 1;
    for (int i = 0; i < t->ncolumns; i++) {
        int st = cerd__write_state(t, i, in);
        if (st == CERD__W_ABSENT)
            continue;
        if (!first)
            cerd__sql_add(q, ", ");
        first = 0;
        if (st == CERD__W_DEFAULT) {
            cerd__sql_add(q, "DEFAULT");
            continue;
        }
        if ((n = cerd__params_field(p, t, &t->columns[i], in)) < 0)
            return n;
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

/* ------------------------------------------------------------------ builders */

static int build_insert(cerd__sql *q, cerd__params *p, const cerd__op *a)
{
    int rc = sql_insert(q, p, a->t, a->row);
    sql_returning(q, a->t);
    return rc;
}

static int build_get(cerd__sql *q, cerd__params *p, const cerd__op *a)
{
    cerd__sql_add(q, "SELECT ");
    cerd__sql_all_columns(q, a->t);
    cerd__sql_add(q, " FROM ");
    cerd__sql_ident(q, a->t->name);
    cerd__sql_add(q, " WHERE ");
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

static int build_update(cerd__sql *q, cerd__params *p, const cerd__op *a)
{
    const cerd_table *t = a->t;
    int n, set = 0;

    cerd__sql_add(q, "UPDATE ");
    cerd__sql_ident(q, t->name);
    cerd__sql_add(q, " SET ");
    for (int i = 0; i < t->ncolumns; i++) {
        if (!update_sets(t, i, a->row, a->cols))
            continue;
        if (set++)
            cerd__sql_add(q, ", ");
        cerd__sql_ident(q, t->columns[i].name);
        if (cerd__write_state(t, i, a->row) == CERD__W_DEFAULT) {
            cerd__sql_add(q, " = DEFAULT");
            continue;
        }
        if ((n = cerd__params_field(p, t, &t->columns[i], a->row)) < 0)
            return n;
        cerd__sql_add(q, " = ");
        cerd__sql_param(q, n);
    }
    if (!set)
        return cerd__error(CERD_EMISUSE, "%s: update: no column to set", t->name);
    cerd__sql_add(q, " WHERE ");
    if ((n = sql_key_match(q, p, t, &t->primary_key, a->row)) < 0)
        return n;
    sql_returning(q, t);
    return 0;
}

static int build_upsert(cerd__sql *q, cerd__params *p, const cerd__op *a)
{
    const cerd_table *t = a->t;
    const cerd_key *k = key_of(t, a->key);
    int rc, set = 0;

    if ((rc = sql_insert(q, p, t, a->row)))
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
        /* EXCLUDED holds what the insert would have stored: the value, NULL, or the
           default of a column written as DEFAULT. Absent columns stay as they are. */
        if (in_key || (c->flags & CERD_COL_IDENTITY)
            || cerd__write_state(t, i, a->row) == CERD__W_ABSENT)
            continue;
        if (set++)
            cerd__sql_add(q, ", ");
        cerd__sql_ident(q, c->name);
        cerd__sql_add(q, " = EXCLUDED.");
        cerd__sql_ident(q, c->name);
    }
    if (!set) { /* nothing to change: touch the key so RETURNING yields the row */
        cerd__sql_ident(q, t->columns[k->columns[0]].name);
        cerd__sql_add(q, " = EXCLUDED.");
        cerd__sql_ident(q, t->columns[k->columns[0]].name);
    }
    sql_returning(q, t);
    return 0;
}

static int soft_delete(const cerd__op *a)
{
    return a->t->soft_delete_column >= 0 && !(a->flags & CERD_DELETE_HARD);
}

static int build_delete(cerd__sql *q, cerd__params *p, const cerd__op *a)
{
    const cerd_table *t = a->t;
    if (soft_delete(a)) {
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
static int sql_after_cursor(cerd__sql *q, cerd__params *p, const cerd_table *t,
                            const cerd_cursor *cur, bool descending)
{
    const cerd_key *k = &t->primary_key;
    size_t pos = 0;
    cerd__sql_add(q, "(");
    for (int i = 0; i < k->ncolumns; i++) {
        if (i)
            cerd__sql_add(q, ", ");
        cerd__sql_ident(q, t->columns[k->columns[i]].name);
    }
    cerd__sql_add(q, descending ? ") < (" : ") > (");
    for (int i = 0; i < k->ncolumns; i++) {
        const cerd_column *c = &t->columns[k->columns[i]];
        int len, n;
        if (pos + 2 > cur->len)
            return cerd__error(CERD_EMISUSE, "%s: list: cursor is not from this table", t->name);
        len = (cur->data[pos] << 8) | cur->data[pos + 1];
        pos += 2;
        if (pos + (size_t)len > cur->len)
            return cerd__error(CERD_EMISUSE, "%s: list: cursor is not from this table", t->name);
        if ((n = cerd__params_bytes(p, cerd__type_oid(c->type), cur->data + pos, len)) < 0)
            return n;
        pos += (size_t)len;
        if (i)
            cerd__sql_add(q, ", ");
        cerd__sql_param(q, n);
    }
    cerd__sql_add(q, ")");
    return 0;
}

static uint32_t page_limit(const cerd_page *page)
{
    return page->limit ? page->limit : DEFAULT_PAGE;
}

static int build_list(cerd__sql *q, cerd__params *p, const cerd__op *a)
{
    const cerd_table *t = a->t;
    int n;

    cerd__sql_add(q, "SELECT ");
    cerd__sql_all_columns(q, t);
    cerd__sql_add(q, " FROM ");
    cerd__sql_ident(q, t->name);
    cerd__sql_add(q, " WHERE TRUE");
    if (a->column >= 0) {
        const cerd_foreign_key *fk = &t->foreign_keys[a->column];
        for (int i = 0; i < fk->ncolumns; i++) {
            const cerd_column *c = &t->columns[fk->columns[i]];
            cerd__sql_add(q, " AND ");
            cerd__sql_ident(q, c->name);
            cerd__sql_add(q, " = ");
            if ((n = cerd__params_field(p, t, c, a->row)) < 0)
                return n;
            cerd__sql_param(q, n);
        }
    }
    if (t->soft_delete_column >= 0 && !a->page->include_deleted)
        sql_live_only(q, t);
    if (a->page->after.valid) {
        cerd__sql_add(q, " AND ");
        if ((n = sql_after_cursor(q, p, t, &a->page->after, a->page->descending)) < 0)
            return n;
    }
    cerd__sql_add(q, " ORDER BY ");
    for (int i = 0; i < t->primary_key.ncolumns; i++) {
        if (i)
            cerd__sql_add(q, ", ");
        cerd__sql_ident(q, t->columns[t->primary_key.columns[i]].name);
        cerd__sql_add(q, a->page->descending ? " DESC" : "");
    }
    cerd__sql_add(q, " LIMIT ");
    if ((n = cerd__params_int64(p, page_limit(a->page))) < 0)
        return n;
    cerd__sql_param(q, n);
    return 0;
}

static int build_count(cerd__sql *q, cerd__params *p, const cerd__op *a)
{
    (void)p;
    cerd__sql_add(q, "SELECT count(*) FROM ");
    cerd__sql_ident(q, a->t->name);
    if (hides_deleted(a->t, a->flags)) {
        cerd__sql_add(q, " WHERE TRUE");
        sql_live_only(q, a->t);
    }
    return 0;
}

static int build_exists(cerd__sql *q, cerd__params *p, const cerd__op *a)
{
    int rc;
    cerd__sql_add(q, "SELECT EXISTS (SELECT 1 FROM ");
    cerd__sql_ident(q, a->t->name);
    cerd__sql_add(q, " WHERE ");
    rc = sql_key_match(q, p, a->t, &a->t->primary_key, a->row);
    if (hides_deleted(a->t, a->flags))
        sql_live_only(q, a->t);
    cerd__sql_add(q, ")");
    return rc;
}

/* ------------------------------------------------------------------ one operation */

const char *cerd__op_name(const cerd__op *op)
{
    switch (op->kind) {
    case CERD__OP_INSERT: return "insert";
    case CERD__OP_GET: return "get";
    case CERD__OP_UPDATE: return "update";
    case CERD__OP_UPSERT: return "upsert";
    case CERD__OP_DELETE: return soft_delete(op) ? "soft delete" : "delete";
    case CERD__OP_LIST: return "list";
    case CERD__OP_COUNT: return "count";
    case CERD__OP_EXISTS: return "exists";
    }
    return "?";
}

/* The columns an update of op sets (k->cols) and, of those, the ones it writes as
   DEFAULT (k->defs). */
static void update_columns(const cerd__op *op, stmt_key *k)
{
    const cerd_table *t = op->t;
    for (int i = 0; i < t->ncolumns; i++)
        if (update_sets(t, i, op->row, op->cols)) {
            cerd_colset_add(&k->cols, (unsigned)i);
            if (cerd__write_state(t, i, op->row) == CERD__W_DEFAULT)
                cerd_colset_add(&k->defs, (unsigned)i);
        }
}

void cerd__op_key(unsigned char out[CERD__STMT_KEY_MAX], const cerd__op *op)
{
    const cerd_table *t = op->t;
    stmt_key k;
    switch (op->kind) {
    case CERD__OP_INSERT:
        k = make_key(t, op->kind, 0, 0);
        written_columns(t, op->row, &k);
        break;
    case CERD__OP_UPSERT:
        k = make_key(t, op->kind, op->key, 0);
        written_columns(t, op->row, &k);
        break;
    case CERD__OP_UPDATE:
        k = make_key(t, op->kind, 0, 0);
        update_columns(op, &k);
        break;
    case CERD__OP_GET:
        k = make_key(t, op->kind, op->key, hides_deleted(t, op->flags));
        break;
    case CERD__OP_DELETE:
        k = make_key(t, op->kind, 0, soft_delete(op));
        break;
    case CERD__OP_LIST:
        k = make_key(t, op->kind, op->column,
                     (op->page->descending ? 1 : 0) | (op->page->after.valid ? 2 : 0)
                         | (t->soft_delete_column >= 0 && !op->page->include_deleted ? 4 : 0));
        break;
    default: /* count, exists */
        k = make_key(t, op->kind, 0, hides_deleted(t, op->flags));
        break;
    }
    pack_key(out, &k);
}

int cerd__op_validate(const cerd__op *op)
{
    stmt_key k;
    switch (op->kind) {
    case CERD__OP_INSERT:
    case CERD__OP_UPSERT:
        /* An upsert checks the row to insert (PostgreSQL checks it before the conflict). */
        return cerd__row_validate(op->t, op->row, CERD_VALIDATE_INSERT, NULL, NULL);
    case CERD__OP_UPDATE:
        /* Only what the update sets: the other columns keep values the server knows. */
        memset(&k, 0, sizeof k);
        update_columns(op, &k);
        return cerd__row_validate(op->t, op->row, CERD_VALIDATE_STORED, &k.cols, NULL);
    default:
        return 0;
    }
}

int cerd__op_build(cerd__sql *q, cerd__params *p, const cerd__op *op)
{
    switch (op->kind) {
    case CERD__OP_INSERT: return build_insert(q, p, op);
    case CERD__OP_GET: return build_get(q, p, op);
    case CERD__OP_UPDATE: return build_update(q, p, op);
    case CERD__OP_UPSERT: return build_upsert(q, p, op);
    case CERD__OP_DELETE: return build_delete(q, p, op);
    case CERD__OP_LIST: return build_list(q, p, op);
    case CERD__OP_COUNT: return build_count(q, p, op);
    case CERD__OP_EXISTS: return build_exists(q, p, op);
    }
    return cerd__error(CERD_EMISUSE, "%s: unknown operation %d", op->t->name, (int)op->kind);
}

/* ------------------------------------------------------------------ operations */

int cerd_row_insert(void *out, cerd_conn *conn, const cerd_table *t, const void *in)
{
    cerd__op op = {.kind = CERD__OP_INSERT, .t = t, .row = in};
    PGresult *res;
    char what[96];
    int rc;

    if ((rc = check_args(t, in, out, "insert")))
        return rc;
    if (conn && !conn->validation_off && (rc = cerd__op_validate(&op)))
        return rc;
    snprintf(what, sizeof what, "%s: insert", t->name);
    if ((rc = run_op(conn, &op, what, &res)))
        return rc;
    return finish_one(t, res, out, what, &t->primary_key, in);
}

int cerd_row_get(void *out, cerd_conn *conn, const cerd_table *t, int key, const void *key_row,
                 int flags)
{
    cerd__op op = {.kind = CERD__OP_GET, .t = t, .key = key, .row = key_row, .flags = flags};
    PGresult *res;
    char what[96];
    int rc;

    if ((rc = check_args(t, key_row, out, "get")))
        return rc;
    if (!out || !key_of(t, key))
        return cerd__error(CERD_EMISUSE, "%s: get: no out row or no key %d", t->name, key);
    snprintf(what, sizeof what, "%s: get", t->name);
    if ((rc = run_op(conn, &op, what, &res)))
        return rc;
    return finish_one(t, res, out, what, key_of(t, key), key_row);
}

int cerd_row_update(void *out, cerd_conn *conn, const cerd_table *t,
                    const void *in, const cerd_colset *columns)
{
    cerd__op op = {.kind = CERD__OP_UPDATE, .t = t, .row = in, .cols = columns};
    PGresult *res;
    char what[96];
    int rc;

    if ((rc = check_args(t, in, out, "update")))
        return rc;
    snprintf(what, sizeof what, "%s: update", t->name);
    if (conn && !conn->validation_off && (rc = cerd__op_validate(&op)))
        return rc;
    if ((rc = run_op(conn, &op, what, &res)))
        return rc;
    return finish_one(t, res, out, what, &t->primary_key, in);
}

int cerd_row_upsert(void *out, cerd_conn *conn, const cerd_table *t, int key, const void *in)
{
    cerd__op op = {.kind = CERD__OP_UPSERT, .t = t, .key = key, .row = in};
    const cerd_key *ck;
    PGresult *res;
    char what[96];
    int rc;

    if ((rc = check_args(t, in, out, "upsert")))
        return rc;
    if (!(ck = key_of(t, key)))
        return cerd__error(CERD_EMISUSE, "%s: upsert: no key %d", t->name, key);
    if (conn && !conn->validation_off && (rc = cerd__op_validate(&op)))
        return rc;
    snprintf(what, sizeof what, "%s: upsert on %s", t->name, ck->name);
    if ((rc = run_op(conn, &op, what, &res)))
        return rc;
    return finish_one(t, res, out, what, ck, in);
}

int cerd_row_delete(cerd_conn *conn, const cerd_table *t, const void *key_row, int flags)
{
    cerd__op op = {.kind = CERD__OP_DELETE, .t = t, .row = key_row, .flags = flags};
    PGresult *res;
    char what[96];
    int rc, affected;

    if ((rc = check_args(t, key_row, NULL, "delete")))
        return rc;
    snprintf(what, sizeof what, "%s: %s", t->name, cerd__op_name(&op));
    if ((rc = run_op(conn, &op, what, &res)))
        return rc;
    affected = atoi(PQcmdTuples(res));
    PQclear(res);
    if (affected == 0) {
        char key[256];
        describe_key(t, &t->primary_key, key_row, key, sizeof key);
        return cerd__error(CERD_ENOTFOUND, "%s: no %srow with %s", what,
                           soft_delete(&op) ? "live " : "", key);
    }
    return 0;
}

int cerd_row_list(cerd_rows *out, cerd_conn *conn, const cerd_table *t, int foreign_key,
                  const void *value_row, const cerd_page *page)
{
    static const cerd_page first_page = {0};
    cerd__op op = {.kind = CERD__OP_LIST, .t = t, .column = foreign_key, .row = value_row,
                   .page = page};
    PGresult *res;
    char what[160];
    int rc = 0, n;

    if ((rc = check_args(t, foreign_key < 0 ? (const void *)t : value_row, out, "list")))
        return rc;
    if (!out || foreign_key < -1 || foreign_key >= t->nforeign)
        return cerd__error(CERD_EMISUSE, "%s: list: no out or bad foreign key %d", t->name,
                           foreign_key);
    if (!page)
        op.page = page = &first_page;
    if (foreign_key < 0)
        snprintf(what, sizeof what, "%s: list", t->name);
    else
        snprintf(what, sizeof what, "%s: list by %s", t->name,
                 t->foreign_keys[foreign_key].name);
    memset(out, 0, sizeof *out);
    if ((rc = run_op(conn, &op, what, &res)))
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
    cerd__op op = {.kind = CERD__OP_COUNT, .t = t, .flags = flags};
    PGresult *res;
    char what[96];
    int rc;

    if (!t || !out)
        return cerd__error(CERD_EMISUSE, "count: table or out is NULL");
    snprintf(what, sizeof what, "%s: count", t->name);
    if ((rc = run_op(conn, &op, what, &res)))
        return rc;
    *out = be64(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

int cerd_row_exists(bool *out, cerd_conn *conn, const cerd_table *t, const void *key_row,
                    int flags)
{
    cerd__op op = {.kind = CERD__OP_EXISTS, .t = t, .row = key_row, .flags = flags};
    PGresult *res;
    char what[96];
    int rc;

    if ((rc = check_args(t, key_row, out, "exists")))
        return rc;
    if (!out)
        return cerd__error(CERD_EMISUSE, "%s: exists: out is NULL", t->name);
    snprintf(what, sizeof what, "%s: exists", t->name);
    if ((rc = run_op(conn, &op, what, &res)))
        return rc;
    *out = PQgetvalue(res, 0, 0)[0] != 0;
    PQclear(res);
    return 0;
}
