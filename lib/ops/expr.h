/* The compiled CHECK constraints and their one evaluator (internal).

   tools/cerdgen compiles every CHECK of the schema from PostgreSQL's parse tree into the
   expression trees below, emitted as constant data into lib/tables/<t>.c (which include
   this header); cerd_table::checks points at them. cerd__expr_eval() evaluates them
   with SQL's three-valued logic and exact numerics (lib/numeric.c): validation
   (lib/validate.c) asks it for PostgreSQL's verdict on a row, the factories
   (lib/factory.c) to steer their search for values that make a CHECK true or false.

   Evaluation results: TRUE/FALSE/NULL as in SQL; ERROR where PostgreSQL would raise an
   error while evaluating the CHECK (integer overflow, division by zero; the context's
   err says which); UNKNOWN where the client cannot decide (a numeric result beyond
   CERD_NUMERIC_MAX_DIGITS significant digits, an absent column without a constant
   default). */
#ifndef CERD_EXPR_H
#define CERD_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cryptoerd/descriptor.h"
#include "cryptoerd/types.h"

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
 * of the process. 
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

/* ------------------------------------------------------------------------------ */
/* Values */

typedef enum cerd__vkind {
    CERD__V_NULL,
    CERD__V_BOOL,    /* u.i: 0 or 1 */
    CERD__V_INT,     /* u.i (integer and bigint alike) */
    CERD__V_NUM,     /* u.n */
    CERD__V_TEXT,    /* u.s, len */
    CERD__V_TS,      /* u.i */
    CERD__V_IARR,    /* u.ia */
    CERD__V_TARR,    /* u.ta */
    CERD__V_OTHER,   /* jsonb, inet: only IS [NOT] NULL looks at them */
    CERD__V_ERROR,   /* PostgreSQL would raise an error (cerd__expr_ctx::err says which) */
    CERD__V_UNKNOWN  /* the client cannot decide */
} cerd__vkind;

/* 16 bytes: returned in two registers. Pointers borrow the row, the expression or the
   context's scratch. */
typedef struct cerd__val {
    union {
        int64_t i;
        const cerd_numeric *n;
        const char *s;
        const cerd_int32_array *ia;
        const cerd_text_array *ta;
    } u;
    uint32_t len; /* CERD__V_TEXT: bytes (texts longer than 4 GB are refused anyway) */
    int32_t kind; /* cerd__vkind */
} cerd__val;

/* What a column holds for the evaluator. */
enum {
    CERD__ST_VALUE,  /* the field holds a value */
    CERD__ST_NULL,   /* SQL NULL */
    CERD__ST_ABSENT  /* insert: left out, the server puts the column's default */
};

/* Numeric results one evaluation may hold at once. */
#define CERD__EXPR_SCRATCH 16

/* What an evaluation reads. Two ways to give it the row:
   - prepared (raw false): the caller has looked at every column a CHECK reads and set
     state[] (and, for values, num[] for numerics as stored, tlen[] for texts' bytes as
     stored), as validation's column pass does;
   - raw (raw true): fields are read as they are, a NULL field (or an identity 0) is
     NULL; state, num and tlen are not used. */
typedef struct cerd__expr_ctx {
    const cerd_table *t;
    const char *row;
    const cerd_check *ck;         /* the CHECK evaluated: defaults of absent columns */
    bool raw;
    int nscratch;                 /* reset to 0 before each evaluation */
    cerd_numeric scratch[CERD__EXPR_SCRATCH];
    char err[128];                /* why the evaluation failed (CERD__V_ERROR) */
    uint8_t state[CERD_MAX_COLUMNS];
    const cerd_numeric *num[CERD_MAX_COLUMNS];
    size_t tlen[CERD_MAX_COLUMNS];
} cerd__expr_ctx;

/* Sets up x for raw evaluation over row of t. */
void cerd__expr_init_raw(cerd__expr_ctx *x, const cerd_table *t, const void *row);

/* The value of e for the row of x. */
cerd__val cerd__expr_eval(cerd__expr_ctx *x, const cerd_expr *e);

/* The value the evaluation sees of column col (prepared: its state must be set). */
cerd__val cerd__expr_column(cerd__expr_ctx *x, int col);

/* Writes v readably for a message: 12.50, 'text', NULL, {1,2,3}, a timestamp. */
void cerd__expr_format(const cerd__val *v, char *buf, size_t size);

/* Text quoted for a message: at most 40 bytes, whole characters, "..." when cut. */
void cerd__expr_quote_text(const char *s, size_t len, char *buf, size_t size);

#endif
