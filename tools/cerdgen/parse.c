/* Migrations -> cg_schema, through libpg_query's JSON parse tree (see parse.h).

   What is read: CREATE TABLE (columns, inline and table constraints), ALTER TABLE ...
   ADD COLUMN / ADD CONSTRAINT / DROP CONSTRAINT / ALTER COLUMN SET NOT NULL, DROP
   IDENTITY, SET DEFAULT, DROP DEFAULT, CREATE UNIQUE INDEX, COMMENT ON TABLE / COLUMN.
   Partitions (CREATE TABLE ... PARTITION OF) are not tables of the schema. Every other
   statement (functions, DO blocks, triggers, policies, grants, sequences, plain indexes,
   ...) is skipped, except those that would change a table in a way cerdgen cannot follow
   (DROP TABLE, RENAME, other ALTER TABLE commands, ...): they stop it with a message
   naming the file and the statement. */
#include "parse.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "jtree.h"
#include <pg_query.h>

#include "sqltext.h"

/* PostgreSQL's NAMEDATALEN - 1: the longest identifier. */
#define PG_MAX_IDENT 63

typedef struct ctx {
    cg_schema *schema;
    char *path;            /* the file, as given on the command line */
    const char *file;      /* its basename */
    const char *src;
    size_t srclen;
    size_t stmt_start, stmt_end;
    /* Names in use, for choosing the names PostgreSQL gives unnamed constraints. */
    char **relnames;
    int nrelnames;
    char **connames;
    int nconnames;
} ctx;

/* ---------------------------------------------------------------------------------- */
/* Errors */

/* The first line of the current statement (at most 100 bytes, " ..." when cut), as
   messages quote it; caller frees. */
static char *statement_head(const ctx *cx)
{
    size_t a = sql_skip_blank(cx->src, cx->stmt_start, cx->stmt_end);
    size_t e = a;
    while (e < cx->stmt_end && cx->src[e] != '\n')
        e++;
    int len = (int)(e - a);
    const char *more = (e < cx->stmt_end) ? " ..." : "";
    if (len > 100) {
        len = 100;
        more = " ...";
    }
    return cg_xasprintf("%.*s%s", len, cx->src + a, more);
}

/* "<path>:<line>" of the current statement. Caller frees. */
static char *statement_origin(const ctx *cx)
{
    size_t a = sql_skip_blank(cx->src, cx->stmt_start, cx->stmt_end);
    return cg_xasprintf("%s:%d", cx->path, sql_line_of(cx->src, a));
}

static _Noreturn void vfail(const ctx *cx, const char *fmt, va_list ap)
{
    char *origin = statement_origin(cx), *head = statement_head(cx);
    fprintf(stderr, "cerdgen: %s: in statement \"%s\":\n  error: ", origin, head);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    exit(1);
}

static _Noreturn __attribute__((format(printf, 2, 3))) void fail(const ctx *cx,
                                                                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(cx, fmt, ap);
}

/* For problems found once all files are read: names the table's CREATE TABLE. */
static _Noreturn __attribute__((format(printf, 2, 3))) void fail_table(const cg_table *t,
                                                                       const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "cerdgen: %s: in statement \"CREATE TABLE %s\":\n  error: ", t->origin,
            t->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* The value of a String node, or NULL when n is not one. */
static const char *string_node(const cJSON *n)
{
    const cJSON *s = node_as(n, "String");
    if (!s)
        return NULL;
    const char *v = jstr(s, "sval");
    return v ? v : "";
}

/* ---------------------------------------------------------------------------------- */
/* Names */

static bool name_in(char **names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

static void use_name(char ***names, int *n, const char *name)
{
    if (name_in(*names, *n, name))
        return;
    *names = cg_grow(*names, n, sizeof **names);
    (*names)[*n - 1] = cg_xstrdup(name);
}

/* A name freed again (the constraint or index was dropped). */
static void unuse_name(char **names, int *n, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(names[i], name) == 0) {
            free(names[i]);
            names[i] = names[*n - 1];
            (*n)--;
            return;
        }
}

/* Backs a byte length off to the start of a UTF-8 character. */
static size_t clip_utf8(const char *s, size_t n)
{
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* PostgreSQL's makeObjectName(): name1[_name2][_label], shortening the longer of name1
   and name2 until the whole fits in an identifier. */
static char *make_object_name(const char *name1, const char *name2, const char *label)
{
    size_t n1 = strlen(name1), n2 = name2 ? strlen(name2) : 0;
    size_t overhead = (name2 ? 1 : 0) + (label ? strlen(label) + 1 : 0);
    size_t avail = PG_MAX_IDENT - overhead;
    while (n1 + n2 > avail) {
        if (n1 > n2)
            n1 = clip_utf8(name1, n1 - 1);
        else
            n2 = clip_utf8(name2, n2 - 1);
    }
    return cg_xasprintf("%.*s%s%.*s%s%s", (int)n1, name1, name2 ? "_" : "", (int)n2,
                        name2 ? name2 : "", label ? "_" : "", label ? label : "");
}

/* PostgreSQL's ChooseRelationName() / ChooseConstraintName(): the first of label,
   label1, label2, ... that gives a name not yet in use. */
static char *choose_name(char **used, int nused, const char *name1, const char *name2,
                         const char *label)
{
    char modlabel[64];
    snprintf(modlabel, sizeof modlabel, "%s", label);
    for (int pass = 1;; pass++) {
        char *name = make_object_name(name1, name2, modlabel);
        if (!name_in(used, nused, name))
            return name;
        free(name);
        snprintf(modlabel, sizeof modlabel, "%s%d", label, pass);
    }
}

/* Column names joined with '_' (PostgreSQL's ChooseIndexNameAddition()). */
static char *join_columns(const cg_table *t, const int *cols, int n)
{
    char buf[PG_MAX_IDENT + 1] = "";
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        const char *name = t->columns[cols[i]].name;
        if (i)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "_");
        if (len >= PG_MAX_IDENT)
            break;
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s", name);
        if (len >= PG_MAX_IDENT)
            break;
    }
    return cg_xstrdup(buf);
}

/* The table a RangeVar names; only the default schema (unqualified or public). */
static const char *relation_name(const ctx *cx, const cJSON *rv, bool must_be_public)
{
    const cJSON *r = node_as(rv, "RangeVar");
    if (!r)
        r = rv;
    const char *schema = jstr(r, "schemaname");
    const char *name = jstr(r, "relname");
    if (!name)
        fail(cx, "statement names no table");
    if (schema && strcmp(schema, "public") != 0) {
        if (must_be_public)
            fail(cx, "table %s.%s: only tables of the default schema (public) are supported",
                 schema, name);
        return NULL;
    }
    return name;
}

