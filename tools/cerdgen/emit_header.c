/* include/cryptoerd/tables/<t>.h (see docs/generated-api.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "emit.h"
#include "emit_util.h"

/* "type name" with no space after a '*'. */
static char *decl(const char *type, const char *name)
{
    size_t n = strlen(type);
    return cg_xasprintf("%s%s%s", type, (n && type[n - 1] == '*') ? "" : " ", name);
}

/* Appends one paragraph of a doc comment: " * <text>" wrapped, `tag_indent` extra
   spaces on continuation lines. `text` must already be Doxygen-safe (cg_doc_text() for
   anything taken from the schema but table and column names, which are identifiers). */
static void doc(cg_buf *b, const char *text, int tag_indent)
{
    char indent[32];
    snprintf(indent, sizeof indent, " * %*s", tag_indent, "");
    cg_buf_puts(b, " * ");
    cg_buf_wrap(b, text, indent);
    cg_buf_puts(b, "\n");
}

static void doc_blank(cg_buf *b)
{
    cg_buf_puts(b, " *\n");
}

/* The documentation of a field: SQL type, NOT NULL, default, then the comment. */
static char *field_doc(const cg_column *c)
{
    cg_buf b = {0};
    cg_buf_puts(&b, c->sql_type);
    if (c->not_null)
        cg_buf_puts(&b, " NOT NULL");
    if (c->identity)
        cg_buf_printf(&b, ", GENERATED %s AS IDENTITY",
                      c->identity_when == 'a' ? "ALWAYS" : "BY DEFAULT");
    if (c->default_text)
        cg_buf_printf(&b, ", default: %s", c->default_text);
    if (c->primary_key)
        cg_buf_puts(&b, ", primary key");
    cg_buf_puts(&b, ".");
    if (c->comment)
        cg_buf_printf(&b, " %s", c->comment);
    char *safe = cg_doc_text(b.data);
    cg_buf_free(&b);
    return safe;
}

static void emit_functions(cg_buf *b, const cg_api *api)
{
    for (int o = 0; o < api->nops; o++) {
        const cg_api_op *op = &api->ops[o];
        const char *params[CG_API_MAX_PARAMS];
        bool simple = op->kind == CG_API_CLEAR || op->kind == CG_API_LIST_FREE;

        if (simple) {
            /* one-liners: "/ ** <doc>\n *  @param ... * /" */
            cg_buf_printf(b, "/** %s\n *  %s */\n", op->doc, op->params[0].doc);
        } else {
            cg_buf_puts(b, "/**\n");
            doc(b, op->doc, 0);
            for (int i = 0; i < op->nparams; i++)
                if (op->params[i].doc)
                    doc(b, op->params[i].doc, 7);
            if (op->return_doc)
                doc(b, op->return_doc, 8);
            cg_buf_puts(b, " */\n");
        }
        for (int i = 0; i < op->nparams; i++)
            params[i] = op->params[i].decl;
        char *head = cg_xasprintf("CERD_EXTERN %s %s", op->ret, op->name);
        cg_buf_call(b, head, params, op->nparams, ";\n");
        free(head);
        if (o + 1 < api->nops)
            cg_buf_puts(b, "\n");
    }
}

/* Appends "<decl>" padded to `col`, then the trailing doc comment, wrapped. */
static void member(cg_buf *b, const char *decl_text, size_t col, const char *doc_text)
{
    cg_buf_printf(b, "    %s", decl_text);
    size_t at = cg_buf_column(b);
    if (at + 1 > col)
        col = at + 1;
    cg_buf_printf(b, "%*s/**< ", (int)(col - at), "");
    char indent[128];
    snprintf(indent, sizeof indent, "%*s", (int)(col + 5), "");
    char *text = cg_xasprintf("%s */", doc_text);
    cg_buf_wrap(b, text, indent);
    free(text);
    cg_buf_puts(b, "\n");
}

