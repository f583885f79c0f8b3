/* Row factories: rows of any table from a seed, valid by construction or breaking one
   chosen constraint, driven only by the table's descriptor.

   How a valid row is made:
     1. Every CHECK of the table is read for what it says about single columns
        (IN lists, comparisons and BETWEEN against constants, IS NOT NULL, lengths and
        cardinalities), also under "col IS NULL OR ..." guards: the column domains.
     2. Every column gets a value: foreign keys from the given or created parents, the
        rest from the domain and the column hints of the descriptor (lib/factory_values.c).
     3. The row is validated (cerd_row_validate); each CHECK it still breaks (those
        relating columns: OHLC ordering, retry_count <= max_retries, owner rules) is
        repaired: ordering checks by sorting the values of the columns they compare
        into an order the comparisons allow, any check by forcing its expression true
        (choosing among the ways to do so by the attempt number). Bounded; the same
        seed always takes the same path.
     4. A CHECK relating columns that is merely NULL (a cron schedule on a job whose
        is_recurring is NULL) is made true where that keeps the row valid.
   A violating row starts from the valid row of the same seed and changes what the
   chosen constraint reads until validation reports exactly that one violation: a CHECK
   is forced false (again choosing by the attempt number) and the other CHECKs that
   change broke are forced true around it; a column rule is broken column by column.
   Parents are made by the same code, looked up by their unique keys (a parent made
   again is reused) and otherwise inserted.

   Thread safety: no global state; the descriptors are read-only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "wire/codec.h"
#include "wire/field.h"
#include "util/error_internal.h"
#include "features/factory_internal.h"

#define MAX_REPAIRS 32       /* validation rounds for a valid row */
#define MAX_VIOLATE_TRIES 96 /* ways tried to break one CHECK */
#define MAX_PARENT_DEPTH 16  /* foreign keys nested deeper are a cycle */
#define BASE_TIME INT64_C(1735689600000000) /* 2025-01-01T00:00:00Z */
#define ANCHOR_MINUTES 1576800              /* three years of minutes */

/* ================================================================== expressions */

static bool is_cmp(cerd_expr_op op)
{
    return op == CERD_EXPR_EQ || op == CERD_EXPR_NE || op == CERD_EXPR_LT
           || op == CERD_EXPR_LE || op == CERD_EXPR_GT || op == CERD_EXPR_GE;
}

/* a op b  <=>  b flip(op) a */
static cerd_expr_op flip(cerd_expr_op op)
{
    switch (op) {
    case CERD_EXPR_LT: return CERD_EXPR_GT;
    case CERD_EXPR_LE: return CERD_EXPR_GE;
    case CERD_EXPR_GT: return CERD_EXPR_LT;
    case CERD_EXPR_GE: return CERD_EXPR_LE;
    default: return op;
    }
}

/* NOT (a op b)  <=>  a negate(op) b, for non-NULL operands */
static cerd_expr_op negate(cerd_expr_op op)
{
    switch (op) {
    case CERD_EXPR_EQ: return CERD_EXPR_NE;
    case CERD_EXPR_NE: return CERD_EXPR_EQ;
    case CERD_EXPR_LT: return CERD_EXPR_GE;
    case CERD_EXPR_LE: return CERD_EXPR_GT;
    case CERD_EXPR_GT: return CERD_EXPR_LE;
    case CERD_EXPR_GE: return CERD_EXPR_LT;
    default: return op;
    }
}

static int col_of(const cerd_table *t, const cerd_expr *e)
{
    if (e && e->op == CERD_EXPR_COLUMN && e->column >= 0 && e->column < t->ncolumns)
        return e->column;
    return -1;
}

/* Kinds of functions the factory understands: lengths and cardinalities. */
enum { FN_LEN = 1, FN_CARD = 2 };

static bool func_is(const cerd_expr *e, int kind)
{
    if (!e || e->op != CERD_EXPR_FUNC || e->nargs < 1)
        return false;
    if (kind == FN_LEN)
        return e->func == CERD_FUNC_CHAR_LENGTH;
    return e->func == CERD_FUNC_CARDINALITY || e->func == CERD_FUNC_ARRAY_LENGTH;
}

static void num_negate(cerd_numeric *n)
{
    if (n->ngroups == 0)
        return;
    if (n->sign == CERD_NUMERIC_POS)
        n->sign = CERD_NUMERIC_NEG;
    else if (n->sign == CERD_NUMERIC_NEG)
        n->sign = CERD_NUMERIC_POS;
}

/* A number constant (or the negation of one), whatever its numeric type. */
static bool const_num(const cerd_expr *e, cerd_numeric *out)
{
    if (!e)
        return false;
    if (e->op == CERD_EXPR_NEG && e->nargs == 1) {
        if (!const_num(e->args[0], out))
            return false;
        num_negate(out);
        return true;
    }
    if (e->op != CERD_EXPR_CONST || !e->text)
        return false;
    switch (e->type) {
    case CERD_TYPE_INT32:
    case CERD_TYPE_INT64:
        cerd_numeric_from_int64(out, e->ival);
        return true;
    case CERD_TYPE_NUMERIC:
        if (e->num) {
            *out = *e->num;
            return true;
        }
        return cerd_numeric_parse(out, e->text) == 0;
    default:
        return false;
    }
}

/* ================================================================== domains */

static void tighten_lo(cerd__fac_domain *d, const cerd_numeric *v, bool strict)
{
    int c = d->has_lo ? cerd_numeric_cmp(v, &d->lo) : 1;
    if (c > 0 || (c == 0 && strict)) {
        d->lo = *v;
        d->has_lo = true;
        d->lo_strict = strict;
    }
}

static void tighten_hi(cerd__fac_domain *d, const cerd_numeric *v, bool strict)
{
    int c = d->has_hi ? cerd_numeric_cmp(v, &d->hi) : -1;
    if (c < 0 || (c == 0 && strict)) {
        d->hi = *v;
        d->has_hi = true;
        d->hi_strict = strict;
    }
}

/* col op constant */
static void domain_cmp(cerd__fac_row *r, int col, cerd_expr_op op, const cerd_expr *k)
{
    cerd__fac_domain *d = &r->dom[col];
    cerd_numeric n;
    bool num = const_num(k, &n);

    switch (op) {
    case CERD_EXPR_EQ:
        if (k->op == CERD_EXPR_CONST && k->text)
            d->eq = k;
        if (num) {
            tighten_lo(d, &n, false);
            tighten_hi(d, &n, false);
        }
        break;
    case CERD_EXPR_LT: if (num) tighten_hi(d, &n, true); break;
    case CERD_EXPR_LE: if (num) tighten_hi(d, &n, false); break;
    case CERD_EXPR_GT: if (num) tighten_lo(d, &n, true); break;
    case CERD_EXPR_GE: if (num) tighten_lo(d, &n, false); break;
    default: break;
    }
}

/* func(col) op constant, for length and cardinality functions */
static void domain_func_cmp(cerd__fac_row *r, const cerd_expr *f, cerd_expr_op op,
                            const cerd_expr *k)
{
    int col = col_of(r->t, f->args[0]);
    cerd_numeric n;
    cerd__i128 v;
    int lo = -1, hi = -1;

    if (col < 0 || !const_num(k, &n) || !cerd__fac_num_scaled(&n, 0, 0, &v) || v < 0
        || v > 100000)
        return;
    switch (op) {
    case CERD_EXPR_LT: hi = (int)v - 1; break;
    case CERD_EXPR_LE: hi = (int)v; break;
    case CERD_EXPR_EQ: lo = hi = (int)v; break;
    case CERD_EXPR_GT: lo = (int)v + 1; break;
    case CERD_EXPR_GE: lo = (int)v; break;
    default: return;
    }
    if (func_is(f, FN_CARD)) {
        if (hi >= 0 && (r->dom[col].max_elems < 0 || hi < r->dom[col].max_elems))
            r->dom[col].max_elems = hi;
    } else if (func_is(f, FN_LEN)) {
        if (hi >= 0 && (r->dom[col].max_len < 0 || hi < r->dom[col].max_len))
            r->dom[col].max_len = hi;
        if (lo > r->dom[col].min_len)
            r->dom[col].min_len = lo;
    }
}

