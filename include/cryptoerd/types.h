/**
 * @file types.h
 * @brief The C types of column values: exact numeric, timestamps, inet, arrays, and
 *        the "optional" wrappers that make SQL NULL representable.
 *
 * Mapping of PostgreSQL types to C (the generator applies it to every column):
 *
 * | PostgreSQL            | NOT NULL, no default | nullable, or has a default |
 * |-----------------------|----------------------|----------------------------|
 * | bigint                | `int64_t`            | ::cerd_opt_int64           |
 * | integer               | `int32_t`            | ::cerd_opt_int32           |
 * | boolean               | `bool`               | ::cerd_opt_bool            |
 * | numeric, numeric(p,s) | ::cerd_numeric       | ::cerd_opt_numeric         |
 * | timestamptz           | ::cerd_timestamp     | ::cerd_opt_timestamp       |
 * | inet                  | ::cerd_inet          | ::cerd_opt_inet            |
 * | text, varchar(n)      | `char *` (UTF-8)     | `char *`, NULL for SQL NULL |
 * | jsonb                 | `cJSON *`            | `cJSON *`, NULL for SQL NULL |
 * | integer[]             | ::cerd_int32_array   | ::cerd_int32_array         |
 * | varchar(n)[]          | ::cerd_text_array    | ::cerd_text_array          |
 *
 * A zero-initialised optional value (`valid == false`, or a NULL pointer) is SQL NULL.
 * On insert, a column that has a server default and is left NULL this way gets its
 * default; an identity column (`id`) left 0 gets the next identity value.
 */
#ifndef CRYPTOERD_TYPES_H
#define CRYPTOERD_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cryptoerd/common.h>

CERD_BEGIN_DECLS

/* ------------------------------------------------------------------------------ */
/** @name Exact numeric */
/** @{ */

/** Base-10000 groups a ::cerd_numeric holds: room for any value of up to 38 significant
 *  decimal digits, whatever its scale. */
#define CERD_NUMERIC_MAX_GROUPS 12
/** The most significant decimal digits a ::cerd_numeric is guaranteed to hold; values
 *  with more are refused with ::CERD_ERANGE, never rounded. */
#define CERD_NUMERIC_MAX_DIGITS 38

/** Sign of a finite positive (or zero) value, as PostgreSQL's wire format codes it. */
#define CERD_NUMERIC_POS 0x0000
/** Sign of a finite negative value. */
#define CERD_NUMERIC_NEG 0x4000
/** Not a number. */
#define CERD_NUMERIC_NAN 0xC000
/** +Infinity. */
#define CERD_NUMERIC_PINF 0xD000
/** -Infinity. */
#define CERD_NUMERIC_NINF 0xF000

/**
 * An exact decimal number, laid out like PostgreSQL's binary NUMERIC: no floating
 * point anywhere on its path. value = sign * sum(digits[i] * 10000^(weight - i)).
 * Zero is `ngroups == 0`; a zero-initialised struct is 0 with scale 0.
 * Compare with cerd_numeric_cmp(), never with memcmp (1.5 and 1.50 differ in dscale).
 */
typedef struct cerd_numeric {
    int16_t ngroups;  /**< Groups used in @c digits (0 for zero and special values). */
    int16_t weight;   /**< Power of 10000 of digits[0]. */
    uint16_t sign;    /**< ::CERD_NUMERIC_POS, ::CERD_NUMERIC_NEG, ::CERD_NUMERIC_NAN, ... */
    uint16_t dscale;  /**< Decimal digits after the point, as PostgreSQL displays it. */
    uint16_t digits[CERD_NUMERIC_MAX_GROUPS]; /**< Base-10000 groups, most significant first,
                                                   no leading or trailing zero groups. */
} cerd_numeric;

/**
 * Parses decimal text exactly: "-12.3400", "1e-5", "NaN", "Infinity", "-Infinity";
 * leading/trailing spaces allowed, as PostgreSQL allows them. dscale is the number of
 * fractional digits written (after applying an exponent).
 * @return 0; ::CERD_EINVALID for text that is not a number (message quotes it);
 *         ::CERD_ERANGE when it has more than ::CERD_NUMERIC_MAX_DIGITS significant digits.
 */
