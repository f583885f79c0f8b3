/* Decimal text rounded as a numeric(p,s) column stores it (numeric_text.h). Works on the
   digits as written, so any length is exact; nothing goes through double. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numeric_text.h"

/* PostgreSQL 15's limits: the exponent numeric_in accepts (INT_MAX / 2, beyond which it
   reports an overflow), the display scale and the digits before the decimal point its
   format holds. */
#define PG_MAX_EXPONENT 1073741823L
#define PG_DSCALE_MAX 0x3FFF
#define PG_MAX_INT_DIGITS 131072
/* What a cerd_numeric holds (CERD_NUMERIC_MAX_DIGITS). */
#define LIB_MAX_DIGITS 38
/* Longer text goes to the library in a compact form (its reader has a bounded buffer). */
#define LONG_TEXT 200

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Whether q starts with word (ASCII, case-insensitive) followed by only whitespace. */
static bool special(const char *q, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i < n; i++) {
        char c = q[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return false;
    }
    q += n;
    while (space(*q))
        q++;
    return *q == '\0';
}

static int syntax(const char *text, char *why, size_t whysize)
{
    snprintf(why, whysize, "invalid input syntax for type numeric: \"%.64s%s\"", text,
             strlen(text) > 64 ? "..." : "");
    return NT_SYNTAX;
}

