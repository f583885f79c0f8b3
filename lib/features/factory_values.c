/* Row factories, values: hashing, the column hints of the descriptor, typed values that
   fit a column (type, varchar length, numeric precision, the CHECK-derived domain), and
   field access by column index. Everything is a pure function of (seed, table, column,
   salt): no global state, no clock, no floating point in what reaches a row other than
   through exact decimal text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "wire/codec.h"
#include "wire/field.h"
#include "util/error_internal.h"
#include "features/factory_hint.h"
#include "features/factory_internal.h"

/* ================================================================== hashing */

uint64_t cerd__fac_mix(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

uint64_t cerd__fac_hash_str(const char *s)
{
    uint64_t h = UINT64_C(0xCBF29CE484222325);
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001B3);
    return h;
}

static uint64_t name_hash(const cerd__fac_row *r, const char *column, uint64_t salt)
{
    return cerd__fac_mix(r->tseed ^ cerd__fac_mix(cerd__fac_hash_str(column) + salt));
}

uint64_t cerd__fac_col_hash(const cerd__fac_row *r, int col, uint64_t salt)
{
    return name_hash(r, r->t->columns[col].name, salt);
}

/* Uniform in [0, n) (n > 0). */
static uint64_t below(uint64_t h, uint64_t n)
{
    return n ? h % n : 0;
}

/* Uniform in [0, 1). */
static double unit(uint64_t h)
{
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

/* ================================================================== fields */

static char *field(const cerd_table *t, int col, void *row)
{
    return (char *)row + t->columns[col].offset;
}

static const char *cfield(const cerd_table *t, int col, const void *row)
{
    return (const char *)cerd__field(&t->columns[col], row);
}

/* Whether the field is a cerd_opt_* wrapper (identity columns are plain). */
static bool is_opt(const cerd_column *c)
{
    return (c->flags & (CERD_COL_OPTIONAL | CERD_COL_IDENTITY)) == CERD_COL_OPTIONAL;
}

bool cerd__fac_is_null(const cerd_table *t, int col, const void *row)
{
    return cerd__field_is_null(&t->columns[col], row) != 0;
}

bool cerd__fac_set_null(const cerd_table *t, int col, void *row)
{
    const cerd_column *c = &t->columns[col];
    if (!cerd__type_owns_memory(c->type) && !is_opt(c))
        return false;
    cerd__field_free(c, row);
    return true;
}

int cerd__fac_set_int(const cerd_table *t, int col, void *row, int64_t v)
{
    const cerd_column *c = &t->columns[col];
    char *f = field(t, col, row);
    if (c->type == CERD_TYPE_INT32) {
        if (v < INT32_MIN || v > INT32_MAX)
            return CERD_ERANGE;
        *(int32_t *)f = (int32_t)v;
    } else if (c->type == CERD_TYPE_INT64)
        *(int64_t *)f = v;
    else
        return CERD_EMISUSE;
    cerd__field_set_present(c, row);
    return 0;
}

void cerd__fac_set_bool(const cerd_table *t, int col, void *row, bool v)
{
    *(bool *)field(t, col, row) = v;
    cerd__field_set_present(&t->columns[col], row);
}

void cerd__fac_set_numeric(const cerd_table *t, int col, void *row, const cerd_numeric *v)
{
    *(cerd_numeric *)field(t, col, row) = *v;
    cerd__field_set_present(&t->columns[col], row);
}

void cerd__fac_set_timestamp(const cerd_table *t, int col, void *row, cerd_timestamp v)
{
    *(cerd_timestamp *)field(t, col, row) = v;
    cerd__field_set_present(&t->columns[col], row);
}

static void set_inet(const cerd_table *t, int col, void *row, const cerd_inet *v)
{
    *(cerd_inet *)field(t, col, row) = *v;
    cerd__field_set_present(&t->columns[col], row);
}

int cerd__fac_set_text(const cerd_table *t, int col, void *row, const char *s)
{
    char *copy = strdup(s);
    if (!copy)
        return cerd__error(CERD_ENOMEM, "out of memory");
    cerd__field_free(&t->columns[col], row);
    *(char **)field(t, col, row) = copy;
    return 0;
}

static void set_json(const cerd_table *t, int col, void *row, cJSON *v)
{
    cerd__field_free(&t->columns[col], row);
    *(cJSON **)field(t, col, row) = v;
}

bool cerd__fac_get_int(const cerd_table *t, int col, const void *row, int64_t *out)
{
    const cerd_column *c = &t->columns[col];
    const char *f = cfield(t, col, row);
    if (cerd__fac_is_null(t, col, row))
        return false;
    if (c->type == CERD_TYPE_INT32)
        *out = *(const int32_t *)f;
    else if (c->type == CERD_TYPE_INT64)
        *out = *(const int64_t *)f;
    else
        return false;
    return true;
}

bool cerd__fac_get_numeric(const cerd_table *t, int col, const void *row, cerd_numeric *out)
{
    const cerd_column *c = &t->columns[col];
    int64_t i;
    if (cerd__fac_is_null(t, col, row))
        return false;
    if (c->type == CERD_TYPE_NUMERIC) {
        *out = *(const cerd_numeric *)cerd__field(c, row);
        return true;
    }
    if (cerd__fac_get_int(t, col, row, &i)) {
        cerd_numeric_from_int64(out, i);
        return true;
    }
    return false;
}

bool cerd__fac_get_bool(const cerd_table *t, int col, const void *row, bool *out)
{
    const char *f = cfield(t, col, row);
    if (t->columns[col].type != CERD_TYPE_BOOL || cerd__fac_is_null(t, col, row))
        return false;
    *out = *(const bool *)f;
    return true;
}

bool cerd__fac_get_timestamp(const cerd_table *t, int col, const void *row, cerd_timestamp *out)
{
    const char *f = cfield(t, col, row);
    if (t->columns[col].type != CERD_TYPE_TIMESTAMPTZ || cerd__fac_is_null(t, col, row))
        return false;
    *out = *(const cerd_timestamp *)f;
    return true;
}

const char *cerd__fac_get_text(const cerd_table *t, int col, const void *row)
{
    if (t->columns[col].type != CERD_TYPE_TEXT)
        return NULL;
    return *(char *const *)cfield(t, col, row);
}

int cerd__fac_copy_field(const cerd_table *t, int col, void *dst, const void *src)
{
    const cerd_column *c = &t->columns[col];
    char *d = field(t, col, dst);
    const char *s = cfield(t, col, src);

    switch (c->type) {
    case CERD_TYPE_TEXT: {
        const char *v = *(char *const *)s;
        *(char **)d = NULL;
        if (v && !(*(char **)d = strdup(v)))
            return CERD_ENOMEM;
        return 0;
    }
    case CERD_TYPE_JSONB: {
        const cJSON *v = *(cJSON *const *)s;
        *(cJSON **)d = NULL;
        if (v && !(*(cJSON **)d = cJSON_Duplicate(v, 1)))
            return CERD_ENOMEM;
        return 0;
    }
    case CERD_TYPE_INT32_ARRAY: {
        const cerd_int32_array *a = (const cerd_int32_array *)s;
        cerd_int32_array *b = (cerd_int32_array *)d;
        memset(b, 0, sizeof *b);
        b->valid = a->valid;
        if (!a->count)
            return 0;
        if (!(b->values = malloc(a->count * sizeof *b->values)))
            return CERD_ENOMEM;
        b->count = a->count;
        memcpy(b->values, a->values, a->count * sizeof *b->values);
        if (a->nulls) {
            if (!(b->nulls = malloc(a->count * sizeof *b->nulls)))
                return CERD_ENOMEM;
            memcpy(b->nulls, a->nulls, a->count * sizeof *b->nulls);
        }
        return 0;
    }
    case CERD_TYPE_TEXT_ARRAY: {
        const cerd_text_array *a = (const cerd_text_array *)s;
        cerd_text_array *b = (cerd_text_array *)d;
        memset(b, 0, sizeof *b);
        b->valid = a->valid;
        if (!a->count)
            return 0;
        if (!(b->values = calloc(a->count, sizeof *b->values)))
            return CERD_ENOMEM;
        b->count = a->count;
        for (size_t i = 0; i < a->count; i++)
            if (a->values[i] && !(b->values[i] = strdup(a->values[i])))
                return CERD_ENOMEM;
        return 0;
    }
    default:
        memcpy(d, s, cerd__field_size(c));
        return 0;
    }
}

/* ================================================================== numbers */

static const cerd__i128 I128_MAX37 = (cerd__i128)1000000000000000000 * 1000000000000000000 * 10;

static cerd__i128 pow10_i128(int n)
{
    cerd__i128 p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

bool cerd__fac_num_scaled(const cerd_numeric *n, int scale, int dir, cerd__i128 *out)
{
    char text[128];
    const char *p = text;
    bool neg = false, inexact = false;
    cerd__i128 v = 0;
    int digits = 0, frac = 0;

    if (n->sign != CERD_NUMERIC_POS && n->sign != CERD_NUMERIC_NEG)
        return false;
    if (cerd_numeric_format(n, text, sizeof text) >= (int)sizeof text)
        return false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v == 0 && *p == '0')
            continue;
        if (++digits > 37)
            return false;
        v = v * 10 + (*p - '0');
    }
    if (*p == '.')
        p++;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (frac < scale) {
            if (v != 0 || *p != '0')
                if (++digits > 37)
                    return false;
            v = v * 10 + (*p - '0');
            frac++;
        } else if (*p != '0')
            inexact = true;
    }
    for (; frac < scale; frac++) {
        if (v != 0 && ++digits > 37)
            return false;
        v *= 10;
    }
    if (neg)
        v = -v;
    if (inexact) {
        if (dir == 0)
            return false;
        /* v is truncated toward zero */
        if (dir > 0 && !neg)
            v += 1;
        else if (dir < 0 && neg)
            v -= 1;
    }
    *out = v;
    return true;
}

