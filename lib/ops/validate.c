/* Client-side validation with PostgreSQL's verdict (include/cryptoerd/validate.h).

   One generic pass over the descriptor: first the rules of single columns, which also
   work out each value as the server will store it (numerics rounded to their scale,
   varchars with their excess trailing spaces cut off, defaults of absent columns); then
   the compiled CHECKs, evaluated on those stored values by a small tree-walking
   interpreter with SQL's three-valued logic. A valid row costs no allocation and no
   formatting: messages are written only for violations.

   Evaluation results: TRUE/FALSE/NULL as in SQL; ERROR where PostgreSQL would raise an
   error while evaluating the CHECK (integer overflow, division by zero: the insert
   fails, reported as a violation of that CHECK); UNKNOWN where the client cannot
   decide (a numeric result beyond CERD_NUMERIC_MAX_GROUPS groups): the CHECK is left to
   the server. */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "util/error_internal.h"
#include "types/json_internal.h"
#include "ops/validate_internal.h"

/* PostgreSQL's timestamp range, as lib/codec.c checks it (microseconds since 1970). */
#define PG_EPOCH_OFFSET_US INT64_C(946684800000000)
#define PG_MIN_TIMESTAMP INT64_C(-211813488000000000)
#define PG_END_TIMESTAMP INT64_C(9223371331200000000)

#define NBASE 10000
#define DSCALE_MAX 0x3FFF
/* Widest intermediate of numeric addition, in base-10000 groups. */
#define WIDE_GROUPS 64
/* Numeric results one CHECK may hold at once. */
#define SCRATCH 16

/* ------------------------------------------------------------------------------ */
/* Values */

enum vkind {
    V_NULL,
    V_BOOL,    /* u.i: 0 or 1 */
    V_INT,     /* u.i (integer and bigint alike) */
    V_NUM,     /* u.n */
    V_TEXT,    /* u.s, len */
    V_TS,      /* u.i */
    V_IARR,    /* u.ia */
    V_TARR,    /* u.ta */
    V_OTHER,   /* jsonb, inet: only IS [NOT] NULL looks at them */
    V_ERROR,   /* PostgreSQL would raise an error (vctx::err says which) */
    V_UNKNOWN  /* the client cannot decide */
};

/* 16 bytes: returned in two registers. */
typedef struct val {
    union {
        int64_t i;
        const cerd_numeric *n;
        const char *s;
        const cerd_int32_array *ia;
        const cerd_text_array *ta;
    } u;
    uint32_t len; /* V_TEXT: bytes (texts longer than 4 GB are refused anyway) */
    int32_t kind;
} val;

static const val VNULL = {.kind = V_NULL};
static const val VUNKNOWN = {.kind = V_UNKNOWN};

static inline val vbool(bool b)
{
    val v;
    v.u.i = b;
    v.len = 0;
    v.kind = V_BOOL;
    return v;
}

static inline val vint(int64_t i)
{
    val v;
    v.u.i = i;
    v.len = 0;
    v.kind = V_INT;
    return v;
}

/* ------------------------------------------------------------------------------ */
/* Context */

typedef struct vctx {
    const cerd_table *t;
    const char *row;
    cerd_validate_mode mode;
    const cerd_colset *known;     /* NULL: every column */
    const cerd_check *ck;         /* the CHECK being evaluated */
    int nscratch;
    cerd_numeric scratch[SCRATCH];
    char err[128];                /* why the current CHECK's evaluation failed */
    /* Per column, set by the column pass for the columns it looks at: */
    uint8_t state[CERD_MAX_COLUMNS];           /* ST_VALUE, ST_NULL, ST_ABSENT */
    const cerd_numeric *num[CERD_MAX_COLUMNS]; /* numerics as stored */
    size_t tlen[CERD_MAX_COLUMNS];             /* text bytes as stored */
    cerd_numeric rounded[CERD_MAX_COLUMNS];    /* storage for rounded numerics */
} vctx;

enum {
    ST_VALUE,  /* the field holds a value */
    ST_NULL,   /* SQL NULL */
    ST_ABSENT  /* insert: left out, the server puts the column's default */
};

/* The violations found so far (allocated only when there are some). */
typedef struct found {
    cerd_violation *items;
    size_t count, cap;
    int rc; /* CERD_ENOMEM once an allocation failed */
} found;

/* Single-column violations point into this: columns[i] = {i}. */
static const uint16_t COLUMN_INDEX[CERD_MAX_COLUMNS] = {
#define I8(n) n, n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7
    I8(0),  I8(8),  I8(16), I8(24), I8(32), I8(40), I8(48), I8(56),
    I8(64), I8(72), I8(80), I8(88), I8(96), I8(104), I8(112), I8(120)
#undef I8
};

static __attribute__((format(printf, 6, 7))) void add(found *f, cerd_violation_kind kind,
                                                       const char *constraint,
                                                       uint16_t ncolumns,
                                                       const uint16_t *columns,
                                                       const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    char *msg;

    if (f->rc)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (f->count == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        cerd_violation *p = realloc(f->items, cap * sizeof *p);
        if (!p) {
            f->rc = CERD_ENOMEM;
            return;
        }
        f->items = p;
        f->cap = cap;
    }
    if (!(msg = strdup(buf))) {
        f->rc = CERD_ENOMEM;
        return;
    }
    f->items[f->count++] = (cerd_violation){.kind = kind,
                                            .constraint = constraint,
                                            .ncolumns = ncolumns,
                                            .columns = columns,
                                            .message = msg};
}

static void found_free(found *f)
{
    for (size_t i = 0; i < f->count; i++)
        free((char *)f->items[i].message);
    free(f->items);
    memset(f, 0, sizeof *f);
}

/* ------------------------------------------------------------------------------ */
/* Reading fields */

static inline const char *field(const vctx *x, int col)
{
    return x->row + x->t->columns[col].offset;
}

/* Whether the field f of column c holds SQL NULL or, for an identity column, 0: what
   cerd__field_is_null() says (lib/codec.c), inlined for the hot path. */