/* Reads what expression e, which must hold, says about single columns. */
static void collect(cerd__fac_row *r, const cerd_expr *e)
{
    int col;

    if (!e)
        return;
    switch (e->op) {
    case CERD_EXPR_AND:
        for (int i = 0; i < e->nargs; i++)
            collect(r, e->args[i]);
        return;
    case CERD_EXPR_OR: {
        /* "a IS NULL OR b IS NULL OR X": X holds whenever the guarded columns have values,
           which is how the factory fills them */
        const cerd_expr *rest = NULL;
        int nrest = 0;
        for (int i = 0; i < e->nargs; i++) {
            const cerd_expr *a = e->args[i];
            if (a->op == CERD_EXPR_IS_NULL && a->nargs == 1 && col_of(r->t, a->args[0]) >= 0)
                continue;
            rest = a;
            nrest++;
        }
        if (nrest == 1)
            collect(r, rest);
        return;
    }
    case CERD_EXPR_IN:
        if (e->nargs >= 2 && (col = col_of(r->t, e->args[0])) >= 0) {
            for (int i = 1; i < e->nargs; i++)
                if (e->args[i]->op != CERD_EXPR_CONST)
                    return;
            if (!r->dom[col].in)
                r->dom[col].in = e;
        }
        return;
    case CERD_EXPR_BETWEEN: {
        cerd_numeric lo, hi;
        if (e->nargs == 3 && (col = col_of(r->t, e->args[0])) >= 0
            && const_num(e->args[1], &lo) && const_num(e->args[2], &hi)) {
            tighten_lo(&r->dom[col], &lo, false);
            tighten_hi(&r->dom[col], &hi, false);
        }
        return;
    }
    case CERD_EXPR_IS_NOT_NULL:
        if (e->nargs == 1 && (col = col_of(r->t, e->args[0])) >= 0)
            r->dom[col].required = true;
        return;
    case CERD_EXPR_REGEX:
    case CERD_EXPR_IREGEX:
        if (e->nargs == 2 && (col = col_of(r->t, e->args[0])) >= 0)
            r->dom[col].regex = true;
        return;
    default:
        break;
    }
    if (is_cmp(e->op) && e->nargs == 2) {
        const cerd_expr *a = e->args[0], *b = e->args[1];
        if ((col = col_of(r->t, a)) >= 0 && col_of(r->t, b) < 0)
            domain_cmp(r, col, e->op, b);
        else if ((col = col_of(r->t, b)) >= 0 && col_of(r->t, a) < 0)
            domain_cmp(r, col, flip(e->op), a);
        else if (func_is(a, FN_LEN) || func_is(a, FN_CARD))
            domain_func_cmp(r, a, e->op, b);
        else if (func_is(b, FN_LEN) || func_is(b, FN_CARD))
            domain_func_cmp(r, b, flip(e->op), a);
    }
}

/* ================================================================== evaluation */

/* Values as the forcing reads them; cerd_row_validate gives the verdict. */
typedef enum vkind { V_NULL, V_NUM, V_TEXT, V_BOOL, V_UNKNOWN } vkind;

typedef struct val {
    vkind kind;
    cerd_numeric num;   /* numbers, and timestamps as microseconds */
    const char *text;
    bool b;
    bool is_ts;
} val;

static val eval(const cerd__fac_row *r, const void *row, const cerd_expr *e);

static val v_unknown(void)
{
    val v;
    memset(&v, 0, sizeof v);
    v.kind = V_UNKNOWN;
    return v;
}

static int compare(const val *a, const val *b, bool *ok)
{
    *ok = true;
    if (a->kind == V_NUM && b->kind == V_NUM)
        return cerd_numeric_cmp(&a->num, &b->num);
    if (a->kind == V_TEXT && b->kind == V_TEXT)
        return strcmp(a->text, b->text); /* byte order: enough for = and <> */
    if (a->kind == V_BOOL && b->kind == V_BOOL)
        return (int)a->b - (int)b->b;
    *ok = false;
    return 0;
}

/* The value of e for row by the one evaluator of lib/expr.c, read raw (a NULL field is
   NULL), as the forcing below reads it: integers, numerics and timestamps (in
   microseconds) as numerics, copied out of the evaluator; texts borrowed. What the
   evaluator cannot decide, or would fail on, is unknown here. */
static val eval(const cerd__fac_row *r, const void *row, const cerd_expr *e)
{
    cerd__expr_ctx x;
    cerd__val v;
    val out = v_unknown();

    if (!e)
        return out;
    cerd__expr_init_raw(&x, r->t, row);
    v = cerd__expr_eval(&x, e);
    switch (v.kind) {
    case CERD__V_NULL:
        out.kind = V_NULL;
        break;
    case CERD__V_BOOL:
        out.kind = V_BOOL;
        out.b = v.u.i != 0;
        break;
    case CERD__V_INT:
        cerd_numeric_from_int64(&out.num, v.u.i);
        out.kind = V_NUM;
        break;
    case CERD__V_NUM:
        out.num = *v.u.n;
        out.kind = V_NUM;
        break;
    case CERD__V_TS:
        cerd_numeric_from_int64(&out.num, v.u.i);
        out.kind = V_NUM;
        out.is_ts = true;
        break;
    case CERD__V_TEXT:
        out.text = v.u.s;
        out.kind = V_TEXT;
        break;
    default:
        break;
    }
    return out;
}

/* ================================================================== forcing */

struct run;
static int fk_from_parent(struct run *ru, cerd__fac_row *r, const cerd_foreign_key *fk,
                          bool create);

/* State of one attempt at forcing an expression: the attempt number is read as a
   mixed-radix number, one digit per choice met (which conjunct to break, which side of
   a range, ...), so attempts 0, 1, 2, ... walk through the combinations. */
typedef struct forcer {
    cerd__fac_row *r;
    struct run *ru;   /* for parents of nullable foreign keys ... */
    bool may_create;  /* ... which may be created (there is a connection) */
    void *row;
    uint64_t v;       /* the undigested rest of the attempt number */
    uint64_t rot;     /* per-seed rotation of every choice */
    uint64_t salt;    /* for values regenerated */
    int err;          /* an error met (out of memory, creating a parent) */
} forcer;

static unsigned pick(forcer *f, unsigned n)
{
    unsigned k;
    if (n <= 1)
        return 0;
    k = (unsigned)((f->v % n + f->rot) % n);
    f->v /= n;
    return k;
}

static bool settable(const cerd__fac_row *r, int col)
{
    const cerd_column *c = &r->t->columns[col];
    return !(c->flags & CERD_COL_IDENTITY) && !r->is_fk[col];
}

/* Gives column col a non-NULL value (a foreign key: its parent, if there is one). */
static int make_present(forcer *f, int col)
{
    cerd__fac_row *r = f->r;
    int rc;
    if (!cerd__fac_is_null(r->t, col, f->row))
        return 0;
    if (r->t->columns[col].flags & CERD_COL_IDENTITY)
        return -1;
    if (r->is_fk[col]) {
        if (!r->fk_has[col] && f->may_create && f->ru) {
            /* breaking a rule alone may need a nullable foreign key set (a personal
               watchlist has its user): create that parent too, and take every column of
               that foreign key from it */
            for (int k = 0; k < r->t->nforeign; k++) {
                const cerd_foreign_key *fk = &r->t->foreign_keys[k];
                bool has = false;
                for (int i = 0; i < fk->ncolumns; i++)
                    has = has || fk->columns[i] == col;
                if (!has)
                    continue;
                if ((rc = fk_from_parent(f->ru, r, fk, true))) {
                    f->err = rc;
                    return -1;
                }
                for (int i = 0; i < fk->ncolumns; i++)
                    if (fk->columns[i] != col
                        && cerd__fac_set_int(r->t, fk->columns[i], f->row,
                                             r->fk_id[fk->columns[i]]))
                        return -1;
                break;
            }
        }
        if (!r->fk_has[col])
            return -1;
        return cerd__fac_set_int(r->t, col, f->row, r->fk_id[col]) ? -1 : 0;
    }
    if ((rc = cerd__fac_gen_value(r, col, f->salt, f->row))) {
        f->err = rc;
        return -1;
    }
    return 0;
}