void cerd__fac_num_from_scaled(cerd_numeric *out, cerd__i128 v, int scale)
{
    char digits[64], text[80];
    int n = 0, len = 0;
    bool neg = v < 0;
    __extension__ typedef unsigned __int128 u128;
    u128 u = neg ? (u128)(-(v + 1)) + 1 : (u128)v;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n <= scale)
        digits[n++] = '0';
    if (neg)
        text[len++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        text[len++] = digits[i];
        if (i == scale && scale > 0)
            text[len++] = '.';
    }
    text[len] = '\0';
    if (cerd_numeric_parse(out, text))
        memset(out, 0, sizeof *out);
}

int cerd__fac_col_scale(const cerd_column *c, int hint_scale)
{
    if (c->type == CERD_TYPE_INT32 || c->type == CERD_TYPE_INT64)
        return 0;
    if (c->precision > 0)
        return c->scale > 0 ? c->scale : 0;
    return hint_scale < 0 ? 0 : hint_scale > 12 ? 12 : hint_scale;
}

/* ================================================================== text helpers */

/* Byte length of the first n characters of s. */
static size_t prefix_bytes(const char *s, size_t n)
{
    size_t off = 0, seen = 0;
    while (s[off]) {
        if (((unsigned char)s[off] & 0xC0) != 0x80) {
            if (seen == n)
                break;
            seen++;
        }
        off++;
    }
    return off;
}

static size_t chars_of(const char *s)
{
    return cerd_text_chars(s, strlen(s));
}

