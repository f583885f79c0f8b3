/* The schema model: memory helpers, lookups, and the C mapping of a column
   (docs/generated-api.md, include/cryptoerd/types.h). */
#include "model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>


static void out_of_memory(void)
{
    fputs("cerdgen: out of memory\n", stderr);
    exit(1);
}

void *cg_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

char *cg_xstrndup(const char *s, size_t n)
{
    char *p = cg_xcalloc(n + 1, 1);
    memcpy(p, s, n);
    return p;
}

char *cg_xstrdup(const char *s)
{
    return cg_xstrndup(s, strlen(s));
}

char *cg_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory();
    char *p = cg_xcalloc((size_t)n + 1, 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void *cg_grow(void *array, int *count, size_t elem_size)
{
    size_t n = (size_t)*count + 1;
    char *p = realloc(array, n * elem_size);
    if (!p)
        out_of_memory();
    memset(p + (n - 1) * elem_size, 0, elem_size);
    *count = (int)n;
    return p;
}

char *cg_numeric_typmod_error(int precision, int scale)
{
    if (precision < 1 || precision > 1000)
        return cg_xasprintf("NUMERIC precision %d must be between 1 and 1000", precision);
    if (scale < 0 || scale > precision)
        return cg_xasprintf("NUMERIC scale %d must be between 0 and precision %d", scale,
                            precision);
    return NULL;
}

char *cg_varchar_typmod_error(int length)
{
    if (length < 1 || length > 10485760)
        return cg_xasprintf("length for type varchar must be between 1 and 10485760, not %d",
                            length);
    return NULL;
}

const cg_key *cg_table_btree_indexes(const cg_table *t, int *n)
{
    *n = t->nindexes;
    return t->indexes;
}

cg_table *cg_schema_find_table(const cg_schema *s, const char *name)
{
    for (int i = 0; i < s->ntables; i++)
        if (strcmp(s->tables[i].name, name) == 0)
            return &s->tables[i];
    return NULL;
}

int cg_table_find_column(const cg_table *t, const char *name)
{
    for (int i = 0; i < t->ncolumns; i++)
        if (strcmp(t->columns[i].name, name) == 0)
            return i;
    return -1;
}

void cg_key_free(cg_key *k)
{
    free(k->name);
    free(k->predicate);
    free(k->api_name);
    memset(k, 0, sizeof *k);
}

void cg_foreign_key_free(cg_foreign_key *fk)
{
    free(fk->name);
    free(fk->ref_table);
    for (int i = 0; i < CG_MAX_KEY_COLUMNS; i++)
        free(fk->ref_columns[i]);
    memset(fk, 0, sizeof *fk);
}

void cg_check_free(cg_check *ck)
{
    free(ck->name);
    free(ck->columns);
    cJSON_Delete(ck->expr);
    free(ck->source);
    free(ck->origin);
    free(ck->statement);
    cg_enode_free(ck->compiled);
    for (int c = 0; ck->defaults && c < ck->ncolumns; c++)
        cg_enode_free(ck->defaults[c]);
    free(ck->defaults);
    memset(ck, 0, sizeof *ck);
}

void cg_enode_free(cg_enode *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->nargs; i++)
        cg_enode_free(n->args[i]);
    free(n->args);
    free(n->text);
    free(n);
}

void cg_schema_free(cg_schema *s)
{
    for (int i = 0; i < s->ntables; i++) {
        cg_table *t = &s->tables[i];
        for (int c = 0; c < t->ncolumns; c++) {
            cg_column *col = &t->columns[c];
            free(col->name);
            free(col->base_type);
            free(col->sql_type);
            free(col->default_text);
            cJSON_Delete(col->default_expr);
            free(col->comment);
        }
        free(t->columns);
        if (t->has_pk)
            cg_key_free(&t->pk);
        for (int k = 0; k < t->nuniques; k++)
            cg_key_free(&t->uniques[k]);
        free(t->uniques);
        for (int k = 0; k < t->nindexes; k++)
            cg_key_free(&t->indexes[k]);
        free(t->indexes);
        for (int k = 0; k < t->nfks; k++)
            cg_foreign_key_free(&t->fks[k]);
        free(t->fks);
        for (int k = 0; k < t->nchecks; k++)
            cg_check_free(&t->checks[k]);
        free(t->checks);
        free(t->name);
        free(t->file);
        free(t->origin);
        free(t->comment);
    }
    free(s->tables);
    s->tables = NULL;
    s->ntables = 0;
}

