/* Exact decimal numbers with PostgreSQL 15's semantics: numeric_in's syntax and dscale
   rules, numeric_out's text, cmp_numerics' ordering, apply_typmod's rounding and the
   binary wire format of numeric_send/numeric_recv.

   A cerd_numeric is PostgreSQL's NumericVar in a fixed-size struct: base-10000 groups,
   most significant first, normalised (no leading or trailing zero groups; zero is
   ngroups 0, weight 0, sign POS). Values are limited to CERD_NUMERIC_MAX_DIGITS
   significant decimal digits, counted from the first non-zero digit to the last
   non-zero one (1e50 and 1.000...0 have one); a value with more is refused, never
   rounded. Everything here is integer arithmetic on the stack: no allocation, no
   floating point. */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types/numeric_internal.h"
#include "cryptoerd/types.h"
#include "types/numeric_internal.h"
#include "util/error_internal.h"

#define NBASE 10000
#define DEC_DIGITS 4
#define DSCALE_MAX 0x3FFF /* PostgreSQL's NUMERIC_DSCALE_MAX */
#define TYPMOD_MAX_PRECISION 1000 /* NUMERIC_MAX_PRECISION */
#define TYPMOD_MIN_SCALE (-1000)  /* NUMERIC_MIN_SCALE (PostgreSQL 15) */
#define TYPMOD_MAX_SCALE 1000     /* NUMERIC_MAX_SCALE */
#define QUOTE_MAX 200             /* bytes of offending text an error message quotes */

_Static_assert(CERD_NUMERIC_MAX_GROUPS * DEC_DIGITS >=
                   CERD_NUMERIC_MAX_DIGITS + 2 * (DEC_DIGITS - 1),
               "CERD_NUMERIC_MAX_GROUPS must hold MAX_DIGITS digits at any alignment");

static const uint16_t pow10_tab[DEC_DIGITS + 1] = {1, 10, 100, 1000, 10000};

static bool is_special(uint16_t sign)
{
    return sign == CERD_NUMERIC_NAN || sign == CERD_NUMERIC_PINF || sign == CERD_NUMERIC_NINF;
}

/* isspace() in the C locale, which is what numeric_in sees for ASCII. */
static bool is_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* floor(a / b) for b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* Decimal zeros in front of a group's value (0..3; a zero group counts 4). */
static int leading_zeros(uint16_t g)
{
    return g >= 1000 ? 0 : g >= 100 ? 1 : g >= 10 ? 2 : g >= 1 ? 3 : 4;
}

static int trailing_zeros(uint16_t g)
{
    return cerd__group_trailing_zeros(g);
}

/* Significant decimal digits of normalised groups (first and last non-zero). */
static int significant_digits(const uint16_t *g, int n)
{
    return n == 0 ? 0 : cerd__sig_digits(g, n);
}

/* How many of a caller's struct's groups are usable: 0..MAX_GROUPS. */
static int clamp_groups(const cerd_numeric *n)
{
    if (n->ngroups <= 0)
        return 0;
    return n->ngroups > CERD_NUMERIC_MAX_GROUPS ? CERD_NUMERIC_MAX_GROUPS : n->ngroups;
}

/* Error-message quoting: at most QUOTE_MAX bytes of text, "..." when cut. */
#define QUOTE_FMT "\"%.*s%s\""
#define QUOTE_ARGS(s) QUOTE_MAX, (s), (strlen(s) > QUOTE_MAX ? "..." : "")

/* ------------------------------------------------------------------------------ */
/* Text input: numeric_in / set_var_from_str */

static void set_special(cerd_numeric *out, uint16_t sign)
{
    memset(out, 0, sizeof *out);
    out->sign = sign;
}

/* Length of the case-insensitive prefix lit (lower case) at s, or 0. */
static size_t match_ci(const unsigned char *s, const char *lit)
{
    size_t i;
    for (i = 0; lit[i]; i++) {
        unsigned char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (c != (unsigned char)lit[i])
            return 0;
    }
    return i;
}

static int invalid_syntax(const char *text)
{
    return cerd__error(CERD_EINVALID, "invalid input syntax for type numeric: " QUOTE_FMT,
                       QUOTE_ARGS(text));
}

static int overflows(const char *text)
{
    return cerd__error(CERD_ERANGE, "numeric value " QUOTE_FMT " overflows numeric format",
                       QUOTE_ARGS(text));
}

/* The digits of the text, as far as they matter: zeros before the first non-zero digit
   are only counted, the MAX_DIGITS digits from it on are kept. */
typedef struct {
    int64_t lead;  /* zero digits before the first non-zero one */
    int64_t seen;  /* digits from the first non-zero one on */
    int64_t last;  /* 1 + index (in those) of the last non-zero digit; 0: value is zero */
    uint8_t sig[CERD_NUMERIC_MAX_DIGITS];
} digit_scan;

/* Scans a run of decimal digits at cp, adding their number to *count. */
static const unsigned char *scan_digits(const unsigned char *cp, digit_scan *ds,
                                        int64_t *count)
{
    const unsigned char *start = cp;
    if (ds->seen == 0) {
        while (*cp == '0')
            cp++;
        ds->lead += cp - start;
    }
    for (; is_digit(*cp); cp++) {
        uint8_t d = (uint8_t)(*cp - '0');
        if (ds->seen < CERD_NUMERIC_MAX_DIGITS)
            ds->sig[ds->seen] = d;
        ds->seen++;
        if (d)
            ds->last = ds->seen;
    }
    *count += cp - start;
    return cp;
}