/* Truncates buf to at most n characters (n < 0: unlimited). */
static void truncate_chars(char *buf, int n)
{
    if (n >= 0)
        buf[prefix_bytes(buf, (size_t)n)] = '\0';
}

/* Appends s to buf (bounded). */
static void cat(char *buf, size_t size, const char *s)
{
    size_t len = strlen(buf);
    if (len + 1 < size)
        snprintf(buf + len, size - len, "%s", s);
}

static void base36(char *buf, size_t size, uint64_t v, bool upper)
{
    const char *dig = upper ? "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                            : "0123456789abcdefghijklmnopqrstuvwxyz";
    char tmp[16];
    int n = 0;
    do {
        tmp[n++] = dig[v % 36];
        v /= 36;
    } while (v);
    size_t i = 0;
    while (n > 0 && i + 1 < size)
        buf[i++] = tmp[--n];
    buf[i] = '\0';
}

void cerd__fac_text_of_chars(char *buf, size_t size, const char *base, size_t n,
                             bool multibyte, uint64_t h)
{
    static const char *const wide[] = {"é", "数", "Ω", "🚀", "ü", "据"};
    size_t len = 0, chars = 0;

    buf[0] = '\0';
    if (base) {
        size_t take = prefix_bytes(base, n);
        if (take + 1 > size)
            take = 0;
        memcpy(buf, base, take);
        buf[take] = '\0';
        len = take;
        chars = cerd_text_chars(buf, take);
    }
    while (chars < n) {
        const char *piece = multibyte ? wide[(h + chars) % 6] : "x";
        size_t pl = strlen(piece);
        if (len + pl + 1 > size)
            break;
        memcpy(buf + len, piece, pl);
        len += pl;
        buf[len] = '\0';
        chars++;
    }
}

/* ================================================================== domain hints */

/* What realistic values of a column look like comes from its hint in the descriptor
   (generated from schema/api/factory_hints.json, see features/factory_hint.h): a kind,
   its numbers, texts and vocabularies. A descriptor without hints gets plain values. */

#define N_(a) (sizeof(a) / sizeof((a)[0]))

static const cerd_factory_hint no_hint;

static const cerd_factory_hint *hint_of(const cerd__fac_row *r, int col)
{
    return r->t->hints ? &r->t->hints[col] : &no_hint;
}

static const cerd__vocab *vocab_at(const cerd_factory_hint *hi, unsigned i)
{
    return i < hi->nvocabs ? hi->vocabs[i] : NULL;
}

static const char *text_at(const cerd_factory_hint *hi, unsigned i)
{
    return i < hi->ntexts && hi->texts[i] ? hi->texts[i] : "";
}

/* Field f of record rec % count of v ("" when v has no words). */
static const char *word(const cerd__vocab *v, uint64_t rec, unsigned f)
{
    if (!v || !v->words || !v->count)
        return "";
    return v->words[(size_t)(rec % v->count) * v->nfields + (f < v->nfields ? f : 0)];
}

/* The number of record rec % count of v (0 when v has none). */
static double vnumber(const cerd__vocab *v, uint64_t rec)
{
    if (!v || !v->numbers || !v->count)
        return 0;
    return v->numbers[rec % v->count];
}

static void sentence(const cerd_factory_hint *hi, char *buf, size_t size, uint64_t h)
{
    const cerd__vocab *words = vocab_at(hi, 0), *flourishes = vocab_at(hi, 1);
    int n = 6 + (int)below(h, 9);
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        uint64_t w = cerd__fac_mix(h + (uint64_t)i);
        const char *wd = word(words, w, 0);
        if (i)
            cat(buf, size, " ");
        if (i == 0) {
            char cap[32];
            snprintf(cap, sizeof cap, "%s", wd);
            if (cap[0] >= 'a' && cap[0] <= 'z')
                cap[0] = (char)(cap[0] - 'a' + 'A');
            cat(buf, size, cap);
        } else
            cat(buf, size, wd);
    }
    if (below(h >> 20, 3) == 0)
        cat(buf, size, word(flourishes, h >> 24, 0));
    cat(buf, size, ".");
}

/* The seed token of a unique column: short and injective in the seed. */
static void seed_token(const cerd__fac_row *r, char *buf, size_t size, bool upper)
{
    base36(buf, size, r->seed, upper);
}

/* Reads an unsigned decimal at *p (0 when there is none). */
static uint64_t read_num(const char **p)
{
    uint64_t v = 0;
    while (**p >= '0' && **p <= '9')
        v = v * 10 + (uint64_t)(*(*p)++ - '0');
    return v;
}

/* Reads "<c><number>" at *p when it starts with c; else dflt. */
static uint64_t read_opt(const char **p, char c, uint64_t dflt)
{
    if (**p != c)
        return dflt;
    (*p)++;
    return read_num(p);
}

/* Appends the value of one template slot (the text between the braces) to buf:
     {pV:F/D}  field F (0) of record (persona / D (1)) of vocabulary V
     {#V+O}    the number of the row's record of vocabulary V, plus O
     {hV>S}    a word of vocabulary V picked by h >> S (0)
     {iM>S+O}  O + (h >> S) mod M, in decimal
     {t} {T}   the seed token (upper case: T)
     {?X}      only for a unique column: X, or the seed token for t / T
     {!BM}     only for a column that is not unique: (h mod M) in upper-case base 36
     {x0} {x1} {x2}  h, mix(h), mix(mix(h)) as 16 hex digits
     {k}       mix(seed ^ hash of the column name) as 16 hex digits
     {nN}      the first N bytes of the column name
     {table}   the table name */