/* ---------------------------------------------------------------------------------- */
/* Column types */

typedef struct type_map {
    const char *pg_name;  /* name in pg_catalog */
    const char *sql_name; /* as documentation writes it */
    cg_kind kind;
} type_map;

static const type_map TYPES[] = {
    {"int8", "bigint", CG_INT64},       {"int4", "integer", CG_INT32},
    {"bool", "boolean", CG_BOOL},       {"numeric", "numeric", CG_NUMERIC},
    {"timestamptz", "timestamptz", CG_TIMESTAMPTZ},
    {"text", "text", CG_TEXT},          {"varchar", "varchar", CG_TEXT},
    {"jsonb", "jsonb", CG_JSONB},       {"inet", "inet", CG_INET},
};

static void parse_type(const ctx *cx, cg_column *col, const cJSON *type_name)
{
    const cJSON *tn = node_as(type_name, "TypeName");
    if (!tn)
        tn = type_name;
    if (!cJSON_IsObject(tn))
        fail(cx, "column %s: no type", col->name);
    if (jtrue(tn, "setof") || jtrue(tn, "pct_type"))
        fail(cx, "column %s: SETOF and %%TYPE are not supported", col->name);

    const cJSON *names = jget(tn, "names");
    int nnames = jcount(tn, "names");
    const char *qual = nnames == 2 ? string_node(cJSON_GetArrayItem(names, 0)) : NULL;
    const char *base = nnames >= 1 ? string_node(cJSON_GetArrayItem(names, nnames - 1)) : NULL;
    if (!base || nnames > 2 || (nnames == 2 && (!qual || strcmp(qual, "pg_catalog") != 0)))
        fail(cx, "column %s: unsupported column type (not a built-in type)", col->name);

    const type_map *map = NULL;
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (strcmp(TYPES[i].pg_name, base) == 0)
            map = &TYPES[i];
    if (!map)
        fail(cx,
             "column %s: unsupported column type \"%s\" (cerdgen maps bigint, integer, "
             "boolean, numeric, timestamptz, text, varchar, jsonb, inet, integer[], "
             "varchar[] and text[])",
             col->name, base);
    col->base_type = cg_xstrdup(base);

    /* Type modifiers: varchar(n), numeric(p) and numeric(p,s) only. */
    const cJSON *mods = jget(tn, "typmods");
    int nmods = jcount(tn, "typmods");
    int maxmods = strcmp(base, "varchar") == 0 ? 1 : strcmp(base, "numeric") == 0 ? 2 : 0;
    if (nmods > maxmods)
        fail(cx, "column %s: type modifiers on %s are not supported", col->name,
             map->sql_name);
    for (int i = 0; i < nmods; i++) {
        const cJSON *c = node_as(cJSON_GetArrayItem(mods, i), "A_Const");
        const cJSON *iv = jget(c, "ival");
        if (!cJSON_IsObject(iv))
            fail(cx, "column %s: type modifier of %s is not an integer", col->name,
                 map->sql_name);
        col->typmods[i] = jint(iv, "ival");
    }
    col->ntypmods = nmods;

    int bounds = jcount(tn, "arrayBounds");
    if (bounds > 1)
        fail(cx, "column %s: multi-dimensional arrays are not supported", col->name);
    col->is_array = bounds == 1;

    col->kind = map->kind;
    col->max_chars = -1;
    col->precision = -1;
    col->scale = -1;
    char *bad = NULL;
    if (strcmp(base, "varchar") == 0 && nmods == 1) {
        col->max_chars = col->typmods[0];
        bad = cg_varchar_typmod_error(col->max_chars);
    }
    if (map->kind == CG_NUMERIC && nmods >= 1) {
        col->precision = col->typmods[0];
        col->scale = nmods == 2 ? col->typmods[1] : 0;
        bad = cg_numeric_typmod_error(col->precision, col->scale);
    }
    if (bad)
        fail(cx, "column %s: %s", col->name, bad);
    if (col->is_array) {
        if (map->kind == CG_INT32)
            col->kind = CG_INT32_ARRAY;
        else if (map->kind == CG_TEXT)
            col->kind = CG_TEXT_ARRAY;
        else
            fail(cx, "column %s: arrays of %s are not supported (only integer[], varchar[] "
                 "and text[])", col->name, map->sql_name);
    }

    if (nmods == 2)
        col->sql_type = cg_xasprintf("%s(%d,%d)%s", map->sql_name, col->typmods[0],
                                     col->typmods[1], col->is_array ? "[]" : "");
    else if (nmods == 1)
        col->sql_type = cg_xasprintf("%s(%d)%s", map->sql_name, col->typmods[0],
                                     col->is_array ? "[]" : "");
    else
        col->sql_type = cg_xasprintf("%s%s", map->sql_name, col->is_array ? "[]" : "");
}

/* ---------------------------------------------------------------------------------- */
/* Constraints */

static int column_index(const ctx *cx, const cg_table *t, const char *name, const char *what)
{
    int i = cg_table_find_column(t, name);
    if (i < 0)
        fail(cx, "%s names column \"%s\", which table %s does not have", what, name, t->name);
    return i;
}

/* Column indexes of a list of String nodes (the keys of a PRIMARY KEY or UNIQUE). */
static int key_columns(const ctx *cx, const cg_table *t, const cJSON *list, int *cols,
                       const char *what)
{
    int n = cJSON_GetArraySize(list);
    if (n < 1)
        fail(cx, "%s has no columns", what);
    if (n > CG_MAX_KEY_COLUMNS)
        fail(cx, "%s has %d columns; keys of more than %d columns are not supported", what, n,
             CG_MAX_KEY_COLUMNS);
    for (int i = 0; i < n; i++) {
        const char *name = string_node(cJSON_GetArrayItem(list, i));
        if (!name)
            fail(cx, "%s: unexpected element in the column list", what);
        cols[i] = column_index(cx, t, name, what);
        for (int j = 0; j < i; j++)
            if (cols[j] == cols[i])
                fail(cx, "%s names column %s twice", what, name);
    }
    return n;
}

static void add_primary_key(ctx *cx, cg_table *t, const cJSON *con, const int *cols, int n)
{
    if (t->has_pk)
        fail(cx, "table %s: more than one primary key", t->name);
    if (jget(con, "indexname"))
        fail(cx, "table %s: PRIMARY KEY USING INDEX is not supported", t->name);
    const char *conname = jstr(con, "conname");
    t->has_pk = true;
    t->pk.name = conname ? cg_xstrdup(conname)
                         : choose_name(cx->relnames, cx->nrelnames, t->name, NULL, "pkey");
    use_name(&cx->relnames, &cx->nrelnames, t->pk.name);
    use_name(&cx->connames, &cx->nconnames, t->pk.name);
    t->pk.ncolumns = n;
    for (int i = 0; i < n; i++) {
        t->pk.columns[i] = cols[i];
        t->columns[cols[i]].primary_key = true;
        t->columns[cols[i]].not_null = true;
    }
}

