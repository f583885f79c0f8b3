/* Loading a fixture set: keys drawn from the identity sequences, rows made by the
   factories and overridden by the set's columns, validated, written in foreign-key order
   (INSERTs, or binary COPY for large and partitioned tables), cycles closed by updates,
   all in one transaction. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "cryptoerd/bulk.h"
#include "cryptoerd/factory.h"
#include "cryptoerd/fixtures.h"
#include "cryptoerd/json.h"
#include "cryptoerd/row.h"
#include "cryptoerd/validate.h"
#include "conn/conn_internal.h"
#include "features/factory_internal.h"
#include "features/fixture_internal.h"
#include "util/error_internal.h"
#include "wire/field.h"

typedef struct auto_parent {
    const char *table;
    void *row;       /* the stored row (owned) */
} auto_parent;

typedef struct load_ctx {
    cerd_conn *conn;
    cerd_fixture_set *set;
    cerd_fixture_load_options opts;
    cerd_fixture_result res;
    size_t *order;   /* set table indexes, parents first */
    size_t *pos;     /* set table index -> position in order */
    int64_t **ids;   /* per set table: the key of each row */
    char **built;    /* per set table: its rows as built (row structs, nrows of them) */
    bool **is_built; /* per set table, per row: built yet */
    auto_parent *parents;
    size_t nparents;
    int64_t done, total;
} load_ctx;

static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static bool json_int64(const cJSON *v, int64_t *out)
{
    if (cJSON_IsRaw(v) || cJSON_IsString(v)) {
        char *end;
        long long x = strtoll(v->valuestring, &end, 10);
        if (*end)
            return false;
        *out = x;
        return true;
    }
    if (cJSON_IsNumber(v)) {
        *out = (int64_t)v->valuedouble;
        return true;
    }
    return false;
}

static cJSON *int64_node(int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return cJSON_CreateRaw(buf);
}

static void set_int_field(const cerd_table *t, int c, void *row, int64_t v)
{
    const cerd_column *col = &t->columns[c];
    char *f = (char *)row + col->offset;

    if (col->type == CERD_TYPE_INT32) {
        if (col->flags & CERD_COL_OPTIONAL)
            *(cerd_opt_int32 *)(void *)f = (cerd_opt_int32){(int32_t)v, true};
        else
            *(int32_t *)(void *)f = (int32_t)v;
    } else {
        if (col->flags & CERD_COL_OPTIONAL)
            *(cerd_opt_int64 *)(void *)f = (cerd_opt_int64){v, true};
        else
            *(int64_t *)(void *)f = v;
    }
}

static int64_t get_identity(const cerd_table *t, const void *row)
{
    int c = cerd__fx_identity_column(t);
    const char *f;

    if (c < 0)
        return 0;
    f = (const char *)row + t->columns[c].offset;
    return t->columns[c].type == CERD_TYPE_INT32 ? *(const int32_t *)(const void *)f
                                                 : *(const int64_t *)(const void *)f;
}

/* ------------------------------------------------------------------ transactions */

int cerd__fx_atomically(cerd_conn *conn, int (*fn)(cerd_conn *, void *), void *arg)
{
    PGTransactionStatusType st = PQtransactionStatus(conn->pg);
    int rc;

    if (st == PQTRANS_INERROR)
        return cerd__error(CERD_EMISUSE, "fixtures: the caller's transaction is aborted");
    if (st == PQTRANS_IDLE) {
        if ((rc = cerd_conn_begin(conn)))
            return rc;
        rc = fn(conn, arg);
        if (rc) {
            cerd_conn_rollback(conn);
            return rc;
        }
        return cerd_conn_commit(conn);
    }
    if ((rc = cerd_conn_savepoint(conn, "cerd_fixture")))
        return rc;
    rc = fn(conn, arg);
    if (rc) {
        cerd_conn_rollback_to(conn, "cerd_fixture");
        cerd_conn_release(conn, "cerd_fixture");
        return rc;
    }
    return cerd_conn_release(conn, "cerd_fixture");
}

