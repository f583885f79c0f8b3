/* Fixture sets, internal: what the reader (fixture_read.c: parsing and reference
   resolution, no database), the loader (fixture_load.c), the dumper (fixture_dump.c) and
   the scenarios (seed.c) share. Nothing here is exported. */
#ifndef CERD_FIXTURE_INTERNAL_H
#define CERD_FIXTURE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "cryptoerd/descriptor.h"
#include "cryptoerd/fixtures.h"

/* A reference of a row resolved offline: column `column` of the row refers to row
   `row` of set table `table`. */
typedef struct cerd__fx_link {
    uint16_t column;
    uint32_t table;
    size_t row;
} cerd__fx_link;

typedef struct cerd__fx_row {
    cJSON *obj;            /* the row object (owned by its file's tree) */
    const char *name;      /* its $id, or NULL (borrowed from obj) */
    uint32_t file;         /* index into the set's files */
    uint32_t line, col;    /* 1-based place of the row's '{' (0: made in memory) */
    size_t index;          /* index in its file's array of this table */
    cerd__fx_link *links;  /* after resolution */
    uint16_t nlinks;
} cerd__fx_row;

typedef struct cerd__fx_table {
    const cerd_table *t;
    cerd__fx_row *rows;
    size_t nrows, cap;
    /* names: open addressing, slots hold row index + 1 (0: empty) */
    size_t *slots;
    size_t nslots;
} cerd__fx_table;

struct cerd_fixture_set {
    char **files;          /* names for messages */
    cJSON **trees;
    size_t nfiles;
    cerd__fx_table *tables; /* in order of first appearance */
    size_t ntables;
    bool resolved;
};

/* Adds a parsed tree (taken over; freed with the set) under `name`; offsets, when not
   NULL, is the file's text for locating rows. */
int cerd__fx_add_tree(cerd_fixture_set *set, const char *name, cJSON *tree,
                      const char *text, size_t len);

/* The set table of descriptor t, or -1. */
int cerd__fx_table_index(const cerd_fixture_set *set, const char *name);

/* Prefixes the current error record with the row's place "file:line:col: table[index]"
   and returns the code. */
int cerd__fx_error_at(const cerd_fixture_set *set, const cerd__fx_table *ft,
                      const cerd__fx_row *r, int code);

/* Writes the row's place into buf. */
void cerd__fx_place(char *buf, size_t size, const cerd_fixture_set *set,
                    const cerd__fx_table *ft, const cerd__fx_row *r);

/* A foreign key of one or more columns refers to its parent's row through the column
   that references the parent's identity column (portfolio_assets (user_id, portfolio_id)
   -> portfolios (user_id, id): portfolio_id); the other columns are copied from the
   parent's row. cerd__fx_fk_key_position() gives that column's position k in fk (or -1
   when fk does not reference an identity), cerd__fx_ref_fk() the foreign key whose
   key-position column is c (the one a reference in column c resolves through), or NULL. */
int cerd__fx_fk_key_position(const cerd_foreign_key *fk);
const cerd_foreign_key *cerd__fx_ref_fk(const cerd_table *t, int c);

/* Orders tables (descriptors) parents first: out[] receives a permutation of 0..n-1;
   ties and cycles broken by the given order. */
void cerd__fx_topo_order(size_t *out, const cerd_table *const *tables, size_t n);

/* Whether value v is a reference ("@..."), for an integer column. */
static inline bool cerd__fx_is_ref(const cJSON *v)
{
    return cJSON_IsString(v) && v->valuestring && v->valuestring[0] == '@';
}

/* The identity column of t (its primary key's first column when an identity), or -1. */
int cerd__fx_identity_column(const cerd_table *t);

/* The internal load, used by seeds: as cerd_fixture_load inside the caller's open
   transaction; when ids is not NULL it receives, per set table, the keys given to its
   rows (array of nrows, freed with cerd__fx_ids_free). */
int cerd__fx_load_in_txn(cerd_fixture_result *out, cerd_conn *conn, cerd_fixture_set *set,
                         const cerd_fixture_load_options *opts, int64_t ***ids);
void cerd__fx_ids_free(int64_t **ids, size_t ntables);

/* Runs fn in a transaction of its own, or under a savepoint of the caller's. */
int cerd__fx_atomically(cerd_conn *conn, int (*fn)(cerd_conn *, void *), void *arg);

#endif