int cerd_numeric_parse(cerd_numeric *out, const char *text)
{
    /* numeric_in checks the spellings in this order ("Infinity" before "inf"). */
    static const struct {
        const char *lit;
        uint16_t sign;
    } specials[] = {
        {"nan", CERD_NUMERIC_NAN},        {"infinity", CERD_NUMERIC_PINF},
        {"+infinity", CERD_NUMERIC_PINF}, {"-infinity", CERD_NUMERIC_NINF},
        {"inf", CERD_NUMERIC_PINF},       {"+inf", CERD_NUMERIC_PINF},
        {"-inf", CERD_NUMERIC_NINF},
    };
    const unsigned char *cp;
    digit_scan ds;
    int64_t nint = 0, nfrac = 0, exponent = 0, dscale, e0, weight;
    uint16_t sign = CERD_NUMERIC_POS;
    unsigned char c;
    size_t i;

    if (!out || !text)
        return cerd__error(CERD_EMISUSE, "cerd_numeric_parse: out and text must not be NULL");

    cp = (const unsigned char *)text;
    while (is_space(*cp))
        cp++;

    /* every special spelling starts with [+-]?[nNiI] */
    c = cp[*cp == '+' || *cp == '-'] | 0x20;
    for (i = 0; i < sizeof specials / sizeof specials[0] && (c == 'n' || c == 'i'); i++) {
        size_t len = match_ci(cp, specials[i].lit);
        if (len) {
            for (cp += len; *cp; cp++)
                if (!is_space(*cp))
                    return invalid_syntax(text);
            set_special(out, specials[i].sign);
            return 0;
        }
    }

    /* set_var_from_str: [sign] digits [. digits] | [sign] . digits; then [e [sign] digits] */
    if (*cp == '+') {
        cp++;
    } else if (*cp == '-') {
        sign = CERD_NUMERIC_NEG;
        cp++;
    }
    if (!is_digit(*cp) && !(*cp == '.' && is_digit(cp[1])))
        return invalid_syntax(text);
    ds.lead = ds.seen = ds.last = 0;
    cp = scan_digits(cp, &ds, &nint);
    if (*cp == '.')
        cp = scan_digits(cp + 1, &ds, &nfrac);
    if (*cp == '.')
        return invalid_syntax(text);

    if (*cp == 'e' || *cp == 'E') {
        /* strtol(cp, &end, 10): optional spaces, optional sign, at least one digit */
        const unsigned char *p = cp + 1;
        bool neg = false;
        while (is_space(*p))
            p++;
        if (*p == '+') {
            p++;
        } else if (*p == '-') {
            neg = true;
            p++;
        }
        if (!is_digit(*p))
            return invalid_syntax(text);
        for (; is_digit(*p); p++)
            if (exponent < INT_MAX) /* saturate: anything this big is refused below */
                exponent = exponent * 10 + (*p - '0');
        if (exponent >= INT_MAX / 2)
            return overflows(text); /* numeric_in refuses it before looking further */
        if (neg)
            exponent = -exponent;
        cp = p;
    }

    for (; *cp; cp++)
        if (!is_space(*cp))
            return invalid_syntax(text);

    dscale = nfrac - exponent;
    if (dscale < 0)
        dscale = 0;
    if (dscale > DSCALE_MAX)
        return overflows(text);

    memset(out, 0, sizeof *out);
    out->dscale = (uint16_t)dscale;
    if (ds.last == 0)
        return 0; /* zero: any sign, any exponent */
    if (ds.last > CERD_NUMERIC_MAX_DIGITS)
        return cerd__error(CERD_ERANGE,
                           "numeric value " QUOTE_FMT " has more than %d significant digits",
                           QUOTE_ARGS(text), CERD_NUMERIC_MAX_DIGITS);

    /* e0: power of ten of the first significant digit; its group is the weight. */
    e0 = nint - 1 + exponent - ds.lead;
    weight = floor_div(e0, DEC_DIGITS);
    if (weight > INT16_MAX || weight < INT16_MIN)
        return overflows(text);
    {
        int p = (int)(e0 - weight * DEC_DIGITS); /* power of ten in the current group */
        int g = 0, k;
        unsigned acc = 0;
        for (k = 0; k < ds.last; k++) {
            acc = acc * 10 + ds.sig[k];
            if (p-- == 0) {
                out->digits[g++] = (uint16_t)acc;
                acc = 0;
                p = DEC_DIGITS - 1;
            }
        }
        if (p != DEC_DIGITS - 1)
            out->digits[g++] = (uint16_t)(acc * pow10_tab[p + 1]);
        out->ngroups = (int16_t)g;
    }
    out->weight = (int16_t)weight;
    out->sign = sign;
    return 0;
}

/* ------------------------------------------------------------------------------ */
/* Text output: numeric_out / get_str_from_var */

typedef struct {
    char *buf;
    size_t size, len;
} emitter;

/* Writes c when it fits (leaving room for the NUL) and counts it either way. Uses the
   locals buf, size and len, so that stores through buf cannot make the compiler reload
   them. */
#define PUT(c)                                                                        \
    do {                                                                              \
        if (len + 1 < size)                                                           \
            buf[len] = (c);                                                           \
        len++;                                                                        \
    } while (0)

static void put_str(emitter *e, const char *s)
{
    char *buf = e->buf;
    size_t size = e->size, len = e->len;
    for (; *s; s++)
        PUT(*s); /* no side effects in PUT's argument: it is not always evaluated */
    e->len = len;
}

/* The groups of a finite value: a struct's array, or big-endian wire bytes. */
typedef struct {
    const uint16_t *digits;
    const unsigned char *wire;
    int ngroups;
} groups;

static uint16_t group(const groups *g, int i)
{
    if (i < 0 || i >= g->ngroups)
        return 0;
    return g->digits ? g->digits[i]
                     : (uint16_t)((g->wire[2 * i] << 8) | g->wire[2 * i + 1]);
}

/* get_str_from_var: digits beyond dscale are not shown. */
static void format_finite(emitter *e, bool negative, int weight, int dscale, const groups *g)
{
    char *buf = e->buf;
    size_t size = e->size, len = e->len;
    int d, i, p;

    if (negative)
        PUT('-');
    if (weight < 0) {
        d = weight + 1;
        PUT('0');
    } else {
        for (d = 0; d <= weight; d++) {
            int dig = group(g, d);
            /* the first group without its leading zeros */
            if (d > 0 || dig >= 1000)
                PUT((char)('0' + dig / 1000));
            if (d > 0 || dig >= 100)
                PUT((char)('0' + dig / 100 % 10));
            if (d > 0 || dig >= 10)
                PUT((char)('0' + dig / 10 % 10));
            PUT((char)('0' + dig % 10));
        }
    }
    if (dscale > 0) {
        PUT('.');
        for (i = 0; i < dscale; d++) {
            int dig = group(g, d);
            char four[DEC_DIGITS] = {(char)('0' + dig / 1000), (char)('0' + dig / 100 % 10),
                                     (char)('0' + dig / 10 % 10), (char)('0' + dig % 10)};
            for (p = 0; p < DEC_DIGITS && i < dscale; p++, i++)
                PUT(four[p]);
        }
    }
    e->len = len;
}

#undef PUT

static int finish(emitter *e)
{
    if (e->size > 0)
        e->buf[e->len < e->size ? e->len : e->size - 1] = '\0';
    return e->len > INT_MAX ? INT_MAX : (int)e->len;
}

int cerd_numeric_format(const cerd_numeric *n, char *buf, size_t size)
{
    emitter e = {buf, buf ? size : 0, 0};

    if (!n) {
        /* nothing to write */
    } else if (n->sign == CERD_NUMERIC_NAN) {
        put_str(&e, "NaN");
    } else if (n->sign == CERD_NUMERIC_PINF) {
        put_str(&e, "Infinity");
    } else if (n->sign == CERD_NUMERIC_NINF) {
        put_str(&e, "-Infinity");
    } else {
        groups g = {n->digits, NULL, clamp_groups(n)};
        format_finite(&e, n->sign == CERD_NUMERIC_NEG && g.ngroups > 0, n->weight, n->dscale,
                      &g);
    }
    return finish(&e);
}

