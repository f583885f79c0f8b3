/* lib/tables/<t>.c and lib/tables/registry.{h,c} (see docs/generated-api.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "emit.h"
#include "emit_util.h"

static void emit_key(cg_buf *b, const cg_api *api, const cg_key *k, const char *indent)
{
    cg_buf_printf(b, "{\n%s    .name = ", indent);
    cg_buf_cstring(b, k->name);
    cg_buf_printf(b, ",\n%s    .ncolumns = %d,\n%s    .columns = {", indent, k->ncolumns, indent);
    for (int i = 0; i < k->ncolumns; i++)
        cg_buf_printf(b, "%s%s", i ? ", " : "", api->enum_names[k->columns[i]]);
    cg_buf_printf(b, "},\n%s    .predicate = ", indent);
    if (k->predicate)
        cg_buf_cstring(b, k->predicate);
    else
        cg_buf_puts(b, "NULL");
    cg_buf_printf(b, ",\n%s}", indent);
}

static void emit_descriptor(cg_buf *b, const cg_api *api)
{
    const cg_table *t = api->t;
    const char *tn = t->name;

    cg_buf_printf(b, "_Static_assert(sizeof(cerd_%s) <= UINT16_MAX,\n"
                     "               \"the offsets of cerd_%s must fit cerd_column::offset\");\n\n",
                  tn, tn);

    cg_buf_puts(b, "/* Columns in table order. */\nstatic const cerd_column columns[] = {\n");
    for (int i = 0; i < t->ncolumns; i++) {
        const cg_column *c = &t->columns[i];
        cg_buf_printf(b, "    [%s] = {\n        .name = ", api->enum_names[i]);
        cg_buf_cstring(b, c->name);
        cg_buf_printf(b, ",\n        .type = %s,\n", cg_kind_enum(c->kind));
        cg_buf_printf(b, "        .flags = %s,\n", cg_column_flags(c));
        cg_buf_printf(b, "        .offset = offsetof(cerd_%s, %s),\n", tn, c->name);
        cg_buf_printf(b, "        .max_chars = %d,\n        .precision = %d,\n"
                         "        .scale = %d,\n    },\n",
                      c->max_chars, c->precision, c->scale);
    }
    cg_buf_puts(b, "};\n\n");

    cg_emit_checks(b, api);

    if (t->nuniques) {
        cg_buf_puts(b, "/* UNIQUE constraints and unique indexes, in schema order. */\n"
                       "static const cerd_key unique_keys[] = {\n");
        for (int i = 0; i < t->nuniques; i++) {
            cg_buf_puts(b, "    ");
            emit_key(b, api, &t->uniques[i], "    ");
            cg_buf_puts(b, ",\n");
        }
        cg_buf_puts(b, "};\n\n");
    }

    if (t->nfks) {
        cg_buf_puts(b, "static const cerd_foreign_key foreign_keys[] = {\n");
        for (int i = 0; i < t->nfks; i++) {
            const cg_foreign_key *fk = &t->fks[i];
            cg_buf_puts(b, "    {\n        .name = ");
            cg_buf_cstring(b, fk->name);
            cg_buf_printf(b, ",\n        .column = %s,\n        .ref_table = ",
                          api->enum_names[fk->column]);
            cg_buf_cstring(b, fk->ref_table);
            cg_buf_puts(b, ",\n        .ref_column = ");
            cg_buf_cstring(b, fk->ref_column);
            cg_buf_puts(b, ",\n    },\n");
        }
        cg_buf_puts(b, "};\n\n");
    }

    cg_buf_printf(b, "const cerd_table cerd_%s_table = {\n", tn);
    cg_buf_puts(b, "    .abi = CERD_TABLE_ABI,\n    .name = ");
    cg_buf_cstring(b, tn);
    cg_buf_printf(b, ",\n    .row_size = sizeof(cerd_%s),\n", tn);
    cg_buf_printf(b, "    .ncolumns = %s,\n    .columns = columns,\n", api->ncolumns_name);
    cg_buf_puts(b, "    .primary_key = ");
    emit_key(b, api, &t->pk, "    ");
    cg_buf_puts(b, ",\n");
    if (t->nuniques)
        cg_buf_printf(b, "    .nunique = %d,\n    .unique_keys = unique_keys,\n", t->nuniques);
    else
        cg_buf_puts(b, "    .nunique = 0,\n    .unique_keys = NULL,\n");
    if (t->nfks)
        cg_buf_printf(b, "    .nforeign = %d,\n    .foreign_keys = foreign_keys,\n", t->nfks);
    else
        cg_buf_puts(b, "    .nforeign = 0,\n    .foreign_keys = NULL,\n");
    if (t->soft_delete_column >= 0)
        cg_buf_printf(b, "    .soft_delete_column = %s,\n",
                      api->enum_names[t->soft_delete_column]);
    else
        cg_buf_puts(b, "    .soft_delete_column = -1,\n");
    if (t->nchecks)
        cg_buf_printf(b, "    .nchecks = %d,\n    .checks = checks,\n};\n", t->nchecks);
    else
        cg_buf_puts(b, "    .nchecks = 0,\n    .checks = NULL,\n};\n");
}