static void slot(const cerd__fac_row *r, int col, const cerd_factory_hint *hi, uint64_t h,
                 const char *s, char *buf, size_t size)
{
    const cerd_column *c = &r->t->columns[col];
    bool uniq = r->unique[col];
    char out[128];
    const char *p = s + 1;

    out[0] = '\0';
    if (!strcmp(s, "table")) {
        cat(buf, size, r->t->name);
        return;
    }
    switch (s[0]) {
    case 'p': {
        const cerd__vocab *v = vocab_at(hi, (unsigned)read_num(&p));
        uint64_t f = read_opt(&p, ':', 0), d = read_opt(&p, '/', 1);
        snprintf(out, sizeof out, "%s", word(v, r->persona / (d ? d : 1), (unsigned)f));
        break;
    }
    case '#': {
        const cerd__vocab *v = vocab_at(hi, (unsigned)read_num(&p));
        uint64_t o = read_opt(&p, '+', 0);
        snprintf(out, sizeof out, "%llu",
                 (unsigned long long)(o + (v && v->count ? r->persona % v->count : 0)));
        break;
    }
    case 'h': {
        const cerd__vocab *v = vocab_at(hi, (unsigned)read_num(&p));
        uint64_t sh = read_opt(&p, '>', 0);
        snprintf(out, sizeof out, "%s", word(v, sh < 64 ? h >> sh : 0, 0));
        break;
    }
    case 'i': {
        uint64_t m = read_num(&p), sh = read_opt(&p, '>', 0), o = read_opt(&p, '+', 0);
        snprintf(out, sizeof out, "%llu",
                 (unsigned long long)(o + below(sh < 64 ? h >> sh : 0, m)));
        break;
    }
    case 't':
    case 'T':
        seed_token(r, out, sizeof out, s[0] == 'T');
        break;
    case '?':
        if (!uniq)
            break;
        if (!strcmp(p, "t") || !strcmp(p, "T"))
            seed_token(r, out, sizeof out, p[0] == 'T');
        else
            snprintf(out, sizeof out, "%s", p);
        break;
    case '!':
        if (!uniq && *p == 'B') {
            p++;
            base36(out, sizeof out, below(h, read_num(&p)), true);
        }
        break;
    case 'x': {
        uint64_t x = h;
        for (uint64_t k = read_num(&p); k > 0; k--)
            x = cerd__fac_mix(x);
        snprintf(out, sizeof out, "%016llx", (unsigned long long)x);
        break;
    }
    case 'k':
        snprintf(out, sizeof out, "%016llx",
                 (unsigned long long)cerd__fac_mix(r->seed ^ cerd__fac_hash_str(c->name)));
        break;
    case 'n':
        snprintf(out, sizeof out, "%.*s", (int)read_num(&p), c->name);
        break;
    default:
        break;
    }
    cat(buf, size, out);
}

/* Writes template tmpl with its {slots} filled (see slot()) into buf. */
static void expand(const cerd__fac_row *r, int col, const cerd_factory_hint *hi, uint64_t h,
                   const char *tmpl, char *buf, size_t size)
{
    buf[0] = '\0';
    while (*tmpl) {
        const char *open = strchr(tmpl, '{'), *close = open ? strchr(open, '}') : NULL;
        size_t len = strlen(buf), lit = close ? (size_t)(open - tmpl) : strlen(tmpl);
        if (len + lit + 1 > size)
            lit = size - len - 1;
        memcpy(buf + len, tmpl, lit);
        buf[len + lit] = '\0';
        if (!close)
            return;
        char spec[64];
        snprintf(spec, sizeof spec, "%.*s", (int)(close - open - 1), open + 1);
        slot(r, col, hi, h, spec, buf, size);
        tmpl = close + 1;
    }
}

/* Writes a realistic text for column col into buf (not yet truncated). */
static void text_hint(const cerd__fac_row *r, int col, uint64_t h, char *buf, size_t size)
{
    const cerd_column *c = &r->t->columns[col];
    const cerd_factory_hint *hi = hint_of(r, col);
    char tok[32];
    bool uniq = r->unique[col];

    seed_token(r, tok, sizeof tok, false);
    buf[0] = '\0';
    switch (hi->kind) {
    case CERD__HINT_TEMPLATE:
        expand(r, col, hi, h, text_at(hi, 0), buf, size);
        if (hi->flags & CERD__HINT_SELF_UNIQUE)
            return;
        break;
    case CERD__HINT_PICK:
        snprintf(buf, size, "%s", word(vocab_at(hi, 0), h, 0));
        break;
    case CERD__HINT_SENTENCE:
        sentence(hi, buf, size, h);
        break;
    default:
        if (c->max_chars >= 0 && c->max_chars <= 4)
            snprintf(buf, size, "%c%c", 'A' + (int)below(h, 26), 'A' + (int)below(h >> 8, 26));
        else
            snprintf(buf, size, "%s_%s_%d", c->name, word(vocab_at(hi, 0), h, 0),
                     (int)below(h >> 16, 1000));
        break;
    }
    if (uniq) {
        size_t len = strlen(buf);
        /* keep the token whole: make room for it first */
        if (c->max_chars >= 0 && chars_of(buf) + strlen(tok) + 1 > (size_t)c->max_chars) {
            size_t keep = (size_t)c->max_chars > strlen(tok) + 1
                              ? (size_t)c->max_chars - strlen(tok) - 1 : 0;
            buf[prefix_bytes(buf, keep)] = '\0';
            len = strlen(buf);
        }
        snprintf(buf + len, size - len, "%s%s", len ? "-" : "", tok);
    }
}

static bool in_list_has_text(const cerd_expr *in, const char *s)
{
    for (int i = 1; in && i < in->nargs; i++)
        if (in->args[i]->op == CERD_EXPR_CONST && in->args[i]->text
            && !strcmp(in->args[i]->text, s))
            return true;
    return false;
}

