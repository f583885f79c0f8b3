/* Client-side validation with PostgreSQL's verdict (include/cryptoerd/validate.h).

   One generic pass over the descriptor: first the rules of single columns, which also
   work out each value as the server will store it (numerics rounded to their scale,
   varchars with their excess trailing spaces cut off, defaults of absent columns); then
   the compiled CHECKs, evaluated on those stored values by lib/expr.c with SQL's
   three-valued logic. A valid row costs no allocation and no formatting: messages are
   written only for violations. An evaluation that fails as PostgreSQL's would (integer
   overflow, division by zero) is a violation of that CHECK; one the client cannot
   decide (a numeric result beyond CERD_NUMERIC_MAX_DIGITS digits) is left to the
   server. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "ops/expr.h"
#include "ops/validate_internal.h"
#include "types/json_internal.h"
#include "types/numeric_internal.h"
#include "util/error_internal.h"
#include "wire/field.h"
#include "wire/violations.h"

/* PostgreSQL's timestamp range, as lib/codec.c checks it (microseconds since 1970). */
#define PG_EPOCH_OFFSET_US INT64_C(946684800000000)
#define PG_MIN_TIMESTAMP INT64_C(-211813488000000000)
#define PG_END_TIMESTAMP INT64_C(9223371331200000000)

#define NBASE CERD__NBASE
#define DSCALE_MAX CERD__DSCALE_MAX

/* ------------------------------------------------------------------------------ */
/* Context */

/* The evaluator's context comes first: the column pass fills its state, num and tlen. */
typedef struct vctx {
    cerd__expr_ctx e;
    cerd_validate_mode mode;
    const cerd_colset *known;     /* NULL: every column */
    cerd_numeric rounded[CERD_MAX_COLUMNS];    /* storage for rounded numerics */
} vctx;

/* The violations found so far (allocated only when there are some). */
typedef struct found {
    cerd_violations v;
    size_t cap;
    int rc; /* CERD_ENOMEM once an allocation failed */
} found;

static __attribute__((format(printf, 6, 7))) void add(found *f, cerd_violation_kind kind,
                                                       const char *constraint,
                                                       uint16_t ncolumns,
                                                       const uint16_t *columns,
                                                       const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    if (f->rc)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    f->rc = cerd__violations_add(&f->v, &f->cap, kind, constraint, ncolumns, columns, "%s", buf);
}

static void found_free(found *f)
{
    cerd_violations_free(&f->v);
    memset(f, 0, sizeof *f);
}

/* ------------------------------------------------------------------------------ */
/* Reading fields */

static inline const char *field(const vctx *x, int col)
{
    return x->e.row + x->e.t->columns[col].offset;
}

/* Whether the field holds SQL NULL (or, on insert, is absent). An identity column is
   absent only on insert (0 there means "the next identity value"). */
static inline bool field_null(const vctx *x, const cerd_column *c, const char *f)
{
    if ((c->flags & CERD_COL_IDENTITY) && x->mode != CERD_VALIDATE_INSERT)
        return false;
    return cerd__field_null_at(c, f);
}

static inline bool is_known(const vctx *x, int col)
{
    return !x->known || cerd_colset_has(x->known, (unsigned)col);
}

/* ------------------------------------------------------------------------------ */
/* Numerics */

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
        int64_t places = (int64_t)(last - n->weight) * 4 - cerd__group_trailing_zeros(n->digits[last]);
        int sig = (last - first + 1) * 4 - (4 - cerd__group_digits(n->digits[first])) -
                  cerd__group_trailing_zeros(n->digits[last]);
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
    frac = (ng - 1 - w) * 4 - cerd__group_trailing_zeros((uint16_t)last); /* decimals written */
    sig = ng * 4 - (4 - cerd__group_digits(n->digits[0])) - cerd__group_trailing_zeros((uint16_t)last);
    if (sig > CERD_NUMERIC_MAX_DIGITS || frac > (int)n->dscale)
        return false;
    if (p < 0)
        return true;
    return frac <= s && (w < 0 || w * 4 + cerd__group_digits(n->digits[0]) <= p - s);
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
    if (ng - 1 - w > 0 && (ng - 1 - w) * 4 - cerd__group_trailing_zeros(n->digits[ng - 1]) > s)
        return false;
    if (w >= 0 && w * 4 + cerd__group_digits(n->digits[0]) > p - s)
        return false;
    return true;
}