static void add_unique(ctx *cx, cg_table *t, const char *name, const int *cols, int n,
                       char *predicate, bool from_index)
{
    t->uniques = cg_grow(t->uniques, &t->nuniques, sizeof *t->uniques);
    cg_key *k = &t->uniques[t->nuniques - 1];
    k->name = cg_xstrdup(name);
    k->ncolumns = n;
    memcpy(k->columns, cols, (size_t)n * sizeof *cols);
    k->predicate = predicate;
    k->from_index = from_index;
    use_name(&cx->relnames, &cx->nrelnames, name);
    if (!from_index)
        use_name(&cx->connames, &cx->nconnames, name);
}

static void add_unique_constraint(ctx *cx, cg_table *t, const cJSON *con, const int *cols,
                                  int n)
{
    if (jget(con, "indexname"))
        fail(cx, "table %s: UNIQUE USING INDEX is not supported", t->name);
    const char *conname = jstr(con, "conname");
    char *name;
    if (conname) {
        name = cg_xstrdup(conname);
    } else {
        char *addition = join_columns(t, cols, n);
        name = choose_name(cx->relnames, cx->nrelnames, t->name, addition, "key");
        free(addition);
    }
    add_unique(cx, t, name, cols, n, NULL, false);
    free(name);
}

static void add_foreign_key(ctx *cx, cg_table *t, const cJSON *con, const int *cols, int n)
{
    const char *ref_table = relation_name(cx, jget(con, "pktable"), true);
    int nref = jcount(con, "pk_attrs");
    const char *conname = jstr(con, "conname");
    if (nref != 0 && nref != n)
        fail(cx, "table %s: foreign key %s has %d columns but references %d", t->name,
             conname ? conname : "(unnamed)", n, nref);

    t->fks = cg_grow(t->fks, &t->nfks, sizeof *t->fks);
    cg_foreign_key *fk = &t->fks[t->nfks - 1];
    /* PostgreSQL names an unnamed foreign key after its columns. */
    char *addition = join_columns(t, cols, n);
    fk->name = conname ? cg_xstrdup(conname)
                       : choose_name(cx->connames, cx->nconnames, t->name, addition, "fkey");
    free(addition);
    use_name(&cx->connames, &cx->nconnames, fk->name);
    fk->ncolumns = n;
    memcpy(fk->columns, cols, (size_t)n * sizeof *cols);
    fk->ref_table = cg_xstrdup(ref_table);
    for (int i = 0; i < nref; i++) {
        const char *ref_col = string_node(cJSON_GetArrayItem(jget(con, "pk_attrs"), i));
        if (!ref_col)
            fail(cx, "table %s: unexpected element in REFERENCES", t->name);
        fk->ref_columns[i] = cg_xstrdup(ref_col);
    }
}