char *cg_emit_table_header(const cg_table *t)
{
    cg_api api;
    cg_api_build(&api, t);
    cg_buf b = {0};
    const char *tn = t->name;
    char *text;

    cg_buf_printf(&b, CG_BANNER_PREFIX "schema/%s. DO NOT EDIT. */\n", t->file);
    cg_buf_printf(&b, "/**\n * @file tables/%s.h\n", tn);
    char *comment = t->comment ? cg_doc_text(t->comment) : NULL;
    text = cg_xasprintf("@brief Table %s%s%s", tn, comment ? ": " : ".", comment ? comment : "");
    doc(&b, text, 7);
    free(text);
    doc_blank(&b);
    text = cg_xasprintf("The row type ::cerd_%s, its column indexes (enum cerd_%s_column), and "
                        "the typed functions of table %s. Each function forwards to the generic "
                        "row operation of row.h with the descriptor ::cerd_%s_table.",
                        tn, tn, tn, tn);
    doc(&b, text, 0);
    free(text);
    doc_blank(&b);
    text = cg_xasprintf("Ownership: rows passed as @c in are borrowed and never modified. Rows "
                        "and lists returned through @c out belong to the caller, who releases "
                        "them with cerd_%s_clear() and cerd_%s_list_free(); an @c out row must "
                        "be zero-initialised or hold a row, whose data is released before it is "
                        "overwritten. A ::cerd_conn is used by one thread at a time.", tn, tn);
    doc(&b, text, 0);
    free(text);
    cg_buf_puts(&b, " */\n");
    cg_buf_printf(&b, "#ifndef CRYPTOERD_TABLES_%s_H\n#define CRYPTOERD_TABLES_%s_H\n\n",
                  api.upper, api.upper);
    cg_buf_puts(&b, "#include <cryptoerd/bulk.h>\n#include <cryptoerd/row.h>\n\n");
    cg_buf_printf(&b, "#if CERD_TABLE_ABI != %d\n#error \"cryptoerd/tables/%s.h was generated for "
                      "CERD_TABLE_ABI %d: regenerate it with cerdgen\"\n#endif\n\n",
                  CG_TABLE_ABI, tn, CG_TABLE_ABI);
    cg_buf_puts(&b, "CERD_BEGIN_DECLS\n\n");

    bool json = false;
    for (int i = 0; i < t->ncolumns; i++)
        json = json || t->columns[i].kind == CG_JSONB;
    if (json)
        cg_buf_puts(&b, "struct cJSON;\n\n");

    /* The column enum. */
    size_t width = 0;
    for (int i = 0; i < t->ncolumns; i++) {
        size_t w = strlen(api.enum_names[i]) + 8;
        width = w > width ? w : width;
    }
    cg_buf_printf(&b, "/** Column indexes of table %s, in table order (for ::cerd_colset). */\n"
                      "enum cerd_%s_column {\n", tn, tn);
    for (int i = 0; i < t->ncolumns; i++) {
        char *d = cg_xasprintf("%s = %d,", api.enum_names[i], i);
        char *dt = cg_xasprintf("Column %s.", t->columns[i].name);
        member(&b, d, width + 4, dt);
        free(d);
        free(dt);
    }
    {
        char *d = cg_xasprintf("%s = %d", api.ncolumns_name, t->ncolumns);
        char *dt = cg_xasprintf("Number of columns of %s.", tn);
        member(&b, d, width + 4, dt);
        free(d);
        free(dt);
    }
    cg_buf_puts(&b, "};\n\n");

    /* The row struct. */
    cg_buf_puts(&b, "/**\n");
    text = cg_xasprintf("A row of table %s%s%s", tn, comment ? ": " : ".", comment ? comment : "");
    doc(&b, text, 0);
    free(text);
    doc_blank(&b);
    doc(&b, "Zero-initialise it before use. A value column that is nullable or has a default is "
            "a cerd_opt_* (valid == false: SQL NULL, or absent); a string, JSON or array field "
            "is NULL (arrays: not valid) for SQL NULL. Columns in @c defaults are written as "
            "DEFAULT. A row the library returns owns its strings, JSON and arrays.", 0);
    cg_buf_puts(&b, " */\n");
    cg_buf_printf(&b, "typedef struct cerd_%s {\n", tn);
    width = 0;
    char **decls = cg_xcalloc((size_t)t->ncolumns, sizeof *decls);
    for (int i = 0; i < t->ncolumns; i++) {
        char *d = decl(cg_column_field_type(&t->columns[i]), t->columns[i].name);
        decls[i] = cg_xasprintf("%s;", d);
        free(d);
        size_t w = strlen(decls[i]) + 5;
        width = (w > width && w <= 44) ? w : width;
    }
    for (int i = 0; i < t->ncolumns; i++) {
        char *dt = field_doc(&t->columns[i]);
        member(&b, decls[i], width, dt);
        free(dt);
        free(decls[i]);
    }
    free(decls);
    text = cg_xasprintf("The columns to write as DEFAULT (values of enum cerd_%s_column added "
                        "with cerd_colset_add()): see the write rule at cerd_%s_insert(). Rows "
                        "the library returns never set it.", tn, tn);
    member(&b, "cerd_colset defaults;", width, text);
    free(text);
    cg_buf_printf(&b, "} cerd_%s;\n\n", tn);

    /* The list struct. */
    text = cg_xasprintf("One page of rows of %s, as the list functions return it. The caller "
                        "owns it and releases it with cerd_%s_list_free().", tn, tn);
    cg_buf_puts(&b, "/**\n");
    doc(&b, text, 0);
    cg_buf_puts(&b, " */\n");
    free(text);
    cg_buf_printf(&b, "typedef struct cerd_%s_rows {\n", tn);
    char *rows_decl = cg_xasprintf("cerd_%s *rows;", tn);
    member(&b, rows_decl, 26, "@c count rows.");
    free(rows_decl);
    member(&b, "size_t count;", 26, "Number of rows.");
    member(&b, "cerd_cursor next;", 26,
           "Pass as cerd_page::after to fetch the next page; not valid after the last page.");
    cg_buf_printf(&b, "} cerd_%s_rows;\n\n", tn);

    /* The descriptor. */
    text = cg_xasprintf("Descriptor of table %s for the generic functions of row.h. Static "
                        "and read-only.", tn);
    cg_buf_puts(&b, "/**\n");
    doc(&b, text, 0);
    cg_buf_puts(&b, " */\n");
    free(text);
    cg_buf_printf(&b, "CERD_EXTERN const cerd_table cerd_%s_table;\n\n", tn);

    emit_functions(&b, &api);

    cg_buf_puts(&b, "\nCERD_END_DECLS\n\n#endif\n");
    free(comment);
    cg_api_free(&api);
    return b.data;
}

char *cg_emit_tables_header(const cg_schema *s)
{
    cg_buf b = {0};
    cg_buf_puts(&b, CG_BANNER_PREFIX "schema/ (every migration). DO NOT EDIT. */\n");
    cg_buf_puts(&b, "/**\n * @file tables.h\n");
    doc(&b, "@brief The typed API of every table of the schema: includes the header of each "
            "table.", 7);
    doc_blank(&b);
    doc(&b, "Tables, in schema order:", 0);
    for (int i = 0; i < s->ntables; i++) {
        char *text = cg_xasprintf("- tables/%s.h", s->tables[i].name);
        doc(&b, text, 2);
        free(text);
    }
    cg_buf_puts(&b, " */\n#ifndef CRYPTOERD_TABLES_H\n#define CRYPTOERD_TABLES_H\n\n");
    for (int i = 0; i < s->ntables; i++)
        cg_buf_printf(&b, "#include <cryptoerd/tables/%s.h>\n", s->tables[i].name);
    cg_buf_puts(&b, "\n#endif\n");
    return b.data;
}
