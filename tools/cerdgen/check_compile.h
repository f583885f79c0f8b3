/* CHECK constraints -> typed expression trees (cg_enode), from libpg_query's parse tree.

   Every CHECK of the schema is translated node by node, with PostgreSQL's typing rules
   for the forms it supports (see check_compile.c); a CHECK using anything else stops
   cerdgen with a message naming the file, the statement and the constraint: nothing is
   skipped. The trees become the static cerd_expr data of lib/tables/<t>.c (emit_checks.c)
   and are evaluated by lib/validate.c. */
#ifndef CERDGEN_CHECK_COMPILE_H
#define CERDGEN_CHECK_COMPILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "emit_util.h"
#include "model.h"

/* Node kinds; the same order and meaning as cerd_expr_op (include/cryptoerd/validate.h). */
typedef enum cg_op {
    CG_OP_COLUMN = 1,
    CG_OP_CONST,
    CG_OP_AND,
    CG_OP_OR,
    CG_OP_NOT,
    CG_OP_EQ,
    CG_OP_NE,
    CG_OP_LT,
    CG_OP_LE,
    CG_OP_GT,
    CG_OP_GE,
    CG_OP_BETWEEN,
    CG_OP_IN,
    CG_OP_IS_NULL,
    CG_OP_IS_NOT_NULL,
    CG_OP_ADD,
    CG_OP_SUB,
    CG_OP_MUL,
    CG_OP_DIV,
    CG_OP_NEG,
    CG_OP_REGEX,
    CG_OP_IREGEX,
    CG_OP_FUNC,
    CG_OP_MOD
} cg_op;

/* Functions; the same values as cerd_expr_func. */
typedef enum cg_func {
    CG_FUNC_CARDINALITY = 1,
    CG_FUNC_ARRAY_LENGTH,
    CG_FUNC_CHAR_LENGTH,
    CG_FUNC_OCTET_LENGTH
} cg_func;

/* Most base-10000 groups of a numeric constant (CERD_NUMERIC_MAX_GROUPS). */
#define CG_NUM_MAX_GROUPS 12

/* An exact numeric constant, laid out as cerd_numeric. */
typedef struct cg_num {
    int ngroups, weight, dscale;
    bool neg, nan;
    uint16_t digits[CG_NUM_MAX_GROUPS];
} cg_num;

typedef struct cg_enode {
    cg_op op;
    cg_kind type;         /* result type (CG_BOOL for predicates) */
    bool untyped;         /* a string literal or NULL whose type its context decides */
    int column;           /* CG_OP_COLUMN: column index; else -1 */
    int nargs;
    struct cg_enode **args;
    /* CG_OP_CONST */
    bool is_null;
    char *text;           /* constant as written (also the regex pattern); function name */
    int64_t ival;         /* CG_INT32, CG_INT64, CG_BOOL constants */
    cg_num num;           /* CG_NUMERIC constants */
    cg_func func;         /* CG_OP_FUNC */
} cg_enode;

/* Compiles every CHECK of the schema (and the defaults of the columns they read);
   exits with a message on a CHECK it cannot translate. */
void cg_compile_checks(cg_schema *s);

void cg_enode_free(cg_enode *n);

/* Writes the tree as an S-expression (for --dump-model). */
void cg_enode_dump(const cg_table *t, const cg_enode *n, FILE *out);

/* "CERD_EXPR_AND", "CERD_FUNC_CARDINALITY". */
const char *cg_op_enum(cg_op op);
const char *cg_func_enum(cg_func f);

/* Parses decimal text as PostgreSQL's numeric input does (spaces around, sign, digits,
   point, exponent, NaN). Returns false when it is not a number or has more than 38
   significant digits. */
bool cg_num_parse(const char *s, cg_num *out);

#endif