static int make_null(forcer *f, int col)
{
    if (cerd__fac_is_null(f->r->t, col, f->row))
        return 0;
    if (f->r->t->columns[col].flags & CERD_COL_IDENTITY)
        return -1;
    return cerd__fac_set_null(f->r->t, col, f->row) ? 0 : -1;
}

/* Sets numeric/integer/timestamp column col so that "col op V" holds (V non-NULL). */
static int set_number(forcer *f, int col, cerd_expr_op op, const val *V)
{
    cerd__fac_row *r = f->r;
    const cerd_column *c = &r->t->columns[col];
    int scale;
    cerd__i128 lo, hi, x, unit;
    unsigned extra;

    if (c->type == CERD_TYPE_TIMESTAMPTZ) {
        scale = 0;
        unit = 1000000; /* a second */
    } else {
        scale = cerd__fac_col_scale(c, V->num.dscale > 2 ? V->num.dscale : 2);
        unit = 1;
    }
    if (!cerd__fac_num_scaled(&V->num, scale, -1, &lo) || !cerd__fac_num_scaled(&V->num, scale, +1, &hi))
        return -1;
    extra = pick(f, 3); /* the boundary itself, or a little, or a lot further */
    unit *= extra == 0 ? 1 : extra == 1 ? 10 : 1000;
    switch (op) {
    case CERD_EXPR_EQ:
        if (lo != hi)
            return -1;
        x = lo;
        break;
    case CERD_EXPR_NE: x = pick(f, 2) ? lo - unit : hi + unit; break;
    case CERD_EXPR_LT: x = hi - unit; break;
    case CERD_EXPR_LE: x = extra ? lo - unit : lo; break;
    case CERD_EXPR_GT: x = lo + unit; break;
    case CERD_EXPR_GE: x = extra ? hi + unit : hi; break;
    default: return -1;
    }
    if (c->type == CERD_TYPE_NUMERIC) {
        cerd_numeric n;
        cerd__fac_num_from_scaled(&n, x, scale);
        cerd__fac_set_numeric(r->t, col, f->row, &n);
        return 0;
    }
    if (c->type == CERD_TYPE_TIMESTAMPTZ) {
        if (x > (cerd__i128)INT64_C(253402300799000000) || x < (cerd__i128)INT64_C(-62135596800000000))
            return -1;
        cerd__fac_set_timestamp(r->t, col, f->row, (cerd_timestamp)x);
        return 0;
    }
    if (x > INT64_MAX || x < INT64_MIN)
        return -1;
    return cerd__fac_set_int(r->t, col, f->row, (int64_t)x) ? -1 : 0;
}

/* Sets text column col so that "col op V" holds: equality or inequality only. */
static int set_text_cmp(forcer *f, int col, cerd_expr_op op, const char *V)
{
    cerd__fac_row *r = f->r;
    const cerd__fac_domain *d = &r->dom[col];
    char buf[512];
    int rc;

    if (op == CERD_EXPR_EQ) {
        rc = cerd__fac_set_text(r->t, col, f->row, V);
    } else if (op == CERD_EXPR_NE) {
        const char *s = NULL;
        if (d->in) { /* another member of the column's list */
            int n = d->in->nargs - 1;
            unsigned k = pick(f, (unsigned)n);
            for (int i = 0; i < n && !s; i++) {
                const cerd_expr *e = d->in->args[1 + (int)((k + (unsigned)i) % (unsigned)n)];
                if (e->text && strcmp(e->text, V))
                    s = e->text;
            }
        }
        if (!s) {
            snprintf(buf, sizeof buf, "%s_x", V);
            s = buf;
        }
        rc = cerd__fac_set_text(r->t, col, f->row, s);
    } else
        return -1;
    if (rc) {
        f->err = rc;
        return -1;
    }
    return 0;
}

/* Sets the column target is (or whose length or cardinality target is) so that
   "target op V" holds. */
static int set_cmp(forcer *f, const cerd_expr *target, cerd_expr_op op, const val *V)
{
    cerd__fac_row *r = f->r;
    int col = col_of(r->t, target), rc;

    if (target->op == CERD_EXPR_FUNC) {
        cerd__i128 n;
        char buf[2048];
        const char *cur;
        col = col_of(r->t, target->args[0]);
        if (col < 0 || !settable(r, col) || V->kind != V_NUM)
            return -1;
        if (!cerd__fac_num_scaled(&V->num, 0, 0, &n))
            return -1;
        switch (op) {
        case CERD_EXPR_EQ: break;
        case CERD_EXPR_LT: n -= 1; break;
        case CERD_EXPR_LE: break;
        case CERD_EXPR_GT: n += 1; break;
        case CERD_EXPR_GE: break;
        case CERD_EXPR_NE: n += 1; break;
        default: return -1;
        }
        if (n < 0 || n > 400)
            return -1;
        if (func_is(target, FN_CARD)) {
            if ((rc = cerd__fac_set_array_len(r, col, f->row, (size_t)n, f->salt))) {
                f->err = rc;
                return -1;
            }
            return 0;
        }
        if (!func_is(target, FN_LEN) || r->t->columns[col].type != CERD_TYPE_TEXT)
            return -1;
        cur = cerd__fac_get_text(r->t, col, f->row);
        cerd__fac_text_of_chars(buf, sizeof buf, cur, (size_t)n, false, f->salt);
        if ((rc = cerd__fac_set_text(r->t, col, f->row, buf))) {
            f->err = rc;
            return -1;
        }
        return 0;
    }
    if (col < 0 || !settable(r, col))
        return -1;
    switch (r->t->columns[col].type) {
    case CERD_TYPE_INT32:
    case CERD_TYPE_INT64:
    case CERD_TYPE_NUMERIC:
    case CERD_TYPE_TIMESTAMPTZ:
        return V->kind == V_NUM ? set_number(f, col, op, V) : -1;
    case CERD_TYPE_TEXT:
        return V->kind == V_TEXT ? set_text_cmp(f, col, op, V->text) : -1;
    case CERD_TYPE_BOOL:
        if (V->kind != V_BOOL || (op != CERD_EXPR_EQ && op != CERD_EXPR_NE))
            return -1;
        cerd__fac_set_bool(r->t, col, f->row, op == CERD_EXPR_EQ ? V->b : !V->b);
        return 0;
    default:
        return -1;
    }
}

static bool is_target(const cerd__fac_row *r, const cerd_expr *e)
{
    int col = col_of(r->t, e);
    if (col >= 0)
        return settable(r, col);
    if (func_is(e, FN_LEN) || func_is(e, FN_CARD)) {
        col = col_of(r->t, e->args[0]);
        return col >= 0 && settable(r, col);
    }
    return false;
}

/* The column a target expression changes. */
static int target_col(const cerd__fac_row *r, const cerd_expr *e)
{
    return e->op == CERD_EXPR_FUNC ? col_of(r->t, e->args[0]) : col_of(r->t, e);
}

static int force(forcer *f, const cerd_expr *e, bool want);

/* a op b forced to want. */
static int force_cmp(forcer *f, const cerd_expr *e, bool want)
{
    const cerd_expr *a = e->args[0], *b = e->args[1], *target, *other;
    cerd_expr_op op = want ? e->op : negate(e->op);
    bool ta = is_target(f->r, a), tb = is_target(f->r, b);
    val V;

    if (!ta && !tb)
        return -1;
    if (ta && tb && pick(f, 2)) {
        target = b;
        other = a;
        op = flip(op);
    } else if (ta) {
        target = a;
        other = b;
    } else {
        target = b;
        other = a;
        op = flip(op);
    }
    /* the other side must have a value; a column there is given one */
    if (col_of(f->r->t, other) >= 0 && make_present(f, col_of(f->r->t, other)))
        return -1;
    V = eval(f->r, f->row, other);
    if (V.kind == V_NULL || V.kind == V_UNKNOWN)
        return -1;
    if (target->op == CERD_EXPR_COLUMN && make_present(f, target_col(f->r, target)))
        return -1;
    return set_cmp(f, target, op, &V);
}