static inline bool raw_null(const cerd_column *c, const char *f)
{
    if (c->flags & CERD_COL_IDENTITY)
        return c->type == CERD_TYPE_INT32 ? *(const int32_t *)f == 0 : *(const int64_t *)f == 0;
    switch (c->type) {
    case CERD_TYPE_TEXT:
    case CERD_TYPE_JSONB:
        return *(void *const *)f == NULL;
    case CERD_TYPE_INT32_ARRAY:
        return !((const cerd_int32_array *)f)->valid;
    case CERD_TYPE_TEXT_ARRAY:
        return !((const cerd_text_array *)f)->valid;
    default:
        break;
    }
    if (!(c->flags & CERD_COL_OPTIONAL))
        return false;
    switch (c->type) {
    case CERD_TYPE_INT64: return !((const cerd_opt_int64 *)f)->valid;
    case CERD_TYPE_INT32: return !((const cerd_opt_int32 *)f)->valid;
    case CERD_TYPE_BOOL: return !((const cerd_opt_bool *)f)->valid;
    case CERD_TYPE_NUMERIC: return !((const cerd_opt_numeric *)f)->valid;
    case CERD_TYPE_TIMESTAMPTZ: return !((const cerd_opt_timestamp *)f)->valid;
    case CERD_TYPE_INET: return !((const cerd_opt_inet *)f)->valid;
    default: return false;
    }
}

/* Whether the field holds SQL NULL (or, on insert, is absent). An identity column is
   absent only on insert (0 there means "the next identity value"). */
static inline bool field_null(const vctx *x, const cerd_column *c, const char *f)
{
    if ((c->flags & CERD_COL_IDENTITY) && x->mode != CERD_VALIDATE_INSERT)
        return false;
    return raw_null(c, f);
}

static inline bool is_known(const vctx *x, int col)
{
    return !x->known || cerd_colset_has(x->known, (unsigned)col);
}

/* ------------------------------------------------------------------------------ */
/* Numerics */

static int ndigits(uint16_t g)
{
    return g >= 1000 ? 4 : g >= 100 ? 3 : g >= 10 ? 2 : 1;
}

static int trailing_zeros(uint16_t g)
{
    int z = 0;
    if (g == 0)
        return 4;
    while (g % 10 == 0) {
        g /= 10;
        z++;
    }
    return z;
}

/* Whether n is something cerd__numeric_send() accepts (what the server can receive);
   otherwise why not, in why. */
static bool numeric_sendable(const cerd_numeric *n, char *why, size_t size)
{
    int first = 0, last;
    if (n->sign == CERD_NUMERIC_NAN || n->sign == CERD_NUMERIC_PINF ||
        n->sign == CERD_NUMERIC_NINF)
        return true;
    if (n->sign != CERD_NUMERIC_POS && n->sign != CERD_NUMERIC_NEG) {
        snprintf(why, size, "invalid sign 0x%04X", n->sign);
        return false;
    }
    if (n->ngroups < 0 || n->ngroups > CERD_NUMERIC_MAX_GROUPS) {
        snprintf(why, size, "%d groups (0..%d allowed)", n->ngroups, CERD_NUMERIC_MAX_GROUPS);
        return false;
    }
    if (n->dscale > DSCALE_MAX) {
        snprintf(why, size, "dscale %u above %d", n->dscale, DSCALE_MAX);
        return false;
    }
    for (int i = 0; i < n->ngroups; i++)
        if (n->digits[i] >= NBASE) {
            snprintf(why, size, "group %d = %u (not below %d)", i, n->digits[i], NBASE);
            return false;
        }
    last = n->ngroups - 1;
    while (first <= last && n->digits[first] == 0)
        first++;
    while (last >= first && n->digits[last] == 0)
        last--;
    if (first > last)
        return true;
    {
        int64_t places = (int64_t)(last - n->weight) * 4 - trailing_zeros(n->digits[last]);
        int sig = (last - first + 1) * 4 - (4 - ndigits(n->digits[first])) -
                  trailing_zeros(n->digits[last]);
        if (sig > CERD_NUMERIC_MAX_DIGITS) {
            snprintf(why, size, "more than %d significant digits", CERD_NUMERIC_MAX_DIGITS);
            return false;
        }
        if (places > n->dscale) {
            snprintf(why, size, "digits beyond its dscale %u", n->dscale);
            return false;
        }
    }
    return true;
}

/* The common case in one pass: a normalised finite n that the server receives as it is
   and numeric(p,s) (p < 0: unconstrained) stores as it is. False: look closer. */
static inline bool numeric_quick(const cerd_numeric *n, int p, int s)
{
    int ng = n->ngroups, w = n->weight, last, frac, sig;
    if (n->sign != CERD_NUMERIC_POS && n->sign != CERD_NUMERIC_NEG)
        return false;
    if (ng == 0)
        return n->dscale <= DSCALE_MAX;
    if (ng < 0 || ng > CERD_NUMERIC_MAX_GROUPS || n->dscale > DSCALE_MAX)
        return false;
    for (int i = 0; i < ng; i++)
        if (n->digits[i] >= NBASE)
            return false;
    if (n->digits[0] == 0 || n->digits[ng - 1] == 0)
        return false;
    last = n->digits[ng - 1];
    frac = (ng - 1 - w) * 4 - trailing_zeros((uint16_t)last); /* decimals written */
    sig = ng * 4 - (4 - ndigits(n->digits[0])) - trailing_zeros((uint16_t)last);
    if (sig > CERD_NUMERIC_MAX_DIGITS || frac > (int)n->dscale)
        return false;
    if (p < 0)
        return true;
    return frac <= s && (w < 0 || w * 4 + ndigits(n->digits[0]) <= p - s);
}

/* Whether a sendable finite n is stored by numeric(p,s) as it is: normalised, no more
   than s decimals, no more than p - s integer digits. */
