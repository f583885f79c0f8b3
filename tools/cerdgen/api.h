/* The typed API of one table, as docs/generated-api.md defines it: the C names of its
   types, enum constants, parameters and functions, and which unique keys and foreign
   keys get functions. Shared by emit_header.c and emit_source.c so both say the same. */
#ifndef CERDGEN_API_H
#define CERDGEN_API_H

#include <stdbool.h>

#include "model.h"

/* A cerd_<t>_get_by_<suffix> / cerd_<t>_upsert_by_<suffix> pair. */
typedef struct cg_by_key {
    char *suffix;      /* column names joined with '_' */
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
    int *list_columns;      /* foreign-key columns (one list_by function each) */
    int nlists;
    char **list_fk_names;   /* per list: the foreign keys on that column, joined */
    bool soft_delete;
} cg_api;

void cg_api_build(cg_api *api, const cg_table *t);
void cg_api_free(cg_api *api);

/* Exits with a message when two generated symbols of the schema would have the same
   name, or a generated symbol would have the name of one in `reserved` (the runtime's
   public names, nreserved of them). */
void cg_api_check_symbols(const cg_schema *s, char **reserved, int nreserved);

#endif
