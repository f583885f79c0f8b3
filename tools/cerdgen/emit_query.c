/* include/cryptoerd/queries/<file>.h and lib/queries/<file>.c: the typed functions and
   descriptors of the queries of queries/<file>.sql (see docs/queries.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "query.h"

static const char *shape_name(cg_qshape s)
{
    return s == CG_Q_ONE ? "one" : s == CG_Q_MANY ? "many" : "exec";
}

static bool value_type(unsigned oid)
{
    const char *e = cg_qtype_enum(oid);
    return e && (!strcmp(e, "CERD_TYPE_INT64") || !strcmp(e, "CERD_TYPE_INT32") ||
                 !strcmp(e, "CERD_TYPE_BOOL") || !strcmp(e, "CERD_TYPE_NUMERIC") ||
                 !strcmp(e, "CERD_TYPE_TIMESTAMPTZ") || !strcmp(e, "CERD_TYPE_INET"));
}

static void doc_comment(cg_buf *b, const char *text)
{
    char *d = cg_doc_text(text);
    cg_buf_wrap(b, d, "                                  ");
    free(d);
}

static void emit_field(cg_buf *b, const cg_qfield *f, bool param, int index,
                       const cg_query *q)
{
    const char *ft = cg_qtype_field(&f->type, param);
    size_t l = strlen(ft);
    cg_buf_printf(b, "    %s%s%s;", ft, ft[l - 1] == '*' ? "" : " ", f->name);
    size_t col = cg_buf_column(b);
    for (; col < 34; col++)
        cg_buf_puts(b, " ");
    cg_buf_puts(b, " /**< ");
    char *text;
    if (param) {
        cg_buf rules = {0};
        cg_buf_puts(&rules, "");
        for (int k = 0; k < q->nchecks; k++)
            if (q->checks[k].param == index)
                cg_buf_printf(&rules, " Checked against the rules of %s.%s.",
                              q->checks[k].table->name,
                              q->checks[k].table->columns[q->checks[k].column].name);
        text = cg_xasprintf("$%d: %s.%s", index + 1, cg_qtype_sql(&f->type), rules.data);
        cg_buf_free(&rules);
    }
    else
        text = cg_xasprintf("%s%s%s%s%s%s%s.", cg_qtype_sql(&f->type),
                            f->type.nullable ? ", nullable" : " NOT NULL",
                            f->type.nullable && f->why_nullable ? " (" : "",
                            f->type.nullable && f->why_nullable ? f->why_nullable : "",
                            f->type.nullable && f->why_nullable ? ")" : "",
                            f->origin ? "; from " : "", f->origin ? f->origin : "");
    doc_comment(b, text);
    free(text);
    cg_buf_puts(b, " */\n");
}