/* Column names used by an expression, in the order they appear. */
static void collect_column_refs(const cJSON *n, const char ***names, int *count)
{
    if (cJSON_IsObject(n)) {
        const cJSON *ref = jget(n, "ColumnRef");
        if (cJSON_IsObject(ref)) {
            const cJSON *fields = jget(ref, "fields");
            int nf = cJSON_IsArray(fields) ? cJSON_GetArraySize(fields) : 0;
            const char *name = nf ? string_node(cJSON_GetArrayItem(fields, nf - 1)) : NULL;
            if (name) {
                *names = cg_grow((void *)*names, count, sizeof **names);
                (*names)[*count - 1] = name;
            }
        }
    }
    for (const cJSON *c = n ? n->child : NULL; c; c = c->next)
        collect_column_refs(c, names, count);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void add_check(ctx *cx, cg_table *t, const cJSON *con)
{
    const cJSON *expr = jget(con, "raw_expr");
    if (!expr)
        fail(cx, "table %s: CHECK constraint without an expression", t->name);

    const char **refs = NULL;
    int nrefs = 0;
    collect_column_refs(expr, &refs, &nrefs);

    t->checks = cg_grow(t->checks, &t->nchecks, sizeof *t->checks);
    cg_check *ck = &t->checks[t->nchecks - 1];
    const char *conname = jstr(con, "conname");
    /* PostgreSQL names an unnamed CHECK after the first column it uses. */
    ck->name = conname ? cg_xstrdup(conname)
                       : choose_name(cx->connames, cx->nconnames, t->name,
                                     nrefs ? refs[0] : NULL, "check");
    use_name(&cx->connames, &cx->nconnames, ck->name);

    for (int i = 0; i < nrefs; i++) {
        char what[160];
        snprintf(what, sizeof what, "CHECK constraint %s", ck->name);
        int c = column_index(cx, t, refs[i], what);
        bool seen = false;
        for (int j = 0; j < ck->ncolumns; j++)
            seen = seen || ck->columns[j] == c;
        if (!seen) {
            ck->columns = cg_grow(ck->columns, &ck->ncolumns, sizeof *ck->columns);
            ck->columns[ck->ncolumns - 1] = c;
        }
    }
    free(refs);
    if (ck->ncolumns > 1)
        qsort(ck->columns, (size_t)ck->ncolumns, sizeof *ck->columns, cmp_int);

    ck->expr = cJSON_Duplicate(expr, 1);
    size_t loc = (size_t)jint(con, "location");
    size_t pos = sql_after_word(cx->src, loc, cx->stmt_end, "CHECK");
    size_t a, b;
    if (!sql_paren_group(cx->src, pos, cx->stmt_end, &a, &b))
        fail(cx, "table %s: cannot find the text of CHECK constraint %s", t->name, ck->name);
    ck->source = cg_xstrndup(cx->src + a, b - a);
    ck->source_offset = a;
    ck->origin = statement_origin(cx);
    ck->statement = statement_head(cx);
}

/* PRIMARY KEY, UNIQUE, FOREIGN KEY and CHECK written as table constraints (in CREATE
   TABLE or ALTER TABLE ... ADD). */
static void table_constraint(ctx *cx, cg_table *t, const cJSON *con)
{
    const char *type = jstr(con, "contype");
    int cols[CG_MAX_KEY_COLUMNS];
    char what[200];
    if (!type)
        fail(cx, "table %s: constraint without a type", t->name);
    if (strcmp(type, "CONSTR_PRIMARY") == 0) {
        snprintf(what, sizeof what, "PRIMARY KEY of %s", t->name);
        int n = key_columns(cx, t, jget(con, "keys"), cols, what);
        add_primary_key(cx, t, con, cols, n);
    } else if (strcmp(type, "CONSTR_UNIQUE") == 0) {
        const char *conname = jstr(con, "conname");
        snprintf(what, sizeof what, "UNIQUE constraint %s", conname ? conname : "(unnamed)");
        int n = key_columns(cx, t, jget(con, "keys"), cols, what);
        add_unique_constraint(cx, t, con, cols, n);
    } else if (strcmp(type, "CONSTR_FOREIGN") == 0) {
        const char *conname = jstr(con, "conname");
        snprintf(what, sizeof what, "FOREIGN KEY %s", conname ? conname : "(unnamed)");
        int n = key_columns(cx, t, jget(con, "fk_attrs"), cols, what);
        add_foreign_key(cx, t, con, cols, n);
    } else if (strcmp(type, "CONSTR_CHECK") == 0) {
        add_check(cx, t, con);
    } else if (strncmp(type, "CONSTR_ATTR_", 12) == 0) {
        /* DEFERRABLE and friends: no effect on the generated code. */
    } else {
        fail(cx, "table %s: unsupported table constraint (%s)", t->name, type);
    }
}

static void column_constraints(ctx *cx, cg_table *t, int ci, const cJSON *def)
{
    const cJSON *list = jget(def, "constraints");
    bool explicit_null = false;
    for (const cJSON *item = list ? list->child : NULL; item; item = item->next) {
        cg_column *col = &t->columns[ci]; /* re-read: the arrays do not move here */
        const cJSON *con = node_as(item, "Constraint");
        const char *type = jstr(con, "contype");
        if (!type)
            fail(cx, "column %s: unexpected element in its constraints", col->name);
        if (strcmp(type, "CONSTR_NOTNULL") == 0) {
            if (explicit_null)
                fail(cx, "column %s: conflicting NULL/NOT NULL declarations", col->name);
            col->not_null = true;
        } else if (strcmp(type, "CONSTR_NULL") == 0) {
            if (col->not_null && !col->identity && !col->primary_key)
                fail(cx, "column %s: conflicting NULL/NOT NULL declarations", col->name);
            explicit_null = true;
        } else if (strcmp(type, "CONSTR_DEFAULT") == 0) {
            if (col->default_text || col->identity)
                fail(cx, "column %s: more than one default (DEFAULT or identity)", col->name);
            /* The expression runs from after DEFAULT to the next constraint of the column
               or the ',' / ')' that ends the column definition. */
            size_t limit = item->next ? (size_t)jint(node_as(item->next, "Constraint"),
                                                     "location")
                                      : cx->stmt_end;
            size_t loc = (size_t)jint(con, "location");
            size_t pos = sql_after_word(cx->src, loc, limit, "DEFAULT");
            size_t a, b;
            if (!jget(con, "raw_expr") || !sql_expr_extent(cx->src, pos, limit, &a, &b))
                fail(cx, "column %s: cannot find the text of its DEFAULT", col->name);
            col->default_text = cg_xstrndup(cx->src + a, b - a);
            col->default_expr = cJSON_Duplicate(jget(con, "raw_expr"), 1);
            col->default_offset = a;
        } else if (strcmp(type, "CONSTR_IDENTITY") == 0) {
            if (col->default_text || col->identity)
                fail(cx, "column %s: more than one default (DEFAULT or identity)", col->name);
            if (col->kind != CG_INT64)
                fail(cx, "column %s: identity columns must be bigint (the field is int64_t)",
                     col->name);
            const char *when = jstr(con, "generated_when");
            col->identity = true;
            col->identity_when = (when && when[0] == 'a') ? 'a' : 'd';
            col->not_null = true;
        } else if (strcmp(type, "CONSTR_GENERATED") == 0) {
            fail(cx, "column %s: generated columns (GENERATED ALWAYS AS (...) STORED) are not "
                 "supported", col->name);
        } else if (strcmp(type, "CONSTR_CHECK") == 0) {
            add_check(cx, t, con);
        } else if (strcmp(type, "CONSTR_PRIMARY") == 0) {
            add_primary_key(cx, t, con, &ci, 1);
        } else if (strcmp(type, "CONSTR_UNIQUE") == 0) {
            add_unique_constraint(cx, t, con, &ci, 1);
        } else if (strcmp(type, "CONSTR_FOREIGN") == 0) {
            add_foreign_key(cx, t, con, &ci, 1);
        } else if (strncmp(type, "CONSTR_ATTR_", 12) == 0) {
            /* DEFERRABLE and friends. */
        } else {
            fail(cx, "column %s: unsupported column constraint (%s)", col->name, type);
        }
    }
}

/* ---------------------------------------------------------------------------------- */
/* Statements */

/* A column of CREATE TABLE or ALTER TABLE ... ADD COLUMN, without its constraints;
   returns its index. */
static int add_column(ctx *cx, cg_table *t, const cJSON *def)
{
    const char *colname = jstr(def, "colname");
    if (!colname)
        fail(cx, "table %s: column without a name", t->name);
    if (cg_table_find_column(t, colname) >= 0)
        fail(cx, "table %s: column %s is defined twice", t->name, colname);
    if (t->ncolumns >= CG_MAX_COLUMNS)
        fail(cx, "table %s has more than %d columns (CERD_MAX_COLUMNS)", t->name,
             CG_MAX_COLUMNS);
    t->columns = cg_grow(t->columns, &t->ncolumns, sizeof *t->columns);
    cg_column *col = &t->columns[t->ncolumns - 1];
    col->name = cg_xstrdup(colname);
    parse_type(cx, col, jget(def, "typeName"));
    return t->ncolumns - 1;
}

static void create_table(ctx *cx, const cJSON *stmt)
{
    if (jget(stmt, "partbound"))
        return; /* CREATE TABLE ... PARTITION OF: a partition, not a table of the schema */
    const char *name = relation_name(cx, jget(stmt, "relation"), true);
    if (jget(stmt, "inhRelations"))
        fail(cx, "table %s: INHERITS is not supported", name);
    if (jget(stmt, "ofTypename"))
        fail(cx, "table %s: CREATE TABLE ... OF type is not supported", name);
    const char *persistence = jstr(jget(stmt, "relation"), "relpersistence");
    if (persistence && strcmp(persistence, "t") == 0)
        fail(cx, "table %s: temporary tables are not supported", name);
    if (cg_schema_find_table(cx->schema, name))
        fail(cx, "table %s is created twice", name);

    cg_schema *s = cx->schema;
    s->tables = cg_grow(s->tables, &s->ntables, sizeof *s->tables);
    cg_table *t = &s->tables[s->ntables - 1];
    t->name = cg_xstrdup(name);
    t->file = cg_xstrdup(cx->file);
    t->origin = cg_xasprintf(
        "%s:%d", cx->path,
        sql_line_of(cx->src, sql_skip_blank(cx->src, cx->stmt_start, cx->stmt_end)));
    t->soft_delete_column = -1;
    use_name(&cx->relnames, &cx->nrelnames, name);

    const cJSON *elts = jget(stmt, "tableElts");
    /* Columns first, so that a table constraint may name a column defined after it. */
    for (const cJSON *e = elts ? elts->child : NULL; e; e = e->next) {
        const cJSON *def = node_as(e, "ColumnDef");
        if (!def) {
            const char *tag = node_tag(e);
            if (tag && strcmp(tag, "Constraint") == 0)
                continue;
            if (tag && strcmp(tag, "TableLikeClause") == 0)
                fail(cx, "table %s: LIKE is not supported", name);
            fail(cx, "table %s: unsupported element (%s)", name, tag ? tag : "?");
        }
        add_column(cx, t, def);
    }
    if (t->ncolumns == 0)
        fail(cx, "table %s has no columns", name);

    /* Then the constraints, in the order they are written. */
    int ci = 0;
    for (const cJSON *e = elts ? elts->child : NULL; e; e = e->next) {
        const cJSON *def = node_as(e, "ColumnDef");
        if (def)
            column_constraints(cx, t, ci++, def);
        else
            table_constraint(cx, t, node_as(e, "Constraint"));
    }
}

/* A plain CREATE INDEX: recorded in t->indexes (range reads of the typed API) when it is
   a named b-tree index on at most CG_MAX_KEY_COLUMNS plain columns; anything else (GIN,
   expressions, ...) adds nothing to the API. */
static void plain_index(ctx *cx, cg_table *t, const cJSON *stmt, const char *idxname)
{
    const char *method = jstr(stmt, "accessMethod");
    const cJSON *params = jget(stmt, "indexParams");
    int cols[CG_MAX_KEY_COLUMNS];
    int n = 0;

    if (idxname)
        use_name(&cx->relnames, &cx->nrelnames, idxname);
    if (!idxname || (method && strcmp(method, "btree") != 0))
        return;
    for (const cJSON *p = params ? params->child : NULL; p; p = p->next) {
        const char *colname = jstr(node_as(p, "IndexElem"), "name");
        if (!colname || n >= CG_MAX_KEY_COLUMNS)
            return;
        cols[n++] = column_index(cx, t, colname, "index");
    }
    if (n == 0)
        return;
    char *predicate = NULL;
    if (jget(stmt, "whereClause")) {
        size_t a = sql_after_word(cx->src, cx->stmt_start, cx->stmt_end, "WHERE");
        size_t b = sql_trim_end(cx->src, a, cx->stmt_end);
        if (a >= cx->stmt_end || b <= a)
            fail(cx, "index %s on %s: cannot find the text of its WHERE clause", idxname,
                 t->name);
        predicate = cg_xstrndup(cx->src + a, b - a);
    }
    t->indexes = cg_grow(t->indexes, &t->nindexes, sizeof *t->indexes);
    cg_key *k = &t->indexes[t->nindexes - 1];
    k->name = cg_xstrdup(idxname);
    k->ncolumns = n;
    memcpy(k->columns, cols, (size_t)n * sizeof *cols);
    k->predicate = predicate;
    k->from_index = true;
}

static void create_index(ctx *cx, const cJSON *stmt)
{
    const char *idxname = jstr(stmt, "idxname");
    const char *relname = relation_name(cx, jget(stmt, "relation"), false);
    cg_table *t = relname ? cg_schema_find_table(cx->schema, relname) : NULL;
    if (!t) {
        /* Indexes on other relations add nothing to the API. */
        if (idxname)
            use_name(&cx->relnames, &cx->nrelnames, idxname);
        return;
    }
    if (!jtrue(stmt, "unique")) {
        plain_index(cx, t, stmt, idxname);
        return;
    }

    int cols[CG_MAX_KEY_COLUMNS];
    int n = 0;
    const cJSON *params = jget(stmt, "indexParams");
    for (const cJSON *p = params ? params->child : NULL; p; p = p->next) {
        const cJSON *elem = node_as(p, "IndexElem");
        const char *colname = jstr(elem, "name");
        if (!colname)
            fail(cx, "unique index on %s: indexes on expressions are not supported", t->name);
        if (n >= CG_MAX_KEY_COLUMNS)
            fail(cx, "unique index on %s: keys of more than %d columns are not supported",
                 t->name, CG_MAX_KEY_COLUMNS);
        cols[n] = column_index(cx, t, colname, "unique index");
        for (int j = 0; j < n; j++)
            if (cols[j] == cols[n])
                fail(cx, "unique index on %s names column %s twice", t->name, colname);
        n++;
    }
    if (n == 0)
        fail(cx, "unique index on %s has no columns", t->name);

    char *predicate = NULL;
    if (jget(stmt, "whereClause")) {
        size_t a = sql_after_word(cx->src, cx->stmt_start, cx->stmt_end, "WHERE");
        size_t b = sql_trim_end(cx->src, a, cx->stmt_end);
        if (a >= cx->stmt_end || b <= a)
            fail(cx, "unique index on %s: cannot find the text of its WHERE clause", t->name);
        predicate = cg_xstrndup(cx->src + a, b - a);
    }

    char *name;
    if (idxname) {
        name = cg_xstrdup(idxname);
    } else {
        char *addition = join_columns(t, cols, n);
        name = choose_name(cx->relnames, cx->nrelnames, t->name, addition, "idx");
        free(addition);
    }
    add_unique(cx, t, name, cols, n, predicate, true);
    free(name);
}

/* ALTER TABLE subcommands that leave columns and keys as they are. */
static const char *const HARMLESS_ALTER[] = {
    "AT_EnableRowSecurity", "AT_DisableRowSecurity", "AT_ForceRowSecurity",
    "AT_NoForceRowSecurity", "AT_ChangeOwner", "AT_SetRelOptions", "AT_ResetRelOptions",
    "AT_ReplaceRelOptions", "AT_EnableTrig", "AT_EnableAlwaysTrig", "AT_EnableReplicaTrig",
    "AT_DisableTrig", "AT_EnableTrigAll", "AT_DisableTrigAll", "AT_EnableTrigUser",
    "AT_DisableTrigUser", "AT_EnableRule", "AT_EnableAlwaysRule", "AT_EnableReplicaRule",
    "AT_DisableRule", "AT_ReplicaIdentity", "AT_ClusterOn", "AT_DropCluster",
    "AT_SetStatistics", "AT_SetStorage", "AT_SetCompression", "AT_SetOptions",
    "AT_ResetOptions", "AT_AttachPartition", "AT_DetachPartition",
    "AT_DetachPartitionFinalize", "AT_ValidateConstraint", "AT_SetTableSpace",
    "AT_SetLogged", "AT_SetUnLogged", "AT_SetAccessMethod",
};

/* The smallest parse-tree location in n: where an expression's text starts. */
static int min_location(const cJSON *n, int best)
{
    for (const cJSON *c = n ? n->child : NULL; c; c = c->next) {
        if (c->string && strcmp(c->string, "location") == 0 && cJSON_IsNumber(c) &&
            c->valueint >= 0 && (best < 0 || c->valueint < best))
            best = c->valueint;
        if (cJSON_IsObject(c) || cJSON_IsArray(c))
            best = min_location(c, best);
    }
    return best;
}

/* ALTER TABLE ... DROP CONSTRAINT name: forgets the key, foreign key or CHECK. */
static void drop_constraint(ctx *cx, cg_table *t, const cJSON *cmd)
{
    const char *name = jstr(cmd, "name");
    const char *behavior = jstr(cmd, "behavior");
    if (!name)
        fail(cx, "ALTER TABLE %s: DROP CONSTRAINT without a name", t->name);
    if (behavior && strcmp(behavior, "DROP_CASCADE") == 0)
        fail(cx, "ALTER TABLE %s: DROP CONSTRAINT %s CASCADE is not supported by cerdgen "
             "(drop what depends on it first)", t->name, name);
    if (t->has_pk && strcmp(t->pk.name, name) == 0) {
        for (int i = 0; i < t->pk.ncolumns; i++)
            t->columns[t->pk.columns[i]].primary_key = false; /* NOT NULL stays */
        unuse_name(cx->relnames, &cx->nrelnames, name);
        unuse_name(cx->connames, &cx->nconnames, name);
        cg_key_free(&t->pk);
        t->has_pk = false;
        return;
    }
    for (int k = 0; k < t->nuniques; k++)
        if (!t->uniques[k].from_index && strcmp(t->uniques[k].name, name) == 0) {
            unuse_name(cx->relnames, &cx->nrelnames, name);
            unuse_name(cx->connames, &cx->nconnames, name);
            cg_key_free(&t->uniques[k]);
            memmove(&t->uniques[k], &t->uniques[k + 1],
                    (size_t)(t->nuniques - k - 1) * sizeof *t->uniques);
            t->nuniques--;
            return;
        }
    for (int k = 0; k < t->nfks; k++)
        if (strcmp(t->fks[k].name, name) == 0) {
            unuse_name(cx->connames, &cx->nconnames, name);
            cg_foreign_key_free(&t->fks[k]);
            memmove(&t->fks[k], &t->fks[k + 1], (size_t)(t->nfks - k - 1) * sizeof *t->fks);
            t->nfks--;
            return;
        }
    for (int k = 0; k < t->nchecks; k++)
        if (strcmp(t->checks[k].name, name) == 0) {
            unuse_name(cx->connames, &cx->nconnames, name);
            cg_check_free(&t->checks[k]);
            memmove(&t->checks[k], &t->checks[k + 1],
                    (size_t)(t->nchecks - k - 1) * sizeof *t->checks);
            t->nchecks--;
            return;
        }
    if (!jtrue(cmd, "missing_ok"))
        fail(cx, "ALTER TABLE %s: DROP CONSTRAINT %s: table %s has no such constraint (that "
             "cerdgen knows of)", t->name, name, t->name);
}

/* ALTER TABLE ... ALTER COLUMN c SET DEFAULT expr / DROP DEFAULT. */
static void column_default(ctx *cx, cg_table *t, const cJSON *cmd)
{
    char what[160];
    snprintf(what, sizeof what, "ALTER TABLE %s ... ALTER COLUMN", t->name);
    int ci = column_index(cx, t, jstr(cmd, "name") ? jstr(cmd, "name") : "", what);
    cg_column *col = &t->columns[ci];
    const cJSON *def = jget(cmd, "def");
    if (col->identity)
        fail(cx, "ALTER TABLE %s: column %s is an identity column; drop the identity before "
             "giving it a default", t->name, col->name);
    free(col->default_text);
    cJSON_Delete(col->default_expr);
    col->default_text = NULL;
    col->default_expr = NULL;
    col->default_offset = 0;
    if (!def)
        return; /* DROP DEFAULT */
    int loc = min_location(def, -1);
    size_t a, b;
    if (loc < 0 || !sql_expr_extent(cx->src, (size_t)loc, cx->stmt_end, &a, &b))
        fail(cx, "ALTER TABLE %s: cannot find the text of the DEFAULT of %s", t->name,
             col->name);
    /* The statement's terminating ';' is outside stmt_end; trailing blanks are trimmed. */
    col->default_text = cg_xstrndup(cx->src + a, b - a);
    col->default_expr = cJSON_Duplicate(def, 1);
    col->default_offset = a;
}

static void alter_table(ctx *cx, const cJSON *stmt)
{
    const char *objtype = jstr(stmt, "objtype");
    if (!objtype || strcmp(objtype, "OBJECT_TABLE") != 0)
        return;
    const char *relname = relation_name(cx, jget(stmt, "relation"), false);
    cg_table *t = relname ? cg_schema_find_table(cx->schema, relname) : NULL;
    if (!t)
        return;
    const cJSON *cmds = jget(stmt, "cmds");
    for (const cJSON *c = cmds ? cmds->child : NULL; c; c = c->next) {
        const cJSON *cmd = node_as(c, "AlterTableCmd");
        const char *sub = jstr(cmd, "subtype");
        char what[160];
        if (!sub)
            fail(cx, "ALTER TABLE %s: unexpected command", t->name);
        snprintf(what, sizeof what, "ALTER TABLE %s ... ALTER COLUMN", t->name);
        if (strcmp(sub, "AT_AddConstraint") == 0) {
            table_constraint(cx, t, node_as(jget(cmd, "def"), "Constraint"));
        } else if (strcmp(sub, "AT_AddColumn") == 0) {
            const cJSON *def = node_as(jget(cmd, "def"), "ColumnDef");
            if (!def)
                fail(cx, "ALTER TABLE %s: ADD COLUMN without a column definition", t->name);
            if (jtrue(cmd, "missing_ok") && jstr(def, "colname") &&
                cg_table_find_column(t, jstr(def, "colname")) >= 0)
                continue; /* ADD COLUMN IF NOT EXISTS of a column it has */
            int ci = add_column(cx, t, def);
            column_constraints(cx, t, ci, def);
        } else if (strcmp(sub, "AT_DropConstraint") == 0) {
            drop_constraint(cx, t, cmd);
        } else if (strcmp(sub, "AT_SetNotNull") == 0) {
            int ci = column_index(cx, t, jstr(cmd, "name") ? jstr(cmd, "name") : "", what);
            t->columns[ci].not_null = true;
        } else if (strcmp(sub, "AT_DropIdentity") == 0) {
            int ci = column_index(cx, t, jstr(cmd, "name") ? jstr(cmd, "name") : "", what);
            cg_column *col = &t->columns[ci];
            if (!col->identity && !jtrue(cmd, "missing_ok"))
                fail(cx, "ALTER TABLE %s: column %s is not an identity column", t->name,
                     col->name);
            col->identity = false; /* NOT NULL stays */
        } else if (strcmp(sub, "AT_ColumnDefault") == 0) {
            column_default(cx, t, cmd);
        } else {
            bool harmless = false;
            for (size_t i = 0; i < sizeof HARMLESS_ALTER / sizeof HARMLESS_ALTER[0]; i++)
                harmless = harmless || strcmp(sub, HARMLESS_ALTER[i]) == 0;
            if (!harmless)
                fail(cx, "ALTER TABLE %s: %s is not supported by cerdgen (change the CREATE "
                     "TABLE, or teach cerdgen)", t->name, sub);
        }
    }
}

static void comment_on(ctx *cx, const cJSON *stmt)
{
    const char *objtype = jstr(stmt, "objtype");
    const cJSON *items = jget(node_as(jget(stmt, "object"), "List"), "items");
    int n = cJSON_IsArray(items) ? cJSON_GetArraySize(items) : 0;
    const char *text = jstr(stmt, "comment");
    if (!objtype || n == 0)
        return;
    const char *parts[3] = {NULL, NULL, NULL};
    for (int i = 0; i < n && i < 3; i++)
        parts[i] = string_node(cJSON_GetArrayItem(items, i));

    if (strcmp(objtype, "OBJECT_TABLE") == 0 && n <= 2) {
        if (n == 2 && (!parts[0] || strcmp(parts[0], "public") != 0))
            return;
        cg_table *t = parts[n - 1] ? cg_schema_find_table(cx->schema, parts[n - 1]) : NULL;
        if (!t)
            return;
        free(t->comment);
        t->comment = text ? cg_xstrdup(text) : NULL;
    } else if (strcmp(objtype, "OBJECT_COLUMN") == 0 && (n == 2 || n == 3)) {
        if (n == 3 && (!parts[0] || strcmp(parts[0], "public") != 0))
            return;
        cg_table *t = parts[n - 2] ? cg_schema_find_table(cx->schema, parts[n - 2]) : NULL;
        if (!t)
            return;
        int ci = column_index(cx, t, parts[n - 1] ? parts[n - 1] : "", "COMMENT ON COLUMN");
        free(t->columns[ci].comment);
        t->columns[ci].comment = text ? cg_xstrdup(text) : NULL;
    }
}

/* DROP TABLE and RENAME of a table of the schema would leave the model wrong. */
static void drop_or_rename(ctx *cx, const char *tag, const cJSON *stmt)
{
    if (strcmp(tag, "DropStmt") == 0) {
        const char *type = jstr(stmt, "removeType");
        if (!type || strcmp(type, "OBJECT_TABLE") != 0)
            return;
        const cJSON *objs = jget(stmt, "objects");
        for (const cJSON *o = objs ? objs->child : NULL; o; o = o->next) {
            const cJSON *items = jget(node_as(o, "List"), "items");
            int n = cJSON_IsArray(items) ? cJSON_GetArraySize(items) : 0;
            const char *name = n ? string_node(cJSON_GetArrayItem(items, n - 1)) : NULL;
            if (name && cg_schema_find_table(cx->schema, name))
                fail(cx, "DROP TABLE %s is not supported by cerdgen", name);
        }
    } else {
        const char *type = jstr(stmt, "renameType");
        const char *rel = jget(stmt, "relation")
                              ? relation_name(cx, jget(stmt, "relation"), false)
                              : NULL;
        if (type && rel && cg_schema_find_table(cx->schema, rel) &&
            (strcmp(type, "OBJECT_TABLE") == 0 || strcmp(type, "OBJECT_COLUMN") == 0 ||
             strcmp(type, "OBJECT_TABCONSTRAINT") == 0))
            fail(cx, "ALTER TABLE %s ... RENAME is not supported by cerdgen", rel);
    }
}

static void statement(ctx *cx, const cJSON *node)
{
    const char *tag = node_tag(node);
    if (!tag)
        return;
    const cJSON *body = node->child;
    if (strcmp(tag, "CreateStmt") == 0)
        create_table(cx, body);
    else if (strcmp(tag, "IndexStmt") == 0)
        create_index(cx, body);
    else if (strcmp(tag, "AlterTableStmt") == 0)
        alter_table(cx, body);
    else if (strcmp(tag, "CommentStmt") == 0)
        comment_on(cx, body);
    else if (strcmp(tag, "DropStmt") == 0 || strcmp(tag, "RenameStmt") == 0)
        drop_or_rename(cx, tag, body);
    else if (strcmp(tag, "CreateTableAsStmt") == 0) {
        const char *objtype = jstr(body, "objtype");
        if (objtype && strcmp(objtype, "OBJECT_TABLE") == 0)
            fail(cx, "CREATE TABLE ... AS is not supported (write the columns out)");
    }
}

/* ---------------------------------------------------------------------------------- */
/* After every file: what needs the whole schema. */

static bool is_c_keyword(const char *s)
{
    static const char *const kw[] = {
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
        "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
        "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
        "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool",
        "true", "false", "asm", "typeof",
    };
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strcmp(kw[i], s) == 0)
            return true;
    return false;
}