static bool numeric_fits_as_is(const cerd_numeric *n, int p, int s)
{
    int ng = n->ngroups, w = n->weight;
    if (n->sign != CERD_NUMERIC_POS && n->sign != CERD_NUMERIC_NEG)
        return false;
    if (ng == 0)
        return true;
    if (n->digits[0] == 0 || n->digits[ng - 1] == 0)
        return false;
    if (ng - 1 - w > 0 && (ng - 1 - w) * 4 - trailing_zeros(n->digits[ng - 1]) > s)
        return false;
    if (w >= 0 && w * 4 + ndigits(n->digits[0]) > p - s)
        return false;
    return true;
}

static bool numeric_normalised(const cerd_numeric *n)
{
    return n->ngroups == 0 ||
           (n->digits[0] != 0 && n->digits[n->ngroups - 1] != 0);
}

/* Copies n without leading and trailing zero groups. */
static void numeric_strip(cerd_numeric *out, const cerd_numeric *n)
{
    int first = 0, last = n->ngroups - 1;
    *out = *n;
    if (n->sign != CERD_NUMERIC_POS && n->sign != CERD_NUMERIC_NEG)
        return;
    while (first <= last && n->digits[first] == 0)
        first++;
    while (last >= first && n->digits[last] == 0)
        last--;
    memset(out->digits, 0, sizeof out->digits);
    if (first > last) {
        out->ngroups = 0;
        out->weight = 0;
        out->sign = CERD_NUMERIC_POS;
        return;
    }
    out->ngroups = (int16_t)(last - first + 1);
    out->weight = (int16_t)(n->weight - first);
    memcpy(out->digits, n->digits + first, (size_t)out->ngroups * sizeof *out->digits);
}

static bool num_special(const cerd_numeric *n)
{
    return n->sign != CERD_NUMERIC_POS && n->sign != CERD_NUMERIC_NEG;
}

static bool num_neg(const cerd_numeric *n)
{
    return n->sign == CERD_NUMERIC_NEG && n->ngroups > 0;
}

static void set_special(cerd_numeric *out, uint16_t sign)
{
    memset(out, 0, sizeof *out);
    out->sign = sign;
}

/* Writes magnitude groups g[0..n) (most significant first; g[0] has weight `weight`) as
   a normalised numeric; false when it needs more than CERD_NUMERIC_MAX_GROUPS groups. */
static bool set_groups(cerd_numeric *out, const int32_t *g, int n, int weight, bool neg,
                       int dscale)
{
    int first = 0, last = n - 1;
    while (first <= last && g[first] == 0)
        first++;
    while (last >= first && g[last] == 0)
        last--;
    memset(out, 0, sizeof *out);
    out->dscale = (uint16_t)(dscale > DSCALE_MAX ? DSCALE_MAX : dscale);
    if (first > last)
        return true;
    if (last - first + 1 > CERD_NUMERIC_MAX_GROUPS || weight - first > INT16_MAX ||
        weight - first < INT16_MIN)
        return false;
    out->ngroups = (int16_t)(last - first + 1);
    out->weight = (int16_t)(weight - first);
    out->sign = neg ? CERD_NUMERIC_NEG : CERD_NUMERIC_POS;
    for (int i = first; i <= last; i++)
        out->digits[i - first] = (uint16_t)g[i];
    return true;
}

/* a + b (or a - b): exact, as PostgreSQL's add_var/sub_var; dscale the larger one.
   False when the client cannot hold the result. */
static bool num_add(cerd_numeric *out, const cerd_numeric *a0, const cerd_numeric *b0,
                    bool subtract)
{
    cerd_numeric a, b;
    int32_t g[WIDE_GROUPS + 1];
    int hi, lo, width;
    bool aneg, bneg;

    numeric_strip(&a, a0);
    numeric_strip(&b, b0);
    aneg = num_neg(&a);
    bneg = num_neg(&b) != subtract;
    if (num_special(&a) || num_special(&b)) {
        uint16_t sa = a.sign, sb = b.sign;
        if (subtract && sb == CERD_NUMERIC_PINF)
            sb = CERD_NUMERIC_NINF;
        else if (subtract && sb == CERD_NUMERIC_NINF)
            sb = CERD_NUMERIC_PINF;
        if (sa == CERD_NUMERIC_NAN || sb == CERD_NUMERIC_NAN)
            set_special(out, CERD_NUMERIC_NAN);
        else if (num_special(&a) && num_special(&b))
            set_special(out, sa == sb ? sa : CERD_NUMERIC_NAN);
        else
            set_special(out, num_special(&a) ? sa : sb);
        return true;
    }
    {
        int dscale = a.dscale > b.dscale ? a.dscale : b.dscale;
        if (a.ngroups == 0 && b.ngroups == 0) {
            memset(out, 0, sizeof *out);
            out->dscale = (uint16_t)dscale;
            return true;
        }
        hi = a.ngroups ? a.weight : b.weight;
        if (b.ngroups && b.weight > hi)
            hi = b.weight;
        lo = a.ngroups ? a.weight - a.ngroups + 1 : b.weight - b.ngroups + 1;
        if (b.ngroups && b.weight - b.ngroups + 1 < lo)
            lo = b.weight - b.ngroups + 1;
        width = hi - lo + 2; /* one more group for a carry */
        if (width > WIDE_GROUPS + 1)
            return false;
        memset(g, 0, sizeof g);
        /* g[0] has weight hi + 1 */
        for (int i = 0; i < a.ngroups; i++)
            g[hi + 1 - (a.weight - i)] += aneg ? -(int32_t)a.digits[i] : a.digits[i];
        for (int i = 0; i < b.ngroups; i++)
            g[hi + 1 - (b.weight - i)] += bneg ? -(int32_t)b.digits[i] : b.digits[i];
        /* the sign of the result is that of its most significant non-zero group */
        bool neg = false;
        for (int i = 0; i < width; i++)
            if (g[i]) {
                neg = g[i] < 0;
                break;
            }
        if (neg)
            for (int i = 0; i < width; i++)
                g[i] = -g[i];
        for (int i = width - 1; i > 0; i--) {
            if (g[i] < 0) {
                g[i] += NBASE;
                g[i - 1]--;
            } else if (g[i] >= NBASE) {
                g[i] -= NBASE;
                g[i - 1]++;
            }
        }
        return set_groups(out, g, width, hi + 1, neg, dscale);
    }
}