const char *cerd__fac_text_outside(const cerd_column *c, const cerd_expr *in, uint64_t salt,
                                   char *buf, size_t size)
{
    static const char *const cand[] = {"unknown", "other", "invalid", "n/a", "zzz", "X"};
    size_t n = N_(cand) + 1;
    for (; salt < n; salt++) {
        if (salt < N_(cand))
            snprintf(buf, size, "%s", cand[salt]);
        else {
            const char *first = in && in->nargs > 1 ? in->args[1]->text : NULL;
            snprintf(buf, size, "%s_x", first ? first : "value");
        }
        truncate_chars(buf, c->max_chars);
        if (buf[0] && !in_list_has_text(in, buf))
            return buf;
    }
    return NULL;
}

/* A text value of column col inside its domain. */
static void text_value(const cerd__fac_row *r, int col, uint64_t salt, char *buf, size_t size)
{
    const cerd_column *c = &r->t->columns[col];
    const cerd__fac_domain *d = &r->dom[col];
    uint64_t h = cerd__fac_col_hash(r, col, salt);

    if (d->eq && d->eq->text) {
        snprintf(buf, size, "%s", d->eq->text);
        return;
    }
    if (d->in && d->in->nargs > 1) {
        /* a hint value that is in the list is the realistic choice (a record's word
           that the CHECK lists); otherwise any member that fits the column */
        int n = d->in->nargs - 1;
        text_hint(r, col, h, buf, size);
        if (!salt && in_list_has_text(d->in, buf))
            return;
        for (int k = 0; k < n; k++) {
            const cerd_expr *e = d->in->args[1 + (int)((below(h, (uint64_t)n) + (uint64_t)k) % (uint64_t)n)];
            if (e->op != CERD_EXPR_CONST || !e->text)
                continue;
            if (c->max_chars >= 0 && chars_of(e->text) > (size_t)c->max_chars)
                continue;
            snprintf(buf, size, "%s", e->text);
            return;
        }
    }
    text_hint(r, col, h, buf, size);
    truncate_chars(buf, c->max_chars);
    if (d->max_len >= 0)
        truncate_chars(buf, d->max_len);
    if (d->min_len > 0 && chars_of(buf) < (size_t)d->min_len) {
        char tmp[1024];
        cerd__fac_text_of_chars(tmp, sizeof tmp, buf, (size_t)d->min_len, false, h);
        snprintf(buf, size, "%s", tmp);
    }
}

/* ================================================================== numeric values */

/* Converts a double to scaled units (x * 10^scale), rounded. */
static cerd__i128 scaled_of(double x, int scale)
{
    double p = 1;
    for (int i = 0; i < scale; i++)
        p *= 10;
    x *= p;
    x += x < 0 ? -0.5 : 0.5;
    if (x > 1e36)
        x = 1e36;
    if (x < -1e36)
        x = -1e36;
    return (cerd__i128)x;
}

/* Uniform in [lo, hi] (lo <= hi). */
static cerd__i128 uniform_i128(uint64_t h, cerd__i128 lo, cerd__i128 hi)
{
    __extension__ typedef unsigned __int128 u128;
    u128 w = (u128)(hi - lo) + 1, x;
    if (w == 0)
        return lo;
    x = ((u128)cerd__fac_mix(h) << 64) | cerd__fac_mix(~h);
    return lo + (cerd__i128)(x % w);
}

/* The value of numeric/integer column col, as scaled units at *scale. */
static cerd__i128 number_value(const cerd__fac_row *r, int col, uint64_t salt, int *scale_out)
{
    const cerd_column *c = &r->t->columns[col];
    const cerd__fac_domain *d = &r->dom[col];
    const cerd_factory_hint *hint = hint_of(r, col);
    uint64_t h = cerd__fac_col_hash(r, col, salt);
    bool hinted = hint->kind >= CERD__HINT_NUMBER && hint->kind <= CERD__HINT_PICK_NUMBER;
    int hint_scale = hinted ? hint->scale : 2;
    int scale;
    cerd__i128 lo, hi, v, cap;
    double x;

    scale = cerd__fac_col_scale(c, hint_scale);

    /* the type's range, then the precision, then the CHECK domain */
    if (c->type == CERD_TYPE_INT32) {
        lo = INT32_MIN;
        hi = INT32_MAX;
    } else if (c->type == CERD_TYPE_INT64) {
        lo = INT64_MIN;
        hi = INT64_MAX;
    } else {
        lo = -I128_MAX37;
        hi = I128_MAX37;
    }
    if (c->type == CERD_TYPE_NUMERIC && c->precision > 0) {
        cap = pow10_i128(c->precision) - 1;
        if (hi > cap)
            hi = cap;
        if (lo < -cap)
            lo = -cap;
    }
    if (d->has_lo) {
        cerd__i128 b;
        if (cerd__fac_num_scaled(&d->lo, scale, +1, &b)) {
            cerd__i128 exact;
            if (d->lo_strict && cerd__fac_num_scaled(&d->lo, scale, 0, &exact))
                b += 1;
            if (b > lo)
                lo = b;
        }
    }
    if (d->has_hi) {
        cerd__i128 b;
        if (cerd__fac_num_scaled(&d->hi, scale, -1, &b)) {
            cerd__i128 exact;
            if (d->hi_strict && cerd__fac_num_scaled(&d->hi, scale, 0, &exact))
                b -= 1;
            if (b < hi)
                hi = b;
        }
    }
    *scale_out = scale;
    if (lo > hi) /* an empty domain: the repair loop will report it */
        return lo;
    if (d->has_lo && d->has_hi && (hi - lo) <= pow10_i128(scale) * 1000000)
        return uniform_i128(h, lo, hi); /* a closed range from the schema: use all of it */

    if (hint->kind == CERD__HINT_PICK_NUMBER)
        v = (cerd__i128)vnumber(vocab_at(hint, 0), h);
    else if (hint->kind == CERD__HINT_PRICE) {
        /* near the number of the hint's record, or of the row's */
        double base = vnumber(vocab_at(hint, 0), hint->index >= 0 ? (uint64_t)hint->index
                                                                   : r->persona);
        /* prices of one row stay within a few percent of each other */
        x = base * (0.96 + 0.08 * unit(h));
        if (scale < 8 && c->precision <= 0)
            scale = *scale_out = 8;
        v = scaled_of(x, scale);
    } else if (hint->kind == CERD__HINT_RANGE) {
        if (hint->flags & CERD__HINT_LOG) {
            double l = hint->lo, u = hint->hi, f = unit(h);
            x = l;
            /* log-uniform without libm: multiply up by a random number of decades */
            while (x * 10 <= u && unit(cerd__fac_mix(h + (uint64_t)(x > 0 ? 1 : 2))) < 0.6)
                x *= 10;
            x *= 1 + 9 * f;
            if (x > u)
                x = u * (0.5 + 0.5 * f);
        } else
            x = hint->lo + (hint->hi - hint->lo) * unit(h);
        v = scaled_of(x, scale);
    } else
        v = scaled_of(1000.0 * unit(h), scale);

    /* a figure, not noise: at most 12 significant digits (doubles carry ~16) */
    {
        cerd__i128 m = v < 0 ? -v : v, p = 1;
        int digits = 0;
        while (m >= p && digits < 38) {
            p *= 10;
            digits++;
        }
        if (digits > 12) {
            cerd__i128 cut = pow10_i128(digits - 12);
            v = v / cut * cut;
        }
    }
    /* too many integer digits for numeric(p,s): drop decades, keeping the look */
    while (v > hi && v > 0)
        v /= 10;
    while (v < lo && v < 0)
        v /= 10;
    if (v < lo || v > hi) {
        /* outside the domain from the schema: near the bound that exists */
        cerd__i128 width = pow10_i128(scale) * 100;
        if (lo > -I128_MAX37 && (hi == I128_MAX37 || hi - lo > width) && v < lo)
            v = uniform_i128(h, lo, lo + width < hi ? lo + width : hi);
        else if (v > hi)
            v = uniform_i128(h, hi - width > lo ? hi - width : lo, hi);
        else
            v = uniform_i128(h, lo, hi);
    }
    return v;
}