/* ------------------------------------------------------------------ keys */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int draw_keys(load_ctx *cx, size_t ti)
{
    cerd__fx_table *ft = &cx->set->tables[ti];
    int c = cerd__fx_identity_column(ft->t);
    char nbuf[32];
    const char *params[3];
    cJSON *res = NULL, *e;
    size_t k = 0;
    int rc;

    cx->ids[ti] = calloc(ft->nrows ? ft->nrows : 1, sizeof **cx->ids);
    if (!cx->ids[ti])
        return cerd__error(CERD_ENOMEM, "fixtures: out of memory");
    if (c < 0 || ft->nrows == 0)
        return 0;
    snprintf(nbuf, sizeof nbuf, "%zu", ft->nrows);
    params[0] = ft->t->name;
    params[1] = ft->t->columns[c].name;
    params[2] = nbuf;
    rc = cerd_conn_query_json(&res, cx->conn,
                              "SELECT nextval(pg_get_serial_sequence($1, $2)) AS v "
                              "FROM generate_series(1, $3::bigint)", 3, params);
    if (rc)
        return cerd__error_prefix("fixtures: drawing %zu keys of %s", ft->nrows, ft->t->name);
    cJSON_ArrayForEach(e, res) {
        if (k < ft->nrows && json_int64(cJSON_GetObjectItemCaseSensitive(e, "v"),
                                        &cx->ids[ti][k]))
            k++;
    }
    cJSON_Delete(res);
    if (k != ft->nrows)
        return cerd__error(CERD_ERROR, "fixtures: could not draw the keys of %s", ft->t->name);
    qsort(cx->ids[ti], ft->nrows, sizeof **cx->ids, cmp_i64);
    return 0;
}

/* ------------------------------------------------------------------ parents */

/* The parent row made for table (made and inserted on first use, then shared). */
static int auto_parent_row(load_ctx *cx, const char *table, const void **prow)
{
    const cerd_table *pt;
    cerd_factory_options fo = CERD_FACTORY_OPTIONS_INIT;
    void *row, *stored;
    auto_parent *g;
    bool found = false;
    int rc;

    for (size_t i = 0; i < cx->nparents; i++)
        if (!strcmp(cx->parents[i].table, table)) {
            *prow = cx->parents[i].row;
            return 0;
        }
    pt = cerd_table_find(table);
    if (!pt)
        return cerd__error(CERD_EMISUSE, "fixtures: unknown parent table %s", table);
    g = realloc(cx->parents, (cx->nparents + 1) * sizeof *g);
    if (!g)
        return cerd__error(CERD_ENOMEM, "fixtures: out of memory");
    cx->parents = g;
    row = calloc(1, pt->row_size);
    stored = calloc(1, pt->row_size);
    if (!row || !stored) {
        free(row);
        free(stored);
        return cerd__error(CERD_ENOMEM, "fixtures: out of memory");
    }
    fo.seed = mix(cx->opts.seed ^ hash_str(table) ^ 0x5041524eULL);
    fo.create_parents = cx->conn;
    rc = cerd_factory_make(row, pt, &fo);
    /* The same table and seed make the same parent: one that an earlier load inserted is
       found by its unique keys and shared, as the factory does with its own parents. */
    for (uint16_t k = 0; !rc && k < pt->nunique && !found; k++) {
        int g2;
        if (pt->unique_keys[k].predicate)
            continue;
        g2 = cerd_row_get(stored, cx->conn, pt, k, row, CERD_ROW_INCLUDE_DELETED);
        if (g2 == 0)
            found = true;
        else if (g2 != CERD_ENOTFOUND)
            rc = g2;
    }
    if (!rc && !found)
        rc = cerd_row_insert(stored, cx->conn, pt, row);
    cerd_row_clear(pt, row);
    free(row);
    if (rc) {
        cerd_row_clear(pt, stored);
        free(stored);
        return cerd__error_prefix("fixtures: making a parent row of %s", table);
    }
    g[cx->nparents].table = pt->name;
    g[cx->nparents].row = stored;
    cx->nparents++;
    if (!found)
        cx->res.parents_created++;
    *prow = stored;
    return 0;
}