static int force_in(forcer *f, const cerd_expr *e, bool want)
{
    cerd__fac_row *r = f->r;
    int col = col_of(r->t, e->args[0]), n = e->nargs - 1, rc;
    const cerd_column *c;

    if (col < 0 || !settable(r, col) || n < 1)
        return -1;
    c = &r->t->columns[col];
    if (want) {
        unsigned k = pick(f, (unsigned)n);
        for (int i = 0; i < n; i++) {
            const cerd_expr *m = e->args[1 + (int)((k + (unsigned)i) % (unsigned)n)];
            val V = eval(r, f->row, m);
            if (V.kind == V_NULL || V.kind == V_UNKNOWN)
                continue;
            if (c->type == CERD_TYPE_TEXT && c->max_chars >= 0 && V.kind == V_TEXT
                && cerd_text_chars(V.text, strlen(V.text)) > (size_t)c->max_chars)
                continue;
            return set_cmp(f, e->args[0], CERD_EXPR_EQ, &V);
        }
        return -1;
    }
    /* a value outside the list */
    if (c->type == CERD_TYPE_TEXT) {
        char buf[256];
        const char *s = cerd__fac_text_outside(c, e, pick(f, 7), buf, sizeof buf);
        if (!s)
            return -1;
        if ((rc = cerd__fac_set_text(r->t, col, f->row, s))) {
            f->err = rc;
            return -1;
        }
        return 0;
    } else {
        /* above the largest or below the smallest member */
        val hi = v_unknown(), lo = v_unknown();
        for (int i = 1; i <= n; i++) {
            val V = eval(r, f->row, e->args[i]);
            bool ok;
            if (V.kind != V_NUM)
                return -1;
            if (hi.kind != V_NUM || (compare(&V, &hi, &ok) > 0))
                hi = V;
            if (lo.kind != V_NUM || (compare(&V, &lo, &ok) < 0))
                lo = V;
        }
        if (make_present(f, col))
            return -1;
        return pick(f, 2) ? set_cmp(f, e->args[0], CERD_EXPR_LT, &lo)
                          : set_cmp(f, e->args[0], CERD_EXPR_GT, &hi);
    }
}

static int force_between(forcer *f, const cerd_expr *e, bool want)
{
    val lo, hi;
    int col = col_of(f->r->t, e->args[0]);

    if (col < 0 || !settable(f->r, col))
        return -1;
    lo = eval(f->r, f->row, e->args[1]);
    hi = eval(f->r, f->row, e->args[2]);
    if (lo.kind != V_NUM || hi.kind != V_NUM)
        return -1;
    if (make_present(f, col))
        return -1;
    if (want) {
        /* the bound itself or just inside it */
        return pick(f, 2) ? set_cmp(f, e->args[0], CERD_EXPR_LE, &hi)
                          : set_cmp(f, e->args[0], CERD_EXPR_GE, &lo);
    }
    return pick(f, 2) ? set_cmp(f, e->args[0], CERD_EXPR_LT, &lo)
                      : set_cmp(f, e->args[0], CERD_EXPR_GT, &hi);
}

/* Whether forcing e true would set a column to NULL (avoided when possible: rows should
   exercise values). */
static int nulls_needed(const cerd_expr *e)
{
    int n = 0;
    if (!e)
        return 0;
    if (e->op == CERD_EXPR_IS_NULL)
        return 1;
    for (int i = 0; i < e->nargs; i++)
        n += nulls_needed(e->args[i]);
    return n;
}

static int force(forcer *f, const cerd_expr *e, bool want)
{
    val now;
    int col;

    if (!e)
        return -1;
    now = eval(f->r, f->row, e);
    if (now.kind == V_BOOL && now.b == want)
        return 0; /* already so: leave the row as it is */

    switch (e->op) {
    case CERD_EXPR_AND:
    case CERD_EXPR_OR: {
        bool all = (e->op == CERD_EXPR_AND) == want; /* every argument must become want */
        if (all) {
            for (int i = 0; i < e->nargs; i++)
                if (force(f, e->args[i], want))
                    return -1;
            return 0;
        }
        /* one argument: those that need no NULL first (rows should carry values and
           keep their parents), each group in an order rotated by the attempt */
        int order[64], n = e->nargs < 64 ? e->nargs : 64, k = 0;
        unsigned first = pick(f, (unsigned)n);
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < n; i++) {
                int a = (int)((first + (unsigned)i) % (unsigned)n);
                if ((nulls_needed(e->args[a]) == 0) == (pass == 0))
                    order[k++] = a;
            }
        for (int i = 0; i < n; i++) {
            if (!force(f, e->args[order[i]], want))
                return 0;
            if (f->err)
                return -1;
        }
        return -1;
    }
    case CERD_EXPR_NOT:
        return e->nargs == 1 ? force(f, e->args[0], !want) : -1;
    case CERD_EXPR_IS_NULL:
    case CERD_EXPR_IS_NOT_NULL:
        if (e->nargs != 1 || (col = col_of(f->r->t, e->args[0])) < 0)
            return -1;
        return (e->op == CERD_EXPR_IS_NULL) == want ? make_null(f, col) : make_present(f, col);
    case CERD_EXPR_IN:
        return e->nargs >= 2 ? force_in(f, e, want) : -1;
    case CERD_EXPR_BETWEEN:
        return e->nargs == 3 ? force_between(f, e, want) : -1;
    case CERD_EXPR_REGEX:
    case CERD_EXPR_IREGEX: {
        static const char *const bad[] = {"not a valid value", "no-at-sign.example.com",
                                          "@@", "x@y", "UPPER CASE WITH SPACES"};
        int rc;
        if (e->nargs != 2 || (col = col_of(f->r->t, e->args[0])) < 0 || !settable(f->r, col)
            || f->r->t->columns[col].type != CERD_TYPE_TEXT)
            return -1;
        if (want) { /* the hint's value (e-mail addresses for e-mail columns) */
            if ((rc = cerd__fac_gen_value(f->r, col, f->salt, f->row))) {
                f->err = rc;
                return -1;
            }
            return 0;
        }
        if ((rc = cerd__fac_set_text(f->r->t, col, f->row, bad[pick(f, 5)]))) {
            f->err = rc;
            return -1;
        }
        return 0;
    }
    case CERD_EXPR_COLUMN:
        if ((col = col_of(f->r->t, e)) < 0 || !settable(f->r, col)
            || f->r->t->columns[col].type != CERD_TYPE_BOOL)
            return -1;
        cerd__fac_set_bool(f->r->t, col, f->row, want);
        return 0;
    default:
        break;
    }
    if (is_cmp(e->op) && e->nargs == 2)
        return force_cmp(f, e, want);
    return -1;
}

/* ================================================================== ordering repair */

/* Collects the column-to-column orderings a CHECK requires (in its conjunctive part):
   edges[i] = {lesser, greater}. */
static void orderings(const cerd__fac_row *r, const cerd_expr *e, int (*edges)[2], int *n,
                      int max)
{
    if (!e)
        return;
    if (e->op == CERD_EXPR_AND) {
        for (int i = 0; i < e->nargs; i++)
            orderings(r, e->args[i], edges, n, max);
        return;
    }
    if (e->op == CERD_EXPR_OR) {
        const cerd_expr *rest = NULL;
        int nrest = 0;
        for (int i = 0; i < e->nargs; i++) {
            if (e->args[i]->op == CERD_EXPR_IS_NULL)
                continue;
            rest = e->args[i];
            nrest++;
        }
        if (nrest == 1)
            orderings(r, rest, edges, n, max);
        return;
    }
    if (e->nargs == 2 && (e->op == CERD_EXPR_LT || e->op == CERD_EXPR_LE
                          || e->op == CERD_EXPR_GT || e->op == CERD_EXPR_GE)) {
        int a = col_of(r->t, e->args[0]), b = col_of(r->t, e->args[1]);
        if (a < 0 || b < 0 || a == b || *n >= max)
            return;
        if (!settable(r, a) || !settable(r, b))
            return;
        if (e->op == CERD_EXPR_LT || e->op == CERD_EXPR_LE) {
            edges[*n][0] = a;
            edges[*n][1] = b;
        } else {
            edges[*n][0] = b;
            edges[*n][1] = a;
        }
        (*n)++;
    }
}

