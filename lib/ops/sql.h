/* The one builder of SQL text and binary parameters of lib/ops (crud.c, pipeline.c,
   copy.c, bulk_upsert.c, stream.c): quoted identifiers, every column in table order,
   `$n` parameters; values always travel as binary parameters, never in SQL text. */
#ifndef CERD_OPS_SQL_H
#define CERD_OPS_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cryptoerd/descriptor.h"
#include "util/buf.h"

/* ---- SQL text: appends to a growable buffer; an allocation failure is sticky (oom).
   With off set the appends do nothing: the statement is already prepared on the
   connection and only its parameters are bound. Zero-initialise. */
typedef struct cerd__sql {
    cerd__buf b;
    bool oom;
    bool off;
} cerd__sql;

void cerd__sql_add(cerd__sql *q, const char *s);
void cerd__sql_ident(cerd__sql *q, const char *name);
void cerd__sql_param(cerd__sql *q, int number);
/* "c1", "c2", ... of every column in table order (every result row decodes column i into
   field i). */
void cerd__sql_all_columns(cerd__sql *q, const cerd_table *t);
/* "c1", "c2", ... of the columns in set, in table order. */
void cerd__sql_columns(cerd__sql *q, const cerd_table *t, const cerd_colset *set);
/* The NUL-terminated text, or NULL after an allocation failure (error record set). */
const char *cerd__sql_text(cerd__sql *q);
void cerd__sql_free(cerd__sql *q);

/* ---- binary parameters. Zero-initialise. */
typedef struct cerd__params {
    int n, cap;
    uint32_t *types;
    size_t *offsets;
    int *lengths;
    const char **values; /* filled by cerd__params_values */
    cerd__buf data;
} cerd__params;

/* Adds the field's value as the next parameter even when the NULL test would call it NULL
   (an identity 0 in a key). Returns its $ number or a negative code. */
int cerd__params_value(cerd__params *p, const cerd_table *t, const cerd_column *c,
                       const void *row);
/* Adds the field of column c of row (NULL when the field is null); returns its $ number or
   a negative code. */
int cerd__params_field(cerd__params *p, const cerd_table *t, const cerd_column *c,
                       const void *row);
/* Adds raw binary bytes (len < 0: NULL) of type oid; returns its $ number or a negative
   code. */
int cerd__params_bytes(cerd__params *p, uint32_t oid, const void *bytes, int len);
int cerd__params_int64(cerd__params *p, int64_t v);
/* Points values[] into data; call after the last add. Returns 0. */
int cerd__params_values(cerd__params *p);
void cerd__params_free(cerd__params *p);

#endif
