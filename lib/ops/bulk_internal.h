/* Shared by the bulk paths (lib/ops/copy.c, bulk_upsert.c, stream.c): the write rule's
   column sets and binary COPY rows (lib/ops/copy_tuple.c), the COPY writer into another
   relation (copy.c). SQL text and parameters come from the one builder, ops/sql.h. */
#ifndef CERD_OPS_BULK_INTERNAL_H
#define CERD_OPS_BULK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cryptoerd/bulk.h"
#include "util/buf.h"
#include "ops/sql.h"

/* ---- the write rule */

/* The columns of row a COPY or a staging table carries: those the write rule writes as a
   value or NULL (absent and DEFAULT columns are left to the server default). */
void cerd__present_set(const cerd_table *t, const void *row, cerd_colset *set);
/* Number of columns in set. */
int cerd__colset_count(const cerd_colset *set, int ncolumns);
/* Whether a and b hold the same columns. */
bool cerd__colset_equal(const cerd_colset *a, const cerd_colset *b);

/* ---- binary COPY rows */

/* The header and trailer of a binary COPY stream. */
int cerd__copy_header(cerd__buf *b);
int cerd__copy_trailer(cerd__buf *b);
/* Appends one tuple: the fields of the columns in set, in table order (NULL fields as
   NULL). On failure b is left as it was. */
int cerd__copy_encode_row(cerd__buf *b, const cerd_table *t, const cerd_colset *set,
                          int nset, const void *row);

/* Checks that row fits a COPY of the columns in set: every NOT NULL column of the set holds
   a value; with strict (set taken from the first row), no column outside the set holds a
   value. Returns 0, or CERD_EINVALID with the error record naming the column; when v is not
   NULL the problems are appended to it as violations. */
int cerd__copy_conform(const cerd_table *t, const cerd_colset *set, bool strict,
                       const void *row, cerd_violations *v);

/* ---- the COPY writer, also used by bulk upsert on a staging table */

/* cerd_copy_begin() into relation `target` (an already quoted SQL name) instead of t's
   own name; NULL target: t. */
int cerd__copy_begin_into(cerd_copy **out, cerd_conn *conn, const cerd_table *t,
                          const char *target, const cerd_colset *columns,
                          const cerd_copy_options *opts, const char *what);

/* ---- streams over a statement (lib/ops/stream.c, used by lib/ops/query.c) */

/* cerd_stream_open() over the rows of `select`, a SELECT whose columns are t's columns in
   order, with binary parameters p (values filled); what names the stream in messages. */
int cerd__stream_open_sql(cerd_stream **out, cerd_conn *conn, const cerd_table *t,
                          const char *select, const cerd__params *p, size_t fetch_rows,
                          const char *what);

#endif