static void emit_query_decl(cg_buf *b, const cg_query *q)
{
    const char *n = q->name;
    cg_buf_printf(b, "/* ---- query %s (%s, :%s) */\n\n", n, q->origin, shape_name(q->shape));
    if (q->nparams) {
        cg_buf_printf(b, "/** Parameters of query %s. */\ntypedef struct cerd_q_%s_params {\n",
                      n, n);
        for (int i = 0; i < q->nparams; i++)
            emit_field(b, &q->params[i], true, i, q);
        cg_buf_printf(b, "} cerd_q_%s_params;\n\n", n);
    }
    if (q->shape != CG_Q_EXEC) {
        cg_buf_printf(b, "/** One result row of query %s; released with cerd_q_%s_clear(). */\n"
                         "typedef struct cerd_q_%s_row {\n", n, n, n);
        for (int i = 0; i < q->ncolumns; i++)
            emit_field(b, &q->columns[i], false, i, q);
        cg_buf_printf(b, "} cerd_q_%s_row;\n\n", n);
    }
    if (q->shape == CG_Q_MANY)
        cg_buf_printf(b, "/** The rows of query %s; released with cerd_q_%s_rows_free(). */\n"
                         "typedef struct cerd_q_%s_rows {\n"
                         "    cerd_q_%s_row *rows; /**< @c count rows. */\n"
                         "    size_t count;%*s /**< Number of rows. */\n"
                         "    cerd_cursor next;%*s /**< Never valid: a query pages with its own "
                         "parameters. */\n"
                         "} cerd_q_%s_rows;\n\n",
                      n, n, n, n, (int)strlen(n) + 3, "", (int)strlen(n), "", n);
    cg_buf_printf(b, "/** Descriptor of query %s (for the generic functions of query.h). */\n"
                     "CERD_EXTERN const cerd_query cerd_q_%s_query;\n\n", n, n);

    cg_buf_puts(b, "/**\n * ");
    char *head = cg_xasprintf("Query %s of %s%s%s", n, q->origin, q->doc ? ": " : ".",
                              q->doc ? q->doc : "");
    char *d = cg_doc_text(head);
    cg_buf_wrap(b, d, " * ");
    free(d);
    free(head);
    cg_buf_puts(b, "\n");
    char *params[4];
    int np = 0;
    char *fn = cg_xasprintf("CERD_EXTERN int cerd_q_%s", n);
    if (q->shape == CG_Q_ONE) {
        cg_buf_printf(b, " * @param[out] out receives the one row (zero-initialised or holding a "
                         "row).\n");
        params[np++] = cg_xasprintf("cerd_q_%s_row *out", n);
    } else if (q->shape == CG_Q_MANY) {
        cg_buf_printf(b, " * @param[out] out receives every row; release with "
                         "cerd_q_%s_rows_free().\n", n);
        params[np++] = cg_xasprintf("cerd_q_%s_rows *out", n);
    } else {
        cg_buf_puts(b, " * @param[out] out receives the number of rows affected (may be NULL).\n");
        params[np++] = cg_xstrdup("int64_t *out");
    }
    cg_buf_puts(b, " * @param conn the connection (used by one thread at a time).\n");
    params[np++] = cg_xstrdup("cerd_conn *conn");
    if (q->nparams) {
        cg_buf_puts(b, " * @param params the parameters (borrowed).\n");
        params[np++] = cg_xasprintf("const cerd_q_%s_params *params", n);
    }
    cg_buf_printf(b, " * @return 0; %s::CERD_EINVALID for a parameter its column's rules "
                     "refuse; server and connection errors.\n */\n",
                  q->shape == CG_Q_ONE ? "::CERD_ENOTFOUND when no row matches; " : "");
    cg_buf_call(b, fn, (const char *const *)params, np, ";\n\n");
    free(fn);
    if (q->shape == CG_Q_MANY) {
        free(params[0]);
        params[0] = cg_xstrdup("cerd_stream **out");
        params[np++] = cg_xstrdup("size_t fetch_rows");
        cg_buf_printf(b, "/**\n * Streams the rows of query %s through a server-side cursor "
                         "(bounded memory):\n * read them with cerd_stream_next() into a "
                         "::cerd_q_%s_row, close with cerd_stream_close().\n"
                         " * @param[out] out receives the stream.\n"
                         " * @param conn the connection, used only through the stream until "
                         "it is closed.\n%s"
                         " * @param fetch_rows rows per round trip (0: 1000).\n"
                         " * @return 0; ::CERD_EINVALID for a parameter its column's rules "
                         "refuse; server and connection errors.\n */\n", n, n,
                      q->nparams ? " * @param params the parameters (borrowed).\n" : "");
        fn = cg_xasprintf("CERD_EXTERN int cerd_q_%s_stream", n);
        cg_buf_call(b, fn, (const char *const *)params, np, ";\n\n");
        free(fn);
    }
    if (q->shape == CG_Q_EXEC) {
        /* the bulk variant: every parameter set in one pipelined, atomic batch */
        params[np++] = cg_xstrdup("size_t n");
        cg_buf_printf(b, "/**\n * Runs query %s once per parameter set, all in one pipelined "
                         "round trip and one\n * transaction (cerd_query_execmany()): nothing "
                         "is written when one fails.\n"
                         " * @param[out] out receives the rows affected, summed (may be NULL).\n"
                         " * @param conn the connection (used by one thread at a time).\n%s"
                         " * @param n number of %s.\n"
                         " * @return 0; ::CERD_EINVALID for a parameter its column's rules "
                         "refuse (\"batch operation N\":\n *         the 0-based index); "
                         "server and connection errors.\n */\n", n,
                      q->nparams ? " * @param params @p n parameter structs (borrowed).\n" : "",
                      q->nparams ? "parameter structs" : "runs");
        fn = cg_xasprintf("CERD_EXTERN int cerd_q_%s_many", n);
        cg_buf_call(b, fn, (const char *const *)params, np, ";\n\n");
        free(fn);
    }
    for (int i = 0; i < np; i++)
        free(params[i]);
    if (q->shape != CG_Q_EXEC)
        cg_buf_printf(b, "/** Releases what a row of query %s owns and zeroes it. Accepts NULL. */\n"
                         "CERD_EXTERN void cerd_q_%s_clear(cerd_q_%s_row *row);\n\n", n, n, n);
    if (q->shape == CG_Q_MANY)
        cg_buf_printf(b, "/** Releases the rows of query %s and zeroes the list. Accepts NULL. */\n"
                         "CERD_EXTERN void cerd_q_%s_rows_free(cerd_q_%s_rows *rows);\n\n",
                      n, n, n);
}

