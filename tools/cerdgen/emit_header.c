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

/* The key columns as prose: "id" or "(id, candle_time)". */
static char *key_prose(const cg_table *t, const cg_key *k)
{
    cg_buf b = {0};
    if (k->ncolumns > 1)
        cg_buf_puts(&b, "(");
    for (int i = 0; i < k->ncolumns; i++)
        cg_buf_printf(&b, "%s%s", i ? ", " : "", t->columns[k->columns[i]].name);
    if (k->ncolumns > 1)
        cg_buf_puts(&b, ")");
    return b.data;
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

/* Parameter declarations of the key columns, appended to params[*n]. */
static void key_params(const cg_api *api, const cg_key *k, char **params, int *n)
{
    for (int i = 0; i < k->ncolumns; i++) {
        int c = k->columns[i];
        params[(*n)++] = decl(cg_column_param_type(&api->t->columns[c]), api->param_names[c]);
    }
}

static void key_param_docs(cg_buf *b, const cg_api *api, const cg_key *k)
{
    for (int i = 0; i < k->ncolumns; i++) {
        const cg_column *c = &api->t->columns[k->columns[i]];
        char *text = cg_xasprintf("@param %s value of column %s (%s)%s.",
                                  api->param_names[k->columns[i]], c->name, c->sql_type,
                                  cg_column_param_by_pointer(c) ? "; borrowed" : "");
        doc(b, text, 7);
        free(text);
    }
}

static void prototype(cg_buf *b, const char *ret, const char *name, char **params, int n)
{
    char *head = cg_xasprintf("CERD_EXTERN %s %s", ret, name);
    cg_buf_call(b, head, (const char *const *)params, n, ";\n");
    free(head);
    for (int i = 0; i < n; i++)
        free(params[i]);
}

static const char *const CONN_DOC = "@param conn the connection (used by one thread at a time).";
static const char *const RETURN_ERRORS =
    "::CERD_EUNIQUE, ::CERD_EFOREIGNKEY, ::CERD_ECHECK, ::CERD_ENOTNULL (the server refused "
    "the row: cerd_error_last() names the constraint), ::CERD_EINVALID (client-side "
    "validation), ::CERD_EENCODING, ::CERD_ERANGE, or a connection error (::CERD_ECONNLOST, "
    "::CERD_ETIMEOUT, ...).";

static void out_row_doc(cg_buf *b, const char *tn, const char *what, bool may_be_null)
{
    char *text = cg_xasprintf(
        "@param[out] out receives %s%s. It must be zero-initialised or hold a row, whose data "
        "is released first; the caller owns the result and releases it with cerd_%s_clear().",
        what, may_be_null ? " (may be NULL)" : "", tn);
    doc(b, text, 7);
    free(text);
}

static void emit_functions(cg_buf *b, const cg_api *api)
{
    const cg_table *t = api->t;
    const char *tn = t->name;
    char *params[8 + CG_MAX_KEY_COLUMNS];
    int n;
    char *name, *text;
    char *pk = key_prose(t, &t->pk);
    char *in_p = cg_xasprintf("const cerd_%s *in", tn);
    char *out_p = cg_xasprintf("cerd_%s *out", tn);

    /* insert */
    cg_buf_puts(b, "/**\n");
    text = cg_xasprintf("Inserts a row into %s. Columns left NULL in @p in (an invalid optional, "
                        "a NULL pointer, an identity of 0) get their server default when they "
                        "have one.", tn);
    doc(b, text, 0);
    free(text);
    doc(b, CONN_DOC, 7);
    doc(b, "@param in the row to insert; borrowed, never modified.", 7);
    out_row_doc(b, tn, "the stored row, with identity and defaults filled in", true);
    text = cg_xasprintf("@return 0; %s", RETURN_ERRORS);
    doc(b, text, 8);
    free(text);
    cg_buf_puts(b, " */\n");
    n = 0;
    params[n++] = cg_xstrdup("cerd_conn *conn");
    params[n++] = cg_xstrdup(in_p);
    params[n++] = cg_xstrdup(out_p);
    name = cg_xasprintf("cerd_%s_insert", tn);
    prototype(b, "int", name, params, n);
    free(name);
    cg_buf_puts(b, "\n");

    /* get */
    cg_buf_puts(b, "/**\n");
    text = cg_xasprintf("Reads the row of %s with primary key %s.", tn, pk);
    doc(b, text, 0);
    free(text);
    doc(b, CONN_DOC, 7);
    out_row_doc(b, tn, "the row", false);
    key_param_docs(b, api, &t->pk);
    doc(b, "@return 0; ::CERD_ENOTFOUND when there is no such row; or a connection error.", 8);
    cg_buf_puts(b, " */\n");
    n = 0;
    params[n++] = cg_xstrdup("cerd_conn *conn");
    params[n++] = cg_xstrdup(out_p);
    key_params(api, &t->pk, params, &n);
    name = cg_xasprintf("cerd_%s_get", tn);
    prototype(b, "int", name, params, n);
    free(name);
    cg_buf_puts(b, "\n");

    /* get_by_<unique key> */
    for (int i = 0; i < api->nbykeys; i++) {
        const cg_by_key *bk = &api->bykeys[i];
        const cg_key *k = &t->uniques[bk->key_index];
        char *kp = key_prose(t, k);
        char *pred = k->predicate ? cg_doc_text(k->predicate) : NULL;
        char *kname = cg_doc_text(k->name);
        char *also = bk->also ? cg_doc_text(bk->also) : NULL;
        cg_buf_puts(b, "/**\n");
        text = cg_xasprintf("Reads the row of %s with %s %s (unique %s %s%s%s%s%s).", tn,
                            k->ncolumns > 1 ? "the columns" : "column", kp,
                            k->from_index ? "index" : "key", kname,
                            pred ? ", among the rows where " : "", pred ? pred : "",
                            also ? "; also unique: " : "", also ? also : "");
        free(kname);
        free(also);
        doc(b, text, 0);
        free(text);
        doc(b, CONN_DOC, 7);
        out_row_doc(b, tn, "the row", false);
        key_param_docs(b, api, k);
        doc(b, "@return 0; ::CERD_ENOTFOUND when there is no such row; or a connection error.",
            8);
        cg_buf_puts(b, " */\n");
        n = 0;
        params[n++] = cg_xstrdup("cerd_conn *conn");
        params[n++] = cg_xstrdup(out_p);
        key_params(api, k, params, &n);
        name = cg_xasprintf("cerd_%s_get_by_%s", tn, bk->suffix);
        prototype(b, "int", name, params, n);
        free(name);
        cg_buf_puts(b, "\n");
        free(kp);
        free(pred);
    }

    /* update, update_columns */
    cg_buf_puts(b, "/**\n");
    text = cg_xasprintf("Updates every column but the primary key of the row of %s whose "
                        "primary key %s is that of @p in, with the values of @p in.", tn, pk);
    doc(b, text, 0);
    free(text);
    doc(b, CONN_DOC, 7);
    doc(b, "@param in the new values and the key of the row; borrowed, never modified.", 7);
    out_row_doc(b, tn, "the stored row", true);
    text = cg_xasprintf("@return 0; ::CERD_ENOTFOUND when there is no such row; %s",
                        RETURN_ERRORS);
    doc(b, text, 8);
    free(text);
    cg_buf_puts(b, " */\n");
    n = 0;
    params[n++] = cg_xstrdup("cerd_conn *conn");
    params[n++] = cg_xstrdup(in_p);
    params[n++] = cg_xstrdup(out_p);
    name = cg_xasprintf("cerd_%s_update", tn);
    prototype(b, "int", name, params, n);
    free(name);
    cg_buf_puts(b, "\n");

    cg_buf_puts(b, "/**\n");
    text = cg_xasprintf("Updates the columns in @p cols of the row of %s whose primary key %s is "
                        "that of @p in, with the values of @p in; other columns keep their "
                        "values.", tn, pk);
    doc(b, text, 0);
    free(text);
    doc(b, CONN_DOC, 7);
    doc(b, "@param in the new values and the key of the row; borrowed, never modified.", 7);
    text = cg_xasprintf("@param cols the columns to write: values of enum cerd_%s_column added "
                        "with cerd_colset_add(); NULL writes every column but the primary key.",
                        tn);
    doc(b, text, 7);
    free(text);
    out_row_doc(b, tn, "the stored row", true);
    text = cg_xasprintf("@return 0; ::CERD_ENOTFOUND when there is no such row; %s",
                        RETURN_ERRORS);
    doc(b, text, 8);
    free(text);
    cg_buf_puts(b, " */\n");
    n = 0;
    params[n++] = cg_xstrdup("cerd_conn *conn");
    params[n++] = cg_xstrdup(in_p);
    params[n++] = cg_xstrdup("const cerd_colset *cols");
    params[n++] = cg_xstrdup(out_p);
    name = cg_xasprintf("cerd_%s_update_columns", tn);
    prototype(b, "int", name, params, n);
    free(name);
    cg_buf_puts(b, "\n");

    /* upsert, upsert_by_<unique key> */
    for (int i = -1; i < api->nbykeys; i++) {
        const cg_key *k = i < 0 ? &t->pk : &t->uniques[api->bykeys[i].key_index];
        char *kp = key_prose(t, k);
        char *pred = k->predicate ? cg_doc_text(k->predicate) : NULL;
        char *kname = cg_doc_text(k->name);
        cg_buf_puts(b, "/**\n");
        if (i < 0)
            text = cg_xasprintf("Inserts @p in into %s or, when a row with its primary key %s "
                                "exists, updates that row with the values of @p in (INSERT ... "
                                "ON CONFLICT DO UPDATE).", tn, kp);
        else
            text = cg_xasprintf("Inserts @p in into %s or, when a row with its %s %s exists "
                                "(unique %s %s%s%s), updates that row with the values of @p in "
                                "(INSERT ... ON CONFLICT DO UPDATE).", tn,
                                k->ncolumns > 1 ? "columns" : "column", kp,
                                k->from_index ? "index" : "key", kname,
                                pred ? ", among the rows where " : "", pred ? pred : "");
        free(kname);
        doc(b, text, 0);
        free(text);
        doc(b, CONN_DOC, 7);
        doc(b, "@param in the row; borrowed, never modified.", 7);
        out_row_doc(b, tn, "the stored row", true);
        text = cg_xasprintf("@return 0; %s", RETURN_ERRORS);
        doc(b, text, 8);
        free(text);
        cg_buf_puts(b, " */\n");
        n = 0;
        params[n++] = cg_xstrdup("cerd_conn *conn");
        params[n++] = cg_xstrdup(in_p);
        params[n++] = cg_xstrdup(out_p);
        name = i < 0 ? cg_xasprintf("cerd_%s_upsert", tn)
                     : cg_xasprintf("cerd_%s_upsert_by_%s", tn, api->bykeys[i].suffix);
        prototype(b, "int", name, params, n);
        free(name);
        cg_buf_puts(b, "\n");
        free(kp);
        free(pred);
    }

    /* delete, delete_hard */
    cg_buf_puts(b, "/**\n");
    if (api->soft_delete)
        text = cg_xasprintf("Soft-deletes the row of %s with primary key %s: sets its deleted_at "
                            "to the current time (cerd_%s_delete_hard() removes the row).",
                            tn, pk, tn);
    else
        text = cg_xasprintf("Deletes the row of %s with primary key %s.", tn, pk);
    doc(b, text, 0);
    free(text);
    doc(b, CONN_DOC, 7);
    key_param_docs(b, api, &t->pk);
    doc(b, api->soft_delete
               ? "@return 0; ::CERD_ENOTFOUND when there is no such row or it is already "
                 "soft-deleted; or a connection error."
               : "@return 0; ::CERD_ENOTFOUND when there is no such row; ::CERD_EFOREIGNKEY "
                 "when other rows still reference it; or a connection error.",
        8);
    cg_buf_puts(b, " */\n");
    n = 0;
    params[n++] = cg_xstrdup("cerd_conn *conn");
    key_params(api, &t->pk, params, &n);
    name = cg_xasprintf("cerd_%s_delete", tn);
    prototype(b, "int", name, params, n);
    free(name);
    cg_buf_puts(b, "\n");

    if (api->soft_delete) {
        cg_buf_puts(b, "/**\n");
        text = cg_xasprintf("Removes the row of %s with primary key %s from the table, also when "
                            "it is soft-deleted.", tn, pk);
        doc(b, text, 0);
        free(text);
        doc(b, CONN_DOC, 7);
        key_param_docs(b, api, &t->pk);
        doc(b, "@return 0; ::CERD_ENOTFOUND when there is no such row; ::CERD_EFOREIGNKEY "
               "when other rows still reference it; or a connection error.", 8);
        cg_buf_puts(b, " */\n");
        n = 0;
        params[n++] = cg_xstrdup("cerd_conn *conn");
        key_params(api, &t->pk, params, &n);
        name = cg_xasprintf("cerd_%s_delete_hard", tn);
        prototype(b, "int", name, params, n);
        free(name);
        cg_buf_puts(b, "\n");
    }

    /* list_by_<foreign key column> */
    for (int i = 0; i < api->nlists; i++) {
        int ci = api->list_columns[i];
        const cg_column *c = &t->columns[ci];
        const cg_foreign_key *fk = NULL;
        for (int f = 0; f < t->nfks && !fk; f++)
            if (t->fks[f].column == ci)
                fk = &t->fks[f];
        char *fkname = cg_doc_text(api->list_fk_names[i]);
        char *ref = cg_doc_text(fk->ref_table);
        char *refcol = cg_doc_text(fk->ref_column);
        cg_buf_puts(b, "/**\n");
        text = cg_xasprintf("Lists the rows of %s whose %s equals @p %s (foreign key %s to "
                            "%s.%s), one page at a time in primary-key order.", tn, c->name,
                            api->param_names[ci], fkname, ref, refcol);
        free(fkname);
        free(ref);
        free(refcol);
        doc(b, text, 0);
        free(text);
        doc(b, CONN_DOC, 7);
        text = cg_xasprintf("@param %s value of column %s (%s)%s.", api->param_names[ci],
                            c->name, c->sql_type,
                            cg_column_param_by_pointer(c) ? "; borrowed" : "");
        doc(b, text, 7);
        free(text);
        doc(b, "@param page which page: zero-initialised for the first page (100 rows, "
               "ascending); for the next one, set its @c after to the @c next of the previous "
               "page.", 7);
        text = cg_xasprintf("@param[out] out receives the rows and the position of the next "
                            "page. Pass it zero-initialised; the caller owns the result and "
                            "releases it with cerd_%s_list_free().", tn);
        doc(b, text, 7);
        free(text);
        doc(b, "@return 0 (also when no row matches); or a connection error.", 8);
        cg_buf_puts(b, " */\n");
        n = 0;
        params[n++] = cg_xstrdup("cerd_conn *conn");
        params[n++] = decl(cg_column_param_type(c), api->param_names[ci]);
        params[n++] = cg_xstrdup("const cerd_page *page");
        params[n++] = cg_xasprintf("cerd_%s_list *out", tn);
        name = cg_xasprintf("cerd_%s_list_by_%s", tn, c->name);
        prototype(b, "int", name, params, n);
        free(name);
        cg_buf_puts(b, "\n");
    }

    /* count, exists */
    cg_buf_puts(b, "/**\n");
    text = cg_xasprintf("Counts the rows of %s%s.", tn,
                        api->soft_delete ? " (soft-deleted rows included)" : "");
    doc(b, text, 0);
    free(text);
    doc(b, CONN_DOC, 7);
    doc(b, "@param[out] out receives the number of rows.", 7);
    doc(b, "@return 0, or a connection error.", 8);
    cg_buf_puts(b, " */\n");
    n = 0;
    params[n++] = cg_xstrdup("cerd_conn *conn");
    params[n++] = cg_xstrdup("int64_t *out");
    name = cg_xasprintf("cerd_%s_count", tn);
    prototype(b, "int", name, params, n);
    free(name);
    cg_buf_puts(b, "\n");

    cg_buf_puts(b, "/**\n");
    text = cg_xasprintf("Sets @p *out to whether %s has a row with primary key %s.", tn, pk);
    doc(b, text, 0);
    free(text);
    doc(b, CONN_DOC, 7);
    doc(b, "@param[out] out receives true when the row exists, else false.", 7);
    key_param_docs(b, api, &t->pk);
    doc(b, "@return 0, or a connection error.", 8);
    cg_buf_puts(b, " */\n");
    n = 0;
    params[n++] = cg_xstrdup("cerd_conn *conn");
    params[n++] = cg_xstrdup("bool *out");
    key_params(api, &t->pk, params, &n);
    name = cg_xasprintf("cerd_%s_exists", tn);
    prototype(b, "int", name, params, n);
    free(name);
    cg_buf_puts(b, "\n");

    /* clear, list_free */
    cg_buf_printf(b, "/** Releases what @p row owns (strings, JSON, arrays) and zeroes it. Accepts "
                     "NULL.\n *  @param row a row of %s. */\n", tn);
    n = 0;
    params[n++] = cg_xasprintf("cerd_%s *row", tn);
    name = cg_xasprintf("cerd_%s_clear", tn);
    prototype(b, "void", name, params, n);
    free(name);
    cg_buf_puts(b, "\n");

    cg_buf_printf(b, "/** Releases the rows of @p list and zeroes it. Accepts NULL.\n"
                     " *  @param list a list of rows of %s. */\n", tn);
    n = 0;
    params[n++] = cg_xasprintf("cerd_%s_list *list", tn);
    name = cg_xasprintf("cerd_%s_list_free", tn);
    prototype(b, "void", name, params, n);
    free(name);

    free(pk);
    free(in_p);
    free(out_p);
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
    cg_buf_puts(&b, "#include <cryptoerd/row.h>\n\n");
    cg_buf_printf(&b, "#if CERD_TABLE_ABI != 1\n#error \"cryptoerd/tables/%s.h was generated for "
                      "CERD_TABLE_ABI 1: regenerate it with cerdgen\"\n#endif\n\n", tn);
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
            "a cerd_opt_* (valid == false: SQL NULL, or on insert: the default); a string, JSON "
            "or array field is NULL (arrays: not valid) for SQL NULL. A row the library returns "
            "owns its strings, JSON and arrays.", 0);
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
    cg_buf_printf(&b, "} cerd_%s;\n\n", tn);

    /* The list struct. */
    text = cg_xasprintf("One page of rows of %s, as the list functions return it. The caller "
                        "owns it and releases it with cerd_%s_list_free().", tn, tn);
    cg_buf_puts(&b, "/**\n");
    doc(&b, text, 0);
    cg_buf_puts(&b, " */\n");
    free(text);
    cg_buf_printf(&b, "typedef struct cerd_%s_list {\n", tn);
    char *rows_decl = cg_xasprintf("cerd_%s *rows;", tn);
    member(&b, rows_decl, 26, "@c count rows.");
    free(rows_decl);
    member(&b, "size_t count;", 26, "Number of rows.");
    member(&b, "cerd_cursor next;", 26,
           "Pass as cerd_page::after to fetch the next page; not valid after the last page.");
    cg_buf_printf(&b, "} cerd_%s_list;\n\n", tn);

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
