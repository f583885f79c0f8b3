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

static void emit_descriptor(cg_buf *b, const cg_api *api, const cg_hints *hints)
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
    bool has_hints = cg_emit_hints(b, hints, api);

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
            cg_buf_printf(b, ",\n        .ncolumns = %d,\n        .columns = {", fk->ncolumns);
            for (int c = 0; c < fk->ncolumns; c++)
                cg_buf_printf(b, "%s%s", c ? ", " : "", api->enum_names[fk->columns[c]]);
            cg_buf_puts(b, "},\n        .ref_table = ");
            cg_buf_cstring(b, fk->ref_table);
            cg_buf_puts(b, ",\n        .ref_columns = {");
            for (int c = 0; c < fk->ncolumns; c++) {
                if (c)
                    cg_buf_puts(b, ", ");
                cg_buf_cstring(b, fk->ref_columns[c]);
            }
            cg_buf_puts(b, "},\n    },\n");
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
        cg_buf_printf(b, "    .nchecks = %d,\n    .checks = checks,\n", t->nchecks);
    else
        cg_buf_puts(b, "    .nchecks = 0,\n    .checks = NULL,\n");
    cg_buf_printf(b, "    .defaults_offset = offsetof(cerd_%s, defaults),\n", tn);
    cg_buf_puts(b, has_hints ? "    .hints = hints,\n};\n" : "    .hints = NULL,\n};\n");
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

/* The body of one generated function: the generic call of its kind (api.h). */
static void emit_body(cg_buf *b, const cg_api *api, const cg_api_op *op, const char *desc)
{
    if (op->nkey_columns) {
        cg_buf_printf(b, "    cerd_%s key = {0};\n", api->t->name);
        if (op->kind == CG_API_LIST)
            cg_buf_puts(b, "    cerd_rows rows = {0};\n    int rc;\n");
        fill_key(b, api, op->key_columns, op->nkey_columns);
    } else if (op->kind == CG_API_LIST) {
        cg_buf_puts(b, "    cerd_rows rows = {0};\n    int rc;\n");
    }
    switch (op->kind) {
    case CG_API_INSERT:
        cg_buf_printf(b, "    return cerd_row_insert(out, conn, %s, in);\n", desc);
        break;
    case CG_API_GET:
        cg_buf_printf(b, "    return cerd_row_get(out, conn, %s, %d, &key, %s);\n", desc,
                      op->key_index, op->flags);
        break;
    case CG_API_UPDATE:
        cg_buf_printf(b, "    return cerd_row_update(out, conn, %s, in, NULL);\n", desc);
        break;
    case CG_API_UPDATE_COLUMNS:
        cg_buf_printf(b, "    return cerd_row_update(out, conn, %s, in, cols);\n", desc);
        break;
    case CG_API_UPSERT:
        cg_buf_printf(b, "    return cerd_row_upsert(out, conn, %s, %d, in);\n", desc,
                      op->key_index);
        break;
    case CG_API_DELETE:
        cg_buf_printf(b, "    return cerd_row_delete(conn, %s, &key, %s);\n", desc, op->flags);
        break;
    case CG_API_LIST: {
        char fk[16];
        snprintf(fk, sizeof fk, "%d", op->list_fk);
        const char *args[] = {"out ? &rows : NULL", "conn", desc, fk,
                              op->list_fk >= 0 ? "&key" : "NULL", "page"};
        cg_buf_puts(b, "    if (out) {\n"
                       "        rows.rows = out->rows;\n"
                       "        rows.count = out->count;\n"
                       "        rows.next = out->next;\n"
                       "    }\n");
        cg_buf_puts(b, "    ");
        cg_buf_call(b, "rc = cerd_row_list", args, 6, ";\n");
        cg_buf_puts(b, "    if (out) {\n"
                       "        out->rows = rows.rows;\n"
                       "        out->count = rows.count;\n"
                       "        out->next = rows.next;\n"
                       "    }\n"
                       "    return rc;\n");
        break;
    }
    case CG_API_COUNT:
        cg_buf_printf(b, "    return cerd_row_count(out, conn, %s, %s);\n", desc, op->flags);
        break;
    case CG_API_EXISTS:
        cg_buf_printf(b, "    return cerd_row_exists(out, conn, %s, &key, %s);\n", desc,
                      op->flags);
        break;
    case CG_API_CLEAR:
        cg_buf_printf(b, "    cerd_row_clear(%s, row);\n", desc);
        break;
    case CG_API_LIST_FREE:
        cg_buf_printf(b, "    cerd_rows rows;\n"
                         "    if (!list)\n"
                         "        return;\n"
                         "    rows.rows = list->rows;\n"
                         "    rows.count = list->count;\n"
                         "    rows.next = list->next;\n"
                         "    cerd_rows_free(%s, &rows);\n"
                         "    list->rows = rows.rows;\n"
                         "    list->count = rows.count;\n"
                         "    list->next = rows.next;\n",
                      desc);
        break;
    }
}