char *cg_emit_query_header(const cg_query_file *f)
{
    cg_buf b = {0};
    char *up = cg_upper(f->name);
    cg_buf_printf(&b, "%squeries/%s.sql. DO NOT EDIT. */\n", CG_BANNER_PREFIX, f->name);
    cg_buf_printf(&b, "/**\n * @file queries/%s.h\n * @brief The typed queries of queries/%s.sql "
                      "(see docs/queries.md).\n *\n"
                      " * Ownership: parameters are borrowed. Result rows and lists belong to "
                      "the caller, who\n * releases them with the query's _clear() and "
                      "_rows_free(); an @c out row must be\n * zero-initialised or hold a row. "
                      "A ::cerd_conn is used by one thread at a time.\n */\n",
                  f->name, f->name);
    cg_buf_printf(&b, "#ifndef CRYPTOERD_QUERIES_%s_H\n#define CRYPTOERD_QUERIES_%s_H\n\n", up, up);
    cg_buf_puts(&b, "#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n\n"
                    "#include <cryptoerd/query.h>\n\n"
                    "#if CERD_QUERY_ABI != 1 || CERD_TABLE_ABI != ");
    cg_buf_printf(&b, "%d\n#error \"cryptoerd/queries/%s.h was generated for CERD_QUERY_ABI 1 and "
                      "CERD_TABLE_ABI %d: regenerate it with cerdgen\"\n#endif\n\n"
                      "CERD_BEGIN_DECLS\n\nstruct cJSON;\n\n", CG_TABLE_ABI, f->name, CG_TABLE_ABI);
    for (int i = 0; i < f->nqueries; i++)
        emit_query_decl(&b, &f->queries[i]);
    cg_buf_printf(&b, "CERD_END_DECLS\n\n#endif\n");
    free(up);
    return b.data;
}

static void emit_columns(cg_buf *b, const char *array, const char *type, const cg_qfield *fs,
                         int n, bool param)
{
    cg_buf_printf(b, "static const cerd_column %s[] = {\n", array);
    for (int i = 0; i < n; i++) {
        const cg_qfield *f = &fs[i];
        bool opt = !param && f->type.nullable && value_type(f->type.oid);
        bool notnull = param ? value_type(f->type.oid) : !f->type.nullable;
        int prec = -1, scale = -1, maxc = -1;
        if (f->type.oid == 1700 && f->type.typmod >= 4) {
            prec = ((f->type.typmod - 4) >> 16) & 0xffff;
            scale = (f->type.typmod - 4) & 0xffff;
        }
        if (f->type.oid == 1043 && f->type.typmod >= 4)
            maxc = f->type.typmod - 4;
        cg_buf_puts(b, "    {\n        .name = ");
        cg_buf_cstring(b, f->name);
        cg_buf_printf(b, ",\n        .type = %s,\n        .flags = %s,\n"
                         "        .offset = offsetof(%s, %s),\n"
                         "        .max_chars = %d,\n        .precision = %d,\n"
                         "        .scale = %d,\n    },\n",
                      cg_qtype_enum(f->type.oid),
                      notnull ? "CERD_COL_NOT_NULL" : opt ? "CERD_COL_OPTIONAL" : "0", type,
                      f->name, maxc, prec, scale);
    }
    cg_buf_puts(b, "};\n\n");
}

static void emit_table(cg_buf *b, const char *var, const char *name, const char *type,
                       const char *columns, int n)
{
    cg_buf_printf(b, "static const cerd_table %s = {\n    .abi = CERD_TABLE_ABI,\n    .name = ",
                  var);
    cg_buf_cstring(b, name);
    cg_buf_printf(b, ",\n    .row_size = sizeof(%s),\n    .ncolumns = %d,\n    .columns = %s,\n"
                     "    .soft_delete_column = -1,\n};\n\n",
                  type, n, columns);
}