/* ================================================================== timestamps */

#define USEC_PER_SEC INT64_C(1000000)
#define USEC_PER_MIN (60 * USEC_PER_SEC)
#define USEC_PER_HOUR (60 * USEC_PER_MIN)
#define USEC_PER_DAY (24 * USEC_PER_HOUR)

static cerd_timestamp ts_value(const cerd__fac_row *r, int col, uint64_t salt)
{
    const cerd_factory_hint *hint = hint_of(r, col);
    uint64_t h = cerd__fac_col_hash(r, col, salt);
    int64_t a = r->anchor;
    /* the row's creation time, the same for every column: hashed from the name the hint
       gives (the creation-time column's) */
    int64_t created = a + (int64_t)below(name_hash(r, text_at(hint, 0), 0), 600) * USEC_PER_SEC;

    switch (hint->kind) {
    case CERD__HINT_TIME_ANCHOR: return salt ? a + (int64_t)below(h, 3600) * USEC_PER_SEC : a;
    case CERD__HINT_TIME_CANDLE: return a - a % USEC_PER_MIN + (salt ? (int64_t)salt * USEC_PER_HOUR : 0);
    case CERD__HINT_TIME_CREATED: return created;
    case CERD__HINT_TIME_UPDATED:
        return created + (int64_t)below(h, 30 * 24 * 3600) * USEC_PER_SEC + (int64_t)below(h >> 32, 1000000);
    case CERD__HINT_TIME_START: return created + (int64_t)below(h, 3600) * USEC_PER_SEC;
    case CERD__HINT_TIME_END: return created + USEC_PER_HOUR + (int64_t)below(h, 6 * 3600) * USEC_PER_SEC;
    case CERD__HINT_TIME_FUTURE: return created + USEC_PER_DAY + (int64_t)below(h, 90 * 24 * 3600) * USEC_PER_SEC;
    case CERD__HINT_TIME_PAST: return created + (int64_t)below(h, 30 * 24 * 3600) * USEC_PER_SEC;
    case CERD__HINT_TIME_DELETED: return created + 30 * USEC_PER_DAY + (int64_t)below(h, 60 * 24 * 3600) * USEC_PER_SEC;
    default: return created + (int64_t)below(h, 7 * 24 * 3600) * USEC_PER_SEC + (int64_t)below(h >> 40, 1000000);
    }
}

/* ================================================================== json */

static cJSON *raw_number(double x, int decimals)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, x);
    return cJSON_CreateRaw(buf);
}