static bool numeric_normalised(const cerd_numeric *n)
{
    return n->ngroups == 0 ||
           (n->digits[0] != 0 && n->digits[n->ngroups - 1] != 0);
}

/* ------------------------------------------------------------------------------ */
/* Messages */

/* "c1 = v1, c2 = v2" for the columns a CHECK reads. */
static void check_values(vctx *x, const cerd_check *ck, char *buf, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (uint16_t i = 0; i < ck->ncolumns && o < size; i++) {
        char v[128];
        int col = ck->columns[i];
        cerd__val cv = cerd__expr_column(&x->e, col);
        cerd__expr_format(&cv, v, sizeof v);
        o += (size_t)snprintf(buf + o, size - o, "%s%s = %s%s", i ? ", " : "",
                              x->e.t->columns[col].name, v,
                              x->e.state[col] == CERD__ST_ABSENT ? " (default)" : "");
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
    const cerd_column *c = &x->e.t->columns[col];
    char where[32] = "";
    if (ascii(s, len) && (c->max_chars < 0 || len <= (size_t)c->max_chars))
        return len; /* the common case: nothing to look at */
    if (index >= 0)
        snprintf(where, sizeof where, "[%ld]", index + 1);
    if (!ascii(s, len) && cerd_text_check(s, len))
        add(f, CERD_VIOLATION_ENCODING, "encoding", 1, &cerd__column_index[col], "%s.%s%s: %s",
            x->e.t->name, c->name, where, cerd_error_last()->message);
    if (len > INT32_MAX) {
        add(f, CERD_VIOLATION_LENGTH, "length", 1, &cerd__column_index[col],
            "%s.%s%s: text of %zu bytes is too long", x->e.t->name, c->name, where, len);
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
                cerd__expr_quote_text(s, len, q, sizeof q);
                add(f, CERD_VIOLATION_LENGTH, "length", 1, &cerd__column_index[col],
                    "%s.%s%s: value too long for type character varying(%d): %zu characters "
                    "%s",
                    x->e.t->name, c->name, where, (int)c->max_chars, chars, q);
            }
        }
    }
    return len;
}