static int cmp_numeric_ptr(const void *a, const void *b)
{
    return cerd_numeric_cmp(a, b);
}

/* Sorts the values of the columns a CHECK orders and gives them back in an order the
   comparisons allow (a topological order, ties broken by the seed): a candle's four
   prices become low <= open, close <= high. Returns 0 when something was reordered. */
static int order_repair(forcer *f, const cerd_expr *e)
{
    cerd__fac_row *r = f->r;
    int edges[32][2], ne = 0, cols[32], nc = 0, indeg[32] = {0}, topo[32], nt = 0;
    cerd_numeric vals[32];
    bool done[32] = {false};

    orderings(r, e, edges, &ne, 32);
    if (!ne)
        return -1;
    for (int i = 0; i < ne; i++)
        for (int s = 0; s < 2; s++) {
            int k;
            for (k = 0; k < nc && cols[k] != edges[i][s]; k++)
                ;
            if (k == nc)
                cols[nc++] = edges[i][s];
        }
    for (int k = 0; k < nc; k++) {
        cerd_type ty = r->t->columns[cols[k]].type;
        if (ty == CERD_TYPE_TIMESTAMPTZ) {
            cerd_timestamp ts;
            if (!cerd__fac_get_timestamp(r->t, cols[k], f->row, &ts))
                return -1;
            cerd_numeric_from_int64(&vals[k], ts);
        } else if (!cerd__fac_get_numeric(r->t, cols[k], f->row, &vals[k]))
            return -1;
        if ((ty == CERD_TYPE_TIMESTAMPTZ) != (r->t->columns[cols[0]].type == CERD_TYPE_TIMESTAMPTZ))
            return -1;
    }
    for (int i = 0; i < ne; i++)
        for (int k = 0; k < nc; k++)
            if (cols[k] == edges[i][1])
                indeg[k]++;
    while (nt < nc) {
        int avail[32], na = 0;
        for (int k = 0; k < nc; k++)
            if (!done[k] && indeg[k] == 0)
                avail[na++] = k;
        if (!na)
            return -1; /* a cycle: a < b < a */
        int k = avail[pick(f, (unsigned)na)];
        done[k] = true;
        topo[nt++] = k;
        for (int i = 0; i < ne; i++)
            if (edges[i][0] == cols[k])
                for (int j = 0; j < nc; j++)
                    if (cols[j] == edges[i][1])
                        indeg[j]--;
    }
    qsort(vals, (size_t)nc, sizeof vals[0], cmp_numeric_ptr);
    for (int i = 0; i < nt; i++) {
        int col = cols[topo[i]];
        cerd_type ty = r->t->columns[col].type;
        if (ty == CERD_TYPE_NUMERIC)
            cerd__fac_set_numeric(r->t, col, f->row, &vals[i]);
        else {
            cerd__i128 x;
            if (!cerd__fac_num_scaled(&vals[i], 0, 0, &x))
                return -1;
            if (ty == CERD_TYPE_TIMESTAMPTZ)
                cerd__fac_set_timestamp(r->t, col, f->row, (cerd_timestamp)x);
            else if (cerd__fac_set_int(r->t, col, f->row, (int64_t)x))
                return -1;
        }
    }
    return 0;
}

/* ================================================================== rows */

struct run {
    cerd_conn *conn;
    const char **ptable;  /* parents known: given, then created */
    int64_t *pid;
    const void **prow;    /* their rows: given (borrowed, may be NULL) or created */
    void **powned;        /* the rows created (owned), else NULL */
    size_t np, cap;
    const char *root_table;
    uint64_t root_seed;
    int depth;
};
typedef struct run run;

static const cerd_check *find_check(const cerd_table *t, const char *name)
{
    for (int i = 0; i < t->nchecks; i++)
        if (t->checks[i] && t->checks[i]->name && !strcmp(t->checks[i]->name, name))
            return t->checks[i];
    return NULL;
}

/* Index of the known parent row of table, or -1. */
static int known_parent(const run *ru, const char *table)
{
    for (size_t i = 0; i < ru->np; i++)
        if (!strcmp(ru->ptable[i], table))
            return (int)i;
    return -1;
}

static int add_parent(run *ru, const char *table, int64_t id, const void *row, void *owned)
{
    if (ru->np == ru->cap)
        return cerd__error(CERD_ENOMEM, "factory: too many parents");
    ru->ptable[ru->np] = table;
    ru->pid[ru->np] = id;
    ru->prow[ru->np] = row;
    ru->powned[ru->np] = owned;
    ru->np++;
    return 0;
}

static int make_row(run *ru, const cerd_table *t, uint64_t seed, const char *violate,
                    void *out);

/* Makes a row of the table fk references, inserts it through ru->conn (or finds the
   same row inserted before) and records it as a known parent; *index: its place. */
static int create_parent(struct run *ru, const cerd_foreign_key *fk, int *index)
{
    const cerd_table *ref = cerd_table_find(fk->ref_table);
    int idcol, rc;
    void *row, *stored;
    uint64_t seed;
    int64_t id = 0;

    if (!ref)
        return cerd__error(CERD_EMISUSE, "factory: foreign key %s references unknown table %s",
                           fk->name, fk->ref_table);
    for (int i = 0; i < fk->ncolumns; i++) {
        int c = cerd_table_column(ref, fk->ref_columns[i]);
        if (c < 0 || ref->columns[c].type != CERD_TYPE_INT64)
            return cerd__error(CERD_EMISUSE, "factory: foreign key %s references %s.%s, not "
                               "a bigint", fk->name, fk->ref_table, fk->ref_columns[i]);
    }
    if (ru->depth >= MAX_PARENT_DEPTH)
        return cerd__error(CERD_EMISUSE, "factory: foreign keys nest deeper than %d at %s "
                           "(a cycle of NOT NULL foreign keys?)", MAX_PARENT_DEPTH, fk->name);
    row = calloc(1, ref->row_size);
    stored = calloc(1, ref->row_size);
    if (!row || !stored) {
        free(row);
        free(stored);
        return cerd__error(CERD_ENOMEM, "out of memory");
    }
    /* one parent per table and root row: distinct across root tables and seeds */
    seed = cerd__fac_mix(ru->root_seed ^ cerd__fac_mix(cerd__fac_hash_str(ru->root_table))
                         ^ cerd__fac_mix(cerd__fac_hash_str(ref->name) + 1));
    ru->depth++;
    rc = make_row(ru, ref, seed, NULL, row);
    ru->depth--;
    /* get or create: the same parent made again (same root table and seed, as when a
       fixture is loaded twice) is found by its unique keys and reused */
    for (int k = 0; !rc && k < ref->nunique; k++) {
        rc = cerd_row_get(stored, ru->conn, ref, k, row, CERD_ROW_INCLUDE_DELETED);
        if (rc == 0)
            goto found;
        if (rc == CERD_ENOTFOUND)
            rc = 0;
        else
            cerd__error_prefix("factory: looking up a parent row of %s", ref->name);
    }
    if (!rc && (rc = cerd_row_insert(stored, ru->conn, ref, row)))
        cerd__error_prefix("factory: inserting a parent row of %s", ref->name);
found:
    cerd_row_clear(ref, row);
    free(row);
    if (!rc) {
        /* the id known for this parent: its first primary-key column (one-column foreign
           keys to it take it; others read the row) */
        idcol = ref->primary_key.ncolumns ? ref->primary_key.columns[0] : -1;
        if (idcol >= 0 && ref->columns[idcol].type == CERD_TYPE_INT64)
            cerd__fac_get_int(ref, idcol, stored, &id);
        *index = (int)ru->np;
        rc = add_parent(ru, ref->name, id, stored, stored);
    }
    if (rc) {
        cerd_row_clear(ref, stored);
        free(stored);
    }
    return rc;
}