/* ------------------------------------------------------------------ rows */

/* Whether link l of a row of set table ti is written later (a cycle). */
static bool link_deferred(const load_ctx *cx, size_t ti, const cerd__fx_link *l,
                          const bool *self_deferred_mark)
{
    if (l->table != ti)
        return cx->pos[l->table] > cx->pos[ti];
    return self_deferred_mark != NULL && *self_deferred_mark;
}

/* Makes row r of set table ti into `row` (zeroed); sets *has_deferred. */
static int build_row(load_ctx *cx, size_t ti, size_t ri, void *row, const bool *defer_self,
                     bool *has_deferred)
{
    cerd__fx_table *ft = &cx->set->tables[ti];
    cerd__fx_row *r = &ft->rows[ri];
    const cerd_table *t = ft->t;
    cerd_factory_parent parents[64];
    void *stubs[64];
    size_t np = 0, nstubs = 0;
    int64_t *dval = NULL;
    bool *dhas = NULL;
    cerd_factory_options fo = CERD_FACTORY_OPTIONS_INIT;
    void *frow = NULL;
    cJSON *fj = NULL, *merged = NULL;
    cerd_colset nulled = {{0}}, restore = {{0}};
    int idcol = cerd__fx_identity_column(t);
    int rc = 0;

    *has_deferred = false;
    dval = calloc(t->ncolumns, sizeof *dval);
    dhas = calloc(t->ncolumns, sizeof *dhas);
    if (!dval || !dhas) {
        rc = cerd__error(CERD_ENOMEM, "fixtures: out of memory");
        goto out;
    }
    /* Parents of the factory, one per foreign key: the referenced row as built (every
       column of a foreign key of several columns comes from it: a child's user_id is its
       parent's), a row standing for given numbers, or a parent made when asked. */
    for (uint16_t f = 0; f < t->nforeign && np < 64; f++) {
        const cerd_foreign_key *fk = &t->foreign_keys[f];
        int kp = cerd__fx_fk_key_position(fk);
        const cerd_table *pt = cerd_table_find(fk->ref_table);
        const void *prow = NULL;
        bool real = false, notnull = true;
        const cJSON *v;
        int64_t id;
        int c;
        if (kp < 0 || !pt)
            continue;
        for (int k = 0; k < fk->ncolumns; k++)
            if (!(t->columns[fk->columns[k]].flags & CERD_COL_NOT_NULL))
                notnull = false;
        c = fk->columns[kp];
        v = cJSON_GetObjectItemCaseSensitive(r->obj, t->columns[c].name);
        if (v && cerd__fx_is_ref(v)) {
            for (uint16_t k = 0; k < r->nlinks && !prow; k++) {
                const cerd__fx_link *l = &r->links[k];
                if (l->column != c)
                    continue;
                if (cx->is_built[l->table][l->row]) {
                    prow = cx->built[l->table] + l->row * pt->row_size;
                    real = true;
                } else {
                    void *stub = calloc(1, pt->row_size);
                    if (!stub) {
                        rc = cerd__error(CERD_ENOMEM, "fixtures: out of memory");
                        goto out;
                    }
                    stubs[nstubs++] = stub;
                    cerd__fac_set_int(pt, cerd__fx_identity_column(pt), stub,
                                      cx->ids[l->table][l->row]);
                    prow = stub;
                }
            }
        } else if (v && !cJSON_IsString(v) && json_int64(v, &id)) {
            void *stub = calloc(1, pt->row_size);
            if (!stub) {
                rc = cerd__error(CERD_ENOMEM, "fixtures: out of memory");
                goto out;
            }
            stubs[nstubs++] = stub;
            for (int k = 0; k < fk->ncolumns; k++) {
                const cJSON *gk = cJSON_GetObjectItemCaseSensitive(
                    r->obj, t->columns[fk->columns[k]].name);
                int pc = cerd_table_column(pt, fk->ref_columns[k]);
                int64_t x;
                if (pc >= 0 && gk && !cJSON_IsString(gk) && json_int64(gk, &x))
                    cerd__fac_set_int(pt, pc, stub, x);
            }
            prow = stub;
        } else if (!v && notnull) {
            if (!cx->opts.create_parents) {
                cerd__error(CERD_EINVALID,
                            "column \"%s\" (NOT NULL, references %s) is not given: refer to a "
                            "row (\"@%s.name\") or load with create_parents",
                            t->columns[c].name, fk->ref_table, fk->ref_table);
                cerd__error_names(t->name, t->columns[c].name, fk->name);
                rc = cerd__fx_error_at(cx->set, ft, r, CERD_EINVALID);
                goto out;
            }
            if ((rc = auto_parent_row(cx, fk->ref_table, &prow))) {
                rc = cerd__fx_error_at(cx->set, ft, r, rc);
                goto out;
            }
            real = true;
        }
        if (!prow)
            continue;
        parents[np].table = fk->ref_table;
        parents[np].id = get_identity(pt, prow);
        parents[np++].row = prow;
        /* the other columns of the key, when the row does not give them */
        for (int k = 0; real && k < fk->ncolumns; k++) {
            int col = fk->columns[k], pc = cerd_table_column(pt, fk->ref_columns[k]);
            int64_t x;
            if (k == kp || pc < 0
                || cJSON_GetObjectItemCaseSensitive(r->obj, t->columns[col].name))
                continue;
            if (cerd__fac_get_int(pt, pc, prow, &x)) {
                dval[col] = x;
                dhas[col] = true;
            }
        }
    }
    frow = calloc(1, t->row_size);
    if (!frow) {
        rc = cerd__error(CERD_ENOMEM, "fixtures: out of memory");
        goto out;
    }
    /* A row giving every column (a dump read back) needs no factory. */
    {
        bool complete = true;
        for (uint16_t c = 0; c < t->ncolumns && complete; c++)
            complete = (int)c == idcol || dhas[c]
                       || cJSON_GetObjectItemCaseSensitive(r->obj, t->columns[c].name);
        if (complete) {
            free(frow);
            goto merge;
        }
    }
    fo.seed = mix(cx->opts.seed ^ mix(hash_str(t->name) + ri));
    fo.parents = parents;
    fo.nparents = np;
    rc = cerd_factory_make(frow, t, &fo);
    if (!rc)
        rc = cerd_row_to_json(&fj, t, frow);
    if (rc) {
        cerd_row_clear(t, frow);
        free(frow);
        cerd__error_prefix("factory");
        rc = cerd__fx_error_at(cx->set, ft, r, rc);
        goto out;
    }
    cerd_row_clear(t, frow);
    free(frow);

merge:
    for (int attempt = 0; attempt < 3; attempt++) {
        cerd_violations vs = {0};
        bool retry = false;
        cJSON_Delete(merged);
        merged = cJSON_CreateObject();
        if (!merged) {
            rc = cerd__error(CERD_ENOMEM, "fixtures: out of memory");
            break;
        }
        for (uint16_t c = 0; c < t->ncolumns; c++) {
            const char *cn = t->columns[c].name;
            const cJSON *given = cJSON_GetObjectItemCaseSensitive(r->obj, cn);
            cJSON *v = NULL;
            if ((int)c == idcol) {
                v = int64_node(cx->ids[ti][ri]);
            } else if (given && cerd__fx_is_ref(given)
                       && (t->columns[c].type == CERD_TYPE_INT64
                           || t->columns[c].type == CERD_TYPE_INT32)) {
                for (uint16_t k = 0; k < r->nlinks && !v; k++) {
                    const cerd__fx_link *l = &r->links[k];
                    if (l->column != c)
                        continue;
                    if (link_deferred(cx, ti, l, l->table == ti ? &defer_self[k] : NULL)) {
                        if (t->columns[c].flags & CERD_COL_NOT_NULL) {
                            cerd__error(CERD_EINVALID,
                                        "column \"%s\" closes a cycle of references but is "
                                        "NOT NULL, so it cannot be set after the insert", cn);
                            cerd__error_names(t->name, cn, NULL);
                            rc = cerd__fx_error_at(cx->set, ft, r, CERD_EINVALID);
                            goto out;
                        }
                        *has_deferred = true;
                        v = cJSON_CreateNull();
                    } else {
                        v = int64_node(cx->ids[l->table][l->row]);
                    }
                }
            } else if (given) {
                v = cJSON_Duplicate(given, true);
            } else if (dhas[c]) {
                v = int64_node(dval[c]);
            } else if (!(t->columns[c].flags & CERD_COL_NOT_NULL)
                       && !cerd_colset_has(&restore, c)) {
                cerd_colset_add(&nulled, c);
                v = cJSON_CreateNull();
            } else {
                const cJSON *fv = cJSON_GetObjectItemCaseSensitive(fj, cn);
                v = fv ? cJSON_Duplicate(fv, true) : cJSON_CreateNull();
            }
            if (!v || !cJSON_AddItemToObject(merged, cn, v)) {
                cJSON_Delete(v);
                rc = cerd__error(CERD_ENOMEM, "fixtures: out of memory");
                break;
            }
        }
        if (rc)
            break;
        cerd_row_clear(t, row);
        rc = cerd_row_from_json(row, t, merged);
        if (rc) {
            cerd__fx_error_at(cx->set, ft, r, rc);
            break;
        }
        rc = cerd_row_validate(&vs, t, row, CERD_VALIDATE_INSERT);
        if (rc && rc != CERD_EINVALID) {
            cerd_violations_free(&vs);
            rc = cerd__fx_error_at(cx->set, ft, r, rc);
            break;
        }
        rc = 0;
        if (vs.count == 0) {
            cerd_violations_free(&vs);
            break;
        }
        /* A nullable column left NULL may break a CHECK: keep the factory's value there. */
        for (size_t i = 0; i < vs.count; i++)
            for (uint16_t k = 0; k < vs.items[i].ncolumns; k++) {
                uint16_t col = vs.items[i].columns[k];
                if (cerd_colset_has(&nulled, col) && !cerd_colset_has(&restore, col)) {
                    cerd_colset_add(&restore, col);
                    retry = true;
                }
            }
        if (!retry || attempt == 2) {
            const cerd_violation *v0 = &vs.items[0];
            const char *col = v0->ncolumns ? t->columns[v0->columns[0]].name : NULL;
            cerd__error(CERD_EINVALID, "%s%s%s: constraint %s: %s", col ? "column \"" : "",
                        col ? col : "row", col ? "\"" : "", v0->constraint, v0->message);
            cerd__error_names(t->name, col, v0->constraint);
            cerd_violations_free(&vs);
            rc = cerd__fx_error_at(cx->set, ft, r, CERD_EINVALID);
            break;
        }
        cerd_violations_free(&vs);
    }
out:
    cJSON_Delete(merged);
    cJSON_Delete(fj);
    for (size_t i = 0; i < nstubs; i++)
        free(stubs[i]);
    free(dval);
    free(dhas);
    if (!rc)
        cx->is_built[ti][ri] = true;
    return rc;
}