/* "int cerd_<t>_<name>(params)\n{\n" */
static void open_function(cg_buf *b, const char *ret, const char *name, char **params, int n)
{
    char *head = cg_xasprintf("%s %s", ret, name);
    cg_buf_call(b, head, (const char *const *)params, n, "\n{\n");
    free(head);
    for (int i = 0; i < n; i++)
        free(params[i]);
}

static char *param(const char *type, const char *name)
{
    size_t n = strlen(type);
    return cg_xasprintf("%s%s%s", type, (n && type[n - 1] == '*') ? "" : " ", name);
}

/* Copies the parameters of key columns into the zeroed local row `key`. */
static void fill_key(cg_buf *b, const cg_api *api, const int *cols, int n)
{
    for (int i = 0; i < n; i++) {
        const cg_column *c = &api->t->columns[cols[i]];
        const char *p = api->param_names[cols[i]];
        const char *deref = cg_column_param_by_pointer(c) ? "*" : "";
        if (c->kind == CG_TEXT)
            cg_buf_printf(b, "    /* The runtime never writes through an input row. */\n"
                             "    key.%s = (char *)%s;\n", c->name, p);
        else if (cg_column_is_optional(c))
            cg_buf_printf(b, "    key.%s.value = %s%s;\n    key.%s.valid = true;\n", c->name,
                          deref, p, c->name);
        else
            cg_buf_printf(b, "    key.%s = %s%s;\n", c->name, deref, p);
    }
}

static void declare_key(cg_buf *b, const cg_api *api)
{
    cg_buf_printf(b, "    cerd_%s key = {0};\n", api->t->name);
}

static void key_param_list(const cg_api *api, const cg_key *k, char **params, int *n)
{
    for (int i = 0; i < k->ncolumns; i++) {
        int c = k->columns[i];
        params[(*n)++] = param(cg_column_param_type(&api->t->columns[c]), api->param_names[c]);
    }
}

