/* Row factories, internal: what lib/factory.c (the driver: CHECK analysis, repair,
   violations, parents) and lib/factory_values.c (hashing, domain hints, typed values,
   field access) share. Nothing here is exported. */
#ifndef CERD_FACTORY_INTERNAL_H
#define CERD_FACTORY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cryptoerd/factory.h"
#include "cryptoerd/row.h"
#include "cryptoerd/types.h"
#include "cryptoerd/validate.h"
#include "ops/expr.h"

/* Exact scaled integers: a value v at scale s is the integer v * 10^s. 38 digits fit. */
__extension__ typedef __int128 cerd__i128;

/* ------------------------------------------------------------------ hashing */

/* A bijective 64-bit mixer (splitmix64's finaliser). */
uint64_t cerd__fac_mix(uint64_t x);
/* FNV-1a of a NUL-terminated string. */
uint64_t cerd__fac_hash_str(const char *s);

/* ------------------------------------------------------------------ domains */

/* What the CHECK constraints of a table say about one column on their own (conjunctive
   atoms against constants, also under "col IS NULL OR ..." guards). */
typedef struct cerd__fac_domain {
    const cerd_expr *in;        /* col IN (constants): the IN node, or NULL */
    const cerd_expr *eq;        /* col = constant: the constant, or NULL */
    cerd_numeric lo, hi;        /* bounds of numeric/integer columns */
    bool has_lo, has_hi;
    bool lo_strict, hi_strict;  /* > lo, < hi */
    int max_elems;              /* cardinality()/array_length() <= n, or -1 */
    int min_len, max_len;       /* char_length() bounds, or -1 */
    bool required;              /* col IS NOT NULL */
    bool regex;                 /* compared with a regular expression */
} cerd__fac_domain;

/* ------------------------------------------------------------------ a row being made */

typedef struct cerd__fac_row {
    const cerd_table *t;
    uint64_t seed;         /* the caller's seed */
    uint64_t tseed;        /* mix of seed and table name */
    unsigned persona;      /* per-row choice shared by related hints (coin, person) */
    int64_t anchor;        /* per-row base time (microseconds since 1970), injective in seed */
    int64_t fk_id[CERD_MAX_COLUMNS];
    bool fk_has[CERD_MAX_COLUMNS];   /* a parent id is available for this column */
    bool is_fk[CERD_MAX_COLUMNS];
    bool unique[CERD_MAX_COLUMNS];   /* part of a unique key: value injective in seed */
    cerd__fac_domain dom[CERD_MAX_COLUMNS];
} cerd__fac_row;

/* Per-column hash: deterministic in (seed, table, column, salt). */
uint64_t cerd__fac_col_hash(const cerd__fac_row *r, int col, uint64_t salt);

/* ------------------------------------------------------------------ fields */

/* Whether field col of row is NULL (or absent). */
bool cerd__fac_is_null(const cerd_table *t, int col, const void *row);
/* Sets field col to NULL, releasing what it owned. Returns false when the C type of the
   field cannot hold NULL (a NOT NULL column without default is a plain value). */
bool cerd__fac_set_null(const cerd_table *t, int col, void *row);

int cerd__fac_set_int(const cerd_table *t, int col, void *row, int64_t v);      /* range */
void cerd__fac_set_bool(const cerd_table *t, int col, void *row, bool v);
void cerd__fac_set_numeric(const cerd_table *t, int col, void *row, const cerd_numeric *v);
void cerd__fac_set_timestamp(const cerd_table *t, int col, void *row, cerd_timestamp v);
int cerd__fac_set_text(const cerd_table *t, int col, void *row, const char *s); /* ENOMEM */

/* Reads field col (false when NULL). Integers read as numerics too. */
bool cerd__fac_get_numeric(const cerd_table *t, int col, const void *row, cerd_numeric *out);
bool cerd__fac_get_int(const cerd_table *t, int col, const void *row, int64_t *out);
bool cerd__fac_get_bool(const cerd_table *t, int col, const void *row, bool *out);
bool cerd__fac_get_timestamp(const cerd_table *t, int col, const void *row, cerd_timestamp *out);
const char *cerd__fac_get_text(const cerd_table *t, int col, const void *row);

/* Deep copy of field col from src into dst (whose field holds nothing). 0 or ENOMEM. */
int cerd__fac_copy_field(const cerd_table *t, int col, void *dst, const void *src);

/* ------------------------------------------------------------------ numbers */

/* The numeric's value as an integer number of 10^-scale units, rounded toward -inf
   (dir < 0), +inf (dir > 0), or required exact (dir == 0: false when not exact).
   False also when it does not fit in 37 digits or is NaN/infinite. */
bool cerd__fac_num_scaled(const cerd_numeric *n, int scale, int dir, cerd__i128 *out);
/* The numeric v * 10^-scale. */
void cerd__fac_num_from_scaled(cerd_numeric *out, cerd__i128 v, int scale);
/* The scale values of column c are made at: its scale, 0 for integers, and for an
   unconstrained numeric the hint's (at least that of @p hint_scale). */
int cerd__fac_col_scale(const cerd_column *c, int hint_scale);

/* ------------------------------------------------------------------ values */

/* Sets column col of row to a fresh non-NULL value: realistic for its name, inside the
   column's domain (r->dom[col]), fitting its type, length and precision; salt selects
   another value. Foreign keys are not made here. Returns 0 or CERD_ENOMEM. */
int cerd__fac_gen_value(const cerd__fac_row *r, int col, uint64_t salt, void *row);

/* A text that is not in the IN list / not equal to the constant of the domain, for
   breaking an IN check: candidates by salt; NULL when salt is past the last one. */
const char *cerd__fac_text_outside(const cerd_column *c, const cerd_expr *in, uint64_t salt,
                                   char *buf, size_t size);

/* Writes a string of exactly n characters (multi-byte ones when multibyte) built from
   base into buf (size >= 4 * n + 1). */
void cerd__fac_text_of_chars(char *buf, size_t size, const char *base, size_t n,
                             bool multibyte, uint64_t h);

/* Sets an array column to n generated elements. 0 or CERD_ENOMEM. */
int cerd__fac_set_array_len(const cerd__fac_row *r, int col, void *row, size_t n,
                            uint64_t salt);

#endif