static void emit_query_def(cg_buf *b, const cg_query *q)
{
    const char *n = q->name;
    char *ptype = cg_xasprintf("cerd_q_%s_params", n);
    char *rtype = cg_xasprintf("cerd_q_%s_row", n);
    char *pcols = cg_xasprintf("%s_param_columns", n);
    char *rcols = cg_xasprintf("%s_result_columns", n);
    char *ptab = cg_xasprintf("%s_params", n);
    char *rtab = cg_xasprintf("%s_result", n);
    char *pname = cg_xasprintf("%s: parameters", n);
    char *rname = cg_xasprintf("%s", n);

    cg_buf_printf(b, "/* ---- query %s (%s) */\n\n", n, q->origin);
    if (q->nparams) {
        emit_columns(b, pcols, ptype, q->params, q->nparams, true);
        emit_table(b, ptab, pname, ptype, pcols, q->nparams);
        cg_buf_printf(b, "static const uint32_t %s_param_oids[] = {", n);
        for (int i = 0; i < q->nparams; i++)
            cg_buf_printf(b, "%s%u", i ? ", " : "", q->params[i].type.oid);
        cg_buf_puts(b, "};\n\n");
    }
    if (q->shape != CG_Q_EXEC) {
        cg_buf_printf(b, "_Static_assert(sizeof(%s) <= UINT16_MAX,\n               \"the offsets "
                         "of %s must fit cerd_column::offset\");\n\n", rtype, rtype);
        emit_columns(b, rcols, rtype, q->columns, q->ncolumns, false);
        emit_table(b, rtab, rname, rtype, rcols, q->ncolumns);
        cg_buf_printf(b, "static const uint32_t %s_result_oids[] = {", n);
        for (int i = 0; i < q->ncolumns; i++)
            cg_buf_printf(b, "%s%u", i ? ", " : "", q->columns[i].type.oid);
        cg_buf_printf(b, "};\nstatic const int32_t %s_result_typmods[] = {", n);
        for (int i = 0; i < q->ncolumns; i++)
            cg_buf_printf(b, "%s%d", i ? ", " : "", q->columns[i].type.typmod);
        cg_buf_puts(b, "};\n\n");
    }
    if (q->nchecks) {
        cg_buf_printf(b, "static const cerd_query_check %s_checks[] = {\n", n);
        for (int i = 0; i < q->nchecks; i++) {
            char *tu = cg_upper(q->checks[i].table->name);
            char *cu = cg_upper(q->checks[i].table->columns[q->checks[i].column].name);
            cg_buf_printf(b, "    {.param = %d, .table = &cerd_%s_table, .column = CERD_%s_%s},\n",
                          q->checks[i].param, q->checks[i].table->name, tu, cu);
            free(tu);
            free(cu);
        }
        cg_buf_puts(b, "};\n\n");
    }
    cg_buf_printf(b, "const cerd_query cerd_q_%s_query = {\n    .abi = CERD_QUERY_ABI,\n"
                     "    .name = \"%s\",\n    .origin = ", n, n);
    cg_buf_cstring(b, q->origin);
    cg_buf_puts(b, ",\n    .sql = ");
    /* the statement, one C string literal per line */
    const char *s = q->sql;
    bool first = true;
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t l = e ? (size_t)(e - s + 1) : strlen(s);
        char *line = cg_xstrndup(s, l);
        cg_buf_puts(b, first ? "" : "\n           ");
        cg_buf_cstring(b, line);
        free(line);
        first = false;
        s += l;
    }
    cg_buf_printf(b, ",\n    .shape = CERD_QUERY_%s,\n",
                  q->shape == CG_Q_ONE ? "ONE" : q->shape == CG_Q_MANY ? "MANY" : "EXEC");
    if (q->nparams)
        cg_buf_printf(b, "    .params = &%s,\n    .param_oids = %s_param_oids,\n", ptab, n);
    if (q->shape != CG_Q_EXEC)
        cg_buf_printf(b, "    .result = &%s,\n    .result_oids = %s_result_oids,\n"
                         "    .result_typmods = %s_result_typmods,\n", rtab, n, n);
    if (q->nchecks)
        cg_buf_printf(b, "    .nchecks = %d,\n    .checks = %s_checks,\n", q->nchecks, n);
    cg_buf_puts(b, "};\n\n");

    const char *pargs = q->nparams ? ", params" : ", NULL";
    char *pdecl = q->nparams ? cg_xasprintf(", const cerd_q_%s_params *params", n)
                             : cg_xstrdup("");
    if (q->shape == CG_Q_ONE) {
        cg_buf_printf(b, "int cerd_q_%s(cerd_q_%s_row *out, cerd_conn *conn%s)\n{\n"
                         "    return cerd_query_one(out, conn, &cerd_q_%s_query%s);\n}\n\n",
                      n, n, pdecl, n, pargs);
    } else if (q->shape == CG_Q_EXEC) {
        cg_buf_printf(b, "int cerd_q_%s(int64_t *out, cerd_conn *conn%s)\n{\n"
                         "    return cerd_query_exec(out, conn, &cerd_q_%s_query%s);\n}\n\n",
                      n, pdecl, n, pargs);
        cg_buf_printf(b, "int cerd_q_%s_many(int64_t *out, cerd_conn *conn%s, size_t n)\n{\n"
                         "    return cerd_query_execmany(out, conn, &cerd_q_%s_query%s, n);\n}\n\n",
                      n, pdecl, n, pargs);
    } else {
        cg_buf_printf(b,
                      "int cerd_q_%s(cerd_q_%s_rows *out, cerd_conn *conn%s)\n{\n"
                      "    cerd_rows rows = {0};\n    int rc;\n"
                      "    if (out) {\n        rows.rows = out->rows;\n"
                      "        rows.count = out->count;\n        rows.next = out->next;\n    }\n"
                      "    rc = cerd_query_many(out ? &rows : NULL, conn, &cerd_q_%s_query%s);\n"
                      "    if (out) {\n        out->rows = rows.rows;\n"
                      "        out->count = rows.count;\n        out->next = rows.next;\n    }\n"
                      "    return rc;\n}\n\n",
                      n, n, pdecl, n, pargs);
        cg_buf_printf(b, "int cerd_q_%s_stream(cerd_stream **out, cerd_conn *conn%s, "
                         "size_t fetch_rows)\n{\n"
                         "    return cerd_query_stream(out, conn, &cerd_q_%s_query%s, "
                         "fetch_rows);\n}\n\n", n, pdecl, n, pargs);
        cg_buf_printf(b, "void cerd_q_%s_rows_free(cerd_q_%s_rows *list)\n{\n"
                         "    cerd_rows rows;\n    if (!list)\n        return;\n"
                         "    rows.rows = list->rows;\n    rows.count = list->count;\n"
                         "    rows.next = list->next;\n"
                         "    cerd_rows_free(&%s, &rows);\n"
                         "    list->rows = rows.rows;\n    list->count = rows.count;\n"
                         "    list->next = rows.next;\n}\n\n", n, n, rtab);
    }
    if (q->shape != CG_Q_EXEC)
        cg_buf_printf(b, "void cerd_q_%s_clear(cerd_q_%s_row *row)\n{\n"
                         "    cerd_row_clear(&%s, row);\n}\n\n", n, n, rtab);
    free(pdecl);
    free(ptype);
    free(rtype);
    free(pcols);
    free(rcols);
    free(ptab);
    free(rtab);
    free(pname);
    free(rname);
}