static void emit_functions(cg_buf *b, const cg_api *api)
{
    const cg_table *t = api->t;
    const char *tn = t->name;
    char *params[8 + CG_MAX_KEY_COLUMNS];
    char name[256];
    int n;
    char *in_p = cg_xasprintf("const cerd_%s *in", tn);
    char *out_p = cg_xasprintf("cerd_%s *out", tn);
    char *desc = cg_xasprintf("&cerd_%s_table", tn);

    n = 0;
    params[n++] = cg_xstrdup("cerd_conn *conn");
    params[n++] = cg_xstrdup(in_p);
    params[n++] = cg_xstrdup(out_p);
    snprintf(name, sizeof name, "cerd_%s_insert", tn);
    open_function(b, "int", name, params, n);
    cg_buf_printf(b, "    return cerd_row_insert(conn, %s, in, out);\n}\n\n", desc);

    n = 0;
    params[n++] = cg_xstrdup("cerd_conn *conn");
    params[n++] = cg_xstrdup(out_p);
    key_param_list(api, &t->pk, params, &n);
    snprintf(name, sizeof name, "cerd_%s_get", tn);
    open_function(b, "int", name, params, n);
    declare_key(b, api);
    fill_key(b, api, t->pk.columns, t->pk.ncolumns);
    cg_buf_printf(b, "    return cerd_row_get(conn, %s, -1, &key, out);\n}\n\n", desc);

    for (int i = 0; i < api->nbykeys; i++) {
        const cg_key *k = &t->uniques[api->bykeys[i].key_index];
        n = 0;
        params[n++] = cg_xstrdup("cerd_conn *conn");
        params[n++] = cg_xstrdup(out_p);
        key_param_list(api, k, params, &n);
        snprintf(name, sizeof name, "cerd_%s_get_by_%s", tn, api->bykeys[i].suffix);
        open_function(b, "int", name, params, n);
        declare_key(b, api);
        fill_key(b, api, k->columns, k->ncolumns);
        cg_buf_printf(b, "    return cerd_row_get(conn, %s, %d, &key, out);\n}\n\n", desc,
                      api->bykeys[i].key_index);
    }

    n = 0;
    params[n++] = cg_xstrdup("cerd_conn *conn");
    params[n++] = cg_xstrdup(in_p);
    params[n++] = cg_xstrdup(out_p);
    snprintf(name, sizeof name, "cerd_%s_update", tn);
    open_function(b, "int", name, params, n);
    cg_buf_printf(b, "    return cerd_row_update(conn, %s, in, NULL, out);\n}\n\n", desc);

    n = 0;
    params[n++] = cg_xstrdup("cerd_conn *conn");
    params[n++] = cg_xstrdup(in_p);
    params[n++] = cg_xstrdup("const cerd_colset *cols");
    params[n++] = cg_xstrdup(out_p);
    snprintf(name, sizeof name, "cerd_%s_update_columns", tn);
    open_function(b, "int", name, params, n);
    cg_buf_printf(b, "    return cerd_row_update(conn, %s, in, cols, out);\n}\n\n", desc);

    for (int i = -1; i < api->nbykeys; i++) {
        n = 0;
        params[n++] = cg_xstrdup("cerd_conn *conn");
        params[n++] = cg_xstrdup(in_p);
        params[n++] = cg_xstrdup(out_p);
        if (i < 0)
            snprintf(name, sizeof name, "cerd_%s_upsert", tn);
        else
            snprintf(name, sizeof name, "cerd_%s_upsert_by_%s", tn, api->bykeys[i].suffix);
        open_function(b, "int", name, params, n);
        cg_buf_printf(b, "    return cerd_row_upsert(conn, %s, %d, in, out);\n}\n\n", desc,
                      i < 0 ? -1 : api->bykeys[i].key_index);
    }

    for (int hard = 0; hard <= (api->soft_delete ? 1 : 0); hard++) {
        n = 0;
        params[n++] = cg_xstrdup("cerd_conn *conn");
        key_param_list(api, &t->pk, params, &n);
        snprintf(name, sizeof name, "cerd_%s_delete%s", tn, hard ? "_hard" : "");
        open_function(b, "int", name, params, n);
        declare_key(b, api);
        fill_key(b, api, t->pk.columns, t->pk.ncolumns);
        cg_buf_printf(b, "    return cerd_row_delete(conn, %s, &key, %s);\n}\n\n", desc,
                      hard ? "CERD_DELETE_HARD" : "0");
    }

    for (int i = 0; i < api->nlists; i++) {
        int ci = api->list_columns[i];
        const cg_column *c = &t->columns[ci];
        n = 0;
        params[n++] = cg_xstrdup("cerd_conn *conn");
        params[n++] = param(cg_column_param_type(c), api->param_names[ci]);
        params[n++] = cg_xstrdup("const cerd_page *page");
        params[n++] = cg_xasprintf("cerd_%s_list *out", tn);
        snprintf(name, sizeof name, "cerd_%s_list_by_%s", tn, c->name);
        open_function(b, "int", name, params, n);
        declare_key(b, api);
        cg_buf_puts(b, "    cerd_rows rows = {0};\n"
                       "    int rc;\n");
        fill_key(b, api, &ci, 1);
        cg_buf_puts(b, "    if (out) {\n"
                       "        rows.rows = out->rows;\n"
                       "        rows.count = out->count;\n"
                       "        rows.next = out->next;\n"
                       "    }\n");
        const char *args[] = {"conn", desc, api->enum_names[ci], "&key", "page",
                              "out ? &rows : NULL"};
        cg_buf_puts(b, "    ");
        cg_buf_call(b, "rc = cerd_row_list", args, 6, ";\n");
        cg_buf_puts(b, "    if (out) {\n"
                       "        out->rows = rows.rows;\n"
                       "        out->count = rows.count;\n"
                       "        out->next = rows.next;\n"
                       "    }\n"
                       "    return rc;\n}\n\n");
    }

    n = 0;
    params[n++] = cg_xstrdup("cerd_conn *conn");
    params[n++] = cg_xstrdup("int64_t *out");
    snprintf(name, sizeof name, "cerd_%s_count", tn);
    open_function(b, "int", name, params, n);
    cg_buf_printf(b, "    return cerd_row_count(conn, %s, out);\n}\n\n", desc);

    n = 0;
    params[n++] = cg_xstrdup("cerd_conn *conn");
    params[n++] = cg_xstrdup("bool *out");
    key_param_list(api, &t->pk, params, &n);
    snprintf(name, sizeof name, "cerd_%s_exists", tn);
    open_function(b, "int", name, params, n);
    declare_key(b, api);
    fill_key(b, api, t->pk.columns, t->pk.ncolumns);
    cg_buf_printf(b, "    return cerd_row_exists(conn, %s, &key, out);\n}\n\n", desc);

    n = 0;
    params[n++] = cg_xasprintf("cerd_%s *row", tn);
    snprintf(name, sizeof name, "cerd_%s_clear", tn);
    open_function(b, "void", name, params, n);
    cg_buf_printf(b, "    cerd_row_clear(%s, row);\n}\n\n", desc);

    n = 0;
    params[n++] = cg_xasprintf("cerd_%s_list *list", tn);
    snprintf(name, sizeof name, "cerd_%s_list_free", tn);
    open_function(b, "void", name, params, n);
    cg_buf_printf(b, "    cerd_rows rows;\n"
                     "    if (!list)\n"
                     "        return;\n"
                     "    rows.rows = list->rows;\n"
                     "    rows.count = list->count;\n"
                     "    rows.next = list->next;\n"
                     "    cerd_rows_free(%s, &rows);\n"
                     "    list->rows = rows.rows;\n"
                     "    list->count = rows.count;\n"
                     "    list->next = rows.next;\n"
                     "}\n",
                  desc);

    free(in_p);
    free(out_p);
    free(desc);
}