/* Insertion order of the rows of a table: a row after the rows of its table it refers to;
   a reference closing a cycle among them is marked deferred. */
typedef struct order_ctx {
    cerd__fx_table *ft;
    size_t ti;
    unsigned char *state; /* 0 new, 1 visiting, 2 done */
    size_t *out;
    size_t n;
    bool **defer;         /* per row, per link */
} order_ctx;

static void visit(order_ctx *o, size_t r)
{
    cerd__fx_row *row = &o->ft->rows[r];

    o->state[r] = 1;
    for (uint16_t k = 0; k < row->nlinks; k++) {
        const cerd__fx_link *l = &row->links[k];
        if (l->table != o->ti || l->row == r)
            continue;
        if (o->state[l->row] == 1)
            o->defer[r][k] = true;
        else if (o->state[l->row] == 0)
            visit(o, l->row);
    }
    o->state[r] = 2;
    o->out[o->n++] = r;
}

static int load_table(load_ctx *cx, size_t ti)
{
    cerd__fx_table *ft = &cx->set->tables[ti];
    const cerd_table *t = ft->t;
    order_ctx o = {ft, ti, NULL, NULL, 0, NULL};
    char *rows = NULL;
    bool *has_def = NULL;
    bool partitioned = false;
    int rc = 0;

    if (ft->nrows == 0)
        return 0;
    o.state = calloc(ft->nrows, 1);
    o.out = calloc(ft->nrows, sizeof *o.out);
    o.defer = calloc(ft->nrows, sizeof *o.defer);
    rows = cx->built[ti] = calloc(ft->nrows, t->row_size);
    cx->is_built[ti] = calloc(ft->nrows, sizeof **cx->is_built);
    has_def = calloc(ft->nrows, sizeof *has_def);
    if (!o.state || !o.out || !o.defer || !rows || !cx->is_built[ti] || !has_def) {
        rc = cerd__error(CERD_ENOMEM, "fixtures: out of memory");
        goto done;
    }
    for (size_t r = 0; r < ft->nrows && !rc; r++)
        if (ft->rows[r].nlinks
            && !(o.defer[r] = calloc(ft->rows[r].nlinks, sizeof **o.defer)))
            rc = cerd__error(CERD_ENOMEM, "fixtures: out of memory");
    for (size_t r = 0; r < ft->nrows && !rc; r++)
        if (!o.state[r])
            visit(&o, r);
    for (size_t k = 0; k < ft->nrows && !rc; k++) {
        size_t r = o.out[k];
        rc = build_row(cx, ti, r, rows + r * t->row_size, o.defer[r], &has_def[r]);
    }
    if (rc)
        goto done;

    {
        const char *p[1] = {t->name};
        cJSON *res = NULL;
        rc = cerd_conn_query_json(&res, cx->conn,
                                  "SELECT count(*) AS n FROM pg_partitioned_table "
                                  "WHERE partrelid = to_regclass($1)", 1, p);
        if (rc)
            goto done;
        {
            int64_t n = 0;
            const cJSON *e = cJSON_GetArrayItem(res, 0);
            partitioned = e && json_int64(cJSON_GetObjectItemCaseSensitive(e, "n"), &n) && n > 0;
        }
        cJSON_Delete(res);
    }

    if (partitioned || ft->nrows > (cx->opts.copy_threshold ? cx->opts.copy_threshold : 1000)) {
        cerd_copy *w = NULL;
        cerd_copy_options co = CERD_COPY_OPTIONS_INIT;
        cerd_colset all = {{0}};
        int64_t n = 0;
        for (uint16_t c = 0; c < t->ncolumns; c++)
            cerd_colset_add(&all, c);
        co.create_partitions = partitioned;
        if ((rc = cerd_copy_begin(&w, cx->conn, t, &all, &co)))
            goto done;
        for (size_t k = 0; k < ft->nrows && !rc; k++) {
            rc = cerd_copy_put(w, rows + o.out[k] * t->row_size);
            if (rc) {
                size_t ord = k, parsed;
                const cerd_error *e = cerd_error_last();
                if (e && e->message && sscanf(e->message, "copy row %zu", &parsed) == 1
                    && parsed < ft->nrows)
                    ord = parsed;
                cerd_copy_abort(w);
                w = NULL;
                rc = cerd__fx_error_at(cx->set, ft, &ft->rows[o.out[ord]], rc);
            } else if ((k + 1) % 10000 == 0 && cx->opts.progress) {
                cx->opts.progress(cx->opts.progress_arg, cx->done + (int64_t)k + 1, cx->total);
            }
        }
        if (w) {
            rc = cerd_copy_end(&n, w);
            if (rc)
                cerd__error_prefix("fixtures: table %s (COPY of %zu rows from %s)", t->name,
                                   ft->nrows, cx->set->files[ft->rows[0].file]);
            else
                cx->res.copied += n;
        }
    } else {
        for (size_t k = 0; k < ft->nrows && !rc; k++) {
            rc = cerd_row_insert(NULL, cx->conn, t, rows + o.out[k] * t->row_size);
            if (rc)
                cerd__fx_error_at(cx->set, ft, &ft->rows[o.out[k]], rc);
        }
    }
    if (rc)
        goto done;
    cx->res.rows += (int64_t)ft->nrows;
    cx->done += (int64_t)ft->nrows;

    /* Keep the rows whose references wait for the end: store them back on the set
       table's side as the deferred list (processed in cerd__fx_load_in_txn). */
    for (size_t r = 0; r < ft->nrows; r++) {
        cerd__fx_row *fr = &ft->rows[r];
        cerd_colset cols = {{0}};
        void *row = rows + r * t->row_size;
        bool any = false;
        if (!has_def[r])
            continue;
        for (uint16_t k = 0; k < fr->nlinks; k++) {
            const cerd__fx_link *l = &fr->links[k];
            if (link_deferred(cx, ti, l, l->table == ti ? &o.defer[r][k] : NULL)) {
                set_int_field(t, l->column, row, cx->ids[l->table][l->row]);
                cerd_colset_add(&cols, l->column);
                any = true;
            }
        }
        (void)any;
        /* A row that also refers to a table written later is updated once, at the end
           (close_cycles). */
        {
            bool later = false;
            for (uint16_t k = 0; k < fr->nlinks; k++)
                if (fr->links[k].table != ti && cx->pos[fr->links[k].table] > cx->pos[ti])
                    later = true;
            if (later)
                continue;
        }
        rc = cerd_row_update(NULL, cx->conn, t, row, &cols);
        if (rc) {
            cerd__fx_error_at(cx->set, ft, fr, rc);
            goto done;
        }
        cx->res.deferred++;
    }
    if (cx->opts.progress)
        cx->opts.progress(cx->opts.progress_arg, cx->done, cx->total);
done:
    free(has_def);
    for (size_t r = 0; o.defer && r < ft->nrows; r++)
        free(o.defer[r]);
    free(o.defer);
    free(o.state);
    free(o.out);
    return rc;
}