/* Text of n for an error message, cut to fit with "..." (size > 4). */
static const char *quote_value(const cerd_numeric *n, char *buf, size_t size)
{
    int len = cerd_numeric_format(n, buf, size);
    if ((size_t)len >= size)
        memcpy(buf + size - 4, "...", 4);
    return buf;
}

/* ------------------------------------------------------------------------------ */
/* Comparison: cmp_numerics / cmp_var_common / cmp_abs_common */

static int cmp_abs(const uint16_t *d1, int n1, int w1, const uint16_t *d2, int n2, int w2)
{
    int i1 = 0, i2 = 0;

    while (w1 > w2 && i1 < n1) {
        if (d1[i1++] != 0)
            return 1;
        w1--;
    }
    while (w2 > w1 && i2 < n2) {
        if (d2[i2++] != 0)
            return -1;
        w2--;
    }
    if (w1 == w2) {
        while (i1 < n1 && i2 < n2) {
            int stat = (int)d1[i1++] - (int)d2[i2++];
            if (stat)
                return stat > 0 ? 1 : -1;
        }
    }
    while (i1 < n1)
        if (d1[i1++] != 0)
            return 1;
    while (i2 < n2)
        if (d2[i2++] != 0)
            return -1;
    return 0;
}

static bool is_zero(const cerd_numeric *n, int ngroups)
{
    int i;
    for (i = 0; i < ngroups; i++)
        if (n->digits[i])
            return false;
    return true;
}

int cerd_numeric_cmp(const cerd_numeric *a, const cerd_numeric *b)
{
    int na, nb;
    bool za, zb, nega, negb;

    if (is_special(a->sign)) {
        if (a->sign == CERD_NUMERIC_NAN)
            return b->sign == CERD_NUMERIC_NAN ? 0 : 1;
        if (a->sign == CERD_NUMERIC_PINF)
            return b->sign == CERD_NUMERIC_NAN ? -1 : b->sign == CERD_NUMERIC_PINF ? 0 : 1;
        return b->sign == CERD_NUMERIC_NINF ? 0 : -1;
    }
    if (is_special(b->sign))
        return b->sign == CERD_NUMERIC_NINF ? 1 : -1;

    na = clamp_groups(a);
    nb = clamp_groups(b);
    za = is_zero(a, na);
    zb = is_zero(b, nb);
    nega = a->sign == CERD_NUMERIC_NEG;
    negb = b->sign == CERD_NUMERIC_NEG;
    if (za)
        return zb ? 0 : negb ? 1 : -1;
    if (zb)
        return nega ? -1 : 1;
    if (!nega)
        return negb ? 1 : cmp_abs(a->digits, na, a->weight, b->digits, nb, b->weight);
    if (!negb)
        return -1;
    return cmp_abs(b->digits, nb, b->weight, a->digits, na, a->weight);
}

void cerd_numeric_from_int64(cerd_numeric *out, int64_t value)
{
    uint64_t mag = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    uint16_t rev[5]; /* 2^63 has 19 digits: 5 groups, least significant first */
    int n = 0, low = 0, i;

    memset(out, 0, sizeof *out);
    if (mag == 0)
        return;
    while (mag) {
        rev[n++] = (uint16_t)(mag % NBASE);
        mag /= NBASE;
    }
    while (rev[low] == 0)
        low++;
    for (i = 0; i < n - low; i++)
        out->digits[i] = rev[n - 1 - i];
    out->ngroups = (int16_t)(n - low);
    out->weight = (int16_t)(n - 1);
    out->sign = value < 0 ? CERD_NUMERIC_NEG : CERD_NUMERIC_POS;
}

/* ------------------------------------------------------------------------------ */
/* Typmod: apply_typmod / apply_typmod_special / round_var */

/* Strips leading and trailing zero groups of d[0..*n) (moving the rest to the front)
   and adjusts *weight; zero becomes n 0, weight 0. */
static void strip(uint16_t *d, int *n, int *weight)
{
    int lead = 0, len = *n;
    while (lead < len && d[lead] == 0)
        lead++;
    while (len > lead && d[len - 1] == 0)
        len--;
    if (len == lead) {
        *n = 0;
        *weight = 0;
        return;
    }
    if (lead)
        memmove(d, d + lead, (size_t)(len - lead) * sizeof *d);
    *n = len - lead;
    *weight -= lead;
}

/* round_var: rounds d[0..*n) (weight *weight) half away from zero to rscale decimal
   places. d[-1] must exist and be 0: a carry out of the top group lands there, and then
   the result starts at d - 1. Returns where the result starts. */
static uint16_t *round_groups(uint16_t *d, int *n, int *weight, int rscale)
{
    int di = (*weight + 1) * DEC_DIGITS + rscale; /* decimal digits kept */
    int ndigits, carry;

    if (di < 0) {
        *n = 0;
        *weight = 0;
        return d;
    }
    ndigits = (di + DEC_DIGITS - 1) / DEC_DIGITS;
    di %= DEC_DIGITS;
    if (!(ndigits < *n || (ndigits == *n && di > 0)))
        return d; /* nothing beyond rscale */

    *n = ndigits;
    if (di == 0) {
        carry = d[ndigits] >= NBASE / 2;
    } else {
        int pow10 = pow10_tab[DEC_DIGITS - di];
        int extra = d[--ndigits] % pow10;
        d[ndigits] = (uint16_t)(d[ndigits] - extra);
        carry = 0;
        if (extra >= pow10 / 2) {
            pow10 += d[ndigits];
            if (pow10 >= NBASE) {
                pow10 -= NBASE;
                carry = 1;
            }
            d[ndigits] = (uint16_t)pow10;
        }
    }
    while (carry) {
        carry += d[--ndigits];
        if (carry >= NBASE) {
            d[ndigits] = (uint16_t)(carry - NBASE);
            carry = 1;
        } else {
            d[ndigits] = (uint16_t)carry;
            carry = 0;
        }
    }
    if (ndigits < 0) { /* the carry made a new top group in d[-1] */
        (*n)++;
        (*weight)++;
        return d - 1;
    }
    return d;
}