/* Sets every column of fk in r from the known parent row of its table (made first when
   create is set and there is none): a child's user_id is its parent's. Returns 0 also
   when there is no parent and create is not set (the columns stay unset). */
static int fk_from_parent(struct run *ru, cerd__fac_row *r, const cerd_foreign_key *fk,
                          bool create)
{
    const cerd_table *ref = cerd_table_find(fk->ref_table);
    int pi = known_parent(ru, fk->ref_table), rc;
    int64_t v[4];

    if (pi < 0) {
        if (!create)
            return 0;
        if ((rc = create_parent(ru, fk, &pi)))
            return rc;
    }
    for (int i = 0; i < fk->ncolumns; i++) {
        const void *prow = ru->prow[pi];
        int rc2 = ref ? cerd_table_column(ref, fk->ref_columns[i]) : -1;
        if (prow) {
            if (rc2 < 0 || !cerd__fac_get_int(ref, rc2, prow, &v[i]))
                return cerd__error(CERD_EMISUSE, "factory: foreign key %s: the parent row of "
                                   "%s has no %s", fk->name, fk->ref_table, fk->ref_columns[i]);
        } else if (ref && ref->primary_key.ncolumns
                   && rc2 == (int)ref->primary_key.columns[0]) {
            v[i] = ru->pid[pi];
        } else {
            return cerd__error(CERD_EMISUSE, "factory: foreign key %s takes %s.%s from its "
                               "parent: give the parent's row (cerd_factory_parent.row), "
                               "not only its id", fk->name, fk->ref_table, fk->ref_columns[i]);
        }
    }
    for (int i = 0; i < fk->ncolumns; i++) {
        int col = fk->columns[i];
        r->is_fk[col] = true;
        r->fk_has[col] = true;
        r->fk_id[col] = v[i];
    }
    return 0;
}

/* Fills r's per-row state: hashes, domains, foreign keys (creating parents). */
static int prepare(run *ru, cerd__fac_row *r, const cerd_table *t, uint64_t seed)
{
    int rc;

    r->t = t;
    r->seed = seed;
    r->tseed = cerd__fac_mix(seed ^ cerd__fac_mix(cerd__fac_hash_str(t->name)));
    r->persona = (unsigned)(cerd__fac_mix(r->tseed ^ UINT64_C(0x5045525341)) % 1000003u);
    r->anchor = BASE_TIME + (int64_t)(seed % ANCHOR_MINUTES) * INT64_C(60000000)
                + (int64_t)(cerd__fac_mix(r->tseed ^ 0xA7) % INT64_C(60000000));
    for (int i = 0; i < t->ncolumns; i++) {
        r->dom[i].max_elems = -1;
        r->dom[i].min_len = -1;
        r->dom[i].max_len = -1;
    }
    for (int i = 0; i < t->nchecks; i++)
        if (t->checks[i])
            collect(r, t->checks[i]->expr);
    for (int k = 0; k < t->nunique; k++)
        for (int i = 0; i < t->unique_keys[k].ncolumns; i++)
            r->unique[t->unique_keys[k].columns[i]] = true;
    for (int i = 0; i < t->primary_key.ncolumns; i++)
        r->unique[t->primary_key.columns[i]] = true;

    /* NOT NULL foreign keys first: the parents they create serve the nullable ones. A
       foreign key is NOT NULL when all its columns are; every column of it is taken from
       the parent row (so a composite key's user_id is its parent's). */
    for (int pass = 0; pass < 2; pass++)
        for (int k = 0; k < t->nforeign; k++) {
            const cerd_foreign_key *fk = &t->foreign_keys[k];
            bool notnull = true, bad = false;
            for (int i = 0; i < fk->ncolumns; i++) {
                bad = bad || fk->columns[i] >= t->ncolumns;
                if (!bad && !(t->columns[fk->columns[i]].flags & CERD_COL_NOT_NULL))
                    notnull = false;
            }
            if (bad || fk->ncolumns < 1 || notnull != (pass == 0))
                continue;
            if (known_parent(ru, fk->ref_table) >= 0) {
                if ((rc = fk_from_parent(ru, r, fk, false)))
                    return rc;
                continue;
            }
            if (!notnull) {
                /* left NULL (through its nullable columns) unless a parent is made */
                for (int i = 0; i < fk->ncolumns; i++)
                    if (!(t->columns[fk->columns[i]].flags & CERD_COL_NOT_NULL))
                        r->is_fk[fk->columns[i]] = true;
                continue;
            }
            if (!ru->conn)
                return cerd__error(CERD_EMISUSE,
                                   "factory: %s.%s needs a parent row of %s: give one in "
                                   "opts->parents or a connection in opts->create_parents",
                                   t->name, t->columns[fk->columns[fk->ncolumns - 1]].name,
                                   fk->ref_table);
            if ((rc = fk_from_parent(ru, r, fk, true)))
                return rc;
        }
    return 0;
}

/* Whether a nullable column is left NULL in this row (about one in ten; soft-delete
   columns mostly). */
static bool leave_null(const cerd__fac_row *r, int col)
{
    const cerd_column *c = &r->t->columns[col];
    uint64_t h = cerd__fac_col_hash(r, col, UINT64_C(0x4E554C4C));
    if (c->flags & (CERD_COL_NOT_NULL | CERD_COL_HAS_DEFAULT | CERD_COL_IDENTITY))
        return false;
    if (r->dom[col].required || r->unique[col])
        return false;
    if (r->t->soft_delete_column == col)
        return h % 4 != 0;
    return h % 10 == 0;
}

static int fill(cerd__fac_row *r, void *row)
{
    const cerd_table *t = r->t;
    int rc;

    for (int i = 0; i < t->ncolumns; i++) {
        const cerd_column *c = &t->columns[i];
        if (c->flags & CERD_COL_IDENTITY)
            continue;
        if (r->is_fk[i]) {
            if (r->fk_has[i] && (rc = cerd__fac_set_int(t, i, row, r->fk_id[i])))
                return cerd__error(rc, "%s.%s: parent id out of range", t->name, c->name);
            continue;
        }
        if (leave_null(r, i))
            continue;
        if ((rc = cerd__fac_gen_value(r, i, 0, row)))
            return rc;
    }
    return 0;
}

static void violations_text(const cerd_violations *v, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < v->count; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s", i ? "; " : "",
                 v->items[i].message ? v->items[i].message : v->items[i].constraint);
    }
}

/* Validates and repairs until the row is valid. */
static int repair(cerd__fac_row *r, void *row)
{
    const cerd_table *t = r->t;
    cerd_violations v = {0};
    char msg[1024];
    int rc;

    for (int attempt = 0; attempt < MAX_REPAIRS; attempt++) {
        rc = cerd_row_validate(&v, t, row, CERD_VALIDATE_INSERT);
        if (rc == 0) {
            cerd_violations_free(&v);
            return 0;
        }
        if (rc != CERD_EINVALID) {
            cerd_violations_free(&v);
            return rc;
        }
        for (size_t i = 0; i < v.count; i++) {
            const cerd_violation *vi = &v.items[i];
            forcer f = {r, NULL, false, row, (uint64_t)attempt / 2, r->tseed >> 40, (uint64_t)attempt + 1, 0};
            if (vi->kind == CERD_VIOLATION_CHECK) {
                const cerd_check *ck = find_check(t, vi->constraint);
                if (!ck)
                    continue;
                /* orderings first (sorting keeps the values' realism), then forcing */
                if (attempt % 2 == 1 || order_repair(&f, ck->expr))
                    force(&f, ck->expr, true);
                if (f.err) {
                    cerd_violations_free(&v);
                    return f.err;
                }
                continue;
            }
            for (int k = 0; k < vi->ncolumns; k++) {
                int col = vi->columns[k];
                if (col < 0 || col >= t->ncolumns || (t->columns[col].flags & CERD_COL_IDENTITY))
                    continue;
                if (r->is_fk[col]) {
                    if (r->fk_has[col])
                        cerd__fac_set_int(t, col, row, r->fk_id[col]);
                    continue;
                }
                if ((rc = cerd__fac_gen_value(r, col, (uint64_t)attempt + 1, row))) {
                    cerd_violations_free(&v);
                    return rc;
                }
            }
        }
        cerd_violations_free(&v);
    }
    rc = cerd_row_validate(&v, t, row, CERD_VALIDATE_INSERT);
    if (rc == CERD_EINVALID) {
        violations_text(&v, msg, sizeof msg);
        rc = cerd__error(CERD_ERROR, "factory: no valid %s row for seed %llu after %d "
                         "repairs: %s", t->name, (unsigned long long)r->seed, MAX_REPAIRS, msg);
    }
    cerd_violations_free(&v);
    return rc;
}