/* References to tables inserted later (cross-table cycles): set by updates at the end,
   on the rows as built (their whole key known, composite ones too). */
static int close_cycles(load_ctx *cx)
{
    for (size_t ti = 0; ti < cx->set->ntables; ti++) {
        cerd__fx_table *ft = &cx->set->tables[ti];
        const cerd_table *t = ft->t;
        for (size_t r = 0; r < ft->nrows; r++) {
            cerd__fx_row *fr = &ft->rows[r];
            void *row = cx->built[ti] + r * t->row_size;
            cerd_colset cols = {{0}};
            bool any = false;
            int rc;
            for (uint16_t k = 0; k < fr->nlinks; k++)
                if (fr->links[k].table != ti && cx->pos[fr->links[k].table] > cx->pos[ti])
                    any = true;
            if (!any)
                continue;
            for (uint16_t k = 0; k < fr->nlinks; k++) {
                set_int_field(t, fr->links[k].column, row,
                              cx->ids[fr->links[k].table][fr->links[k].row]);
                cerd_colset_add(&cols, fr->links[k].column);
            }
            rc = cerd_row_update(NULL, cx->conn, t, row, &cols);
            if (rc)
                return cerd__fx_error_at(cx->set, ft, fr, rc);
            cx->res.deferred++;
        }
    }
    return 0;
}

