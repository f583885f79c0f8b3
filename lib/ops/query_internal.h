/* What the typed queries (ops/query.c) share with the pipeline (ops/pipeline.c): a query's
   statement-cache key and its parameters as binary values, so that a query queued in a
   batch runs the very statement a single call prepares. */
#ifndef CERD_OPS_QUERY_INTERNAL_H
#define CERD_OPS_QUERY_INTERNAL_H

#include "cryptoerd/query.h"
#include "conn/stmt_cache.h"
#include "ops/sql.h"

/* The key of q in a connection's statement cache (a marker no table operation uses, then
   the descriptor's address). */
void cerd__query_key(unsigned char key[CERD__STMT_KEY_MAX], const cerd_query *q);

/* The parameters of q (a struct of q->params, or NULL when it has none) as binary values
   typed as q is prepared with. @return 0 or an error (recorded). */
int cerd__query_params(cerd__params *p, const cerd_query *q, const void *params);

/* Checks q's descriptor (ABI, shape) and its parameters pointer, as every entry point
   does. */
int cerd__query_check(const cerd_query *q, const void *params, cerd_query_shape shape,
                      const char *what);

#endif
