/* The one place that builds each operation's SQL and parameters (lib/ops/crud.c): used by
   the single operations of row.h and by the pipelined batches of bulk.h (pipeline.c), so
   both follow the write rule (value / NULL / DEFAULT, wire/field.h) the same way. */
#ifndef CERD_OPS_CRUD_INTERNAL_H
#define CERD_OPS_CRUD_INTERNAL_H

#include "cryptoerd/row.h"
#include "conn/stmt_cache.h"
#include "ops/sql.h"

typedef enum cerd__op_kind {
    CERD__OP_INSERT = 1,
    CERD__OP_GET,
    CERD__OP_UPDATE,
    CERD__OP_UPSERT,
    CERD__OP_DELETE,
    CERD__OP_LIST,
    CERD__OP_COUNT,
    CERD__OP_EXISTS
} cerd__op_kind;

/* One operation; each kind reads only what it needs. */
typedef struct cerd__op {
    cerd__op_kind kind;
    const cerd_table *t;
    int key;                 /* get, upsert: -1 (primary key) or a unique key */
    int column;              /* list: the filtered column, or -1 */
    const void *row;         /* input or key row */
    const cerd_colset *cols; /* update: chosen columns, or NULL */
    const cerd_page *page;   /* list */
    int flags;               /* delete: CERD_DELETE_HARD; get, count, exists:
                                CERD_ROW_INCLUDE_DELETED */
} cerd__op;

/* The operation's name for messages ("insert", "soft delete", ...). */
const char *cerd__op_name(const cerd__op *op);

/* The statement-cache key (CERD__STMT_KEY_MAX bytes) of op: everything its SQL text
   depends on (table, kind, key, flags, the columns written and written as DEFAULT). */
void cerd__op_key(unsigned char key[CERD__STMT_KEY_MAX], const cerd__op *op);

/* Client-side validation of op's row, as the single operation does it (insert and upsert:
   as an insert; update: the columns it sets). 0 for the other kinds. */
int cerd__op_validate(const cerd__op *op);

/* Builds op's SQL text into q (nothing when q->off: the statement is already prepared)
   and its binary parameters into p. Returns 0 or a negative code (CERD_EMISUSE for an
   update with no column to set). */
int cerd__op_build(cerd__sql *q, cerd__params *p, const cerd__op *op);

#endif