static cJSON *json_value(const cerd__fac_row *r, int col, uint64_t salt)
{
    const cerd_column *c = &r->t->columns[col];
    const cerd_factory_hint *hint = hint_of(r, col);
    const cerd__vocab *v0 = vocab_at(hint, 0), *v1 = vocab_at(hint, 1);
    uint64_t h = cerd__fac_col_hash(r, col, salt);
    cJSON *o = cJSON_CreateObject(), *in, *arr;
    char buf[256];

/* the hint's texts: the keys and constant strings of the shape, in order */
#define K(i) text_at(hint, i)
    if (!o)
        return NULL;
    switch (hint->kind) {
    case CERD__HINT_JSON_PRICE_METRICS: {
        double p = vnumber(v0, r->persona);
        in = cJSON_AddObjectToObject(o, K(0));
        cJSON_AddItemToObject(in, K(1), raw_number(20 + 60 * unit(h), 2));
        in = cJSON_AddObjectToObject(o, K(2));
        cJSON_AddItemToObject(in, K(3), raw_number(-50 + 100 * unit(h >> 3), 2));
        cJSON_AddItemToObject(in, K(4), raw_number(-50 + 100 * unit(h >> 5), 2));
        in = cJSON_AddObjectToObject(o, K(5));
        cJSON_AddItemToObject(in, K(6), raw_number(p * (0.95 + 0.1 * unit(h >> 7)), 4));
        cJSON_AddItemToObject(in, K(7), raw_number(p * (0.8 + 0.3 * unit(h >> 9)), 4));
        in = cJSON_AddObjectToObject(o, K(8));
        cJSON_AddItemToObject(in, K(9), raw_number(p * 1.05, 4));
        cJSON_AddItemToObject(in, K(10), raw_number(p * 0.95, 4));
        break;
    }
    case CERD__HINT_JSON_OBJECT:
        for (unsigned i = 0; i + 1 < hint->ntexts; i += 2) {
            expand(r, col, hint, h, K(i + 1), buf, sizeof buf);
            cJSON_AddStringToObject(o, K(i), buf);
        }
        break;
    case CERD__HINT_JSON_PREFERENCES:
        cJSON_AddStringToObject(o, K(0), below(h, 2) ? K(2) : K(1));
        cJSON_AddStringToObject(o, K(3), word(v0, h >> 4, 0));
        in = cJSON_AddObjectToObject(o, K(4));
        cJSON_AddBoolToObject(in, K(5), below(h >> 8, 2));
        cJSON_AddBoolToObject(in, K(6), below(h >> 9, 2));
        break;
    case CERD__HINT_JSON_DEVICE:
        cJSON_AddStringToObject(o, K(0), word(v0, h, 0));
        cJSON_AddStringToObject(o, K(1), word(v1, h >> 8, 0));
        cJSON_AddBoolToObject(o, K(2), below(h >> 12, 2));
        break;
    case CERD__HINT_JSON_CONFIG: {
        uint64_t first = hint->index > 0 ? (uint64_t)hint->index : v0 ? v0->count : 1;
        cJSON_AddItemToObject(o, K(0), raw_number(0.0001 * (1 + (double)below(h, 50)), 4));
        cJSON_AddNumberToObject(o, K(1), (double)(16 << below(h >> 8, 4)));
        cJSON_AddNumberToObject(o, K(2), (double)(10 * (1 + below(h >> 12, 20))));
        cJSON_AddStringToObject(o, K(3), word(v0, below(h >> 16, first), 0));
        break;
    }
    case CERD__HINT_JSON_LIST:
        cJSON_Delete(o);
        if (!(arr = cJSON_CreateArray()))
            return NULL;
        for (int i = 0, n = 1 + (int)below(h, 4); i < n; i++) {
            cJSON *e = cJSON_CreateObject();
            if (!e)
                break;
            cJSON_AddItemToArray(arr, e);
            cJSON_AddStringToObject(e, K(0), word(v0, h >> (4 * i + 8), 0));
            cJSON_AddItemToObject(e, K(1), raw_number(0.5 + 0.5 * unit(cerd__fac_mix(h + (uint64_t)i)), 2));
        }
        return arr;
    case CERD__HINT_JSON_STATUS:
        cJSON_AddStringToObject(o, K(0), below(h, 5) ? K(1) : K(2));
        cJSON_AddItemToObject(o, K(3), raw_number(5 + 500 * unit(h >> 3), 1));
        cJSON_AddNumberToObject(o, K(4), hint->hi);
        break;
    case CERD__HINT_JSON_USAGE:
        for (int i = 0; i < 5; i++)
            cJSON_AddNumberToObject(o, word(v0, below(h, 3) + (uint64_t)i, 0),
                                    (double)below(cerd__fac_mix(h + (uint64_t)i), 200));
        break;
    case CERD__HINT_JSON_AUDIT:
        snprintf(buf, sizeof buf, "%s%llu", word(v0, r->persona, 0),
                 (unsigned long long)below(h, 1000));
        cJSON_AddStringToObject(o, K(0), buf);
        cJSON_AddBoolToObject(o, K(1), below(h >> 8, 2));
        cJSON_AddItemToObject(o, K(2), raw_number(vnumber(v0, r->persona), 8));
        break;
    case CERD__HINT_JSON_GENERIC:
        cJSON_AddStringToObject(o, K(0), K(1));
        cJSON_AddStringToObject(o, K(2), word(v0, r->persona, 0));
        cJSON_AddItemToObject(o, K(3), raw_number(unit(h), 4));
        arr = cJSON_AddArrayToObject(o, K(4));
        cJSON_AddItemToArray(arr, cJSON_CreateString(word(vocab_at(hint, 1), h >> 8, 0)));
        cJSON_AddItemToArray(arr, cJSON_CreateString(word(vocab_at(hint, 2), h >> 16, 0)));
        if (below(h >> 24, 4) == 0)
            cJSON_AddStringToObject(o, K(5), K(6));
        break;
    default:
        /* no hint: the column's name and a figure */
        cJSON_AddItemToObject(o, c->name, raw_number(unit(h), 4));
        break;
    }
#undef K
    return o;
}

/* ================================================================== arrays, inet */

