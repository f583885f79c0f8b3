/* cerdgen's model of the typed queries of queries/ (one .sql file per group) (see docs/queries.md): what
   query_parse.c reads and infers from each annotated statement with the schema model, and
   emit_query.c turns into include/cryptoerd/queries/<file>.h and lib/queries/<file>.c. */
#ifndef CERDGEN_QUERY_H
#define CERDGEN_QUERY_H

#include <stdbool.h>

#include "model.h"

typedef enum cg_qshape { CG_Q_ONE = 1, CG_Q_MANY, CG_Q_EXEC } cg_qshape;

/* A PostgreSQL type as the server reports it for a parameter or result column. */
typedef struct cg_qtype {
    unsigned oid;   /* pg_type OID (20 int8, 1700 numeric, ...) */
    int typmod;     /* -1, or numeric ((p << 16) | s) + 4, varchar n + 4 */
    bool nullable;  /* result columns: may be NULL */
} cg_qtype;

/* A parameter is compared with (=, IN) or assigned to a column: its value is validated
   against that column's single-column rules and CHECKs. */
typedef struct cg_qcheck {
    int param;             /* 0-based */
    const cg_table *table;
    int column;
} cg_qcheck;

typedef struct cg_qfield {
    char *name;
    cg_qtype type;
    char *origin;          /* "price_data.close_price", or NULL */
    char *why_nullable;    /* short reason when nullable, or NULL */
} cg_qfield;

typedef struct cg_query {
    char *name;
    cg_qshape shape;
    char *file;            /* basename without .sql: "market" */
    char *origin;          /* "queries/market.sql:12" (path as given) */
    int line;
    char *doc;             /* comment lines after the annotation, or NULL */
    char *sql;             /* the statement sent to the server ($n parameters) */
    cg_qfield *params;
    int nparams;
    cg_qfield *columns;    /* result columns (none for :exec) */
    int ncolumns;
    cg_qcheck *checks;
    int nchecks;
} cg_query;

typedef struct cg_query_file {
    char *name;            /* "market" */
    char *path;
    cg_query *queries;
    int nqueries;
} cg_query_file;

typedef struct cg_query_set {
    cg_query_file *files;
    int nfiles;
} cg_query_set;

/* Reads every .sql file of dir (file-name order) and infers each query's types from the
   schema. On any error prints "cerdgen: <file>:<line>: <reason>" and exits 1 (before
   anything is written). */
void cg_parse_queries(const char *dir, const cg_schema *s, cg_query_set *out);
void cg_query_set_free(cg_query_set *qs);

/* The C field type of a type ("int64_t", "cerd_opt_numeric", "char *", ...), or NULL
   when the codec has none. */
const char *cg_qtype_field(const cg_qtype *t, bool param);
/* The CERD_TYPE_* constant of a type, or NULL. */
const char *cg_qtype_enum(unsigned oid);
/* SQL name of a type with its typmod ("numeric(20,8)", "varchar", "bigint"). Static buffer. */
const char *cg_qtype_sql(const cg_qtype *t);

/* include/cryptoerd/queries/<file>.h and lib/queries/<file>.c (caller frees). */
char *cg_emit_query_header(const cg_query_file *f);
char *cg_emit_query_source(const cg_query_file *f);

/* The typed queries of every file in the bindings (emit_query_bind.c, caller frees):
   bindings/python/cryptoerd/_queries.py and bindings/go/cryptoerd/queries_gen.go. */
char *cg_emit_query_python(const cg_query_set *qs);
char *cg_emit_query_go(const cg_query_set *qs);

/* Go names (emit_go.c): snake_case to CamelCase with Go's initialisms, and a C field as
   cgo names it. Caller frees. */
char *cg_go_name(const char *snake, bool exported);
char *cg_go_cfield(const char *name);

#endif
