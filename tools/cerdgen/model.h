/* cerdgen's model of the schema: what parse.c reads from the migrations and the
   emitters turn into C. Everything is owned by the cg_schema (cg_schema_free). */
#ifndef CERDGEN_MODEL_H
#define CERDGEN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cJSON;

/* The C representation of a column; mirrors cerd_type of include/cryptoerd/descriptor.h. */
typedef enum cg_kind {
    CG_INT64,
    CG_INT32,
    CG_BOOL,
    CG_NUMERIC,
    CG_TIMESTAMPTZ,
    CG_TEXT,
    CG_JSONB,
    CG_INET,
    CG_INT32_ARRAY,
    CG_TEXT_ARRAY
} cg_kind;

/* Most columns in one key (cerd_key::columns). */
#define CG_MAX_KEY_COLUMNS 4
/* Most columns in one table (CERD_MAX_COLUMNS). */
#define CG_MAX_COLUMNS 128

typedef struct cg_column {
    char *name;
    char *base_type;     /* PostgreSQL's name of the (element) type: int8, varchar, ... */
    char *sql_type;      /* As it reads in documentation: "varchar(20)[]", "numeric(30,2)" */
    int typmods[2];      /* The type modifiers written, ntypmods of them */
    int ntypmods;
    bool is_array;
    bool not_null;       /* NOT NULL, also implied by PRIMARY KEY and identity */
    char *default_text;  /* DEFAULT expression as written, or NULL */
    struct cJSON *default_expr; /* its raw parse-tree node (owned copy), or NULL */
    size_t default_offset;      /* byte offset of default_text in its migration file */
    bool identity;
    char identity_when;  /* 'a' (ALWAYS) or 'd' (BY DEFAULT) */
    bool sequence;       /* numbered by a sequence: a NOT NULL bigint whose DEFAULT is
                            nextval(...) (set once all files are read). Treated as an
                            identity by the API: plain int64_t, 0 = let the server assign,
                            flag CERD_COL_IDENTITY (see cg_column_server_numbered) */
    bool primary_key;
    char *comment;       /* COMMENT ON COLUMN, or NULL */

    /* Derived from the above by cg_column_finish(). */
    cg_kind kind;
    int max_chars;       /* varchar(n): n; else -1 */
    int precision;       /* numeric(p,s): p; else -1 */
    int scale;           /* numeric(p,s): s; else -1 */
} cg_column;

/* A primary or unique key. */
typedef struct cg_key {
    char *name;
    int ncolumns;
    int columns[CG_MAX_KEY_COLUMNS]; /* column indexes */
    char *predicate;     /* WHERE text of a partial unique index, or NULL */
    bool from_index;     /* CREATE UNIQUE INDEX (else a UNIQUE constraint) */
    char *api_name;      /* its name in the typed API from schema/api/key_names.json, or
                            NULL (then derived from name: see api.h) */
} cg_key;

/* A foreign key of one or more columns: columns[i] references ref_columns[i]. */
typedef struct cg_foreign_key {
    char *name;
    int ncolumns;
    int columns[CG_MAX_KEY_COLUMNS];        /* referencing column indexes, in key order */
    char *ref_table;
    char *ref_columns[CG_MAX_KEY_COLUMNS];  /* NULL until resolved (REFERENCES t without a
                                               column list: its primary key) */
} cg_foreign_key;

/* A compiled CHECK: a typed expression tree (built by check_compile.c, emitted by
   emit_checks.c). */

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

typedef struct cg_check {
    char *name;
    int *columns;        /* indexes of the columns the expression uses, ascending */
    int ncolumns;
    struct cJSON *expr;  /* the raw expression node of the parse tree (owned copy) */
    char *source;        /* the expression as written (inside CHECK ( ... )) */
    size_t source_offset; /* byte offset of source in its migration file (parse-tree
                             locations are offsets in that file) */
    char *origin;        /* "<path>:<line>" of the statement that declares it */
    char *statement;     /* the start of that statement, for messages */

    /* Set by cg_compile_checks() (check_compile.h). */
    cg_enode *compiled;        /* the typed expression tree */
    cg_enode **defaults;       /* per column of `columns`: its DEFAULT as a constant of
                                   the column's type, or NULL */
} cg_check;