char *cg_emit_query_source(const cg_query_file *f)
{
    cg_buf b = {0};
    cg_buf_printf(&b, "%squeries/%s.sql. DO NOT EDIT. */\n", CG_BANNER_PREFIX, f->name);
    cg_buf_printf(&b, "/* The descriptors of the queries of queries/%s.sql and their typed "
                      "functions, thin\n   wrappers over the generic functions of "
                      "<cryptoerd/query.h>. */\n", f->name);
    cg_buf_puts(&b, "#include <stddef.h>\n#include <stdint.h>\n\n");
    cg_buf_printf(&b, "#include <cryptoerd/queries/%s.h>\n", f->name);
    /* the tables whose descriptors the parameter checks name, once each */
    const char **seen = NULL;
    int nseen = 0;
    for (int i = 0; i < f->nqueries; i++)
        for (int k = 0; k < f->queries[i].nchecks; k++) {
            const char *t = f->queries[i].checks[k].table->name;
            bool dup = false;
            for (int j = 0; j < nseen && !dup; j++)
                dup = !strcmp(seen[j], t);
            if (!dup) {
                seen = cg_grow(seen, &nseen, sizeof *seen);
                seen[nseen - 1] = t;
            }
        }
    for (int i = 1; i < nseen; i++) /* sorted, so the order is stable */
        for (int j = i; j > 0 && strcmp(seen[j - 1], seen[j]) > 0; j--) {
            const char *x = seen[j];
            seen[j] = seen[j - 1];
            seen[j - 1] = x;
        }
    for (int i = 0; i < nseen; i++)
        cg_buf_printf(&b, "#include <cryptoerd/tables/%s.h>\n", seen[i]);
    free(seen);
    cg_buf_puts(&b, "\n");
    for (int i = 0; i < f->nqueries; i++)
        emit_query_def(&b, &f->queries[i]);
    /* no trailing blank line */
    while (b.len >= 2 && b.data[b.len - 1] == '\n' && b.data[b.len - 2] == '\n')
        b.data[--b.len] = '\0';
    return b.data;
}