static void emit_functions(cg_buf *b, const cg_api *api)
{
    char *desc = cg_xasprintf("&cerd_%s_table", api->t->name);
    for (int o = 0; o < api->nops; o++) {
        const cg_api_op *op = &api->ops[o];
        const char *params[CG_API_MAX_PARAMS];
        for (int i = 0; i < op->nparams; i++)
            params[i] = op->params[i].decl;
        char *head = cg_xasprintf("%s %s", op->ret, op->name);
        cg_buf_call(b, head, params, op->nparams, "\n{\n");
        free(head);
        emit_body(b, api, op, desc);
        cg_buf_puts(b, o + 1 < api->nops ? "}\n\n" : "}\n");
    }
    free(desc);
}

char *cg_emit_table_source(const cg_table *t, const cg_hints *hints)
{
    cg_api api;
    cg_api_build(&api, t);
    cg_buf b = {0};
    cg_buf_printf(&b, CG_BANNER_PREFIX "schema/%s. DO NOT EDIT. */\n", t->file);
    cg_buf_printf(&b, "/* Table %s: its descriptor, and the typed functions of "
                      "<cryptoerd/tables/%s.h> as thin\n   wrappers over the generic row "
                      "operations of <cryptoerd/row.h>. */\n", t->name, t->name);
    cg_buf_printf(&b, "#include <stddef.h>\n#include <stdint.h>\n\n"
                      "#include <cryptoerd/tables/%s.h>\n", t->name);
    if (hints->doc)
        cg_buf_puts(&b, "#include \"features/factory_hint.h\"\n");
    cg_emit_checks_include(&b, t);
    emit_descriptor(&b, &api, hints);
    cg_buf_puts(&b, "\n");
    emit_functions(&b, &api);
    cg_api_free(&api);
    return b.data;
}

char *cg_emit_registry_source(const cg_schema *s)
{
    cg_buf b = {0};
    cg_buf_puts(&b, CG_BANNER_PREFIX "schema/ (every migration). DO NOT EDIT. */\n"
                    "/* The registry of the schema's tables (cerd_table_find() and the others of\n"
                    "   <cryptoerd/descriptor.h>): every descriptor, in the order the migrations\n"
                    "   create the tables. */\n"
                    "#include <stddef.h>\n#include <string.h>\n\n#include <cryptoerd/tables.h>\n\n"
                    "static const cerd_table *const tables[] = {\n");
    for (int i = 0; i < s->ntables; i++)
        cg_buf_printf(&b, "    &cerd_%s_table,\n", s->tables[i].name);
    cg_buf_puts(&b, "};\n\n"
                    "#define NTABLES (sizeof tables / sizeof tables[0])\n\n"
                    "const cerd_table *cerd_table_find(const char *name)\n{\n"
                    "    for (size_t i = 0; name && i < NTABLES; i++)\n"
                    "        if (!strcmp(tables[i]->name, name))\n"
                    "            return tables[i];\n"
                    "    return NULL;\n}\n\n"
                    "size_t cerd_table_count(void)\n{\n    return NTABLES;\n}\n\n"
                    "const cerd_table *cerd_table_at(size_t index)\n{\n"
                    "    return index < NTABLES ? tables[index] : NULL;\n}\n");
    return b.data;
}