static int copy_row(const cerd_table *t, void *dst, const void *src)
{
    for (int i = 0; i < t->ncolumns; i++)
        if (cerd__fac_copy_field(t, i, dst, src)) {
            cerd_row_clear(t, dst);
            return cerd__error(CERD_ENOMEM, "out of memory");
        }
    return 0;
}

/* A CHECK relating columns that comes out NULL passes, but reads oddly (a cron schedule
   on a job that is not known to recur): make such checks true where that keeps the row
   valid. */
static int tidy(cerd__fac_row *r, void *row)
{
    const cerd_table *t = r->t;
    void *w = NULL;
    int rc = 0;

    for (int k = 0; k < t->nchecks; k++) {
        const cerd_check *ck = t->checks[k];
        val now;
        if (!ck || ck->ncolumns < 2)
            continue;
        now = eval(r, row, ck->expr);
        if (now.kind != V_NULL)
            continue;
        if (!w && !(w = calloc(1, t->row_size)))
            return cerd__error(CERD_ENOMEM, "out of memory");
        if ((rc = copy_row(t, w, row)))
            break;
        forcer f = {r, NULL, false, w, 0, r->tseed >> 40, 0, 0};
        if (!force(&f, ck->expr, true) && !cerd_row_validate(NULL, t, w, CERD_VALIDATE_INSERT)) {
            cerd_row_clear(t, row);
            memcpy(row, w, t->row_size);
            memset(w, 0, t->row_size);
        } else
            cerd_row_clear(t, w);
        if ((rc = f.err))
            break;
    }
    if (w) {
        cerd_row_clear(t, w);
        free(w);
    }
    return rc;
}

/* Whether w breaks exactly the rule wanted (kind, and for a CHECK its name). */
static int exactly(const cerd_table *t, const void *w, cerd_violation_kind kind,
                   const char *name, bool *yes)
{
    cerd_violations v = {0};
    int rc = cerd_row_validate(&v, t, w, CERD_VALIDATE_INSERT);
    *yes = false;
    if (rc == CERD_EINVALID) {
        *yes = v.count == 1 && v.items[0].kind == kind
               && (!name || (v.items[0].constraint && !strcmp(v.items[0].constraint, name)));
        rc = 0;
    }
    cerd_violations_free(&v);
    return rc;
}

/* Breaks a column-level rule in column col of w, in one of a few ways (variant).
   Returns 0, NOT_APPLICABLE when the column (or this variant) cannot break the rule, or
   an error code. */
typedef int (*breaker)(cerd__fac_row *r, void *w, int col, unsigned variant);
#define NOT_APPLICABLE 1

static int break_not_null(cerd__fac_row *r, void *w, int col, unsigned variant)
{
    const cerd_column *c = &r->t->columns[col];
    /* a column with a default gets it when absent: NULL cannot reach the server */
    if (variant > 0 || !(c->flags & CERD_COL_NOT_NULL)
        || (c->flags & (CERD_COL_HAS_DEFAULT | CERD_COL_IDENTITY)))
        return NOT_APPLICABLE;
    return cerd__fac_set_null(r->t, col, w) ? 0 : NOT_APPLICABLE;
}

static int break_length(cerd__fac_row *r, void *w, int col, unsigned variant)
{
    const cerd_column *c = &r->t->columns[col];
    size_t n;
    char *buf;
    int rc = 0;

    if (c->max_chars < 0 || variant > 0)
        return NOT_APPLICABLE;
    if (c->type != CERD_TYPE_TEXT && c->type != CERD_TYPE_TEXT_ARRAY)
        return NOT_APPLICABLE;
    n = (size_t)c->max_chars + 1 + (size_t)(r->tseed % 3);
    if (!(buf = malloc(4 * n + 1)))
        return cerd__error(CERD_ENOMEM, "out of memory");
    if (c->type == CERD_TYPE_TEXT) {
        const char *cur = cerd__fac_get_text(r->t, col, w);
        cerd__fac_text_of_chars(buf, 4 * n + 1, cur, n, true, r->tseed);
        rc = cerd__fac_set_text(r->t, col, w, buf);
    } else {
        cerd_text_array *a = (cerd_text_array *)((char *)w + c->offset);
        if (!a->valid || !a->count)
            rc = cerd__fac_set_array_len(r, col, w, 1, 0);
        if (!rc) {
            cerd__fac_text_of_chars(buf, 4 * n + 1, a->values[0], n, true, r->tseed);
            free(a->values[0]);
            if (!(a->values[0] = strdup(buf)))
                rc = cerd__error(CERD_ENOMEM, "out of memory");
        }
    }
    free(buf);
    return rc;
}

static int break_precision(cerd__fac_row *r, void *w, int col, unsigned variant)
{
    const cerd_column *c = &r->t->columns[col];
    cerd_numeric n;
    char text[96];
    int digits;

    if (c->type != CERD_TYPE_NUMERIC || c->precision <= 0 || variant > 2)
        return NOT_APPLICABLE;
    digits = c->precision - (c->scale > 0 ? c->scale : 0); /* integer digits allowed */
    if (digits + 1 > CERD_NUMERIC_MAX_DIGITS)
        return NOT_APPLICABLE;
    /* 10^digits, 5 * 10^digits or -10^digits: one integer digit too many */
    snprintf(text, sizeof text, "%s%c", variant == 2 ? "-" : "", variant == 1 ? '5' : '1');
    for (int i = 0; i < digits; i++)
        strcat(text, "0");
    if (cerd_numeric_parse(&n, text))
        return NOT_APPLICABLE;
    cerd__fac_set_numeric(r->t, col, w, &n);
    return 0;
}

/* Breaks one column-level rule of the valid row: tries the columns from a seed-chosen
   start, a few variants each, until validation reports exactly that violation. */
static int violate_columns(cerd__fac_row *r, void *valid, void *out, cerd_violation_kind kind,
                           breaker brk, const char *what)
{
    const cerd_table *t = r->t;
    int n = t->ncolumns, start = (int)(r->tseed % (uint64_t)(n ? n : 1)), rc;
    void *w = calloc(1, t->row_size);

    if (!w)
        return cerd__error(CERD_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        int col = (start + i) % n;
        for (unsigned variant = 0; variant < 3; variant++) {
            bool yes;
            if ((rc = copy_row(t, w, valid)))
                goto done;
            rc = brk(r, w, col, variant);
            if (rc < 0)
                goto done;
            if (rc == NOT_APPLICABLE) {
                cerd_row_clear(t, w);
                break; /* this column cannot break the rule (in more ways) */
            }
            if ((rc = exactly(t, w, kind, NULL, &yes)))
                goto done;
            if (yes) {
                cerd_row_clear(t, out);
                memcpy(out, w, t->row_size);
                free(w);
                return 0;
            }
            cerd_row_clear(t, w);
        }
    }
    rc = cerd__error(CERD_EINVALID, "factory: no %s row breaks %s alone", t->name, what);
done:
    cerd_row_clear(t, w);
    free(w);
    return rc;
}