/* a * b: exact (PostgreSQL's mul_var with rscale = a.dscale + b.dscale). */
static bool num_mul(cerd_numeric *out, const cerd_numeric *a0, const cerd_numeric *b0)
{
    cerd_numeric a, b;
    int32_t g[2 * CERD_NUMERIC_MAX_GROUPS + 1];
    int64_t acc[2 * CERD_NUMERIC_MAX_GROUPS + 1];
    numeric_strip(&a, a0);
    numeric_strip(&b, b0);
    if (num_special(&a) || num_special(&b)) {
        if (a.sign == CERD_NUMERIC_NAN || b.sign == CERD_NUMERIC_NAN)
            set_special(out, CERD_NUMERIC_NAN);
        else if ((!num_special(&a) && a.ngroups == 0) || (!num_special(&b) && b.ngroups == 0))
            set_special(out, CERD_NUMERIC_NAN); /* infinity * 0 */
        else {
            bool na = a.sign == CERD_NUMERIC_NINF || a.sign == CERD_NUMERIC_NEG;
            bool nb = b.sign == CERD_NUMERIC_NINF || b.sign == CERD_NUMERIC_NEG;
            set_special(out, na != nb ? CERD_NUMERIC_NINF : CERD_NUMERIC_PINF);
        }
        return true;
    }
    int n = a.ngroups + b.ngroups, dscale = a.dscale + b.dscale;
    if (a.ngroups == 0 || b.ngroups == 0) {
        memset(out, 0, sizeof *out);
        out->dscale = (uint16_t)(dscale > DSCALE_MAX ? DSCALE_MAX : dscale);
        return true;
    }
    memset(acc, 0, sizeof acc);
    /* acc[i + j + 1] gets a[i] * b[j]; acc[0] has weight a.weight + b.weight + 1 */
    for (int i = 0; i < a.ngroups; i++)
        for (int j = 0; j < b.ngroups; j++)
            acc[i + j + 1] += (int64_t)a.digits[i] * b.digits[j];
    for (int i = n - 1; i > 0; i--) {
        acc[i - 1] += acc[i] / NBASE;
        acc[i] %= NBASE;
    }
    for (int i = 0; i < n; i++)
        g[i] = (int32_t)acc[i];
    return set_groups(out, g, n, a.weight + b.weight + 1, num_neg(&a) != num_neg(&b), dscale);
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
    val v = {.kind = V_ERROR};
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
        v.kind = V_TS;
        v.u.i = e->ival;
        return v;
    case CERD_TYPE_NUMERIC:
        if (!e->num)
            return error_val(x, "numeric constant %s without its value", e->text);
        v.kind = V_NUM;
        v.u.n = e->num;
        return v;
    case CERD_TYPE_TEXT:
        v.kind = V_TEXT;
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

/* The value of column col as stored (the column pass has looked at it). */
static inline val column_val(vctx *x, int col)
{
    const cerd_column *c;
    const char *f;
    val v;

    v.len = 0;
    if (col < 0 || col >= x->t->ncolumns)
        return error_val(x, "column %d out of range", col);
    if (x->state[col] != ST_VALUE)
        return x->state[col] == ST_NULL ? VNULL : default_val(x, col);
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
        v.kind = V_NUM;
        v.u.n = x->num[col];
        return v;
    case CERD_TYPE_TIMESTAMPTZ:
        v.kind = V_TS;
        v.u.i = *(const cerd_timestamp *)f;
        return v;
    case CERD_TYPE_TEXT:
        v.kind = V_TEXT;
        v.u.s = *(char *const *)f;
        v.len = x->tlen[col] > UINT32_MAX ? UINT32_MAX : (uint32_t)x->tlen[col];
        return v;
    case CERD_TYPE_INT32_ARRAY:
        v.kind = V_IARR;
        v.u.ia = (const cerd_int32_array *)f;
        return v;
    case CERD_TYPE_TEXT_ARRAY:
        v.kind = V_TARR;
        v.u.ta = (const cerd_text_array *)f;
        return v;
    default:
        v.kind = V_OTHER;
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
        if (col >= 0 && col < x->t->ncolumns && x->state[col] == ST_VALUE &&
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
    if (a.kind == V_ERROR)
        return a;
    b = operand(x, e->args[1]);
    if (b.kind == V_ERROR)
        return b;
    if (a.kind == V_NUM && b.kind == V_NUM)
        return vbool(holds(e->op, num_cmp(a.u.n, b.u.n)));
    if (a.kind == V_NULL || b.kind == V_NULL)
        return VNULL;
    if (a.kind == V_UNKNOWN || b.kind == V_UNKNOWN)
        return VUNKNOWN;
    return compare_op(x, e->op, &a, &b);
}

/* Three-way comparison of two non-NULL values; *ok false (and x->err set) when they
   cannot be compared. Integers and numerics compare by value, texts bytewise (only
   equality is generated for text: a deterministic collation's equality). */
static int compare(vctx *x, const val *a, const val *b, bool *ok)
{
    *ok = true;
    if (a->kind == V_INT && b->kind == V_INT)
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    if ((a->kind == V_NUM || a->kind == V_INT) && (b->kind == V_NUM || b->kind == V_INT)) {
        cerd_numeric ta, tb;
        const cerd_numeric *na = a->u.n, *nb = b->u.n;
        if (a->kind == V_INT) {
            cerd_numeric_from_int64(&ta, a->u.i);
            na = &ta;
        }
        if (b->kind == V_INT) {
            cerd_numeric_from_int64(&tb, b->u.i);
            nb = &tb;
        }
        return num_cmp(na, nb);
    }
    if (a->kind == b->kind && (a->kind == V_BOOL || a->kind == V_TS))
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    if (a->kind == V_TEXT && b->kind == V_TEXT) {
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
    if (a->kind == V_TEXT && b->kind == V_TEXT) {
        if (op == CERD_EXPR_EQ)
            return vbool(text_equal(a, b));
        if (op == CERD_EXPR_NE)
            return vbool(!text_equal(a, b));
        return error_val(x, "ordering text depends on the collation");
    }
    r = compare(x, a, b, &ok);
    if (!ok)
        return (val){.kind = V_ERROR};
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
        if (v[i].kind == V_ERROR) {
            *out = v[i];
            return false;
        }
        null = null || v[i].kind == V_NULL;
        unknown = unknown || v[i].kind == V_UNKNOWN;
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
        if (v[0].kind != V_INT || (n == 2 && v[1].kind != V_INT))
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
        bool ok;
        if (!res)
            return VUNKNOWN;
        for (int i = 0; i < n; i++)
            if (v[i].kind != V_INT && v[i].kind != V_NUM)
                return error_val(x, "numeric arithmetic on a non-number");
        if (v[0].kind == V_INT) {
            cerd_numeric_from_int64(&ta, v[0].u.i);
            a = &ta;
        } else {
            a = v[0].u.n;
        }
        if (n == 2) {
            if (v[1].kind == V_INT) {
                cerd_numeric_from_int64(&tb, v[1].u.i);
                b = &tb;
            } else {
                b = v[1].u.n;
            }
        }
        switch (e->op) {
        case CERD_EXPR_ADD: ok = num_add(res, a, b, false); break;
        case CERD_EXPR_SUB: ok = num_add(res, a, b, true); break;
        case CERD_EXPR_MUL: ok = num_mul(res, a, b); break;
        case CERD_EXPR_NEG: {
            cerd_numeric zero = {0};
            zero.dscale = a->dscale;
            ok = num_add(res, &zero, a, true);
            break;
        }
        default:
            return error_val(x, "numeric division is not supported by the validator");
        }
        if (!ok)
            return VUNKNOWN;
        r.kind = V_NUM;
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
        if (v[0].kind == V_IARR)
            count = v[0].u.ia->count;
        else if (v[0].kind == V_TARR)
            count = v[0].u.ta->count;
        else
            return error_val(x, "%s of a non-array", e->text ? e->text : "cardinality");
        if (e->func == CERD_FUNC_ARRAY_LENGTH) {
            if (v[1].kind != V_INT)
                return error_val(x, "array_length: dimension is not an integer");
            if (v[1].u.i != 1 || count == 0)
                return VNULL; /* one-dimensional arrays; an empty one has no dimension */
        }
        return vint((int64_t)count);
    }
    case CERD_FUNC_CHAR_LENGTH:
    case CERD_FUNC_OCTET_LENGTH:
        if (v[0].kind != V_TEXT)
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
    if (v[0].kind != V_TEXT || v[1].kind != V_TEXT)
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
        return (val){.kind = V_ERROR};
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
            if (a.kind == V_ERROR)
                return a;
            if (a.kind == V_NULL)
                null = true;
            else if (a.kind == V_UNKNOWN)
                unknown = true;
            else if (a.kind != V_BOOL)
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
        if (a.kind == V_BOOL)
            return vbool(!a.u.i);
        if (a.kind == V_NULL || a.kind == V_ERROR || a.kind == V_UNKNOWN)
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
        if (a.kind == V_ERROR)
            return a;
        lo = operand(x, e->args[1]);
        if (lo.kind == V_ERROR)
            return lo;
        if (a.kind == V_NUM && lo.kind == V_NUM)
            c1 = vbool(num_cmp(a.u.n, lo.u.n) >= 0);
        else if (a.kind == V_NULL || lo.kind == V_NULL)
            c1 = VNULL;
        else if (a.kind == V_UNKNOWN || lo.kind == V_UNKNOWN)
            c1 = VUNKNOWN;
        else
            c1 = compare_op(x, CERD_EXPR_GE, &a, &lo);
        if (c1.kind == V_ERROR)
            return c1;
        if (c1.kind == V_BOOL && !c1.u.i)
            return c1;
        hi = operand(x, e->args[2]);
        if (hi.kind == V_ERROR)
            return hi;
        if (a.kind == V_NUM && hi.kind == V_NUM)
            c2 = vbool(num_cmp(a.u.n, hi.u.n) <= 0);
        else if (a.kind == V_NULL || hi.kind == V_NULL)
            c2 = VNULL;
        else if (a.kind == V_UNKNOWN || hi.kind == V_UNKNOWN)
            c2 = VUNKNOWN;
        else
            c2 = compare_op(x, CERD_EXPR_LE, &a, &hi);
        if (c2.kind == V_ERROR || (c2.kind == V_BOOL && !c2.u.i))
            return c2;
        if (c1.kind == V_UNKNOWN || c2.kind == V_UNKNOWN)
            return VUNKNOWN;
        if (c1.kind == V_NULL || c2.kind == V_NULL)
            return VNULL;
        return vbool(true);
    }
    case CERD_EXPR_IN: {
        /* true when equal to one; else NULL when x or one of them is NULL; else false */
        bool null = false, unknown = false;
        if (e->nargs < 1)
            return error_val(x, "IN needs an operand");
        a = operand(x, e->args[0]);
        if (a.kind == V_ERROR)
            return a;
        for (uint16_t i = 1; i < e->nargs; i++) {
            const cerd_expr *item = e->args[i];
            if (a.kind == V_TEXT && item->op == CERD_EXPR_CONST && item->type == CERD_TYPE_TEXT &&
                item->text && (item->len || !item->text[0])) {
                /* the usual list of text constants, without building values */
                if (item->len == a.len && memcmp(item->text, a.u.s, a.len) == 0)
                    return vbool(true);
                continue;
            }
            b = operand(x, item);
            if (b.kind == V_ERROR)
                return b;
            if (a.kind == V_NULL || b.kind == V_NULL) {
                null = true;
                continue;
            }
            if (a.kind == V_UNKNOWN || b.kind == V_UNKNOWN) {
                unknown = true;
                continue;
            }
            if (a.kind == V_TEXT && b.kind == V_TEXT) {
                if (text_equal(&a, &b))
                    return vbool(true);
                continue;
            }
            r = compare_op(x, CERD_EXPR_EQ, &a, &b);
            if (r.kind == V_ERROR)
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
        if (a.kind == V_ERROR || a.kind == V_UNKNOWN)
            return a;
        return vbool((a.kind == V_NULL) == (e->op == CERD_EXPR_IS_NULL));
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

/* ------------------------------------------------------------------------------ */
/* Messages */

/* Text quoted for a message: at most 40 bytes, whole characters, "..." when cut. */
static void quote_text(const char *s, size_t len, char *buf, size_t size)
{
    size_t n = len > 40 ? 40 : len;
    while (n < len && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    snprintf(buf, size, "'%.*s'%s", (int)n, s, n < len ? "..." : "");
}

static void format_val(const val *v, char *buf, size_t size)
{
    switch (v->kind) {
    case V_NULL:
        snprintf(buf, size, "NULL");
        break;
    case V_BOOL:
        snprintf(buf, size, "%s", v->u.i ? "true" : "false");
        break;
    case V_INT:
        snprintf(buf, size, "%lld", (long long)v->u.i);
        break;
    case V_NUM:
        cerd_numeric_format(v->u.n, buf, size);
        break;
    case V_TEXT:
        quote_text(v->u.s, v->len, buf, size);
        break;
    case V_TS: {
        char ts[CERD_TIMESTAMP_BUFSIZE];
        if (cerd_timestamp_format(v->u.i, ts) == 0)
            snprintf(buf, size, "'%s'", ts);
        else
            snprintf(buf, size, "%lld (microseconds since 1970)", (long long)v->u.i);
        break;
    }
    case V_IARR: {
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
    case V_TARR:
        snprintf(buf, size, "(array of %zu elements)", v->u.ta->count);
        break;
    default:
        snprintf(buf, size, "(value)");
        break;
    }
}

/* "c1 = v1, c2 = v2" for the columns a CHECK reads. */
static void check_values(vctx *x, const cerd_check *ck, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (uint16_t i = 0; i < ck->ncolumns && o < size; i++) {
        char v[128];
        int col = ck->columns[i];
        val cv = column_val(x, col);
        format_val(&cv, v, sizeof v);
        o += (size_t)snprintf(buf + o, size - o, "%s%s = %s%s", i ? ", " : "",
                              x->t->columns[col].name, v,
                              x->state[col] == ST_ABSENT ? " (default)" : "");
    }
}

/* ------------------------------------------------------------------------------ */
/* Single columns */

/* Whether s (len bytes, no NUL among them) is plain ASCII, hence valid UTF-8. */
static inline bool ascii(const char *s, size_t len)
{
    size_t i = 0;
    uint64_t bits = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        bits |= w;
    }
    for (; i < len; i++)
        bits |= (unsigned char)s[i];
    return !(bits & UINT64_C(0x8080808080808080));
}

static bool json_number_text(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9')
            s++;
    else
        return false;
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

/* What the server would refuse in a JSON value (as cerd__json_print_buf() sends it):
   0, or the violation kind with why. */
static int check_json(const cJSON *j, int depth, char *why, size_t size)
{
    if (depth > CERD_JSON_MAX_DEPTH) {
        snprintf(why, size, "JSON nested deeper than %d levels", CERD_JSON_MAX_DEPTH);
        return CERD_VIOLATION_TYPE;
    }
    switch (j->type & 0xFF) {
    case cJSON_NULL:
    case cJSON_False:
    case cJSON_True:
        return 0;
    case cJSON_Number:
        if (!isfinite(j->valuedouble)) {
            snprintf(why, size, "JSON number %g is not valid JSON", j->valuedouble);
            return CERD_VIOLATION_TYPE;
        }
        return 0;
    case cJSON_Raw:
        if (!j->valuestring || !json_number_text(j->valuestring)) {
            snprintf(why, size, "JSON raw node is not a number");
            return CERD_VIOLATION_TYPE;
        }
        return 0;
    case cJSON_String:
        if (!j->valuestring) {
            snprintf(why, size, "JSON string without text");
            return CERD_VIOLATION_TYPE;
        }
        if (!ascii(j->valuestring, strlen(j->valuestring)) &&
            cerd_text_check(j->valuestring, strlen(j->valuestring))) {
            snprintf(why, size, "JSON string: %s", cerd_error_last()->message);
            return CERD_VIOLATION_ENCODING;
        }
        return 0;
    case cJSON_Array:
    case cJSON_Object:
        for (const cJSON *c = j->child; c; c = c->next) {
            int k;
            if ((j->type & 0xFF) == cJSON_Object) {
                if (!c->string) {
                    snprintf(why, size, "JSON object member without a key");
                    return CERD_VIOLATION_TYPE;
                }
                if (!ascii(c->string, strlen(c->string)) &&
                    cerd_text_check(c->string, strlen(c->string))) {
                    snprintf(why, size, "JSON key: %s", cerd_error_last()->message);
                    return CERD_VIOLATION_ENCODING;
                }
            }
            if ((k = check_json(c, depth + 1, why, size)))
                return k;
        }
        return 0;
    default:
        snprintf(why, size, "JSON node of unknown type %d", j->type & 0xFF);
        return CERD_VIOLATION_TYPE;
    }
}

/* Checks text s (len bytes) for column c; returns the bytes the server stores (varchar:
   excess trailing spaces cut). index >= 0 names an array element. */
static size_t check_text(vctx *x, found *f, int col, const char *s, size_t len, long index)
{
    const cerd_column *c = &x->t->columns[col];
    char where[32] = "";
    if (ascii(s, len) && (c->max_chars < 0 || len <= (size_t)c->max_chars))
        return len; /* the common case: nothing to look at */
    if (index >= 0)
        snprintf(where, sizeof where, "[%ld]", index + 1);
    if (!ascii(s, len) && cerd_text_check(s, len))
        add(f, CERD_VIOLATION_ENCODING, "encoding", 1, &COLUMN_INDEX[col], "%s.%s%s: %s",
            x->t->name, c->name, where, cerd_error_last()->message);
    if (len > INT32_MAX) {
        add(f, CERD_VIOLATION_LENGTH, "length", 1, &COLUMN_INDEX[col],
            "%s.%s%s: text of %zu bytes is too long", x->t->name, c->name, where, len);
        return len;
    }
    if (c->max_chars >= 0 && len > (size_t)c->max_chars) {
        size_t chars = cerd_text_chars(s, len);
        if (chars > (size_t)c->max_chars) {
            /* Byte offset just past the first max_chars characters. */
            size_t off = 0, seen = 0, cut;
            while (off < len) {
                if (((unsigned char)s[off] & 0xC0) != 0x80) {
                    if (seen == (size_t)c->max_chars)
                        break;
                    seen++;
                }
                off++;
            }
            cut = off;
            while (off < len && s[off] == ' ')
                off++;
            if (off == len)
                return cut; /* PostgreSQL cuts excess spaces off silently */
            {
                char q[64];
                quote_text(s, len, q, sizeof q);
                add(f, CERD_VIOLATION_LENGTH, "length", 1, &COLUMN_INDEX[col],
                    "%s.%s%s: value too long for type character varying(%d): %zu characters "
                    "%s",
                    x->t->name, c->name, where, (int)c->max_chars, chars, q);
            }
        }
    }
    return len;
}

static void check_column(vctx *x, found *f, int col)
{
    const cerd_column *c = &x->t->columns[col];
    const char *fp = field(x, col);
    const char *tn = x->t->name;
    char why[160];

    /* The write rule (table.h): a column in the row's defaults is written as DEFAULT;
       a NULL field of a NOT NULL column with a default is absent on insert. */
    if (cerd_colset_has((const cerd_colset *)(const void *)(x->row + x->t->defaults_offset),
                        (unsigned)col)) {
        x->state[col] = ST_ABSENT;
        return;
    }
    if (field_null(x, c, fp)) {
        if (x->mode == CERD_VALIDATE_INSERT && (c->flags & CERD_COL_HAS_DEFAULT)
            && (c->flags & CERD_COL_NOT_NULL)) {
            x->state[col] = ST_ABSENT;
            return;
        }
        x->state[col] = ST_NULL;
        if (c->flags & CERD_COL_NOT_NULL)
            add(f, CERD_VIOLATION_NOT_NULL, "not_null", 1, &COLUMN_INDEX[col],
                "%s.%s: null value violates NOT NULL", tn, c->name);
        return;
    }
    x->state[col] = ST_VALUE;
    switch (c->type) {
    case CERD_TYPE_NUMERIC: {
        const cerd_numeric *n = (const cerd_numeric *)fp;
        x->num[col] = n;
        if (numeric_quick(n, c->precision, c->scale))
            return; /* stored as it is */
        if (!numeric_sendable(n, why, sizeof why)) {
            add(f, CERD_VIOLATION_TYPE, "type", 1, &COLUMN_INDEX[col],
                "%s.%s: cerd_numeric has %s", tn, c->name, why);
            x->rounded[col] = (cerd_numeric){0};
            x->num[col] = &x->rounded[col];
            return;
        }
        if (c->precision >= 0) {
            if (numeric_fits_as_is(n, c->precision, c->scale))
                return;
            if (cerd_numeric_round_to_typmod(&x->rounded[col], n, c->precision, c->scale)) {
                add(f, CERD_VIOLATION_NUMERIC_PRECISION, "numeric_precision", 1,
                    &COLUMN_INDEX[col], "%s.%s: %s", tn, c->name, cerd_error_last()->message);
                numeric_strip(&x->rounded[col], n);
            }
            x->num[col] = &x->rounded[col];
        } else if (!numeric_normalised(n)) {
            numeric_strip(&x->rounded[col], n);
            x->num[col] = &x->rounded[col];
        }
        return;
    }
    case CERD_TYPE_TEXT: {
        const char *s = *(char *const *)fp;
        x->tlen[col] = check_text(x, f, col, s, strlen(s), -1);
        return;
    }
    case CERD_TYPE_TIMESTAMPTZ: {
        cerd_timestamp ts = *(const cerd_timestamp *)fp;
        if (ts != CERD_TIMESTAMP_INFINITY && ts != CERD_TIMESTAMP_NEG_INFINITY &&
            (ts < PG_MIN_TIMESTAMP + PG_EPOCH_OFFSET_US ||
             ts - PG_EPOCH_OFFSET_US >= PG_END_TIMESTAMP))
            add(f, CERD_VIOLATION_TYPE, "type", 1, &COLUMN_INDEX[col],
                "%s.%s: timestamp %lld (microseconds since 1970) is out of PostgreSQL's range",
                tn, c->name, (long long)ts);
        return;
    }
    case CERD_TYPE_INET: {
        const cerd_inet *in = (const cerd_inet *)fp;
        if (in->family != 4 && in->family != 6)
            add(f, CERD_VIOLATION_TYPE, "type", 1, &COLUMN_INDEX[col],
                "%s.%s: inet family %u is neither 4 nor 6", tn, c->name, in->family);
        else if (in->bits > (in->family == 4 ? 32 : 128))
            add(f, CERD_VIOLATION_TYPE, "type", 1, &COLUMN_INDEX[col],
                "%s.%s: inet prefix length %u above %u", tn, c->name, in->bits,
                in->family == 4 ? 32u : 128u);
        return;
    }
    case CERD_TYPE_JSONB: {
        int k = check_json(*(const cJSON *const *)fp, 0, why, sizeof why);
        if (k)
            add(f, (cerd_violation_kind)k, k == CERD_VIOLATION_ENCODING ? "encoding" : "type",
                1, &COLUMN_INDEX[col], "%s.%s: %s", tn, c->name, why);
        return;
    }
    case CERD_TYPE_INT32_ARRAY: {
        const cerd_int32_array *a = (const cerd_int32_array *)fp;
        if (a->count && !a->values)
            add(f, CERD_VIOLATION_TYPE, "type", 1, &COLUMN_INDEX[col],
                "%s.%s: array of %zu elements without values", tn, c->name, a->count);
        else if (a->count > INT32_MAX / 8)
            add(f, CERD_VIOLATION_LENGTH, "length", 1, &COLUMN_INDEX[col],
                "%s.%s: array of %zu elements is too long", tn, c->name, a->count);
        return;
    }
    case CERD_TYPE_TEXT_ARRAY: {
        const cerd_text_array *a = (const cerd_text_array *)fp;
        if (a->count && !a->values) {
            add(f, CERD_VIOLATION_TYPE, "type", 1, &COLUMN_INDEX[col],
                "%s.%s: array of %zu elements without values", tn, c->name, a->count);
            return;
        }
        if (a->count > INT32_MAX / 4) {
            add(f, CERD_VIOLATION_LENGTH, "length", 1, &COLUMN_INDEX[col],
                "%s.%s: array of %zu elements is too long", tn, c->name, a->count);
            return;
        }
        for (size_t i = 0; i < a->count; i++)
            if (a->values[i])
                check_text(x, f, col, a->values[i], strlen(a->values[i]), (long)i);
        return;
    }
    default: /* integers and booleans: their C types hold exactly their range */
        return;
    }
}

/* ------------------------------------------------------------------------------ */
/* CHECKs */

/* Whether the client knows every value ck reads: the columns are validated (not left
   out of a partial update), and an absent column's default is a known constant. */
static bool check_decidable(const vctx *x, const cerd_check *ck)
{
    for (uint16_t i = 0; i < ck->ncolumns; i++) {
        int col = ck->columns[i];
        if (col >= x->t->ncolumns || !is_known(x, col))
            return false;
        if (x->state[col] == ST_ABSENT && !(ck->defaults && ck->defaults[i]))
            return false;
    }
    return true;
}

static void run_check(vctx *x, found *f, const cerd_check *ck)
{
    val v;
    char values[512];
    x->ck = ck;
    x->nscratch = 0;
    v = eval(x, ck->expr);
    if (v.kind == V_BOOL && v.u.i)
        return;
    if (v.kind == V_NULL || v.kind == V_UNKNOWN)
        return;
    check_values(x, ck, values, sizeof values);
    if (v.kind == V_ERROR)
        add(f, CERD_VIOLATION_CHECK, ck->name, ck->ncolumns, ck->columns,
            "%s: CHECK %s (%s) fails to evaluate: %s (%s)", x->t->name, ck->name, ck->sql,
            x->err, values);
    else if (v.kind == V_BOOL)
        add(f, CERD_VIOLATION_CHECK, ck->name, ck->ncolumns, ck->columns,
            "%s: CHECK %s (%s) is violated by %s", x->t->name, ck->name, ck->sql, values);
    else
        add(f, CERD_VIOLATION_CHECK, ck->name, ck->ncolumns, ck->columns,
            "%s: CHECK %s (%s) does not give a boolean (%s)", x->t->name, ck->name, ck->sql,
            values);
}

/* ------------------------------------------------------------------------------ */
/* Entry points */

int cerd__row_validate(const cerd_table *t, const void *row, cerd_validate_mode mode,
                       const cerd_colset *known, cerd_violations *out)
{
    vctx *x;
    vctx local;
    found f = {0};
    int rc;

    if (out)
        memset(out, 0, sizeof *out);
    if (!t || !row)
        return cerd__error(CERD_EMISUSE, "validate: table or row is NULL");
    if (t->abi != CERD_TABLE_ABI)
        return cerd__error(CERD_EMISUSE, "validate: descriptor of %s was generated for ABI %u",
                           t->name, (unsigned)t->abi);
    if (mode != CERD_VALIDATE_INSERT && mode != CERD_VALIDATE_STORED)
        return cerd__error(CERD_EMISUSE, "validate: unknown mode %d", (int)mode);
    if (t->ncolumns > CERD_MAX_COLUMNS)
        return cerd__error(CERD_EMISUSE, "validate: %s has %u columns (at most %d)", t->name,
                           (unsigned)t->ncolumns, CERD_MAX_COLUMNS);
    if (out)
        out->table = t;

    x = &local;
    x->t = t;
    x->row = row;
    x->mode = mode;
    x->known = known;
    x->ck = NULL;

    if (!known) {
        for (int i = 0; i < t->ncolumns; i++)
            check_column(x, &f, i);
    } else {
        for (int i = 0; i < t->ncolumns; i++)
            if (cerd_colset_has(known, (unsigned)i))
                check_column(x, &f, i);
    }
    for (uint16_t k = 0; k < t->nchecks; k++)
        if (t->checks[k] && check_decidable(x, t->checks[k]))
            run_check(x, &f, t->checks[k]);

    if (f.rc) {
        found_free(&f);
        return cerd__error(CERD_ENOMEM, "%s: out of memory reporting violations", t->name);
    }
    if (f.count == 0)
        return 0;

    /* The error record: every violation, the first one's names. */
    {
        char msg[2048];
        size_t o = 0;
        const cerd_violation *first = &f.items[0];
        o += (size_t)snprintf(msg, sizeof msg, "%s: row refused by client-side validation "
                                               "(%zu violation%s): ",
                              t->name, f.count, f.count == 1 ? "" : "s");
        for (size_t i = 0; i < f.count && o < sizeof msg; i++)
            o += (size_t)snprintf(msg + o, sizeof msg - o, "%s%s", i ? "; " : "",
                                  f.items[i].message);
        rc = cerd__error(CERD_EINVALID, "%s", msg);
        cerd__error_names(t->name,
                          first->ncolumns ? t->columns[first->columns[0]].name : NULL,
                          first->constraint);
    }
    if (out) {
        out->count = f.count;
        out->items = f.items;
    } else {
        found_free(&f);
    }
    return rc;
}

int cerd_row_validate(cerd_violations *out, const cerd_table *t, const void *row,
                      cerd_validate_mode mode)
{
    return cerd__row_validate(t, row, mode, NULL, out);
}