int cerd__fac_set_array_len(const cerd__fac_row *r, int col, void *row, size_t n, uint64_t salt)
{
    const cerd_column *c = &r->t->columns[col];
    uint64_t h = cerd__fac_col_hash(r, col, salt);
    char *f = field(r->t, col, row);

    cerd__field_free(c, row);
    if (c->type == CERD_TYPE_INT32_ARRAY) {
        cerd_int32_array *a = (cerd_int32_array *)f;
        a->valid = true;
        if (!n)
            return 0;
        if (!(a->values = calloc(n, sizeof *a->values)))
            return cerd__error(CERD_ENOMEM, "out of memory");
        a->count = n;
        for (size_t i = 0; i < n; i++)
            a->values[i] = 1 + (int32_t)below(cerd__fac_mix(h + i), 400);
        return 0;
    }
    if (c->type == CERD_TYPE_TEXT_ARRAY) {
        cerd_text_array *a = (cerd_text_array *)f;
        a->valid = true;
        if (!n)
            return 0;
        if (!(a->values = calloc(n, sizeof *a->values)))
            return cerd__error(CERD_ENOMEM, "out of memory");
        a->count = n;
        for (size_t i = 0; i < n; i++) {
            char buf[128];
            const cerd__vocab *v = hint_of(r, col)->kind == CERD__HINT_PICK_ARRAY
                                       ? vocab_at(hint_of(r, col), 0) : NULL;
            snprintf(buf, sizeof buf, "%s", v ? word(v, below(h, v->count) + i, 0) : c->name);
            truncate_chars(buf, c->max_chars);
            if (!(a->values[i] = strdup(buf)))
                return cerd__error(CERD_ENOMEM, "out of memory");
        }
        return 0;
    }
    return CERD_EMISUSE;
}

static cerd_inet inet_value(uint64_t h)
{
    cerd_inet in;
    memset(&in, 0, sizeof in);
    switch (below(h, 4)) {
    case 0: /* 2001:db8::/32, the documentation prefix */
        in.family = 6;
        in.bits = 128;
        in.addr[0] = 0x20;
        in.addr[1] = 0x01;
        in.addr[2] = 0x0d;
        in.addr[3] = 0xb8;
        for (int i = 8; i < 16; i++)
            in.addr[i] = (uint8_t)(cerd__fac_mix(h + (uint64_t)i) & 0xff);
        return in;
    default: { /* TEST-NET-1/2/3 */
        static const uint8_t nets[3][3] = {{192, 0, 2}, {198, 51, 100}, {203, 0, 113}};
        const uint8_t *n = nets[below(h >> 8, 3)];
        in.family = 4;
        in.bits = 32;
        in.addr[0] = n[0];
        in.addr[1] = n[1];
        in.addr[2] = n[2];
        in.addr[3] = (uint8_t)(1 + below(h >> 16, 254));
        return in;
    }
    }
}

/* ================================================================== one column */

int cerd__fac_gen_value(const cerd__fac_row *r, int col, uint64_t salt, void *row)
{
    const cerd_table *t = r->t;
    const cerd_column *c = &t->columns[col];
    const cerd__fac_domain *d = &r->dom[col];
    uint64_t h = cerd__fac_col_hash(r, col, salt);

    switch (c->type) {
    case CERD_TYPE_INT32:
    case CERD_TYPE_INT64:
    case CERD_TYPE_NUMERIC: {
        int scale;
        cerd__i128 v;
        if (d->eq && d->eq->text) {
            cerd_numeric n;
            if (!cerd_numeric_parse(&n, d->eq->text)) {
                if (c->type == CERD_TYPE_NUMERIC) {
                    cerd__fac_set_numeric(t, col, row, &n);
                    return 0;
                }
                if (cerd__fac_num_scaled(&n, 0, 0, &v) && !cerd__fac_set_int(t, col, row, (int64_t)v))
                    return 0;
            }
        }
        if (d->in && d->in->nargs > 1) {
            const cerd_expr *e = d->in->args[1 + (int)below(h, (uint64_t)(d->in->nargs - 1))];
            cerd_numeric n;
            if (e->text && !cerd_numeric_parse(&n, e->text)) {
                if (c->type == CERD_TYPE_NUMERIC) {
                    cerd__fac_set_numeric(t, col, row, &n);
                    return 0;
                }
                if (cerd__fac_num_scaled(&n, 0, 0, &v) && !cerd__fac_set_int(t, col, row, (int64_t)v))
                    return 0;
            }
        }
        v = number_value(r, col, salt, &scale);
        if (c->type == CERD_TYPE_NUMERIC) {
            cerd_numeric n;
            cerd__fac_num_from_scaled(&n, v, scale);
            cerd__fac_set_numeric(t, col, row, &n);
            return 0;
        }
        if (cerd__fac_set_int(t, col, row, (int64_t)v))
            cerd__fac_set_int(t, col, row, 0);
        return 0;
    }
    case CERD_TYPE_BOOL: {
        bool v;
        if (d->eq && d->eq->text)
            v = d->eq->text[0] == 't' || d->eq->text[0] == 'T';
        else if (hint_of(r, col)->kind == CERD__HINT_MOSTLY_TRUE)
            v = below(h, 10) != 0;
        else
            v = below(h, 2) != 0;
        cerd__fac_set_bool(t, col, row, v);
        return 0;
    }
    case CERD_TYPE_TIMESTAMPTZ:
        cerd__fac_set_timestamp(t, col, row, ts_value(r, col, salt));
        return 0;
    case CERD_TYPE_TEXT: {
        char buf[1024];
        text_value(r, col, salt, buf, sizeof buf);
        return cerd__fac_set_text(t, col, row, buf);
    }
    case CERD_TYPE_JSONB: {
        cJSON *j = json_value(r, col, salt);
        if (!j)
            return cerd__error(CERD_ENOMEM, "out of memory");
        set_json(t, col, row, j);
        return 0;
    }
    case CERD_TYPE_INET: {
        cerd_inet in = inet_value(h);
        set_inet(t, col, row, &in);
        return 0;
    }
    case CERD_TYPE_INT32_ARRAY:
    case CERD_TYPE_TEXT_ARRAY: {
        size_t max = d->max_elems >= 0 ? (size_t)d->max_elems : 4;
        size_t n = max ? 1 + (size_t)below(h, max) : 0;
        return cerd__fac_set_array_len(r, col, row, n, salt);
    }
    }
    return cerd__error(CERD_EMISUSE, "%s.%s: unknown column type", t->name, c->name);
}