static bool is_value_kind(cg_kind k)
{
    switch (k) {
    case CG_INT64:
    case CG_INT32:
    case CG_BOOL:
    case CG_NUMERIC:
    case CG_TIMESTAMPTZ:
    case CG_INET:
        return true;
    default:
        return false;
    }
}

bool cg_column_server_numbered(const cg_column *c)
{
    return c->identity || c->sequence;
}

bool cg_column_is_optional(const cg_column *c)
{
    return is_value_kind(c->kind) && !cg_column_server_numbered(c)
           && (!c->not_null || c->default_text);
}

const char *cg_column_field_type(const cg_column *c)
{
    bool opt = cg_column_is_optional(c);
    switch (c->kind) {
    case CG_INT64: return opt ? "cerd_opt_int64" : "int64_t";
    case CG_INT32: return opt ? "cerd_opt_int32" : "int32_t";
    case CG_BOOL: return opt ? "cerd_opt_bool" : "bool";
    case CG_NUMERIC: return opt ? "cerd_opt_numeric" : "cerd_numeric";
    case CG_TIMESTAMPTZ: return opt ? "cerd_opt_timestamp" : "cerd_timestamp";
    case CG_INET: return opt ? "cerd_opt_inet" : "cerd_inet";
    case CG_TEXT: return "char *";
    case CG_JSONB: return "struct cJSON *";
    case CG_INT32_ARRAY: return "cerd_int32_array";
    case CG_TEXT_ARRAY: return "cerd_text_array";
    }
    return "?";
}

bool cg_column_usable_as_param(const cg_column *c)
{
    return is_value_kind(c->kind) || c->kind == CG_TEXT;
}

bool cg_column_param_by_pointer(const cg_column *c)
{
    return c->kind == CG_NUMERIC || c->kind == CG_INET;
}

const char *cg_column_param_type(const cg_column *c)
{
    switch (c->kind) {
    case CG_INT64: return "int64_t";
    case CG_INT32: return "int32_t";
    case CG_BOOL: return "bool";
    case CG_NUMERIC: return "const cerd_numeric *";
    case CG_TIMESTAMPTZ: return "cerd_timestamp";
    case CG_INET: return "const cerd_inet *";
    case CG_TEXT: return "const char *";
    default: return "?";
    }
}

const char *cg_kind_enum(cg_kind k)
{
    switch (k) {
    case CG_INT64: return "CERD_TYPE_INT64";
    case CG_INT32: return "CERD_TYPE_INT32";
    case CG_BOOL: return "CERD_TYPE_BOOL";
    case CG_NUMERIC: return "CERD_TYPE_NUMERIC";
    case CG_TIMESTAMPTZ: return "CERD_TYPE_TIMESTAMPTZ";
    case CG_TEXT: return "CERD_TYPE_TEXT";
    case CG_JSONB: return "CERD_TYPE_JSONB";
    case CG_INET: return "CERD_TYPE_INET";
    case CG_INT32_ARRAY: return "CERD_TYPE_INT32_ARRAY";
    case CG_TEXT_ARRAY: return "CERD_TYPE_TEXT_ARRAY";
    }
    return "?";
}

const char *cg_kind_sql(cg_kind k)
{
    switch (k) {
    case CG_INT64: return "bigint";
    case CG_INT32: return "integer";
    case CG_BOOL: return "boolean";
    case CG_NUMERIC: return "numeric";
    case CG_TIMESTAMPTZ: return "timestamptz";
    case CG_TEXT: return "text";
    case CG_JSONB: return "jsonb";
    case CG_INET: return "inet";
    case CG_INT32_ARRAY: return "integer[]";
    case CG_TEXT_ARRAY: return "text[]";
    }
    return "?";
}

const char *cg_column_flags(const cg_column *c)
{
    static char buf[160];
    buf[0] = '\0';
    const char *names[5];
    int n = 0;
    if (c->not_null)
        names[n++] = "CERD_COL_NOT_NULL";
    if (c->default_text || c->identity)
        names[n++] = "CERD_COL_HAS_DEFAULT";
    if (cg_column_server_numbered(c))
        names[n++] = "CERD_COL_IDENTITY";
    if (cg_column_is_optional(c))
        names[n++] = "CERD_COL_OPTIONAL";
    if (c->primary_key)
        names[n++] = "CERD_COL_PRIMARY_KEY";
    if (n == 0)
        return "0";
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(buf, " | ");
        strcat(buf, names[i]);
    }
    return buf;
}