int cerd_numeric_round_to_typmod(cerd_numeric *out, const cerd_numeric *n, int precision,
                                 int scale)
{
    uint16_t work[CERD_NUMERIC_MAX_GROUPS + 1];
    uint16_t *d = work + 1;
    char text[QUOTE_MAX + 4];
    int ngroups, weight, maxdigits;
    uint16_t sign;

    if (!out || !n)
        return cerd__error(CERD_EMISUSE,
                           "cerd_numeric_round_to_typmod: out and n must not be NULL");
    if (precision == -1) {
        if (out != n)
            *out = *n;
        return 0;
    }
    if (precision < 1 || precision > TYPMOD_MAX_PRECISION || scale < TYPMOD_MIN_SCALE ||
        scale > TYPMOD_MAX_SCALE)
        return cerd__error(CERD_EMISUSE,
                           "numeric(%d,%d) is not a valid type: precision must be 1..%d "
                           "(or -1 for unconstrained), scale %d..%d",
                           precision, scale, TYPMOD_MAX_PRECISION, TYPMOD_MIN_SCALE,
                           TYPMOD_MAX_SCALE);
    if (n->sign == CERD_NUMERIC_NAN) {
        set_special(out, CERD_NUMERIC_NAN);
        return 0;
    }
    if (is_special(n->sign))
        return cerd__error(CERD_ERANGE,
                           "numeric field overflow: a field with precision %d, scale %d "
                           "cannot hold an infinite value (%s)",
                           precision, scale, quote_value(n, text, sizeof text));

    ngroups = clamp_groups(n);
    weight = n->weight;
    sign = n->sign == CERD_NUMERIC_NEG ? CERD_NUMERIC_NEG : CERD_NUMERIC_POS;
    work[0] = 0;
    memcpy(d, n->digits, (size_t)ngroups * sizeof *d);
    strip(d, &ngroups, &weight);
    d = round_groups(d, &ngroups, &weight, scale);
    strip(d, &ngroups, &weight); /* after a carry out of the top, at most 1 group is left */

    /* Decimal digits before the point of the rounded value (negative when its first
       significant digit lies further right) against precision - scale. */
    maxdigits = precision - scale;
    if (ngroups > 0 && (weight + 1) * DEC_DIGITS - leading_zeros(d[0]) > maxdigits) {
        char detail[32];
        if (maxdigits)
            snprintf(detail, sizeof detail, "10^%d", maxdigits);
        else
            snprintf(detail, sizeof detail, "1");
        return cerd__error(CERD_ERANGE,
                           "numeric field overflow: %s does not fit numeric(%d,%d): a field "
                           "with precision %d, scale %d must round to an absolute value "
                           "less than %s",
                           quote_value(n, text, sizeof text), precision, scale, precision,
                           scale, detail);
    }
    if (weight > INT16_MAX) /* only reachable with an unnormalised weight near the limit */
        return cerd__error(CERD_ERANGE, "numeric value %s overflows numeric format",
                           quote_value(n, text, sizeof text));

    memset(out, 0, sizeof *out);
    memcpy(out->digits, d, (size_t)ngroups * sizeof *d);
    out->ngroups = (int16_t)ngroups;
    out->weight = (int16_t)(ngroups ? weight : 0);
    out->sign = ngroups ? sign : CERD_NUMERIC_POS;
    out->dscale = (uint16_t)(scale > 0 ? scale : 0);
    return 0;
}

/* ------------------------------------------------------------------------------ */
/* Binary wire format: numeric_send / numeric_recv */