int numeric_text_prepare(const char *text, int p, int s, char **out, char *why,
                         size_t whysize)
{
    const char *q = text, *int_start, *frac_start = NULL;
    size_t int_len, frac_len = 0, m, first, total;
    long exp10 = 0, e; /* e: the exponent of the last digit written */
    bool neg = false;
    char *d; /* the digits as written, without the point */
    int rc = NT_OK;

    *out = NULL;
    if (p >= 0 && (s < 0 || s > 1000))
        return NT_OK; /* a negative scale, say: the library's to judge */

    /* numeric_in: whitespace, then NaN, an infinity or a decimal number, then whitespace */
    while (space(*q))
        q++;
    {
        static const struct {
            const char *word, *canon;
        } specials[] = {{"nan", "NaN"},          {"infinity", "Infinity"},
                        {"+infinity", "Infinity"}, {"-infinity", "-Infinity"},
                        {"inf", "Infinity"},      {"+inf", "Infinity"},
                        {"-inf", "-Infinity"}};
        for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
            if (special(q, specials[i].word)) {
                if (p >= 0 && specials[i].canon[0] != 'N') {
                    snprintf(why, whysize, "numeric field overflow: a field with precision "
                                           "%d, scale %d cannot hold an infinite value", p, s);
                    return NT_OVERFLOW;
                }
                *out = strdup(specials[i].canon);
                return *out ? NT_OK : NT_NOMEM;
            }
    }
    if (*q == '+' || *q == '-')
        neg = *q++ == '-';
    int_start = q;
    while (digit(*q))
        q++;
    int_len = (size_t)(q - int_start);
    if (*q == '.') {
        frac_start = ++q;
        while (digit(*q))
            q++;
        frac_len = (size_t)(q - frac_start);
    }
    if (int_len + frac_len == 0)
        return syntax(text, why, whysize);
    if (*q == 'e' || *q == 'E') {
        /* the exponent as strtol() reads it: whitespace, a sign, digits */
        const char *e0;
        bool eneg = false;
        q++;
        while (space(*q))
            q++;
        if (*q == '+' || *q == '-')
            eneg = *q++ == '-';
        e0 = q;
        while (digit(*q)) {
            if (exp10 < PG_MAX_EXPONENT)
                exp10 = exp10 * 10 + (*q - '0');
            q++;
        }
        if (q == e0)
            return syntax(text, why, whysize);
        if (exp10 >= PG_MAX_EXPONENT) {
            snprintf(why, whysize, "value overflows numeric format");
            return NT_OVERFLOW;
        }
        if (eneg)
            exp10 = -exp10;
    }
    while (space(*q))
        q++;
    if (*q)
        return syntax(text, why, whysize);

    total = int_len + frac_len;
    if (!(d = malloc(total + 2)))
        return NT_NOMEM;
    memcpy(d, int_start, int_len);
    if (frac_len)
        memcpy(d + int_len, frac_start, frac_len);
    e = exp10 - (long)frac_len;
    for (first = 0; first < total && d[first] == '0'; first++)
        ;
    m = total - first; /* significant digits from the first non-zero one */

    if (p < 0) {
        /* unconstrained: as written, if the library and PostgreSQL can hold it */
        size_t last = total;
        long dscale = e < 0 ? -e : 0;
        while (last > first && d[last - 1] == '0')
            last--;
        if (dscale > PG_DSCALE_MAX || (m && (long)m + e > PG_MAX_INT_DIGITS)) {
            snprintf(why, whysize, "value overflows numeric format");
            rc = NT_OVERFLOW;
        } else if (last - first > LIB_MAX_DIGITS) {
            snprintf(why, whysize, "%zu significant digits: more than the %d a cerd_numeric "
                                   "holds", last - first, LIB_MAX_DIGITS);
            rc = NT_DIGITS;
        } else if (strlen(text) > LONG_TEXT) {
            /* compact: the significant digits and an exponent (the value is the same;
               only trailing fractional zeros, which no rule looks at, are dropped) */
            size_t n = last - first;
            if (!(*out = malloc(n + 32)))
                rc = NT_NOMEM;
            else if (n == 0)
                strcpy(*out, "0");
            else
                snprintf(*out, n + 32, "%s%.*se%ld", neg ? "-" : "", (int)n, d + first,
                         e + (long)(total - last));
        }
        free(d);
        return rc;
    }

    /* numeric(p,s): round to s decimals, half away from zero */
    {
        size_t rlen;  /* digits of the rounded value, the last one at 10^-s */
        char *r;
        long int_digits;
        if (m == 0) {
            rlen = 0;
            r = NULL;
        } else if (e >= -(long)s) {
            /* nothing to round: the digits, then zeros down to 10^-s */
            if ((long)m + e > (long)(p - s)) {
                free(d);
                goto overflow;
            }
            rlen = m + (size_t)(e + s);
            if (!(r = malloc(rlen + 1))) {
                free(d);
                return NT_NOMEM;
            }
            memcpy(r, d + first, m);
            memset(r + m, '0', rlen - m);
        } else {
            long keep = (long)m + e + s; /* digits at or above 10^-s */
            bool up;
            if (keep < 0) {
                keep = 0;
                up = false;
            } else {
                up = d[first + (size_t)keep] >= '5';
            }
            rlen = (size_t)keep + 1;
            if (!(r = malloc(rlen + 1))) {
                free(d);
                return NT_NOMEM;
            }
            r[0] = '0'; /* room for a carry */
            memcpy(r + 1, d + first, (size_t)keep);
            if (up) {
                size_t i = rlen;
                while (i > 0 && r[i - 1] == '9')
                    r[--i] = '0';
                if (i > 0)
                    r[i - 1]++;
            }
        }
        free(d);
        /* leading zeros off */
        {
            size_t z = 0;
            while (z < rlen && r[z] == '0')
                z++;
            if (z == rlen) {
                rlen = 0; /* zero: no sign */
                neg = false;
            } else if (z) {
                memmove(r, r + z, rlen - z);
                rlen -= z;
            }
        }
        int_digits = (long)rlen - s;
        if (int_digits > (long)(p - s)) {
            free(r);
            goto overflow;
        }
        /* sign, integer part, point, s decimals */
        {
            size_t size = (size_t)(int_digits > 0 ? int_digits : 1) + (size_t)s + 4, o = 0;
            char *t = malloc(size);
            if (!t) {
                free(r);
                return NT_NOMEM;
            }
            if (neg)
                t[o++] = '-';
            if (int_digits > 0) {
                memcpy(t + o, r, (size_t)int_digits);
                o += (size_t)int_digits;
            } else {
                t[o++] = '0';
            }
            if (s > 0) {
                t[o++] = '.';
                for (long i = 0; i < s; i++) {
                    long k = (long)rlen - s + i; /* index in r of the digit at 10^-(i+1) */
                    t[o++] = k >= 0 ? r[k] : '0';
                }
            }
            t[o] = '\0';
            free(r);
            *out = t;
        }
        return NT_OK;
    }

overflow:
    snprintf(why, whysize, "numeric field overflow: a field with precision %d, scale %d must "
                           "round to an absolute value less than 10^%d", p, s, p - s);
    return NT_OVERFLOW;
}
