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


/* Compiles every CHECK of the schema (and the defaults of the columns they read);
   exits with a message on a CHECK it cannot translate. */
void cg_compile_checks(cg_schema *s);

/* "CERD_EXPR_AND", "CERD_FUNC_CARDINALITY". */
const char *cg_op_enum(cg_op op);
const char *cg_func_enum(cg_func f);

/* Parses decimal text as PostgreSQL's numeric input does (spaces around, sign, digits,
   point, exponent, NaN). Returns false when it is not a number or has more than 38
   significant digits. */
bool cg_num_parse(const char *s, cg_num *out);

#endif
