/* Decimal text as a numeric column stores it, for `cryptoerd validate`: a JSON number (or
   string) may carry more digits than the library's cerd_numeric holds (38 significant
   digits) and still be stored exactly by a numeric(p,s) column, which rounds it to s
   decimals first; this reads the text digit by digit and rounds it the same way. */
#ifndef CRYPTOERD_TOOL_NUMERIC_TEXT_H
#define CRYPTOERD_TOOL_NUMERIC_TEXT_H

#include <stddef.h>

/* What numeric_text_prepare() found. */
enum {
    NT_OK = 0,        /* the value fits: use *out when set, else the text as it is */
    NT_OVERFLOW,      /* too many integer digits for numeric(p,s) after rounding, an
                         infinity there, or beyond PostgreSQL's numeric format (SQLSTATE
                         22003) */
    NT_DIGITS,        /* unconstrained numeric with more than 38 significant digits */
    NT_SYNTAX,        /* not a number as numeric_in reads it (SQLSTATE 22P02) */
    NT_NOMEM
};

/* Prepares the text of a number for a numeric(precision, scale) column (precision < 0:
 * unconstrained numeric), reading it as PostgreSQL 15's numeric_in does: whitespace
 * around it; NaN, [+-]Infinity or [+-]inf in any case (*out: "NaN", "Infinity" or
 * "-Infinity"); or decimal text ("-12.345", "1e400", ".5", "5.", "1e 5": the exponent
 * as strtol reads it), read exactly. For numeric(p,s) a decimal is rounded to s decimals
 * half away from zero, as PostgreSQL stores it, and *out receives that value as plain
 * text ("-12.35"); an infinity there is NT_OVERFLOW. For unconstrained numeric *out
 * receives a compact form only when the text is long. On a problem, why receives the
 * reason.
 * Returns an NT_ code; *out (malloc'd) is set only with NT_OK. */
int numeric_text_prepare(const char *text, int precision, int scale, char **out, char *why,
                         size_t whysize);

#endif