static void put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static uint16_t get16(const unsigned char *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

int cerd__numeric_send(const cerd_numeric *n, cerd__buf *b)
{
    unsigned char wire[8 + 2 * CERD_NUMERIC_MAX_GROUPS];
    uint16_t d[CERD_NUMERIC_MAX_GROUPS];
    int ngroups, weight, i;

    if (is_special(n->sign)) {
        put16(wire, 0);
        put16(wire + 2, 0);
        put16(wire + 4, n->sign);
        put16(wire + 6, 0);
        return cerd__buf_append(b, wire, 8);
    }
    if (n->sign != CERD_NUMERIC_POS && n->sign != CERD_NUMERIC_NEG)
        return cerd__error(CERD_ERANGE, "cerd_numeric has an invalid sign 0x%04X", n->sign);
    if (n->ngroups < 0 || n->ngroups > CERD_NUMERIC_MAX_GROUPS)
        return cerd__error(CERD_ERANGE, "cerd_numeric has %d groups (0..%d allowed)",
                           n->ngroups, CERD_NUMERIC_MAX_GROUPS);
    if (n->dscale > DSCALE_MAX)
        return cerd__error(CERD_ERANGE, "cerd_numeric has dscale %u (at most %d allowed)",
                           n->dscale, DSCALE_MAX);
    ngroups = n->ngroups;
    for (i = 0; i < ngroups; i++) {
        if (n->digits[i] >= NBASE)
            return cerd__error(CERD_ERANGE, "cerd_numeric has group %d = %u (not below %d)",
                               i, n->digits[i], NBASE);
        d[i] = n->digits[i];
    }
    weight = n->weight;
    strip(d, &ngroups, &weight);
    if (ngroups > 0) {
        /* decimal places down to the last significant digit (negative for 1e8); a weight
           too small for an int16 always makes this exceed any dscale */
        int64_t places = (int64_t)(ngroups - 1 - weight) * DEC_DIGITS -
                         trailing_zeros(d[ngroups - 1]);
        int sig = significant_digits(d, ngroups);
        if (sig > CERD_NUMERIC_MAX_DIGITS || places > n->dscale) {
            char text[QUOTE_MAX + 4];
            cerd_numeric shown = *n;
            if (places > n->dscale) /* show every digit */
                shown.dscale = (uint16_t)(places < DSCALE_MAX ? places : DSCALE_MAX);
            quote_value(&shown, text, sizeof text);
            if (sig > CERD_NUMERIC_MAX_DIGITS)
                return cerd__error(CERD_ERANGE,
                                   "cerd_numeric %s has more than %d significant digits", text,
                                   CERD_NUMERIC_MAX_DIGITS);
            /* the server would cut them off silently */
            return cerd__error(CERD_ERANGE, "cerd_numeric %s has digits beyond its dscale %u",
                               text, n->dscale);
        }
    }

    put16(wire, (uint16_t)ngroups);
    put16(wire + 2, (uint16_t)(int16_t)(ngroups ? weight : 0));
    put16(wire + 4, ngroups ? n->sign : CERD_NUMERIC_POS);
    put16(wire + 6, n->dscale);
    for (i = 0; i < ngroups; i++)
        put16(wire + 8 + 2 * i, d[i]);
    return cerd__buf_append(b, wire, 8 + 2 * (size_t)ngroups);
}

/* What a server sends for stored values, decoded without the general path's work:
   a finite value of at most 9 groups (36 digits: always within the limit), in canonical
   form (no leading or trailing zero group, no digit beyond dscale). Returns 0 to let the
   general path decide everything else, errors included. */
static int recv_fast(cerd_numeric *out, const unsigned char *p, int len, uint16_t ndigits,
                     int weight, uint16_t sign, uint16_t dscale)
{
    uint16_t d[9];

    if (ndigits > 9 || len != 8 + 2 * (int)ndigits || dscale > DSCALE_MAX
        || (sign != CERD_NUMERIC_POS && sign != CERD_NUMERIC_NEG))
        return 0;
    for (int i = 0; i < ndigits; i++)
        if ((d[i] = get16(p + 8 + 2 * i)) >= NBASE)
            return 0;
    if (ndigits) {
        int last_place = (ndigits - 1 - weight) * DEC_DIGITS; /* decimal place of the last digit */
        if (d[0] == 0 || d[ndigits - 1] == 0)
            return 0;
        /* digits beyond dscale: only trailing zeros of the last group may pass it */
        if (last_place > dscale && (last_place - dscale >= DEC_DIGITS
                                    || d[ndigits - 1] % pow10_tab[last_place - dscale]))
            return 0;
    }
    memset(out, 0, sizeof *out);
    memcpy(out->digits, d, sizeof d[0] * ndigits);
    out->ngroups = (int16_t)ndigits;
    out->weight = (int16_t)(ndigits ? weight : 0);
    out->sign = ndigits ? sign : CERD_NUMERIC_POS;
    out->dscale = dscale;
    return 1;
}

int cerd__numeric_recv(cerd_numeric *out, const char *data, int len)
{
    const unsigned char *p = (const unsigned char *)data;
    uint16_t ndigits, sign, dscale, top, bottom;
    int weight, first = 0, last, ngroups, i;
    int64_t keep;
    groups g;

    if (!out || !data || len < 8)
        return cerd__error(CERD_ERROR, "malformed binary numeric: %d bytes, at least 8 needed",
                           len);
    ndigits = get16(p);
    weight = (int16_t)get16(p + 2);
    sign = get16(p + 4);
    dscale = get16(p + 6);
    if (recv_fast(out, p, len, ndigits, weight, sign, dscale))
        return 0;
    if ((int64_t)len != 8 + 2 * (int64_t)ndigits)
        return cerd__error(CERD_ERROR,
                           "malformed binary numeric: %d bytes for %u digits (%d expected)",
                           len, ndigits, 8 + 2 * (int)ndigits);
    if (sign != CERD_NUMERIC_POS && sign != CERD_NUMERIC_NEG && !is_special(sign))
        return cerd__error(CERD_ERROR, "malformed binary numeric: invalid sign 0x%04X", sign);
    if (dscale > DSCALE_MAX)
        return cerd__error(CERD_ERROR, "malformed binary numeric: invalid dscale %u", dscale);
    for (i = 0; i < ndigits; i++)
        if (get16(p + 8 + 2 * i) >= NBASE)
            return cerd__error(CERD_ERROR, "malformed binary numeric: invalid digit %u",
                               get16(p + 8 + 2 * i));
    if (is_special(sign)) {
        set_special(out, sign); /* numeric_recv ignores the digits of a special value */
        return 0;
    }

    /* numeric_recv's trunc_var: digits hidden by dscale are dropped (a server never
       sends any: a stored value's digits never go beyond its dscale). Groups from
       index keep on are wholly hidden; in group keep - 1 the decimals past dscale. */
    keep = (int64_t)weight + 1 + (dscale + DEC_DIGITS - 1) / DEC_DIGITS;
    last = keep < ndigits ? (int)(keep < 0 ? 0 : keep) : ndigits; /* exclusive */
    g = (groups){NULL, p + 8, last};
    while (first < last && group(&g, first) == 0)
        first++;
    for (;;) {
        while (last > first && group(&g, last - 1) == 0)
            last--;
        if (first == last) { /* zero */
            memset(out, 0, sizeof *out);
            out->dscale = dscale;
            return 0;
        }
        bottom = group(&g, last - 1);
        /* decimal place of its last digit: (index - weight) * 4 after the point */
        if ((last - 1 - weight) * DEC_DIGITS > dscale) /* partly hidden (1..3 digits) */
            bottom = (uint16_t)(bottom -
                                bottom % pow10_tab[(last - 1 - weight) * DEC_DIGITS - dscale]);
        if (bottom)
            break;
        last--;
    }
    top = group(&g, first);
    ngroups = last - first;

    if (ngroups * DEC_DIGITS - leading_zeros(top) - trailing_zeros(bottom) >
        CERD_NUMERIC_MAX_DIGITS) {
        char text[QUOTE_MAX + 4];
        emitter e = {text, sizeof text, 0};
        groups shown = {NULL, p + 8 + 2 * first, ngroups};
        format_finite(&e, sign == CERD_NUMERIC_NEG, weight - first, dscale, &shown);
        if (finish(&e) >= (int)sizeof text)
            memcpy(text + sizeof text - 4, "...", 4);
        return cerd__error(CERD_ERANGE,
                           "numeric value \"%s\" has more than %d significant digits", text,
                           CERD_NUMERIC_MAX_DIGITS);
    }
    memset(out, 0, sizeof *out);
    for (i = 0; i < ngroups; i++)
        out->digits[i] = group(&g, first + i);
    out->digits[ngroups - 1] = bottom;
    out->ngroups = (int16_t)ngroups;
    out->weight = (int16_t)(weight - first);
    out->sign = sign;
    out->dscale = dscale;
    return 0;
}

/* ------------------------------------------------------------------------------ */
/* Arithmetic: add_var / sub_var / mul_var / div_var with PostgreSQL 15's rules for
   NaN and the infinities, exact (nothing is rounded but a quotient, to the scale asked
   for). */

/* Widest intermediate of an addition, in groups: wider operands are further apart than
   any result of MAX_DIGITS significant digits can span. */
#define WIDE_GROUPS 64

_Static_assert((WIDE_GROUPS - 2) * DEC_DIGITS > 2 * CERD_NUMERIC_MAX_DIGITS + DEC_DIGITS,
               "WIDE_GROUPS must span two operands that overlap");

/* Whether n is a value the arithmetic can read: a valid sign, 0..MAX_GROUPS groups,
   each below NBASE. */
static bool operand_ok(const cerd_numeric *n)
{
    if (!n)
        return false;
    if (is_special(n->sign))
        return true;
    if ((n->sign != CERD_NUMERIC_POS && n->sign != CERD_NUMERIC_NEG) || n->ngroups < 0 ||
        n->ngroups > CERD_NUMERIC_MAX_GROUPS)
        return false;
    for (int i = 0; i < n->ngroups; i++)
        if (n->digits[i] >= NBASE)
            return false;
    return true;
}

void cerd__numeric_strip(cerd_numeric *out, const cerd_numeric *n)
{
    int first = 0, last = clamp_groups(n) - 1;
    cerd_numeric r = *n;
    if (is_special(n->sign)) {
        *out = r;
        return;
    }
    while (first <= last && n->digits[first] == 0)
        first++;
    while (last >= first && n->digits[last] == 0)
        last--;
    memset(r.digits, 0, sizeof r.digits);
    if (first > last) {
        r.ngroups = 0;
        r.weight = 0;
        r.sign = CERD_NUMERIC_POS;
    } else {
        r.ngroups = (int16_t)(last - first + 1);
        r.weight = (int16_t)(n->weight - first);
        memcpy(r.digits, n->digits + first, (size_t)r.ngroups * sizeof *r.digits);
    }
    *out = r;
}

static bool neg_finite(const cerd_numeric *n)
{
    return n->sign == CERD_NUMERIC_NEG && n->ngroups > 0;
}

/* Writes magnitude groups g[0..n) (most significant first; g[0] at weight `weight`) as
   a normalised numeric. CERD_ERANGE when it has more than MAX_DIGITS significant digits
   or its weight does not fit. */
static int set_groups(cerd_numeric *out, const int32_t *g, int n, int weight, bool neg,
                      int dscale)
{
    int first = 0, last = n - 1, ng;
    uint16_t d[WIDE_GROUPS + 1];
    while (first <= last && g[first] == 0)
        first++;
    while (last >= first && g[last] == 0)
        last--;
    if (dscale > DSCALE_MAX)
        return CERD_ERANGE;
    if (first > last) {
        memset(out, 0, sizeof *out);
        out->dscale = (uint16_t)dscale;
        return 0;
    }
    ng = last - first + 1;
    if (ng > WIDE_GROUPS + 1)
        return CERD_ERANGE;
    for (int i = 0; i < ng; i++)
        d[i] = (uint16_t)g[first + i];
    if (ng > CERD_NUMERIC_MAX_GROUPS || cerd__sig_digits(d, ng) > CERD_NUMERIC_MAX_DIGITS ||
        weight - first > INT16_MAX || weight - first < INT16_MIN ||
        cerd__frac_digits(d, ng, weight - first) > dscale)
        return CERD_ERANGE;
    memset(out, 0, sizeof *out);
    memcpy(out->digits, d, (size_t)ng * sizeof *d);
    out->ngroups = (int16_t)ng;
    out->weight = (int16_t)(weight - first);
    out->sign = neg ? CERD_NUMERIC_NEG : CERD_NUMERIC_POS;
    out->dscale = (uint16_t)dscale;
    return 0;
}

static int add_sub(cerd_numeric *out, const cerd_numeric *a0, const cerd_numeric *b0,
                   bool subtract)
{
    cerd_numeric a, b;
    int32_t g[WIDE_GROUPS + 1];
    int hi, lo, width, dscale;
    bool aneg, bneg, neg = false;

    if (!operand_ok(a0) || !operand_ok(b0))
        return CERD_EMISUSE;
    cerd__numeric_strip(&a, a0);
    cerd__numeric_strip(&b, b0);
    if (is_special(a.sign) || is_special(b.sign)) {
        uint16_t sa = a.sign, sb = b.sign;
        if (subtract && sb == CERD_NUMERIC_PINF)
            sb = CERD_NUMERIC_NINF;
        else if (subtract && sb == CERD_NUMERIC_NINF)
            sb = CERD_NUMERIC_PINF;
        if (sa == CERD_NUMERIC_NAN || sb == CERD_NUMERIC_NAN)
            set_special(out, CERD_NUMERIC_NAN);
        else if (is_special(sa) && is_special(sb))
            set_special(out, sa == sb ? sa : CERD_NUMERIC_NAN); /* inf - inf */
        else
            set_special(out, is_special(sa) ? sa : sb);
        return 0;
    }
    aneg = neg_finite(&a);
    bneg = neg_finite(&b) != subtract;
    dscale = a.dscale > b.dscale ? a.dscale : b.dscale;
    if (a.ngroups == 0 && b.ngroups == 0)
        return set_groups(out, NULL, 0, 0, false, dscale);
    hi = a.ngroups ? a.weight : b.weight;
    if (b.ngroups && b.weight > hi)
        hi = b.weight;
    lo = a.ngroups ? a.weight - a.ngroups + 1 : b.weight - b.ngroups + 1;
    if (b.ngroups && b.weight - b.ngroups + 1 < lo)
        lo = b.weight - b.ngroups + 1;
    width = hi - lo + 2; /* one more group for a carry */
    if (width > WIDE_GROUPS + 1)
        return CERD_ERANGE; /* both non-zero and too far apart for MAX_DIGITS */
    memset(g, 0, sizeof g);
    /* g[0] has weight hi + 1 */
    for (int i = 0; i < a.ngroups; i++)
        g[hi + 1 - (a.weight - i)] += aneg ? -(int32_t)a.digits[i] : a.digits[i];
    for (int i = 0; i < b.ngroups; i++)
        g[hi + 1 - (b.weight - i)] += bneg ? -(int32_t)b.digits[i] : b.digits[i];
    /* the sign of the result is that of its most significant non-zero group */
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

int cerd__numeric_add(cerd_numeric *out, const cerd_numeric *a, const cerd_numeric *b)
{
    return add_sub(out, a, b, false);
}

int cerd__numeric_sub(cerd_numeric *out, const cerd_numeric *a, const cerd_numeric *b)
{
    return add_sub(out, a, b, true);
}

int cerd__numeric_mul(cerd_numeric *out, const cerd_numeric *a0, const cerd_numeric *b0)
{
    cerd_numeric a, b;
    int32_t g[2 * CERD_NUMERIC_MAX_GROUPS + 1] = {0};
    int64_t acc[2 * CERD_NUMERIC_MAX_GROUPS + 1];
    int n, dscale;

    if (!operand_ok(a0) || !operand_ok(b0))
        return CERD_EMISUSE;
    cerd__numeric_strip(&a, a0);
    cerd__numeric_strip(&b, b0);
    if (is_special(a.sign) || is_special(b.sign)) {
        if (a.sign == CERD_NUMERIC_NAN || b.sign == CERD_NUMERIC_NAN)
            set_special(out, CERD_NUMERIC_NAN);
        else if ((!is_special(a.sign) && a.ngroups == 0) ||
                 (!is_special(b.sign) && b.ngroups == 0))
            set_special(out, CERD_NUMERIC_NAN); /* infinity * 0 */
        else {
            bool na = a.sign == CERD_NUMERIC_NINF || a.sign == CERD_NUMERIC_NEG;
            bool nb = b.sign == CERD_NUMERIC_NINF || b.sign == CERD_NUMERIC_NEG;
            set_special(out, na != nb ? CERD_NUMERIC_NINF : CERD_NUMERIC_PINF);
        }
        return 0;
    }
    n = a.ngroups + b.ngroups;
    dscale = a.dscale + b.dscale;
    if (a.ngroups == 0 || b.ngroups == 0) {
        if (dscale > DSCALE_MAX)
            dscale = DSCALE_MAX; /* zero has no digit to lose */
        return set_groups(out, NULL, 0, 0, false, dscale);
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
    if (dscale > DSCALE_MAX) {
        /* PostgreSQL would round to DSCALE_MAX places; refuse only when that loses a
           digit */
        int ng = 0;
        while (ng < n - 1 && g[n - 1 - ng] == 0)
            ng++; /* both operands are non-zero: so is some group */
        {
            uint16_t last = (uint16_t)g[n - 1 - ng];
            int64_t places = (int64_t)(n - 1 - ng - (a.weight + b.weight + 1)) * DEC_DIGITS -
                             cerd__group_trailing_zeros(last);
            if (places > DSCALE_MAX)
                return CERD_ERANGE;
        }
        dscale = DSCALE_MAX;
    }
    return set_groups(out, g, n, a.weight + b.weight + 1, neg_finite(&a) != neg_finite(&b),
                      dscale);
}

/* |n| = *mag * 10^*exp with *mag < 10^MAX_DIGITS (n finite, normalised, non-zero). */
__extension__ typedef unsigned __int128 u128;

static void to_scaled(const cerd_numeric *n, u128 *mag, int64_t *exp)
{
    u128 m = 0;
    int last = n->ngroups - 1, tz = trailing_zeros(n->digits[last]);
    /* the last group without its trailing zeros, so that m stays below 10^MAX_DIGITS */
    for (int i = 0; i < last; i++)
        m = m * NBASE + n->digits[i];
    m = m * (NBASE / pow10_tab[tz]) + n->digits[last] / pow10_tab[tz];
    *exp = (int64_t)(n->weight - last) * DEC_DIGITS + tz;
    *mag = m;
}

/* 10 * *r + d = q * B + *r' with *r < B < 2^127: returns q (0..9), sets *r = r'. */
static unsigned div_step(u128 *r, unsigned d, u128 B)
{
    u128 x = *r, acc = d;
    unsigned q = 0;
    if (acc >= B) { /* only when B <= 9 */
        q += (unsigned)(acc / B);
        acc %= B;
    }
    for (int i = 0; i < 10; i++) { /* acc = (acc + x) mod B, counting the wraps */
        if (acc >= B - x) {
            acc -= B - x;
            q++;
        } else {
            acc += x;
        }
    }
    *r = acc;
    return q;
}

/* Decimal digits of a quotient kept at most: more, with a remainder left, always means
   more than MAX_DIGITS significant digits after rounding (a run of 9s a carry could
   wipe out is at most 2 * MAX_DIGITS long). */
#define QUOTIENT_DIGITS (4 * CERD_NUMERIC_MAX_DIGITS)

int cerd__numeric_div(cerd_numeric *out, const cerd_numeric *a0, const cerd_numeric *b0,
                      int scale)
{
    cerd_numeric a, b;
    u128 A, B, q0, r;
    int64_t ea, eb, top, pos, keep_lo;
    uint8_t dig[QUOTIENT_DIGITS + 48];
    int nd = 0, first, last;
    bool neg;

    if (!operand_ok(a0) || !operand_ok(b0) || scale < -DSCALE_MAX || scale > DSCALE_MAX)
        return CERD_EMISUSE;
    cerd__numeric_strip(&a, a0);
    cerd__numeric_strip(&b, b0);
    if (is_special(a.sign) || is_special(b.sign)) {
        if (a.sign == CERD_NUMERIC_NAN || b.sign == CERD_NUMERIC_NAN) {
            set_special(out, CERD_NUMERIC_NAN);
            return 0;
        }
        if (is_special(a.sign)) {
            if (is_special(b.sign)) {
                set_special(out, CERD_NUMERIC_NAN); /* inf / inf */
                return 0;
            }
            if (b.ngroups == 0)
                return CERD_EINVALID; /* division by zero */
            set_special(out, (a.sign == CERD_NUMERIC_PINF) != neg_finite(&b)
                                 ? CERD_NUMERIC_PINF
                                 : CERD_NUMERIC_NINF);
            return 0;
        }
        /* finite / infinity: zero */
        memset(out, 0, sizeof *out);
        out->dscale = (uint16_t)(scale > 0 ? scale : 0);
        return 0;
    }
    if (b.ngroups == 0)
        return CERD_EINVALID;
    if (cerd__sig_digits(a.digits, a.ngroups) > CERD_NUMERIC_MAX_DIGITS ||
        cerd__sig_digits(b.digits, b.ngroups) > CERD_NUMERIC_MAX_DIGITS)
        return CERD_ERANGE;
    memset(out, 0, sizeof *out);
    out->dscale = (uint16_t)(scale > 0 ? scale : 0);
    if (a.ngroups == 0)
        return 0;
    neg = neg_finite(&a) != neg_finite(&b);
    to_scaled(&a, &A, &ea);
    to_scaled(&b, &B, &eb);

    /* |a / b| = (A / B) * 10^(ea - eb): the digits of q0 = A / B, then those of the
       remainder's fraction, down to place -(scale + 1), the one that decides rounding
       (half away from zero: up when it is 5 or more). */
    q0 = A / B;
    r = A % B;
    {
        char tmp[48];
        int n = 0;
        u128 q = q0;
        do {
            tmp[n++] = (char)(q % 10);
            q /= 10;
        } while (q);
        while (n)
            dig[nd++] = (uint8_t)tmp[--n];
    }
    top = ea - eb + nd - 1; /* place of dig[0] */
    keep_lo = -(int64_t)scale;   /* the lowest place kept */
    /* while a digit at or above place keep_lo - 1 is missing and the remainder is not
       zero: one more fractional digit */
    for (pos = top - nd; pos >= keep_lo - 1 && r != 0; pos--) {
        int lead = 0;
        while (lead < nd && dig[lead] == 0)
            lead++;
        if (nd - lead >= QUOTIENT_DIGITS || nd >= (int)sizeof dig - 2)
            return CERD_ERANGE;
        dig[nd++] = (uint8_t)div_step(&r, 0, B);
    }
    /* digits are dig[i] at place top - i; round at keep_lo */
    {
        int64_t cut = top - keep_lo + 1; /* number of digits kept: indexes 0..cut-1 */
        int up = 0;
        int32_t g[QUOTIENT_DIGITS / DEC_DIGITS + 16];
        int64_t lowp, e0;
        int ng, gi;
        if (cut < 0) {
            return 0; /* the first digit is below the rounding place: zero */
        }
        if (cut < nd)
            up = dig[cut] >= 5;
        if (cut < nd)
            nd = (int)cut;
        /* propagate the carry */
        for (int i = nd - 1; up && i >= 0; i--) {
            if (dig[i] == 9) {
                dig[i] = 0;
            } else {
                dig[i]++;
                up = 0;
            }
        }
        if (up) { /* all nines: a new leading 1 */
            memmove(dig + 1, dig, (size_t)nd);
            dig[0] = 1;
            nd++;
            top++;
        }
        first = 0;
        while (first < nd && dig[first] == 0)
            first++;
        last = nd - 1;
        while (last >= first && dig[last] == 0)
            last--;
        if (first > last)
            return 0;
        if (last - first + 1 > CERD_NUMERIC_MAX_DIGITS)
            return CERD_ERANGE;
        /* pack digits first..last into groups: place p is in group floor(p / 4) */
        e0 = top - first;          /* place of the first significant digit */
        lowp = top - last;         /* place of the last one */
        {
            int64_t wtop = floor_div(e0, DEC_DIGITS), wlow = floor_div(lowp, DEC_DIGITS);
            if (wtop > INT16_MAX || wlow < INT16_MIN)
                return CERD_ERANGE;
            ng = (int)(wtop - wlow + 1);
            memset(g, 0, sizeof g);
            for (int i = first; i <= last; i++) {
                int64_t p = top - i;
                gi = (int)(wtop - floor_div(p, DEC_DIGITS));
                g[gi] += dig[i] * pow10_tab[p - floor_div(p, DEC_DIGITS) * DEC_DIGITS];
            }
            return set_groups(out, g, ng, (int)wtop, neg, scale > 0 ? scale : 0);
        }
    }
}

/* ------------------------------------------------------------------------------ */
/* The public arithmetic: the same, with the error record set. */

static int arith_error(int rc, const char *op, const cerd_numeric *a, const cerd_numeric *b)
{
    char ta[64], tb[64];
    if (rc == 0)
        return 0;
    if (rc == CERD_EMISUSE)
        return cerd__error(CERD_EMISUSE,
                           "cerd_numeric_%s: an operand is NULL or not a valid cerd_numeric, "
                           "or the scale is out of range",
                           op);
    quote_value(a, ta, sizeof ta);
    if (b)
        quote_value(b, tb, sizeof tb);
    if (rc == CERD_EINVALID)
        return cerd__error(CERD_EINVALID, "division by zero (%s / %s)", ta, b ? tb : "0");
    return cerd__error(CERD_ERANGE,
                       "cerd_numeric_%s of %s%s%s: the exact result has more than %d "
                       "significant digits (or a scale beyond %d)",
                       op, ta, b ? " and " : "", b ? tb : "", CERD_NUMERIC_MAX_DIGITS,
                       DSCALE_MAX);
}

int cerd_numeric_add(cerd_numeric *out, const cerd_numeric *a, const cerd_numeric *b)
{
    if (!out || !a || !b)
        return arith_error(CERD_EMISUSE, "add", a, b);
    return arith_error(cerd__numeric_add(out, a, b), "add", a, b);
}

int cerd_numeric_sub(cerd_numeric *out, const cerd_numeric *a, const cerd_numeric *b)
{
    if (!out || !a || !b)
        return arith_error(CERD_EMISUSE, "sub", a, b);
    return arith_error(cerd__numeric_sub(out, a, b), "sub", a, b);
}

int cerd_numeric_mul(cerd_numeric *out, const cerd_numeric *a, const cerd_numeric *b)
{
    if (!out || !a || !b)
        return arith_error(CERD_EMISUSE, "mul", a, b);
    return arith_error(cerd__numeric_mul(out, a, b), "mul", a, b);
}

int cerd_numeric_div(cerd_numeric *out, const cerd_numeric *a, const cerd_numeric *b,
                     int scale)
{
    if (!out || !a || !b)
        return arith_error(CERD_EMISUSE, "div", a, b);
    return arith_error(cerd__numeric_div(out, a, b, scale), "div", a, b);
}

int cerd_numeric_neg(cerd_numeric *out, const cerd_numeric *n)
{
    if (!out || !operand_ok(n))
        return arith_error(CERD_EMISUSE, "neg", n, NULL);
    cerd__numeric_strip(out, n);
    if (n->sign == CERD_NUMERIC_PINF)
        out->sign = CERD_NUMERIC_NINF;
    else if (n->sign == CERD_NUMERIC_NINF)
        out->sign = CERD_NUMERIC_PINF;
    else if (!is_special(n->sign) && out->ngroups > 0)
        out->sign = out->sign == CERD_NUMERIC_NEG ? CERD_NUMERIC_POS : CERD_NUMERIC_NEG;
    return 0;
}

int cerd_numeric_abs(cerd_numeric *out, const cerd_numeric *n)
{
    if (!out || !operand_ok(n))
        return arith_error(CERD_EMISUSE, "abs", n, NULL);
    cerd__numeric_strip(out, n);
    if (n->sign == CERD_NUMERIC_NINF)
        out->sign = CERD_NUMERIC_PINF;
    else if (!is_special(n->sign))
        out->sign = CERD_NUMERIC_POS;
    return 0;
}

double cerd_numeric_to_double(const cerd_numeric *n)
{
    char text[8 + 4 * CERD_NUMERIC_MAX_GROUPS + 16];
    int len = 0, ng;
    if (!n || n->sign == CERD_NUMERIC_NAN || !operand_ok(n))
        return NAN;
    if (n->sign == CERD_NUMERIC_PINF)
        return INFINITY;
    if (n->sign == CERD_NUMERIC_NINF)
        return -INFINITY;
    ng = n->ngroups;
    if (n->sign == CERD_NUMERIC_NEG)
        text[len++] = '-';
    text[len++] = '0';
    /* every group's 4 digits, then the power of ten of the last one: no decimal point,
       so strtod's locale does not matter */
    for (int i = 0; i < ng; i++)
        len += snprintf(text + len, sizeof text - (size_t)len, "%04u", n->digits[i]);
    snprintf(text + len, sizeof text - (size_t)len, "e%d",
             (n->weight - ng + 1) * DEC_DIGITS);
    return strtod(text, NULL);
}

int cerd_numeric_significant_digits(const cerd_numeric *n)
{
    cerd_numeric s;
    if (!n || !operand_ok(n) || is_special(n->sign))
        return 0;
    cerd__numeric_strip(&s, n);
    return s.ngroups ? cerd__sig_digits(s.digits, s.ngroups) : 0;
}

int cerd_numeric_integer_digits(const cerd_numeric *n)
{
    cerd_numeric s;
    if (!n || !operand_ok(n) || is_special(n->sign))
        return 0;
    cerd__numeric_strip(&s, n);
    return s.ngroups ? cerd__int_digits(s.digits, s.weight) : 0;
}

int cerd_numeric_fraction_digits(const cerd_numeric *n)
{
    cerd_numeric s;
    int64_t f;
    if (!n || !operand_ok(n) || is_special(n->sign))
        return 0;
    cerd__numeric_strip(&s, n);
    if (!s.ngroups)
        return 0;
    f = cerd__frac_digits(s.digits, s.ngroups, s.weight);
    return f > 0 ? (int)f : 0;
}