static bool table_has(const cerd_table *t, cerd_violation_kind kind)
{
    for (int i = 0; i < t->ncolumns; i++) {
        const cerd_column *c = &t->columns[i];
        if (kind == CERD_VIOLATION_NOT_NULL && (c->flags & CERD_COL_NOT_NULL)
            && !(c->flags & CERD_COL_IDENTITY))
            return true;
        if (kind == CERD_VIOLATION_LENGTH && c->max_chars >= 0)
            return true;
        if (kind == CERD_VIOLATION_NUMERIC_PRECISION && c->type == CERD_TYPE_NUMERIC
            && c->precision > 0)
            return true;
    }
    return false;
}

/* After ck was forced false in f's row: repairs the other CHECKs that change broke (a
   watchlist_type outside its list needs a user for the owner rule) without touching ck,
   until validation reports ck alone (*yes) or that is out of reach. */
static int settle(forcer *f, const cerd_check *ck, bool *yes)
{
    const cerd_table *t = f->r->t;
    int rc = 0;

    *yes = false;
    for (int round = 0; round < 4 && !rc; round++) {
        cerd_violations v = {0};
        bool target = false, others = false, fixable = true;
        rc = cerd_row_validate(&v, t, f->row, CERD_VALIDATE_INSERT);
        if (rc != CERD_EINVALID) {
            cerd_violations_free(&v);
            return rc; /* 0: the row became valid, ck no longer broken */
        }
        rc = 0;
        for (size_t i = 0; i < v.count; i++) {
            const cerd_violation *vi = &v.items[i];
            if (vi->kind == CERD_VIOLATION_CHECK && !strcmp(vi->constraint, ck->name))
                target = true;
            else {
                others = true;
                fixable = fixable && vi->kind == CERD_VIOLATION_CHECK;
            }
        }
        if (!target || !others || !fixable) {
            *yes = target && !others;
            cerd_violations_free(&v);
            return 0;
        }
        for (size_t i = 0; i < v.count; i++) {
            const cerd_check *other;
            if (!strcmp(v.items[i].constraint, ck->name)
                || !(other = find_check(t, v.items[i].constraint)))
                continue;
            force(f, other->expr, true);
            if ((rc = f->err))
                break;
        }
        cerd_violations_free(&v);
    }
    return rc;
}

static int violate_check(run *ru, cerd__fac_row *r, const cerd_check *ck, void *valid, void *out)
{
    const cerd_table *t = r->t;
    void *w = calloc(1, t->row_size);
    int rc = 0;

    if (!w)
        return cerd__error(CERD_ENOMEM, "out of memory");
    for (int attempt = 0; attempt < MAX_VIOLATE_TRIES; attempt++) {
        forcer f = {r, ru, ru->conn != NULL, w, (uint64_t)attempt, r->tseed >> 40,
                    (uint64_t)attempt + 1, 0};
        bool yes;
        if ((rc = copy_row(t, w, valid)))
            break;
        if (force(&f, ck->expr, false) == 0) {
            if ((rc = settle(&f, ck, &yes)))
                break;
            if (yes) {
                cerd_row_clear(t, out);
                memcpy(out, w, t->row_size);
                free(w);
                return 0;
            }
        } else if (f.err) {
            rc = f.err;
            break;
        }
        cerd_row_clear(t, w);
    }
    if (!rc)
        rc = cerd__error(CERD_EINVALID, "factory: no %s row breaks %s alone (tried %d ways)",
                         t->name, ck->name, MAX_VIOLATE_TRIES);
    cerd_row_clear(t, w);
    free(w);
    return rc;
}

static int make_row(run *ru, const cerd_table *t, uint64_t seed, const char *violate, void *out)
{
    cerd__fac_row *r = calloc(1, sizeof *r);
    void *valid = NULL;
    const cerd_check *ck = NULL;
    int rc;

    if (!r)
        return cerd__error(CERD_ENOMEM, "out of memory");
    if (violate && strcmp(violate, "not_null") && strcmp(violate, "length")
        && strcmp(violate, "numeric_precision") && !(ck = find_check(t, violate))) {
        free(r);
        return cerd__error(CERD_EMISUSE, "factory: table %s has no constraint \"%s\"",
                           t->name, violate);
    }
    if ((rc = prepare(ru, r, t, seed)))
        goto done;
    if (!violate) {
        cerd_row_clear(t, out);
        if ((rc = fill(r, out)) || (rc = repair(r, out)) || (rc = tidy(r, out)))
            cerd_row_clear(t, out);
        goto done;
    }
    if (!(valid = calloc(1, t->row_size))) {
        rc = cerd__error(CERD_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = fill(r, valid)) || (rc = repair(r, valid)) || (rc = tidy(r, valid)))
        goto done;
    if (ck)
        rc = violate_check(ru, r, ck, valid, out);
    else if (!strcmp(violate, "not_null"))
        rc = table_has(t, CERD_VIOLATION_NOT_NULL)
                 ? violate_columns(r, valid, out, CERD_VIOLATION_NOT_NULL, break_not_null, "not_null")
                 : cerd__error(CERD_EMISUSE, "factory: table %s has no NOT NULL column", t->name);
    else if (!strcmp(violate, "length"))
        rc = table_has(t, CERD_VIOLATION_LENGTH)
                 ? violate_columns(r, valid, out, CERD_VIOLATION_LENGTH, break_length, "length")
                 : cerd__error(CERD_EMISUSE, "factory: table %s has no varchar(n) column", t->name);
    else
        rc = table_has(t, CERD_VIOLATION_NUMERIC_PRECISION)
                 ? violate_columns(r, valid, out, CERD_VIOLATION_NUMERIC_PRECISION,
                                   break_precision, "numeric_precision")
                 : cerd__error(CERD_EMISUSE, "factory: table %s has no numeric(p,s) column",
                               t->name);
done:
    if (valid) {
        cerd_row_clear(t, valid);
        free(valid);
    }
    free(r);
    return rc;
}

int cerd_factory_make(void *out, const cerd_table *t, const cerd_factory_options *opts)
{
    cerd_factory_options defaults = CERD_FACTORY_OPTIONS_INIT;
    run ru;
    int rc;

    if (!t || !out)
        return cerd__error(CERD_EMISUSE, "factory: table or out is NULL");
    if (t->abi != CERD_TABLE_ABI)
        return cerd__error(CERD_EMISUSE, "factory: descriptor of %s has ABI %u, expected %d",
                           t->name, (unsigned)t->abi, CERD_TABLE_ABI);
    if (!opts)
        opts = &defaults;
    if (opts->version != 1)
        return cerd__error(CERD_EMISUSE, "factory: options version %u, expected 1",
                           opts->version);
    if (opts->nparents && !opts->parents)
        return cerd__error(CERD_EMISUSE, "factory: nparents is %zu but parents is NULL",
                           opts->nparents);
    memset(&ru, 0, sizeof ru);
    ru.conn = opts->create_parents;
    ru.root_table = t->name;
    ru.root_seed = opts->seed;
    ru.cap = opts->nparents + cerd_table_count() + 1;
    ru.ptable = calloc(ru.cap, sizeof *ru.ptable);
    ru.pid = calloc(ru.cap, sizeof *ru.pid);
    ru.prow = calloc(ru.cap, sizeof *ru.prow);
    ru.powned = calloc(ru.cap, sizeof *ru.powned);
    if (!ru.ptable || !ru.pid || !ru.prow || !ru.powned) {
        rc = cerd__error(CERD_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < opts->nparents; i++) {
        if (!opts->parents[i].table) {
            rc = cerd__error(CERD_EMISUSE, "factory: parents[%zu].table is NULL", i);
            goto done;
        }
        add_parent(&ru, opts->parents[i].table, opts->parents[i].id, opts->parents[i].row,
                   NULL);
    }
    rc = make_row(&ru, t, opts->seed, opts->violate, out);
done:
    for (size_t i = 0; ru.powned && i < ru.np; i++)
        if (ru.powned[i]) {
            cerd_row_clear(cerd_table_find(ru.ptable[i]), ru.powned[i]);
            free(ru.powned[i]);
        }
    free(ru.ptable);
    free(ru.pid);
    free(ru.prow);
    free(ru.powned);
    return rc;
}