static bool is_plain_identifier(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static void check_key_params(const cg_table *t, const cg_key *k, const char *what)
{
    for (int i = 0; i < k->ncolumns; i++) {
        const cg_column *c = &t->columns[k->columns[i]];
        if (!cg_column_usable_as_param(c))
            fail_table(t, "%s %s: column %s is %s, which cannot be a key of the typed API",
                       what, k->name, c->name, c->sql_type);
    }
}

static void finish(cg_schema *s)
{
    for (int i = 0; i < s->ntables; i++) {
        cg_table *t = &s->tables[i];
        if (!is_plain_identifier(t->name) || is_c_keyword(t->name))
            fail_table(t, "table name \"%s\" is not a lower-case C identifier", t->name);
        for (int c = 0; c < t->ncolumns; c++) {
            const cg_column *col = &t->columns[c];
            if (!is_plain_identifier(col->name) || is_c_keyword(col->name))
                fail_table(t, "column name \"%s\" is not a lower-case C identifier (nor a C "
                           "keyword)", col->name);
            if (col->name[0] == '_' && col->name[1] == '_')
                fail_table(t, "column name \"%s\" starts with two underscores", col->name);
        }
        if (!t->has_pk)
            fail_table(t, "table %s has no primary key (the typed API needs one)", t->name);
        check_key_params(t, &t->pk, "primary key");
        for (int k = 0; k < t->nuniques; k++)
            check_key_params(t, &t->uniques[k], "unique key");

        for (int k = 0; k < t->nfks; k++) {
            cg_foreign_key *fk = &t->fks[k];
            for (int c = 0; c < fk->ncolumns; c++) {
                const cg_column *col = &t->columns[fk->columns[c]];
                if (!cg_column_usable_as_param(col))
                    fail_table(t, "foreign key %s: column %s is %s, which cannot be a "
                               "parameter", fk->name, col->name, col->sql_type);
            }
            const cg_table *ref = cg_schema_find_table(s, fk->ref_table);
            if (!fk->ref_columns[0]) {
                if (!ref)
                    fail_table(t, "foreign key %s references %s, which is not a table of the "
                               "schema", fk->name, fk->ref_table);
                if (!ref->has_pk || ref->pk.ncolumns != fk->ncolumns)
                    fail_table(t, "foreign key %s has %d columns and references the primary "
                               "key of %s, which has %d", fk->name, fk->ncolumns, ref->name,
                               ref->has_pk ? ref->pk.ncolumns : 0);
                for (int c = 0; c < fk->ncolumns; c++)
                    fk->ref_columns[c] = cg_xstrdup(ref->columns[ref->pk.columns[c]].name);
            } else if (ref) {
                for (int c = 0; c < fk->ncolumns; c++)
                    if (cg_table_find_column(ref, fk->ref_columns[c]) < 0)
                        fail_table(t, "foreign key %s references %s.%s, which does not exist",
                                   fk->name, ref->name, fk->ref_columns[c]);
            }
        }

        /* A NOT NULL bigint numbered by DEFAULT nextval(...) is handled as an identity. */
        for (int c = 0; c < t->ncolumns; c++) {
            cg_column *col = &t->columns[c];
            const cJSON *fc = node_as(col->default_expr, "FuncCall");
            const cJSON *fname = jget(fc, "funcname");
            int nn = cJSON_IsArray(fname) ? cJSON_GetArraySize(fname) : 0;
            const char *fn = nn ? string_node(cJSON_GetArrayItem(fname, nn - 1)) : NULL;
            col->sequence = col->kind == CG_INT64 && col->not_null && !col->identity && fn &&
                            strcmp(fn, "nextval") == 0 && jcount(fc, "args") == 1;
        }

        t->soft_delete_column = cg_table_find_column(t, "deleted_at");
        if (t->soft_delete_column >= 0 &&
            t->columns[t->soft_delete_column].kind != CG_TIMESTAMPTZ)
            fail_table(t, "column deleted_at (soft delete) must be timestamptz");
    }
}

/* ---------------------------------------------------------------------------------- */
/* Files */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cerdgen: cannot open %s\n", path);
        exit(1);
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = cg_xcalloc(cap, 1);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n + 1 < cap)
            break;
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb) {
            fputs("cerdgen: out of memory\n", stderr);
            exit(1);
        }
        buf = nb;
    }
    if (ferror(f)) {
        fprintf(stderr, "cerdgen: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    buf[n] = '\0';
    if (strlen(buf) != n) {
        fprintf(stderr, "cerdgen: %s contains a NUL byte\n", path);
        exit(1);
    }
    *len = n;
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void parse_file(ctx *cx)
{
    size_t len;
    char *src = read_file(cx->path, &len);
    cx->src = src;
    cx->srclen = len;
    cx->stmt_start = 0;
    cx->stmt_end = len;

    PgQueryParseResult r = pg_query_parse(src);
    if (r.error) {
        /* cursorpos counts characters from 1; the line is found from bytes. */
        size_t pos = 0;
        for (int chars = 0; pos < len; pos++)
            if (((unsigned char)src[pos] & 0xC0) != 0x80 && ++chars >= r.error->cursorpos)
                break;
        fprintf(stderr, "cerdgen: %s:%d: syntax error: %s\n", cx->path,
                sql_line_of(src, pos), r.error->message);
        exit(1);
    }
    cJSON *root = cJSON_Parse(r.parse_tree);
    if (!root) {
        fprintf(stderr, "cerdgen: %s: cannot read libpg_query's parse tree\n", cx->path);
        exit(1);
    }
    const cJSON *stmts = jget(root, "stmts");
    for (const cJSON *raw = stmts ? stmts->child : NULL; raw; raw = raw->next) {
        size_t loc = (size_t)jint(raw, "stmt_location");
        size_t slen = (size_t)jint(raw, "stmt_len");
        cx->stmt_start = loc;
        cx->stmt_end = (slen == 0 || loc + slen > len) ? len : loc + slen;
        statement(cx, jget(raw, "stmt"));
    }
    cJSON_Delete(root);
    pg_query_free_parse_result(r);
    free(src);
    cx->src = NULL;
}

void cg_parse_schema(const char *schema_dir, cg_schema *out)
{
    DIR *d = opendir(schema_dir);
    if (!d) {
        fprintf(stderr, "cerdgen: cannot open schema directory %s\n", schema_dir);
        exit(1);
    }
    char **names = NULL;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".sql") == 0 && e->d_name[0] != '.') {
            names = cg_grow(names, &n, sizeof *names);
            names[n - 1] = cg_xstrdup(e->d_name);
        }
    }
    closedir(d);
    if (n == 0) {
        fprintf(stderr, "cerdgen: no .sql files in %s\n", schema_dir);
        exit(1);
    }
    qsort(names, (size_t)n, sizeof *names, cmp_str);

    ctx cx = {0};
    cx.schema = out;
    for (int i = 0; i < n; i++) {
        cx.path = cg_xasprintf("%s/%s", schema_dir, names[i]);
        cx.file = names[i];
        parse_file(&cx);
        free(cx.path);
        cx.path = NULL;
    }
    finish(out);

    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    for (int i = 0; i < cx.nrelnames; i++)
        free(cx.relnames[i]);
    free(cx.relnames);
    for (int i = 0; i < cx.nconnames; i++)
        free(cx.connames[i]);
    free(cx.connames);
}