char *cg_emit_table_source(const cg_table *t)
{
    cg_api api;
    cg_api_build(&api, t);
    cg_buf b = {0};
    cg_buf_printf(&b, CG_BANNER_PREFIX "schema/%s. DO NOT EDIT. */\n", t->file);
    cg_buf_printf(&b, "/* Table %s: its descriptor, and the typed functions of "
                      "<cryptoerd/tables/%s.h> as thin\n   wrappers over the generic row "
                      "operations of <cryptoerd/table.h>. */\n", t->name, t->name);
    cg_buf_printf(&b, "#include <stddef.h>\n#include <stdint.h>\n\n"
                      "#include <cryptoerd/tables/%s.h>\n", t->name);
    cg_emit_checks_include(&b, t);
    emit_descriptor(&b, &api);
    cg_buf_puts(&b, "\n");
    emit_functions(&b, &api);
    cg_api_free(&api);
    return b.data;
}

char *cg_emit_registry_header(const cg_schema *s)
{
    (void)s;
    cg_buf b = {0};
    cg_buf_puts(&b, CG_BANNER_PREFIX "schema/ (every migration). DO NOT EDIT. */\n"
                    "/* Internal: the descriptors of every table of the schema, in schema order "
                    "(lib/table.c). */\n"
                    "#ifndef CERD_TABLES_REGISTRY_H\n#define CERD_TABLES_REGISTRY_H\n\n"
                    "#include <stddef.h>\n\n#include <cryptoerd/table.h>\n\n"
                    "/* cerd__table_count descriptors, in the order the migrations create the "
                    "tables. */\n"
                    "extern const cerd_table *const cerd__tables[];\n"
                    "extern const size_t cerd__table_count;\n\n#endif\n");
    return b.data;
}

char *cg_emit_registry_source(const cg_schema *s)
{
    cg_buf b = {0};
    cg_buf_puts(&b, CG_BANNER_PREFIX "schema/ (every migration). DO NOT EDIT. */\n"
                    "/* Every table descriptor, in schema order. */\n"
                    "#include <stddef.h>\n\n#include <cryptoerd/tables.h>\n\n"
                    "#include \"registry.h\"\n\n"
                    "const cerd_table *const cerd__tables[] = {\n");
    for (int i = 0; i < s->ntables; i++)
        cg_buf_printf(&b, "    &cerd_%s_table,\n", s->tables[i].name);
    cg_buf_puts(&b, "};\n\nconst size_t cerd__table_count = sizeof cerd__tables / sizeof "
                    "cerd__tables[0];\n");
    return b.data;
}
