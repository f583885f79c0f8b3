/* The typed API of one table, as docs/generated-api.md defines it: the C names of its
   types, enum constants and parameters, and ONE description of every generated function
   (name, documentation, parameters, return, and the generic row operation it forwards
   to). Built once from the model; emit_header.c prints the prototypes and emit_source.c
   the definitions from the same description, so both always say the same. */
#ifndef CERDGEN_API_H
#define CERDGEN_API_H

#include <stdbool.h>

#include "model.h"

/* What a generated function does, i.e. which generic call its body is. */
typedef enum cg_api_kind {
    CG_API_INSERT,         /* cerd_row_insert(out, conn, &T, in) */
    CG_API_GET,            /* cerd_row_get(out, conn, &T, key_index, &key, flags) */
    CG_API_UPDATE,         /* cerd_row_update(out, conn, &T, in, NULL) */
    CG_API_UPDATE_COLUMNS, /* cerd_row_update(out, conn, &T, in, cols) */
    CG_API_UPSERT,         /* cerd_row_upsert(out, conn, &T, key_index, in) */
    CG_API_DELETE,         /* cerd_row_delete(conn, &T, &key, flags) */
    CG_API_LIST,           /* cerd_row_list(&rows, conn, &T, list_fk, &key, page) */
    CG_API_COUNT,          /* cerd_row_count(out, conn, &T, flags) */
    CG_API_EXISTS,         /* cerd_row_exists(out, conn, &T, &key, flags) */
    CG_API_CLEAR,          /* cerd_row_clear(&T, row) */
    CG_API_LIST_FREE       /* cerd_rows_free(&T, &rows) */
} cg_api_kind;

#define CG_API_MAX_PARAMS (4 + CG_MAX_KEY_COLUMNS)

typedef struct cg_api_param {
    char *decl;   /* "const cerd_assets *in", "int64_t id" */
    char *doc;    /* its "@param ..." line (Doxygen-safe), or NULL */
} cg_api_param;

/* One generated function. */
typedef struct cg_api_op {
    cg_api_kind kind;
    char *name;           /* cerd_<t>_<op> */
    const char *ret;      /* "int" or "void" */
    char *doc;            /* the description paragraph (Doxygen-safe), or NULL */
    cg_api_param params[CG_API_MAX_PARAMS]; /* in order; out parameters first */
    int nparams;
    char *return_doc;     /* "@return ..." (Doxygen-safe), or NULL */
    int key_columns[CG_MAX_KEY_COLUMNS]; /* get, delete, exists, list: the parameters
                                            copied into the key row */
    int nkey_columns;
    int key_index;        /* get, upsert: -1 (primary key) or the unique key */
    int list_fk;          /* list: the foreign key filtered on (index into t->fks), or
                             -1 (whole table) */
    const char *flags;    /* get, delete, count, exists: the flags argument */
} cg_api_op;

/* A cerd_<t>_get_by_<suffix> / cerd_<t>_upsert_by_<suffix> pair. */
typedef struct cg_by_key {
    char *suffix;      /* the key's API name (see cg_key_api_name) */
    int key_index;     /* the unique key the functions use (index into t->uniques) */
    char *also;        /* other unique keys with the same columns (doc), or NULL */
} cg_by_key;

typedef struct cg_api {
    const cg_table *t;
    char *upper;            /* table name in upper case */
    char **enum_names;      /* per column: CERD_<T>_<C> */
    char *ncolumns_name;    /* CERD_<T>__NCOLUMNS */
    char **param_names;     /* per column: its name as a function parameter */
    cg_by_key *bykeys;
    int nbykeys;
    int *list_fks;          /* per list_by function: the foreign key it filters on (the
                               first of those with the same columns; index into t->fks) */
    int nlists;
    char **list_fk_names;   /* per list: the foreign keys with those columns, joined */
    char **list_suffixes;   /* per list: its name, cerd_<t>_list_by_<suffix> (see
                               cg_fk_api_name) */
    bool soft_delete;
    cg_api_op *ops;         /* every generated function, in header order */
    int nops;
} cg_api;

/* The name of unique key k in the typed API (cerd_<t>_get_by_<name>): its api_name
   (schema/api/key_names.json) when set; otherwise its constraint or index name without
   a "<table>_" prefix, then without a "unique_" or "uq_" prefix and a "_key" suffix.
   Caller frees. */
char *cg_key_api_name(const cg_table *t, const cg_key *k);

/* The name of foreign key fk in the typed API (cerd_<t>_list_by_<name>): the column's
   name for a one-column foreign key; for a foreign key of several columns its constraint
   name without a "<table>_" prefix and a "_fkey" suffix
   (portfolio_assets_portfolio_id_fkey on (user_id, portfolio_id) -> portfolio_id).
   Caller frees. */
char *cg_fk_api_name(const cg_table *t, const cg_foreign_key *fk);

void cg_api_build(cg_api *api, const cg_table *t);
void cg_api_free(cg_api *api);

/* Exits with a message when two generated symbols of the schema would have the same
   name, or a generated symbol would have the name of one in `reserved` (the runtime's
   public names, nreserved of them). */
void cg_api_check_symbols(const cg_schema *s, char **reserved, int nreserved);

#endif
