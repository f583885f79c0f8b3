/**
 * @file validate.h
 * @brief Client-side validation with PostgreSQL's verdict: NOT NULL, varchar lengths,
 *        numeric precision, integer ranges, text encoding and every CHECK constraint.
 *
 * The CHECK constraints of the schema are compiled by tools/cerdgen from PostgreSQL's
 * parse tree into expression trees (::cerd_expr) held by each table's descriptor, and
 * evaluated here with SQL's three-valued logic: a CHECK passes when its result is true
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
 * ::CERD_NUMERIC_MAX_GROUPS groups.
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

/** Node kinds of a compiled CHECK expression. Values are append-only. */
typedef enum cerd_expr_op {
    CERD_EXPR_COLUMN = 1,  /**< The value of column @c column of the row. */
    CERD_EXPR_CONST,       /**< A constant of type @c type (see ::cerd_expr), or SQL NULL. */
    CERD_EXPR_AND,         /**< args[0] AND args[1] AND ... (three-valued, left to right,
                                stopping at the first false). */
    CERD_EXPR_OR,          /**< args[0] OR args[1] OR ... (three-valued, left to right,
                                stopping at the first true). */
    CERD_EXPR_NOT,         /**< NOT args[0]. */
    CERD_EXPR_EQ,          /**< args[0] = args[1]. */
    CERD_EXPR_NE,          /**< args[0] <> args[1]. */
    CERD_EXPR_LT,          /**< args[0] < args[1]. */
    CERD_EXPR_LE,          /**< args[0] <= args[1]. */
    CERD_EXPR_GT,          /**< args[0] > args[1]. */
    CERD_EXPR_GE,          /**< args[0] >= args[1]. */
    CERD_EXPR_BETWEEN,     /**< args[0] BETWEEN args[1] AND args[2], that is
                                args[0] >= args[1] AND args[0] <= args[2]
                                (NOT BETWEEN: under NOT). */
    CERD_EXPR_IN,          /**< args[0] IN (args[1], ..., args[nargs-1]). */
    CERD_EXPR_IS_NULL,     /**< args[0] IS NULL. */
    CERD_EXPR_IS_NOT_NULL, /**< args[0] IS NOT NULL. */
    CERD_EXPR_ADD,         /**< args[0] + args[1] (numeric or integer). */
    CERD_EXPR_SUB,         /**< args[0] - args[1]. */
    CERD_EXPR_MUL,         /**< args[0] * args[1]. */
    CERD_EXPR_DIV,         /**< args[0] / args[1] (integers only: truncates toward zero). */
    CERD_EXPR_NEG,         /**< - args[0]. */
    CERD_EXPR_REGEX,       /**< args[0] ~ args[1] (POSIX regular expression, case-sensitive;
                                args[1] a text constant). */
    CERD_EXPR_IREGEX,      /**< args[0] ~* args[1] (case-insensitive). */
    CERD_EXPR_FUNC,        /**< Function @c func (named by @c text) applied to args. */
    CERD_EXPR_MOD          /**< args[0] % args[1] (integers only). */
} cerd_expr_op;

/** The functions a ::CERD_EXPR_FUNC node may call. Values are append-only. */
typedef enum cerd_expr_func {
    CERD_FUNC_CARDINALITY = 1, /**< cardinality(array): number of elements (int4). */
    CERD_FUNC_ARRAY_LENGTH,    /**< array_length(array, dimension): int4, NULL for an empty
                                    array or a dimension other than 1. */
    CERD_FUNC_CHAR_LENGTH,     /**< char_length(text) (also length, character_length):
                                    characters (int4). */
    CERD_FUNC_OCTET_LENGTH     /**< octet_length(text): bytes (int4). */
} cerd_expr_func;

/**
 * Where a regular-expression node keeps its compiled pattern: static storage, zero
 * before first use, which the runtime fills once (thread-safe) and keeps for the life
 * of the process. Internal: never read or written by programs.
 */
typedef struct cerd_regex_cache {
    void *compiled; /**< The compiled pattern, or NULL before first use. */
} cerd_regex_cache;

/**
 * One node of a compiled CHECK expression. Generated as static constant data.
 *
 * Constants are typed once, by the generator, so evaluation parses nothing: an
 * integer, boolean or timestamptz constant is @c ival (::CERD_TYPE_INT32,
 * ::CERD_TYPE_INT64, ::CERD_TYPE_BOOL 0/1, ::CERD_TYPE_TIMESTAMPTZ microseconds since
 * 1970), a numeric one @c num, a text one @c text and @c len; @c text always holds the
 * constant as the schema wrote it, and is NULL for SQL NULL.
 */
typedef struct cerd_expr {
    cerd_expr_op op;                    /**< Node kind. */
    cerd_type type;                     /**< Result type (::CERD_TYPE_BOOL for predicates;
                                             for constants: their type). */
    int16_t column;                     /**< ::CERD_EXPR_COLUMN: column index; else -1. */
    uint16_t nargs;                     /**< Number of @c args. */
    const char *text;                   /**< Constant's text (NULL: SQL NULL), function
                                             name, or NULL. */
    const struct cerd_expr *const *args; /**< Operands. */
    int64_t ival;                       /**< Integer, boolean or timestamptz constant. */
    const cerd_numeric *num;            /**< Numeric constant. */
    uint32_t len;                       /**< Text constant: its length in bytes. */
    cerd_expr_func func;                /**< ::CERD_EXPR_FUNC: the function. */
    cerd_regex_cache *regex;            /**< ::CERD_EXPR_REGEX, ::CERD_EXPR_IREGEX: cache of
                                             the compiled pattern (NULL: compiled at
                                             every evaluation). */
} cerd_expr;

/**
 * A compiled CHECK constraint.
 *
 * On insert, a column the row leaves absent gets its DEFAULT; @c defaults holds that
 * default as a constant for each column the CHECK reads (NULL where the column has no
 * default or one that is not a constant, such as now()). A CHECK that reads an absent
 * column whose default is not known here is left to the server.
 */
struct cerd_check {
    const char *name;          /**< Constraint name, as in the schema. */
    const char *sql;           /**< Its expression as written in the schema. */
    uint16_t ncolumns;         /**< Number of columns it reads. */
    const uint16_t *columns;   /**< Indexes of the columns it reads, ascending. */
    const cerd_expr *expr;     /**< The expression. */
    const cerd_expr *const *defaults; /**< Per column of @c columns: its constant DEFAULT,
                                           or NULL; the array itself may be NULL. */
};

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

/** Releases what a ::cerd_violations holds and zeroes it. Accepts NULL. */
CERD_EXTERN void cerd_violations_free(cerd_violations *v);

CERD_END_DECLS

#endif