CERD_EXTERN int cerd_numeric_parse(cerd_numeric *out, const char *text);

/**
 * Writes @p n as PostgreSQL's text output would ("-12.3400", "NaN") into @p buf.
 * @return the length of the text (excluding the NUL), also when it did not fit in
 *         @p size bytes (then the output is truncated, like snprintf).
 */
CERD_EXTERN int cerd_numeric_format(const cerd_numeric *n, char *buf, size_t size);

/** Value comparison as PostgreSQL orders numerics (NaN above everything, equal to NaN;
 *  1.5 equals 1.50). @return <0, 0 or >0. */
CERD_EXTERN int cerd_numeric_cmp(const cerd_numeric *a, const cerd_numeric *b);

/** Sets @p out to the integer @p value, scale 0. */
CERD_EXTERN void cerd_numeric_from_int64(cerd_numeric *out, int64_t value);

/**
 * Rounds @p n to what a numeric(precision, scale) column stores, exactly as PostgreSQL
 * does: fractional digits beyond @p scale are rounded half away from zero, dscale becomes
 * @p scale, and a value whose rounded integer part needs more than precision - scale
 * digits is refused. Use precision -1 for unconstrained numeric (then only NaN/inf
 * pass through and nothing is rounded).
 * @return 0; ::CERD_ERANGE when the value does not fit (infinities never fit a
 *         numeric(p,s), as in PostgreSQL 15).
 */
CERD_EXTERN int cerd_numeric_round_to_typmod(cerd_numeric *out, const cerd_numeric *n,
                                             int precision, int scale);

/**
 * @p a + @p b, exactly, as PostgreSQL's numeric addition: dscale is the larger of the
 * two; NaN with anything is NaN; Infinity + -Infinity is NaN, an infinity with a finite
 * value is that infinity. @p out may be one of the operands.
 * @return 0; ::CERD_ERANGE when the exact result has more than
 *         ::CERD_NUMERIC_MAX_DIGITS significant digits (it is never rounded);
 *         ::CERD_EMISUSE for a NULL pointer or an operand that is not a valid
 *         ::cerd_numeric (bad sign, group count or group value).
 */
CERD_EXTERN int cerd_numeric_add(cerd_numeric *out, const cerd_numeric *a,
                                 const cerd_numeric *b);

/** @p a - @p b, exactly (see cerd_numeric_add(); Infinity - Infinity is NaN).
 *  @return 0; ::CERD_ERANGE; ::CERD_EMISUSE. */
CERD_EXTERN int cerd_numeric_sub(cerd_numeric *out, const cerd_numeric *a,
                                 const cerd_numeric *b);

/**
 * @p a * @p b, exactly, as PostgreSQL's numeric multiplication: dscale is the sum of
 * the operands' (capped at 16383 when no digit lies beyond it). NaN with anything is
 * NaN; an infinity times zero is NaN; otherwise an infinity with the sign of the
 * product.
 * @return 0; ::CERD_ERANGE when the exact result has more than
 *         ::CERD_NUMERIC_MAX_DIGITS significant digits or a digit beyond 16383
 *         decimal places (never rounded); ::CERD_EMISUSE.
 */
CERD_EXTERN int cerd_numeric_mul(cerd_numeric *out, const cerd_numeric *a,
                                 const cerd_numeric *b);

/**
 * @p a / @p b rounded half away from zero to @p scale fractional digits, which is what
 * PostgreSQL's `round(a / b, scale)` gives (and its `a / b`, with the scale PostgreSQL
 * chooses for the quotient). dscale of the result is @p scale (0 when negative: a
 * negative scale rounds to tens, hundreds, ...). NaN with anything is NaN; Infinity /
 * Infinity is NaN; Infinity / finite is an infinity with the sign of the quotient; a
 * finite value / Infinity is 0.
 * @param[out] out  the quotient.
 * @param a      the dividend.
 * @param b      the divisor.
 * @param scale  fractional digits of the result, -16383..16383.
 * @return 0; ::CERD_EINVALID for division by zero (also of an infinity; NaN / 0 is
 *         NaN, as in PostgreSQL), the message says "division by zero";
 *         ::CERD_ERANGE when the rounded quotient has more than
 *         ::CERD_NUMERIC_MAX_DIGITS significant digits; ::CERD_EMISUSE.
 */
