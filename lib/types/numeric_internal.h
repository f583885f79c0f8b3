/* Exact numerics, internal: digit counting shared by lib/types/numeric.c and the hot
   paths of validation (inline: validation looks at every numeric of every row), the
   arithmetic of include/cryptoerd/types.h without its error record (the CHECK evaluator,
   lib/ops/expr.c, leaves a result it cannot hold to the server instead of failing), and
   PostgreSQL's binary wire format of numeric (numeric_send / numeric_recv) for the codec. */
#ifndef CERD_TYPES_NUMERIC_INTERNAL_H
#define CERD_TYPES_NUMERIC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cryptoerd/types.h"
#include "util/buf.h"

#define CERD__NBASE 10000
#define CERD__DEC_DIGITS 4
#define CERD__DSCALE_MAX 0x3FFF /* PostgreSQL's NUMERIC_DSCALE_MAX */

/* Decimal digits of a group's value without its leading zeros (1..4; 0 counts 1). */
static inline int cerd__group_digits(uint16_t g)
{
    return g >= 1000 ? 4 : g >= 100 ? 3 : g >= 10 ? 2 : 1;
}

/* Decimal zeros at the end of a group's value (0..3; a zero group counts 4). */
static inline int cerd__group_trailing_zeros(uint16_t g)
{
    if (g == 0)
        return CERD__DEC_DIGITS;
    return g % 1000 == 0 ? 3 : g % 100 == 0 ? 2 : g % 10 == 0 ? 1 : 0;
}

static inline bool cerd__numeric_is_special(const cerd_numeric *n)
{
    return n->sign != CERD_NUMERIC_POS && n->sign != CERD_NUMERIC_NEG;
}

/* For normalised groups d[0..ng) (d[0] and d[ng-1] not zero, ng > 0) at weight w: */
/* significant decimal digits, first non-zero to last non-zero; */
static inline int cerd__sig_digits(const uint16_t *d, int ng)
{
    return ng * CERD__DEC_DIGITS - (CERD__DEC_DIGITS - cerd__group_digits(d[0])) -
           cerd__group_trailing_zeros(d[ng - 1]);
}

/* decimal places down to the last non-zero digit (negative for 1e8: -8); */
static inline int64_t cerd__frac_digits(const uint16_t *d, int ng, int w)
{
    return (int64_t)(ng - 1 - w) * CERD__DEC_DIGITS - cerd__group_trailing_zeros(d[ng - 1]);
}

/* decimal digits before the point (0 when the value is below 1). */
static inline int cerd__int_digits(const uint16_t *d, int w)
{
    return w < 0 ? 0 : w * CERD__DEC_DIGITS + cerd__group_digits(d[0]);
}

/* The arithmetic of types.h, returning 0 or the error code without setting the error
   record: CERD_ERANGE (result beyond CERD_NUMERIC_MAX_DIGITS, dscale or weight),
   CERD_EINVALID (division by zero), CERD_EMISUSE (an operand that is not a valid
   cerd_numeric, a scale out of range). */
int cerd__numeric_add(cerd_numeric *out, const cerd_numeric *a, const cerd_numeric *b);
int cerd__numeric_sub(cerd_numeric *out, const cerd_numeric *a, const cerd_numeric *b);
int cerd__numeric_mul(cerd_numeric *out, const cerd_numeric *a, const cerd_numeric *b);
int cerd__numeric_div(cerd_numeric *out, const cerd_numeric *a, const cerd_numeric *b,
                      int scale);

/* n without leading and trailing zero groups (zero: ngroups 0, weight 0, sign POS);
   specials are copied. */
void cerd__numeric_strip(cerd_numeric *out, const cerd_numeric *n);

/* Appends the binary form of n. Returns 0; CERD_ERANGE for what the server cannot
   receive; CERD_ENOMEM. */
int cerd__numeric_send(const cerd_numeric *n, cerd__buf *b);
/* Decodes len bytes of numeric_send output. Returns 0; CERD_ERANGE beyond
   CERD_NUMERIC_MAX_DIGITS; CERD_ERROR for a malformed value. */
int cerd__numeric_recv(cerd_numeric *out, const char *data, int len);

#endif
