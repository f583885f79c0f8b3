/* The one evaluator of compiled CHECK expressions (lib/expr.h): a small tree-walking
   interpreter with SQL's three-valued logic and exact numerics, tuned for validation's
   hot path (numeric comparisons and IN lists of texts without building values). */
#include <locale.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptoerd/error.h"
#include "ops/expr.h"
#include "types/numeric_internal.h"
#include "wire/field.h"

typedef cerd__val val;
typedef cerd__expr_ctx vctx;

#define SCRATCH CERD__EXPR_SCRATCH

static const val VNULL = {.kind = CERD__V_NULL};
static const val VUNKNOWN = {.kind = CERD__V_UNKNOWN};

static inline val vbool(bool b)
{
    val v;
    v.u.i = b;
    v.len = 0;
    v.kind = CERD__V_BOOL;
    return v;
}

static inline val vint(int64_t i)
{
    val v;
    v.u.i = i;
    v.len = 0;
    v.kind = CERD__V_INT;
    return v;
}

/* ------------------------------------------------------------------------------ */
/* Regular expressions: POSIX regcomp in the C locale (bytes), compiled once per node. */

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

typedef struct compiled_regex {
    regex_t re;
} compiled_regex;

static compiled_regex *regex_compile(const char *pattern, bool icase, char *err, size_t size)
{
    compiled_regex *c = malloc(sizeof *c);
    locale_t old;
    int rc;
    if (!c) {
        snprintf(err, size, "out of memory compiling a regular expression");
        return NULL;
    }
    pthread_once(&c_locale_once, make_c_locale);
    if (!c_locale) {
        free(c);
        snprintf(err, size, "no C locale for regular expressions");
        return NULL;
    }
    old = uselocale(c_locale);
    rc = regcomp(&c->re, pattern, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
    uselocale(old);
    if (rc) {
        char msg[96];
        regerror(rc, &c->re, msg, sizeof msg);
        snprintf(err, size, "invalid regular expression: %s", msg);
        free(c);
        return NULL;
    }
    return c;
}

static void regex_release(compiled_regex *c)
{
    regfree(&c->re);
    free(c);
}

/* The compiled pattern of a REGEX/IREGEX node: from its cache, compiled and published
   there on first use (two threads may both compile; one copy wins, the other is freed). */
static compiled_regex *regex_for(const cerd_expr *e, const char *pattern, bool *owned,
                                 char *err, size_t size)
{
    bool icase = e->op == CERD_EXPR_IREGEX;
    compiled_regex *c, *expected = NULL;
    *owned = false;
    if (e->regex && (c = __atomic_load_n((compiled_regex **)&e->regex->compiled,
                                         __ATOMIC_ACQUIRE)))
        return c;
    if (!(c = regex_compile(pattern, icase, err, size)))
        return NULL;
    if (!e->regex) {
        *owned = true;
        return c;
    }
    if (__atomic_compare_exchange_n((compiled_regex **)&e->regex->compiled, &expected, c,
                                    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return c;
    regex_release(c);
    return expected;
}

static bool regex_match(const compiled_regex *c, const char *s, size_t len)
{
    regmatch_t m[1];
    locale_t old = uselocale(c_locale);
    int rc;
    m[0].rm_so = 0;
    m[0].rm_eo = (regoff_t)len;
    rc = regexec(&c->re, s, 1, m, REG_STARTEND);
    uselocale(old);
    return rc == 0;
}

/* ------------------------------------------------------------------------------ */
/* Evaluation */

static val eval(vctx *x, const cerd_expr *e);

static val error_val(vctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noinline, cold));
static val error_val(vctx *x, const char *fmt, ...)
{
    va_list ap;
    val v = {.kind = CERD__V_ERROR};
    va_start(ap, fmt);
    vsnprintf(x->err, sizeof x->err, fmt, ap);
    va_end(ap);
    return v;
}

static inline val const_val(vctx *x, const cerd_expr *e)
{
    val v;
    v.len = 0;
    if (!e->text)
        return VNULL;
    switch (e->type) {
    case CERD_TYPE_INT32:
    case CERD_TYPE_INT64:
        return vint(e->ival);
    case CERD_TYPE_BOOL:
        return vbool(e->ival != 0);
    case CERD_TYPE_TIMESTAMPTZ:
        v.kind = CERD__V_TS;
        v.u.i = e->ival;
        return v;
    case CERD_TYPE_NUMERIC:
        if (!e->num)
            return error_val(x, "numeric constant %s without its value", e->text);
        v.kind = CERD__V_NUM;
        v.u.n = e->num;
        return v;
    case CERD_TYPE_TEXT:
        v.kind = CERD__V_TEXT;
        v.u.s = e->text;
        v.len = (e->len || !e->text[0]) ? e->len : (uint32_t)strlen(e->text);
        return v;
    default:
        return error_val(x, "constants of type %d are not supported", (int)e->type);
    }
}

/* The value a CHECK sees of an absent column: its constant default. */
/* Kept out of line: eval() stays small. */
static __attribute__((noinline)) val default_val(vctx *x, int col)
{
    const cerd_check *ck = x->ck;
    for (uint16_t i = 0; ck && ck->defaults && i < ck->ncolumns; i++)
        if (ck->columns[i] == col && ck->defaults[i])
            return eval(x, ck->defaults[i]);
    return VUNKNOWN;
}

/* A column read as the field holds it (raw evaluation). Kept out of line. */
static __attribute__((noinline)) val raw_column_val(vctx *x, int col)
{
    const cerd_column *c = &x->t->columns[col];
    const char *f = x->row + c->offset;
    val v;
    v.len = 0;
    if (cerd__field_null_at(c, f))
        return VNULL;
    switch (c->type) {
    case CERD_TYPE_INT64:
        return vint(*(const int64_t *)f);
    case CERD_TYPE_INT32:
        return vint(*(const int32_t *)f);
    case CERD_TYPE_BOOL:
        return vbool(*(const bool *)f);
    case CERD_TYPE_NUMERIC:
        v.kind = CERD__V_NUM;
        v.u.n = (const cerd_numeric *)f; /* the value of a cerd_opt_numeric comes first */
        return v;
    case CERD_TYPE_TIMESTAMPTZ:
        v.kind = CERD__V_TS;
        v.u.i = *(const cerd_timestamp *)f;
        return v;
    case CERD_TYPE_TEXT: {
        size_t len = strlen(*(char *const *)f);
        v.kind = CERD__V_TEXT;
        v.u.s = *(char *const *)f;
        v.len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
        return v;
    }
    case CERD_TYPE_INT32_ARRAY:
        v.kind = CERD__V_IARR;
        v.u.ia = (const cerd_int32_array *)f;
        return v;
    case CERD_TYPE_TEXT_ARRAY:
        v.kind = CERD__V_TARR;
        v.u.ta = (const cerd_text_array *)f;
        return v;
    default:
        v.kind = CERD__V_OTHER;
        return v;
    }
}

/* The value of column col as stored (the column pass has looked at it). */
static inline val column_val(vctx *x, int col)
{
    const cerd_column *c;
    const char *f;
    val v;

    v.len = 0;
    if (col < 0 || col >= x->t->ncolumns)
        return error_val(x, "column %d out of range", col);
    if (__builtin_expect(x->raw, 0))
        return raw_column_val(x, col);
    if (x->state[col] != CERD__ST_VALUE)
        return x->state[col] == CERD__ST_NULL ? VNULL : default_val(x, col);
    c = &x->t->columns[col];
    f = x->row + c->offset;
    switch (c->type) {
    case CERD_TYPE_INT64:
        return vint(*(const int64_t *)f);
    case CERD_TYPE_INT32:
        return vint(*(const int32_t *)f);
    case CERD_TYPE_BOOL:
        return vbool(*(const bool *)f);
    case CERD_TYPE_NUMERIC:
        v.kind = CERD__V_NUM;
        v.u.n = x->num[col];
        return v;
    case CERD_TYPE_TIMESTAMPTZ:
        v.kind = CERD__V_TS;
        v.u.i = *(const cerd_timestamp *)f;
        return v;
    case CERD_TYPE_TEXT:
        v.kind = CERD__V_TEXT;
        v.u.s = *(char *const *)f;
        v.len = x->tlen[col] > UINT32_MAX ? UINT32_MAX : (uint32_t)x->tlen[col];
        return v;
    case CERD_TYPE_INT32_ARRAY:
        v.kind = CERD__V_IARR;
        v.u.ia = (const cerd_int32_array *)f;
        return v;
    case CERD_TYPE_TEXT_ARRAY:
        v.kind = CERD__V_TARR;
        v.u.ta = (const cerd_text_array *)f;
        return v;
    default:
        v.kind = CERD__V_OTHER;
        return v;
    }
}

/* An operand: columns and constants without a call to eval(). */
static inline val operand(vctx *x, const cerd_expr *e)
{
    if (e->op == CERD_EXPR_COLUMN)
        return column_val(x, e->column);
    if (e->op == CERD_EXPR_CONST)
        return const_val(x, e);
    return eval(x, e);
}

/* Numeric comparison, inlined for normalised finite values (what the column pass and
   the generator hand out); anything else goes to cerd_numeric_cmp(). */
static inline int num_cmp(const cerd_numeric *a, const cerd_numeric *b)
{
    int na = a->ngroups, nb = b->ngroups, r = 0;
    bool nega, negb;
    if ((na == 0 || nb == 0) && (a->sign == CERD_NUMERIC_POS || a->sign == CERD_NUMERIC_NEG) &&
        (b->sign == CERD_NUMERIC_POS || b->sign == CERD_NUMERIC_NEG) && na >= 0 && nb >= 0 &&
        (na == 0 || a->digits[0] != 0) && (nb == 0 || b->digits[0] != 0)) {
        /* zero against zero or a normalised value */
        if (na == 0 && nb == 0)
            return 0;
        if (na == 0)
            return b->sign == CERD_NUMERIC_NEG ? 1 : -1;
        return a->sign == CERD_NUMERIC_NEG ? -1 : 1;
    }
    if ((a->sign != CERD_NUMERIC_POS && a->sign != CERD_NUMERIC_NEG) ||
        (b->sign != CERD_NUMERIC_POS && b->sign != CERD_NUMERIC_NEG) || na <= 0 || nb <= 0 ||
        na > CERD_NUMERIC_MAX_GROUPS || nb > CERD_NUMERIC_MAX_GROUPS || a->digits[0] == 0 ||
        b->digits[0] == 0 || a->digits[na - 1] == 0 || b->digits[nb - 1] == 0)
        return cerd_numeric_cmp(a, b);
    nega = a->sign == CERD_NUMERIC_NEG;
    negb = b->sign == CERD_NUMERIC_NEG;
    if (nega != negb)
        return nega ? -1 : 1;
    if (a->weight != b->weight) {
        r = a->weight > b->weight ? 1 : -1;
    } else {
        int n = na < nb ? na : nb;
        for (int i = 0; i < n && !r; i++)
            if (a->digits[i] != b->digits[i])
                r = a->digits[i] > b->digits[i] ? 1 : -1;
        if (!r)
            r = (na > nb) - (na < nb);
    }
    return nega ? -r : r;
}

static inline bool holds(cerd_expr_op op, int r)
{
    switch (op) {
    case CERD_EXPR_EQ: return r == 0;
    case CERD_EXPR_NE: return r != 0;
    case CERD_EXPR_LT: return r < 0;
    case CERD_EXPR_LE: return r <= 0;
    case CERD_EXPR_GT: return r > 0;
    default: return r >= 0;
    }
}

static val compare_op(vctx *x, cerd_expr_op op, const val *a, const val *b);

/* The numeric an operand stands for when it is a numeric column holding a value or a
   numeric constant; NULL otherwise. */
static inline const cerd_numeric *num_operand(const vctx *x, const cerd_expr *e)
{
    if (e->op == CERD_EXPR_COLUMN) {
        int col = e->column;
        if (__builtin_expect(!x->raw, 1) && col >= 0 && col < x->t->ncolumns && x->state[col] == CERD__ST_VALUE &&
            x->t->columns[col].type == CERD_TYPE_NUMERIC)
            return x->num[col];
        return NULL;
    }
    if (e->op == CERD_EXPR_CONST && e->type == CERD_TYPE_NUMERIC && e->text)
        return e->num;
    return NULL;
}

/* a <op> b for a comparison node: numerics inline, the rest in compare_op(). */
static inline val comparison(vctx *x, const cerd_expr *e)
{
    val a, b;
    const cerd_numeric *na, *nb;
    if (e->nargs != 2)
        return error_val(x, "comparison needs two operands");
    /* the usual case: numeric columns and constants, no value to build */
    if ((na = num_operand(x, e->args[0])) && (nb = num_operand(x, e->args[1])))
        return vbool(holds(e->op, num_cmp(na, nb)));
    a = operand(x, e->args[0]);
    if (a.kind == CERD__V_ERROR)
        return a;
    b = operand(x, e->args[1]);
    if (b.kind == CERD__V_ERROR)
        return b;
    if (a.kind == CERD__V_NUM && b.kind == CERD__V_NUM)
        return vbool(holds(e->op, num_cmp(a.u.n, b.u.n)));
    if (a.kind == CERD__V_NULL || b.kind == CERD__V_NULL)
        return VNULL;
    if (a.kind == CERD__V_UNKNOWN || b.kind == CERD__V_UNKNOWN)
        return VUNKNOWN;
    return compare_op(x, e->op, &a, &b);
}

/* Three-way comparison of two non-NULL values; *ok false (and x->err set) when they
   cannot be compared. Integers and numerics compare by value, texts bytewise (only
   equality is generated for text: a deterministic collation's equality). */
static int compare(vctx *x, const val *a, const val *b, bool *ok)
{
    *ok = true;
    if (a->kind == CERD__V_INT && b->kind == CERD__V_INT)
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    if ((a->kind == CERD__V_NUM || a->kind == CERD__V_INT) && (b->kind == CERD__V_NUM || b->kind == CERD__V_INT)) {
        cerd_numeric ta, tb;
        const cerd_numeric *na = a->u.n, *nb = b->u.n;
        if (a->kind == CERD__V_INT) {
            cerd_numeric_from_int64(&ta, a->u.i);
            na = &ta;
        }
        if (b->kind == CERD__V_INT) {
            cerd_numeric_from_int64(&tb, b->u.i);
            nb = &tb;
        }
        return num_cmp(na, nb);
    }
    if (a->kind == b->kind && (a->kind == CERD__V_BOOL || a->kind == CERD__V_TS))
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    if (a->kind == CERD__V_TEXT && b->kind == CERD__V_TEXT) {
        size_t n = a->len < b->len ? a->len : b->len;
        int r = memcmp(a->u.s, b->u.s, n);
        if (r)
            return r;
        return (a->len > b->len) - (a->len < b->len);
    }
    *ok = false;
    error_val(x, "cannot compare these values");
    return 0;
}

static bool text_equal(const val *a, const val *b)
{
    return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
}

/* a <op> b for non-NULL a, b. */
/* Kept out of line: eval() stays small. */
static __attribute__((noinline)) val compare_op(vctx *x, cerd_expr_op op, const val *a, const val *b)
{
    bool ok;
    int r;
    if (a->kind == CERD__V_TEXT && b->kind == CERD__V_TEXT) {
        if (op == CERD_EXPR_EQ)
            return vbool(text_equal(a, b));
        if (op == CERD_EXPR_NE)
            return vbool(!text_equal(a, b));
        return error_val(x, "ordering text depends on the collation");
    }
    r = compare(x, a, b, &ok);
    if (!ok)
        return (val){.kind = CERD__V_ERROR};
    switch (op) {
    case CERD_EXPR_EQ: return vbool(r == 0);
    case CERD_EXPR_NE: return vbool(r != 0);
    case CERD_EXPR_LT: return vbool(r < 0);
    case CERD_EXPR_LE: return vbool(r <= 0);
    case CERD_EXPR_GT: return vbool(r > 0);
    default: return vbool(r >= 0);
    }
}

/* Evaluates args 0..n-1 of a strict operator left to right: an error or a NULL or an
   unknown among them decides the result (error first, as the server raises it when it
   evaluates that argument; then NULL, which makes a strict operator NULL). */
static bool strict_args(vctx *x, const cerd_expr *e, int n, val *v, val *out)
{
    bool null = false, unknown = false;
    for (int i = 0; i < n; i++) {
        v[i] = operand(x, e->args[i]);
        if (v[i].kind == CERD__V_ERROR) {
            *out = v[i];
            return false;
        }
        null = null || v[i].kind == CERD__V_NULL;
        unknown = unknown || v[i].kind == CERD__V_UNKNOWN;
    }
    if (null || unknown) {
        *out = null ? VNULL : VUNKNOWN;
        return false;
    }
    return true;
}

static cerd_numeric *scratch(vctx *x)
{
    return x->nscratch < SCRATCH ? &x->scratch[x->nscratch++] : NULL;
}

/* Kept out of line: eval() stays small. */
static __attribute__((noinline)) val arith(vctx *x, const cerd_expr *e)
{
    val v[2], r;
    int n = e->op == CERD_EXPR_NEG ? 1 : 2;
    if (e->nargs < n)
        return error_val(x, "operator with too few operands");
    if (!strict_args(x, e, n, v, &r))
        return r;
    if (e->type == CERD_TYPE_INT32 || e->type == CERD_TYPE_INT64) {
        int64_t a, b = 0, out = 0;
        bool ovf = false;
        if (v[0].kind != CERD__V_INT || (n == 2 && v[1].kind != CERD__V_INT))
            return error_val(x, "integer arithmetic on a non-integer");
        a = v[0].u.i;
        if (n == 2)
            b = v[1].u.i;
        switch (e->op) {
        case CERD_EXPR_ADD: ovf = __builtin_add_overflow(a, b, &out); break;
        case CERD_EXPR_SUB: ovf = __builtin_sub_overflow(a, b, &out); break;
        case CERD_EXPR_MUL: ovf = __builtin_mul_overflow(a, b, &out); break;
        case CERD_EXPR_NEG: ovf = __builtin_sub_overflow((int64_t)0, a, &out); break;
        case CERD_EXPR_DIV:
        case CERD_EXPR_MOD:
            if (b == 0)
                return error_val(x, "division by zero");
            if (b == -1) { /* INT_MIN / -1 overflows; INT_MIN % -1 is 0 */
                out = e->op == CERD_EXPR_MOD ? 0 : -a;
                ovf = e->op == CERD_EXPR_DIV && a == INT64_MIN;
            } else {
                out = e->op == CERD_EXPR_DIV ? a / b : a % b;
            }
            break;
        default:
            return error_val(x, "unknown arithmetic operator");
        }
        if (ovf || (e->type == CERD_TYPE_INT32 && (out < INT32_MIN || out > INT32_MAX)))
            return error_val(x, "%s out of range",
                             e->type == CERD_TYPE_INT32 ? "integer" : "bigint");
        return vint(out);
    }
    if (e->type == CERD_TYPE_NUMERIC) {
        cerd_numeric ta, tb, *res = scratch(x);
        const cerd_numeric *a, *b = NULL;
        int rc;
        if (!res)
            return VUNKNOWN;
        for (int i = 0; i < n; i++)
            if (v[i].kind != CERD__V_INT && v[i].kind != CERD__V_NUM)
                return error_val(x, "numeric arithmetic on a non-number");
        if (v[0].kind == CERD__V_INT) {
            cerd_numeric_from_int64(&ta, v[0].u.i);
            a = &ta;
        } else {
            a = v[0].u.n;
        }
        if (n == 2) {
            if (v[1].kind == CERD__V_INT) {
                cerd_numeric_from_int64(&tb, v[1].u.i);
                b = &tb;
            } else {
                b = v[1].u.n;
            }
        }
        switch (e->op) {
        case CERD_EXPR_ADD: rc = cerd__numeric_add(res, a, b); break;
        case CERD_EXPR_SUB: rc = cerd__numeric_sub(res, a, b); break;
        case CERD_EXPR_MUL: rc = cerd__numeric_mul(res, a, b); break;
        case CERD_EXPR_NEG: {
            cerd_numeric zero = {0};
            zero.dscale = a->dscale;
            rc = cerd__numeric_sub(res, &zero, a);
            break;
        }
        default:
            return error_val(x, "numeric division is not supported by the validator");
        }
        if (rc == CERD_ERANGE)
            return VUNKNOWN; /* beyond what a cerd_numeric holds: the server decides */
        if (rc)
            return error_val(x, "numeric arithmetic on an invalid cerd_numeric");
        r.kind = CERD__V_NUM;
        r.u.n = res;
        return r;
    }
    return error_val(x, "arithmetic on type %d", (int)e->type);
}

/* Kept out of line: eval() stays small. */
static __attribute__((noinline)) val func(vctx *x, const cerd_expr *e)
{
    val v[2], r;
    int n = e->func == CERD_FUNC_ARRAY_LENGTH ? 2 : 1;
    if (e->nargs != n)
        return error_val(x, "function %s with %u arguments", e->text ? e->text : "?",
                         (unsigned)e->nargs);
    if (!strict_args(x, e, n, v, &r))
        return r;
    switch (e->func) {
    case CERD_FUNC_CARDINALITY:
    case CERD_FUNC_ARRAY_LENGTH: {
        size_t count;
        if (v[0].kind == CERD__V_IARR)
            count = v[0].u.ia->count;
        else if (v[0].kind == CERD__V_TARR)
            count = v[0].u.ta->count;
        else
            return error_val(x, "%s of a non-array", e->text ? e->text : "cardinality");
        if (e->func == CERD_FUNC_ARRAY_LENGTH) {
            if (v[1].kind != CERD__V_INT)
                return error_val(x, "array_length: dimension is not an integer");
            if (v[1].u.i != 1 || count == 0)
                return VNULL; /* one-dimensional arrays; an empty one has no dimension */
        }
        return vint((int64_t)count);
    }
    case CERD_FUNC_CHAR_LENGTH:
    case CERD_FUNC_OCTET_LENGTH:
        if (v[0].kind != CERD__V_TEXT)
            return error_val(x, "%s of a non-text", e->text ? e->text : "length");
        return vint(e->func == CERD_FUNC_OCTET_LENGTH
                        ? (int64_t)v[0].len
                        : (int64_t)cerd_text_chars(v[0].u.s, v[0].len));
    default:
        return error_val(x, "unknown function %s", e->text ? e->text : "?");
    }
}

/* Kept out of line: eval() stays small. */
static __attribute__((noinline)) val regex(vctx *x, const cerd_expr *e)
{
    val v[2], r;
    compiled_regex *c;
    bool owned, m;
    char pattern_buf[256];
    const char *pattern;
    if (e->nargs != 2)
        return error_val(x, "regular expression match needs two operands");
    if (!strict_args(x, e, 2, v, &r))
        return r;
    if (v[0].kind != CERD__V_TEXT || v[1].kind != CERD__V_TEXT)
        return error_val(x, "regular expression match on a non-text");
    pattern = v[1].u.s;
    if (pattern[v[1].len] != '\0') { /* a cut text: make it a C string */
        if (v[1].len >= sizeof pattern_buf)
            return error_val(x, "regular expression too long");
        memcpy(pattern_buf, pattern, v[1].len);
        pattern_buf[v[1].len] = '\0';
        pattern = pattern_buf;
    }
    /* Only a constant pattern may use the node's cache. */
    if (e->args[1]->op == CERD_EXPR_CONST) {
        c = regex_for(e, pattern, &owned, x->err, sizeof x->err);
    } else {
        c = regex_compile(pattern, e->op == CERD_EXPR_IREGEX, x->err, sizeof x->err);
        owned = true;
    }
    if (!c)
        return (val){.kind = CERD__V_ERROR};
    m = regex_match(c, v[0].u.s, v[0].len);
    if (owned)
        regex_release(c);
    return vbool(m);
}

static val eval(vctx *x, const cerd_expr *e)
{
    val a, b, r;
    switch (e->op) {
    case CERD_EXPR_COLUMN:
        return column_val(x, e->column);
    case CERD_EXPR_CONST:
        return const_val(x, e);
    case CERD_EXPR_AND:
    case CERD_EXPR_OR: {
        /* Left to right, stopping at the first false (AND) or true (OR), as PostgreSQL's
           executor does; otherwise NULL when an argument was NULL. */
        bool and = e->op == CERD_EXPR_AND, null = false, unknown = false;
        for (uint16_t i = 0; i < e->nargs; i++) {
            const cerd_expr *arg = e->args[i];
            /* comparisons (the usual operands) without a call */
            a = (arg->op >= CERD_EXPR_EQ && arg->op <= CERD_EXPR_GE) ? comparison(x, arg)
                                                                     : operand(x, arg);
            if (a.kind == CERD__V_ERROR)
                return a;
            if (a.kind == CERD__V_NULL)
                null = true;
            else if (a.kind == CERD__V_UNKNOWN)
                unknown = true;
            else if (a.kind != CERD__V_BOOL)
                return error_val(x, "argument of %s is not boolean", and ? "AND" : "OR");
            else if ((a.u.i != 0) != and)
                return vbool(!and);
        }
        if (unknown)
            return VUNKNOWN;
        return null ? VNULL : vbool(and);
    }
    case CERD_EXPR_NOT:
        if (e->nargs != 1)
            return error_val(x, "NOT needs one operand");
        a = eval(x, e->args[0]);
        if (a.kind == CERD__V_BOOL)
            return vbool(!a.u.i);
        if (a.kind == CERD__V_NULL || a.kind == CERD__V_ERROR || a.kind == CERD__V_UNKNOWN)
            return a;
        return error_val(x, "argument of NOT is not boolean");
    case CERD_EXPR_EQ:
    case CERD_EXPR_NE:
    case CERD_EXPR_LT:
    case CERD_EXPR_LE:
    case CERD_EXPR_GT:
    case CERD_EXPR_GE:
        return comparison(x, e);
    case CERD_EXPR_BETWEEN: {
        /* x >= lo AND x <= hi */
        val lo, hi, c1, c2;
        if (e->nargs != 3)
            return error_val(x, "BETWEEN needs three operands");
        a = operand(x, e->args[0]);
        if (a.kind == CERD__V_ERROR)
            return a;
        lo = operand(x, e->args[1]);
        if (lo.kind == CERD__V_ERROR)
            return lo;
        if (a.kind == CERD__V_NUM && lo.kind == CERD__V_NUM)
            c1 = vbool(num_cmp(a.u.n, lo.u.n) >= 0);
        else if (a.kind == CERD__V_NULL || lo.kind == CERD__V_NULL)
            c1 = VNULL;
        else if (a.kind == CERD__V_UNKNOWN || lo.kind == CERD__V_UNKNOWN)
            c1 = VUNKNOWN;
        else
            c1 = compare_op(x, CERD_EXPR_GE, &a, &lo);
        if (c1.kind == CERD__V_ERROR)
            return c1;
        if (c1.kind == CERD__V_BOOL && !c1.u.i)
            return c1;
        hi = operand(x, e->args[2]);
        if (hi.kind == CERD__V_ERROR)
            return hi;
        if (a.kind == CERD__V_NUM && hi.kind == CERD__V_NUM)
            c2 = vbool(num_cmp(a.u.n, hi.u.n) <= 0);
        else if (a.kind == CERD__V_NULL || hi.kind == CERD__V_NULL)
            c2 = VNULL;
        else if (a.kind == CERD__V_UNKNOWN || hi.kind == CERD__V_UNKNOWN)
            c2 = VUNKNOWN;
        else
            c2 = compare_op(x, CERD_EXPR_LE, &a, &hi);
        if (c2.kind == CERD__V_ERROR || (c2.kind == CERD__V_BOOL && !c2.u.i))
            return c2;
        if (c1.kind == CERD__V_UNKNOWN || c2.kind == CERD__V_UNKNOWN)
            return VUNKNOWN;
        if (c1.kind == CERD__V_NULL || c2.kind == CERD__V_NULL)
            return VNULL;
        return vbool(true);
    }
    case CERD_EXPR_IN: {
        /* true when equal to one; else NULL when x or one of them is NULL; else false */
        bool null = false, unknown = false;
        if (e->nargs < 1)
            return error_val(x, "IN needs an operand");
        a = operand(x, e->args[0]);
        if (a.kind == CERD__V_ERROR)
            return a;
        for (uint16_t i = 1; i < e->nargs; i++) {
            const cerd_expr *item = e->args[i];
            if (a.kind == CERD__V_TEXT && item->op == CERD_EXPR_CONST && item->type == CERD_TYPE_TEXT &&
                item->text && (item->len || !item->text[0])) {
                /* the usual list of text constants, without building values */
                if (item->len == a.len && memcmp(item->text, a.u.s, a.len) == 0)
                    return vbool(true);
                continue;
            }
            b = operand(x, item);
            if (b.kind == CERD__V_ERROR)
                return b;
            if (a.kind == CERD__V_NULL || b.kind == CERD__V_NULL) {
                null = true;
                continue;
            }
            if (a.kind == CERD__V_UNKNOWN || b.kind == CERD__V_UNKNOWN) {
                unknown = true;
                continue;
            }
            if (a.kind == CERD__V_TEXT && b.kind == CERD__V_TEXT) {
                if (text_equal(&a, &b))
                    return vbool(true);
                continue;
            }
            r = compare_op(x, CERD_EXPR_EQ, &a, &b);
            if (r.kind == CERD__V_ERROR)
                return r;
            if (r.u.i)
                return vbool(true);
        }
        if (unknown)
            return VUNKNOWN;
        return null ? VNULL : vbool(false);
    }
    case CERD_EXPR_IS_NULL:
    case CERD_EXPR_IS_NOT_NULL:
        if (e->nargs != 1)
            return error_val(x, "IS NULL needs one operand");
        a = operand(x, e->args[0]);
        if (a.kind == CERD__V_ERROR || a.kind == CERD__V_UNKNOWN)
            return a;
        return vbool((a.kind == CERD__V_NULL) == (e->op == CERD_EXPR_IS_NULL));
    case CERD_EXPR_ADD:
    case CERD_EXPR_SUB:
    case CERD_EXPR_MUL:
    case CERD_EXPR_DIV:
    case CERD_EXPR_MOD:
    case CERD_EXPR_NEG:
        return arith(x, e);
    case CERD_EXPR_REGEX:
    case CERD_EXPR_IREGEX:
        return regex(x, e);
    case CERD_EXPR_FUNC:
        return func(x, e);
    }
    return error_val(x, "unknown expression node %d", (int)e->op);
}

cerd__val cerd__expr_eval(cerd__expr_ctx *x, const cerd_expr *e)
{
    return eval(x, e);
}

cerd__val cerd__expr_column(cerd__expr_ctx *x, int col)
{
    return column_val(x, col);
}

void cerd__expr_init_raw(cerd__expr_ctx *x, const cerd_table *t, const void *row)
{
    x->t = t;
    x->row = row;
    x->ck = NULL;
    x->raw = true;
    x->nscratch = 0;
    x->err[0] = '\0';
}

/* ------------------------------------------------------------------------------ */
/* Messages */

/* Text quoted for a message: at most 40 bytes, whole characters, "..." when cut. */
void cerd__expr_quote_text(const char *s, size_t len, char *buf, size_t size)
{
    size_t n = len > 40 ? 40 : len;
    while (n < len && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    snprintf(buf, size, "'%.*s'%s", (int)n, s, n < len ? "..." : "");
}

void cerd__expr_format(const cerd__val *v, char *buf, size_t size)
{
    switch (v->kind) {
    case CERD__V_NULL:
        snprintf(buf, size, "NULL");
        break;
    case CERD__V_BOOL:
        snprintf(buf, size, "%s", v->u.i ? "true" : "false");
        break;
    case CERD__V_INT:
        snprintf(buf, size, "%lld", (long long)v->u.i);
        break;
    case CERD__V_NUM:
        cerd_numeric_format(v->u.n, buf, size);
        break;
    case CERD__V_TEXT:
        cerd__expr_quote_text(v->u.s, v->len, buf, size);
        break;
    case CERD__V_TS: {
        char ts[CERD_TIMESTAMP_BUFSIZE];
        if (cerd_timestamp_format(v->u.i, ts) == 0)
            snprintf(buf, size, "'%s'", ts);
        else
            snprintf(buf, size, "%lld (microseconds since 1970)", (long long)v->u.i);
        break;
    }
    case CERD__V_IARR: {
        size_t o = 0;
        const cerd_int32_array *a = v->u.ia;
        o += (size_t)snprintf(buf, size, "{");
        for (size_t i = 0; i < a->count && o + 16 < size && a->values; i++) {
            if (i == 8) {
                o += (size_t)snprintf(buf + o, size - o, ",... %zu elements", a->count);
                break;
            }
            if (a->nulls && a->nulls[i])
                o += (size_t)snprintf(buf + o, size - o, "%sNULL", i ? "," : "");
            else
                o += (size_t)snprintf(buf + o, size - o, "%s%d", i ? "," : "", a->values[i]);
        }
        if (o + 2 < size)
            snprintf(buf + o, size - o, "}");
        break;
    }
    case CERD__V_TARR:
        snprintf(buf, size, "(array of %zu elements)", v->u.ta->count);
        break;
    default:
        snprintf(buf, size, "(value)");
        break;
    }
}