CERD_EXTERN int cerd_numeric_div(cerd_numeric *out, const cerd_numeric *a,
                                 const cerd_numeric *b, int scale);

/** -@p n (NaN stays NaN, the infinities swap; zero stays positive), with its dscale,
 *  without leading or trailing zero groups. @return 0; ::CERD_EMISUSE. */
CERD_EXTERN int cerd_numeric_neg(cerd_numeric *out, const cerd_numeric *n);

/** |@p n| (NaN stays NaN, -Infinity becomes Infinity), with its dscale.
 *  @return 0; ::CERD_EMISUSE. */
CERD_EXTERN int cerd_numeric_abs(cerd_numeric *out, const cerd_numeric *n);

/**
 * The nearest double to @p n, for display and plotting only: a double holds about 16
 * significant digits, so the conversion loses what makes a numeric exact. Never
 * compute with it and write the result back. NaN and the infinities map to the
 * double's; NULL or an invalid struct gives NaN.
 */
CERD_EXTERN double cerd_numeric_to_double(const cerd_numeric *n);

/** Significant decimal digits of @p n, from its first non-zero digit to its last
 *  (12.3400 has 3, 1e50 has 1); 0 for zero, NaN and the infinities. What
 *  ::CERD_NUMERIC_MAX_DIGITS limits. */
CERD_EXTERN int cerd_numeric_significant_digits(const cerd_numeric *n);

/** Decimal digits before the point of @p n (123.45 has 3, 0.5 has 0); 0 for zero and
 *  the special values. A numeric(p,s) column holds at most p - s of them. */
CERD_EXTERN int cerd_numeric_integer_digits(const cerd_numeric *n);

/** Decimal places of @p n down to its last non-zero digit, whatever its dscale (1.2500
 *  has 2, 100 has 0); 0 for zero and the special values. A numeric(p,s) column rounds
 *  away those beyond s. */
CERD_EXTERN int cerd_numeric_fraction_digits(const cerd_numeric *n);

/** @} */

/* ------------------------------------------------------------------------------ */
/** @name Timestamps */
/** @{ */

/** timestamptz: microseconds since 1970-01-01 00:00:00 UTC. */
typedef int64_t cerd_timestamp;

/** PostgreSQL's 'infinity'. */
#define CERD_TIMESTAMP_INFINITY INT64_MAX
/** PostgreSQL's '-infinity'. */
#define CERD_TIMESTAMP_NEG_INFINITY INT64_MIN
/** Room for any text cerd_timestamp_format() writes, NUL included. */
#define CERD_TIMESTAMP_BUFSIZE 40

/**
 * Formats @p ts as ISO 8601 in UTC with microseconds: "2024-01-02T03:04:05.000006Z"
 * (years 0001-9999), "infinity" or "-infinity".
 * @return 0; ::CERD_ERANGE when the year is outside 1-9999 (buf gets "").
 */
CERD_EXTERN int cerd_timestamp_format(cerd_timestamp ts, char buf[CERD_TIMESTAMP_BUFSIZE]);

/**
 * Parses ISO 8601: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.ffffff]]" with 'T' or ' ', then
 * "Z", "+HH", "+HH:MM", "+HHMM" or nothing (UTC); "infinity", "-infinity". More than six
 * fractional digits are refused, not rounded.
 * @return 0; ::CERD_EINVALID (message quotes the text and says what is wrong).
 */
CERD_EXTERN int cerd_timestamp_parse(cerd_timestamp *out, const char *text);

/** The current time, microsecond resolution. */
CERD_EXTERN cerd_timestamp cerd_timestamp_now(void);

/** @} */

/* ------------------------------------------------------------------------------ */
/** @name inet */
/** @{ */