static void check_column(vctx *x, found *f, int col)
{
    const cerd_column *c = &x->e.t->columns[col];
    const char *fp = field(x, col);
    const char *tn = x->e.t->name;
    char why[160];

    /* The write rule (table.h): a column in the row's defaults is written as DEFAULT;
       a NULL field of a NOT NULL column with a default is absent on insert. */
    if (cerd_colset_has(cerd__row_defaults(x->e.t, x->e.row), (unsigned)col)) {
        x->e.state[col] = CERD__ST_ABSENT;
        return;
    }
    if (field_null(x, c, fp)) {
        if (x->mode == CERD_VALIDATE_INSERT && (c->flags & CERD_COL_HAS_DEFAULT)
            && (c->flags & CERD_COL_NOT_NULL)) {
            x->e.state[col] = CERD__ST_ABSENT;
            return;
        }
        x->e.state[col] = CERD__ST_NULL;
        if (c->flags & CERD_COL_NOT_NULL)
            add(f, CERD_VIOLATION_NOT_NULL, "not_null", 1, &cerd__column_index[col],
                "%s.%s: null value violates NOT NULL", tn, c->name);
        return;
    }
    x->e.state[col] = CERD__ST_VALUE;
    switch (c->type) {
    case CERD_TYPE_NUMERIC: {
        const cerd_numeric *n = (const cerd_numeric *)fp;
        x->e.num[col] = n;
        if (numeric_quick(n, c->precision, c->scale))
            return; /* stored as it is */
        if (!numeric_sendable(n, why, sizeof why)) {
            add(f, CERD_VIOLATION_TYPE, "type", 1, &cerd__column_index[col],
                "%s.%s: cerd_numeric has %s", tn, c->name, why);
            x->rounded[col] = (cerd_numeric){0};
            x->e.num[col] = &x->rounded[col];
            return;
        }
        if (c->precision >= 0) {
            if (numeric_fits_as_is(n, c->precision, c->scale))
                return;
            if (cerd_numeric_round_to_typmod(&x->rounded[col], n, c->precision, c->scale)) {
                add(f, CERD_VIOLATION_NUMERIC_PRECISION, "numeric_precision", 1,
                    &cerd__column_index[col], "%s.%s: %s", tn, c->name, cerd_error_last()->message);
                cerd__numeric_strip(&x->rounded[col], n);
            }
            x->e.num[col] = &x->rounded[col];
        } else if (!numeric_normalised(n)) {
            cerd__numeric_strip(&x->rounded[col], n);
            x->e.num[col] = &x->rounded[col];
        }
        return;
    }
    case CERD_TYPE_TEXT: {
        const char *s = *(char *const *)fp;
        x->e.tlen[col] = check_text(x, f, col, s, strlen(s), -1);
        return;
    }
    case CERD_TYPE_TIMESTAMPTZ: {
        cerd_timestamp ts = *(const cerd_timestamp *)fp;
        if (ts != CERD_TIMESTAMP_INFINITY && ts != CERD_TIMESTAMP_NEG_INFINITY &&
            (ts < PG_MIN_TIMESTAMP + PG_EPOCH_OFFSET_US ||
             ts - PG_EPOCH_OFFSET_US >= PG_END_TIMESTAMP))
            add(f, CERD_VIOLATION_TYPE, "type", 1, &cerd__column_index[col],
                "%s.%s: timestamp %lld (microseconds since 1970) is out of PostgreSQL's range",
                tn, c->name, (long long)ts);
        return;
    }
    case CERD_TYPE_INET: {
        const cerd_inet *in = (const cerd_inet *)fp;
        if (in->family != 4 && in->family != 6)
            add(f, CERD_VIOLATION_TYPE, "type", 1, &cerd__column_index[col],
                "%s.%s: inet family %u is neither 4 nor 6", tn, c->name, in->family);
        else if (in->bits > (in->family == 4 ? 32 : 128))
            add(f, CERD_VIOLATION_TYPE, "type", 1, &cerd__column_index[col],
                "%s.%s: inet prefix length %u above %u", tn, c->name, in->bits,
                in->family == 4 ? 32u : 128u);
        return;
    }
    case CERD_TYPE_JSONB: {
        int k = check_json(*(const cJSON *const *)fp, 0, why, sizeof why);
        if (k)
            add(f, (cerd_violation_kind)k, k == CERD_VIOLATION_ENCODING ? "encoding" : "type",
                1, &cerd__column_index[col], "%s.%s: %s", tn, c->name, why);
        return;
    }
    case CERD_TYPE_INT32_ARRAY: {
        const cerd_int32_array *a = (const cerd_int32_array *)fp;
        if (a->count && !a->values)
            add(f, CERD_VIOLATION_TYPE, "type", 1, &cerd__column_index[col],
                "%s.%s: array of %zu elements without values", tn, c->name, a->count);
        else if (a->count > INT32_MAX / 8)
            add(f, CERD_VIOLATION_LENGTH, "length", 1, &cerd__column_index[col],
                "%s.%s: array of %zu elements is too long", tn, c->name, a->count);
        return;
    }
    case CERD_TYPE_TEXT_ARRAY: {
        const cerd_text_array *a = (const cerd_text_array *)fp;
        if (a->count && !a->values) {
            add(f, CERD_VIOLATION_TYPE, "type", 1, &cerd__column_index[col],
                "%s.%s: array of %zu elements without values", tn, c->name, a->count);
            return;
        }
        if (a->count > INT32_MAX / 4) {
            add(f, CERD_VIOLATION_LENGTH, "length", 1, &cerd__column_index[col],
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
        if (col >= x->e.t->ncolumns || !is_known(x, col))
            return false;
        if (x->e.state[col] == CERD__ST_ABSENT && !(ck->defaults && ck->defaults[i]))
            return false;
    }
    return true;
}

static void run_check(vctx *x, found *f, const cerd_check *ck)
{
    cerd__val v;
    char values[512];
    x->e.ck = ck;
    x->e.nscratch = 0;
    v = cerd__expr_eval(&x->e, ck->expr);
    if (v.kind == CERD__V_BOOL && v.u.i)
        return;
    if (v.kind == CERD__V_NULL || v.kind == CERD__V_UNKNOWN)
        return;
    check_values(x, ck, values, sizeof values);
    if (v.kind == CERD__V_ERROR)
        add(f, CERD_VIOLATION_CHECK, ck->name, ck->ncolumns, ck->columns,
            "%s: CHECK %s (%s) fails to evaluate: %s (%s)", x->e.t->name, ck->name, ck->sql,
            x->e.err, values);
    else if (v.kind == CERD__V_BOOL)
        add(f, CERD_VIOLATION_CHECK, ck->name, ck->ncolumns, ck->columns,
            "%s: CHECK %s (%s) is violated by %s", x->e.t->name, ck->name, ck->sql, values);
    else
        add(f, CERD_VIOLATION_CHECK, ck->name, ck->ncolumns, ck->columns,
            "%s: CHECK %s (%s) does not give a boolean (%s)", x->e.t->name, ck->name, ck->sql,
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
    x->e.t = t;
    x->e.row = row;
    x->mode = mode;
    x->known = known;
    x->e.ck = NULL;
    x->e.raw = false;

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
    if (f.v.count == 0)
        return 0;

    /* The error record: every violation, the first one's names. */
    {
        char msg[2048];
        size_t o = 0;
        const cerd_violation *first = &f.v.items[0];
        o += (size_t)snprintf(msg, sizeof msg, "%s: row refused by client-side validation "
                                               "(%zu violation%s): ",
                              t->name, f.v.count, f.v.count == 1 ? "" : "s");
        for (size_t i = 0; i < f.v.count && o < sizeof msg; i++)
            o += (size_t)snprintf(msg + o, sizeof msg - o, "%s%s", i ? "; " : "",
                                  f.v.items[i].message);
        rc = cerd__error(CERD_EINVALID, "%s", msg);
        cerd__error_names(t->name,
                          first->ncolumns ? t->columns[first->columns[0]].name : NULL,
                          first->constraint);
    }
    if (out) {
        out->count = f.v.count;
        out->items = f.v.items;
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

const char *cerd_check_name(const cerd_check *check)
{
    return check ? check->name : NULL;
}

void cerd__error_logical_names(const cerd_table *t)
{
    const char *names[256];
    size_t n = 0;

    if (!t)
        return;
    names[n++] = t->primary_key.name;
    for (int i = 0; i < t->nunique && n < sizeof names / sizeof names[0]; i++)
        names[n++] = t->unique_keys[i].name;
    for (int i = 0; i < t->nforeign && n < sizeof names / sizeof names[0]; i++)
        names[n++] = t->foreign_keys[i].name;
    for (int i = 0; i < t->nchecks && n < sizeof names / sizeof names[0]; i++)
        names[n++] = cerd_check_name(t->checks[i]);
    cerd__error_to_logical_names(t->name, names, n);
}