void cerd__fx_ids_free(int64_t **ids, size_t ntables)
{
    for (size_t i = 0; ids && i < ntables; i++)
        free(ids[i]);
    free(ids);
}

int cerd__fx_load_in_txn(cerd_fixture_result *out, cerd_conn *conn, cerd_fixture_set *set,
                         const cerd_fixture_load_options *opts, int64_t ***ids_out)
{
    load_ctx cx;
    const cerd_table **tabs = NULL;
    int rc = 0;

    memset(&cx, 0, sizeof cx);
    cx.conn = conn;
    cx.set = set;
    if (opts)
        cx.opts = *opts;
    else
        cx.opts = (cerd_fixture_load_options)CERD_FIXTURE_LOAD_OPTIONS_INIT;
    if (cx.opts.version != 1)
        return cerd__error(CERD_EMISUSE, "cerd_fixture_load: options version %u", cx.opts.version);
    if (!set->resolved && (rc = cerd_fixture_set_resolve(set)))
        return rc;
    cx.total = (int64_t)cerd_fixture_set_row_count(set);
    cx.order = calloc(set->ntables + 1, sizeof *cx.order);
    cx.pos = calloc(set->ntables + 1, sizeof *cx.pos);
    cx.ids = calloc(set->ntables + 1, sizeof *cx.ids);
    cx.built = calloc(set->ntables + 1, sizeof *cx.built);
    cx.is_built = calloc(set->ntables + 1, sizeof *cx.is_built);
    tabs = calloc(set->ntables + 1, sizeof *tabs);
    if (!cx.order || !cx.pos || !cx.ids || !cx.built || !cx.is_built || !tabs) {
        rc = cerd__error(CERD_ENOMEM, "fixtures: out of memory");
        goto done;
    }
    for (size_t i = 0; i < set->ntables; i++)
        tabs[i] = set->tables[i].t;
    cerd__fx_topo_order(cx.order, tabs, set->ntables);
    for (size_t i = 0; i < set->ntables; i++)
        cx.pos[cx.order[i]] = i;
    for (size_t i = 0; i < set->ntables && !rc; i++)
        rc = draw_keys(&cx, i);
    for (size_t i = 0; i < set->ntables && !rc; i++)
        rc = load_table(&cx, cx.order[i]);
    if (!rc)
        rc = close_cycles(&cx);
    if (!rc && out)
        *out = cx.res;
done:
    if (!rc && ids_out) {
        *ids_out = cx.ids;
        cx.ids = NULL;
    }
    cerd__fx_ids_free(cx.ids, set->ntables);
    for (size_t i = 0; cx.built && i < set->ntables; i++) {
        for (size_t r = 0; cx.built[i] && r < set->tables[i].nrows; r++)
            cerd_row_clear(set->tables[i].t, cx.built[i] + r * set->tables[i].t->row_size);
        free(cx.built[i]);
    }
    for (size_t i = 0; cx.is_built && i < set->ntables; i++)
        free(cx.is_built[i]);
    free(cx.built);
    free(cx.is_built);
    for (size_t i = 0; i < cx.nparents; i++) {
        cerd_row_clear(cerd_table_find(cx.parents[i].table), cx.parents[i].row);
        free(cx.parents[i].row);
    }
    free(cx.order);
    free(cx.pos);
    free(cx.parents);
    free(tabs);
    return rc;
}

typedef struct load_call {
    cerd_fixture_result *out;
    cerd_fixture_set *set;
    const cerd_fixture_load_options *opts;
} load_call;

static int load_fn(cerd_conn *conn, void *arg)
{
    load_call *c = arg;
    return cerd__fx_load_in_txn(c->out, conn, c->set, c->opts, NULL);
}

int cerd_fixture_load(cerd_fixture_result *out, cerd_conn *conn, cerd_fixture_set *set,
                      const cerd_fixture_load_options *opts)
{
    load_call c = {out, set, opts};

    if (!conn || !set)
        return cerd__error(CERD_EMISUSE, "cerd_fixture_load: NULL argument");
    if (out)
        memset(out, 0, sizeof *out);
    return cerd__fx_atomically(conn, load_fn, &c);
}