/** An IPv4 or IPv6 address with a prefix length, as PostgreSQL's inet holds it. */
typedef struct cerd_inet {
    uint8_t family;     /**< 4 or 6. */
    uint8_t bits;       /**< Prefix length: 0-32 for IPv4, 0-128 for IPv6. */
    uint8_t addr[16];   /**< Address bytes in network order (4 used for IPv4). */
} cerd_inet;

/** Room for any text cerd_inet_format() writes, NUL included. */
#define CERD_INET_BUFSIZE 52

/** Parses "203.0.113.7", "10.0.0.0/8", "2001:db8::1", "2001:db8::/32".
 *  @return 0; ::CERD_EINVALID. */
CERD_EXTERN int cerd_inet_parse(cerd_inet *out, const char *text);

/** Formats as PostgreSQL's inet output: the prefix only when it is not the full length. */
CERD_EXTERN void cerd_inet_format(const cerd_inet *in, char buf[CERD_INET_BUFSIZE]);

/** @} */

/* ------------------------------------------------------------------------------ */
/** @name Optional (nullable) values: `valid == false` is SQL NULL */
/** @{ */

/** Nullable bigint. */
typedef struct cerd_opt_int64 {
    int64_t value; /**< The value, when @c valid. */
    bool valid;    /**< false: SQL NULL. */
} cerd_opt_int64;
/** Nullable integer. */
typedef struct cerd_opt_int32 {
    int32_t value; /**< The value, when @c valid. */
    bool valid;    /**< false: SQL NULL. */
} cerd_opt_int32;
/** Nullable boolean. */
typedef struct cerd_opt_bool {
    bool value; /**< The value, when @c valid. */
    bool valid; /**< false: SQL NULL. */
} cerd_opt_bool;
/** Nullable numeric. */
typedef struct cerd_opt_numeric {
    cerd_numeric value; /**< The value, when @c valid. */
    bool valid;         /**< false: SQL NULL. */
} cerd_opt_numeric;
/** Nullable timestamptz. */
typedef struct cerd_opt_timestamp {
    cerd_timestamp value; /**< The value, when @c valid. */
    bool valid;           /**< false: SQL NULL. */
} cerd_opt_timestamp;
/** Nullable inet. */
typedef struct cerd_opt_inet {
    cerd_inet value; /**< The value, when @c valid. */
    bool valid;      /**< false: SQL NULL. */
} cerd_opt_inet;

/** A present value of an optional type: `row.login_count = CERD_SOME(cerd_opt_int32, 3);` */
#define CERD_SOME(type, v) ((type){.value = (v), .valid = true})

/** @} */

/* ------------------------------------------------------------------------------ */
/** @name Arrays: `valid == false` is a NULL array; valid with count 0 is empty */
/** @{ */

/** integer[]. The row owns @c values and @c nulls (freed with the row). */
typedef struct cerd_int32_array {
    int32_t *values;  /**< @c count elements. */
    bool *nulls;      /**< NULL when no element is NULL; else @c count flags. */
    size_t count;     /**< Number of elements. */
    bool valid;       /**< false: the array itself is SQL NULL. */
} cerd_int32_array;

/** varchar(n)[] / text[]. The row owns the array and every string. */
typedef struct cerd_text_array {
    char **values;    /**< @c count UTF-8 strings; a NULL element is SQL NULL. */
    size_t count;     /**< Number of elements. */
    bool valid;       /**< false: the array itself is SQL NULL. */
} cerd_text_array;

/** @} */

/* ------------------------------------------------------------------------------ */
/** @name Text */
/** @{ */

/**
 * Checks that @p len bytes at @p s are valid UTF-8 without NUL bytes (what PostgreSQL's
 * UTF8 database accepts in text). @return 0; ::CERD_EENCODING with the byte offset of
 * the first bad byte in the message.
 */
CERD_EXTERN int cerd_text_check(const char *s, size_t len);

/** Number of characters (code points) in valid UTF-8 text: what varchar(n) counts. */
CERD_EXTERN size_t cerd_text_chars(const char *s, size_t len);

/** @} */

CERD_END_DECLS

#endif