typedef struct cg_table {
    char *name;
    char *file;          /* basename of the migration that creates it: "002_users.sql" */
    char *origin;        /* "<path>:<line>" of its CREATE TABLE, for messages */
    char *comment;       /* COMMENT ON TABLE, or NULL */
    cg_column *columns;
    int ncolumns;
    bool has_pk;
    cg_key pk;
    cg_key *uniques;
    int nuniques;
    cg_key *indexes;     /* plain (not unique) b-tree indexes on columns, in schema order
                            (from_index set; a partial one carries its WHERE text as
                            predicate); see cg_table_btree_indexes() */
    int nindexes;
    cg_foreign_key *fks;
    int nfks;
    cg_check *checks;
    int nchecks;
    int soft_delete_column; /* index of deleted_at, or -1 */
} cg_table;

typedef struct cg_schema {
    cg_table *tables;
    int ntables;
} cg_schema;

/* Appends a zeroed element to a growable array (aborts when out of memory). */
void *cg_grow(void *array, int *count, size_t elem_size);

/* Memory helpers that never return NULL (cerdgen exits when out of memory). */
void *cg_xcalloc(size_t n, size_t size);
char *cg_xstrdup(const char *s);
char *cg_xstrndup(const char *s, size_t n);
char *cg_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Why numeric(precision, scale) or varchar(length) is not a type the library carries
   (PostgreSQL's bounds, numeric precision 1 to 1000, varchar length 1 to 10485760; and a
   numeric scale from 0 to the precision), allocated; NULL when it is. */
char *cg_numeric_typmod_error(int precision, int scale);
char *cg_varchar_typmod_error(int length);

/* Release one key, foreign key or CHECK (and zero it). */
void cg_key_free(cg_key *k);
void cg_foreign_key_free(cg_foreign_key *fk);
void cg_check_free(cg_check *ck);
void cg_enode_free(cg_enode *n);

/* The plain b-tree indexes of t on columns (CREATE INDEX without UNIQUE; GIN, GiST and
   expression indexes are not recorded); *n receives their number. Unique indexes are
   keys (t->uniques). */
const cg_key *cg_table_btree_indexes(const cg_table *t, int *n);

cg_table *cg_schema_find_table(const cg_schema *s, const char *name);
int cg_table_find_column(const cg_table *t, const char *name);
void cg_schema_free(cg_schema *s);

/* Field type of a column in the row struct ("cerd_opt_int64", "char *", ...). */
const char *cg_column_field_type(const cg_column *c);
/* Whether the server numbers the column: an identity, or a sequence DEFAULT (c->sequence). */
bool cg_column_server_numbered(const cg_column *c);
/* Whether the field is a cerd_opt_* wrapper. */
bool cg_column_is_optional(const cg_column *c);
/* Type of the column as a key parameter ("int64_t", "const char *", ...). */
const char *cg_column_param_type(const cg_column *c);
/* Whether the key parameter is passed by pointer (numeric, inet). */
bool cg_column_param_by_pointer(const cg_column *c);
/* Whether the column can be a key or foreign-key parameter of the typed API. */
bool cg_column_usable_as_param(const cg_column *c);
/* The CERD_TYPE_* constant. */
const char *cg_kind_enum(cg_kind k);
/* The kind's SQL type name: "bigint", "integer[]". */
const char *cg_kind_sql(cg_kind k);
/* CERD_COL_* flags joined with " | ", or "0". Returns a static buffer. */
const char *cg_column_flags(const cg_column *c);

#endif
