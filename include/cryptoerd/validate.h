/**
 * @file validate.h
 * @brief Client-side validation with PostgreSQL's verdict: NOT NULL, varchar lengths,
 *        numeric precision, integer ranges, text encoding and every CHECK constraint.
 *
 * The CHECK constraints of the schema are compiled by tools/cerdgen from PostgreSQL's
 * parse tree into expression trees held (opaque) by each table's descriptor, and
 * evaluated with SQL's three-valued logic: a CHECK passes when its result is true
 * or NULL. Insert, update and upsert validate their row first (see
 * cerd_conn_set_validation()); a row that fails is refused with ::CERD_EINVALID before
 * any round trip, and every violation is reported at once.
 *
 * What the verdict rests on: integer columns hold their type's range by their C type
 * (integer arithmetic in a CHECK overflows at PostgreSQL's bounds); integers and
 * numerics compare by exact value; texts compare by bytes, as PostgreSQL's
 * deterministic collations do for equality (the only text comparisons cerdgen
 * accepts); regular expressions run through POSIX regcomp() in the C locale on bytes,
 * for patterns cerdgen checked to mean the same there as in PostgreSQL's ARE
 * (case-insensitive matching assumes a database locale whose case mapping of ASCII
 * letters is the usual one, not a Turkic one). A CHECK is left to the server only when
 * the client cannot know a value it reads: a column an update does not set, an
 * absent column whose default is not a constant, or a numeric result beyond
 * ::CERD_NUMERIC_MAX_DIGITS significant digits.
 */
#ifndef CRYPTOERD_VALIDATE_H
#define CRYPTOERD_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cryptoerd/common.h>
#include <cryptoerd/descriptor.h>
#include <cryptoerd/types.h>

CERD_BEGIN_DECLS

/** What kind of rule a violation broke. */
typedef enum cerd_violation_kind {
    CERD_VIOLATION_NOT_NULL = 1,      /**< NULL in a NOT NULL column ("not_null"). */
    CERD_VIOLATION_LENGTH,            /**< Text longer than varchar(n) ("length"). */
    CERD_VIOLATION_NUMERIC_PRECISION, /**< Integer part too long for numeric(p,s), or an
                                           infinity there ("numeric_precision"). */
    CERD_VIOLATION_TYPE,              /**< Value of the wrong type or out of range: a
                                           timestamp outside PostgreSQL's range, a bad
                                           inet, a non-finite JSON number ("type"). */
    CERD_VIOLATION_ENCODING,          /**< Invalid UTF-8 or a NUL byte ("encoding"). */
    CERD_VIOLATION_CHECK              /**< A CHECK constraint (its name); also when
                                           evaluating it fails as PostgreSQL's would
                                           (integer out of range, division by zero). */
} cerd_violation_kind;

/** One broken rule of a row. */
typedef struct cerd_violation {
    cerd_violation_kind kind;   /**< The kind of rule. */
    const char *constraint;     /**< CHECK name, or "not_null", "length",
                                     "numeric_precision", "type", "encoding". Static. */
    uint16_t ncolumns;          /**< Number of columns involved. */
    const uint16_t *columns;    /**< Their indexes in the table. Static. */
    const char *message;        /**< Readable: table, column(s), values and the rule. Owned
                                     by the ::cerd_violations. */
} cerd_violation;

/** Every violation of one row. Release with cerd_violations_free(). */
typedef struct cerd_violations {
    const cerd_table *table;     /**< The table validated against. */
    size_t count;                /**< Number of violations (0: the row is valid). */
    cerd_violation *items;       /**< The violations: first those of single columns in
                                      column order, then CHECK constraints in schema
                                      order. */
} cerd_violations;

/** What a row is validated for: an insert leaves columns with defaults to the server. */
typedef enum cerd_validate_mode {
    CERD_VALIDATE_INSERT = 1, /**< The row as cerd_row_insert() sends it (the write rule
                                   of table.h): a NOT NULL column with a default left NULL
                                   (identity: 0) gets its default; a nullable one is
                                   NULL. */
    CERD_VALIDATE_STORED      /**< The row as it will be stored: NULL is NULL, an identity
                                   column is never absent. In both modes a column in the
                                   row's `defaults` gets its default (never NULL-checked). */
} cerd_validate_mode;

/**
 * Validates @p row against table @p t as PostgreSQL would judge it, without a server.
 *
 * Checked, for every column: NOT NULL; varchar(n) length in characters (excess
 * characters that are all spaces are accepted: PostgreSQL cuts them off); numeric(p,s)
 * precision (the value is rounded to s decimals half away from zero, as PostgreSQL
 * stores it, and refused when its integer part is too long; see
 * cerd_numeric_round_to_typmod()); text and JSON strings in valid UTF-8 without NUL;
 * timestamps within PostgreSQL's range; inet family and prefix. Then every CHECK
 * constraint, evaluated on the values as they will be stored (rounded numerics, cut
 * varchars, defaults of absent columns on insert) with SQL's three-valued logic: a
 * CHECK passes when it is true or NULL.
 *
 * A valid row costs no allocation. Thread-safe: descriptors are constant, and compiled
 * regular expressions are shared safely.
 *
 * @param t     the table.
 * @param row   the row (borrowed).
 * @param mode  ::CERD_VALIDATE_INSERT or ::CERD_VALIDATE_STORED.
 * @param[out] out  when not NULL, receives every violation (the caller releases it with
 *                  cerd_violations_free(), also when there is none).
 * @return 0 when the row is valid; ::CERD_EINVALID when it is not (the error record's
 *         message lists the violations, its table, column and constraint name the
 *         first); ::CERD_EMISUSE for a NULL table or row; ::CERD_ENOMEM.
 */
CERD_EXTERN int cerd_row_validate(cerd_violations *out, const cerd_table *t, const void *row,
                                  cerd_validate_mode mode);

/**
 * The name of a compiled CHECK constraint of a descriptor (cerd_table::checks[k]), as
 * the schema names it and as ::cerd_violation::constraint reports it; the checks are
 * otherwise opaque. NULL for NULL.
 */
CERD_EXTERN const char *cerd_check_name(const cerd_check *check);

/** Releases what a ::cerd_violations holds and zeroes it. Accepts NULL. */
CERD_EXTERN void cerd_violations_free(cerd_violations *v);

CERD_END_DECLS

#endif
