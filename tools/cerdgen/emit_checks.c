/* The compiled CHECK constraints of a table as static data of lib/tables/<t>.c: one
   static const cerd_expr per node (children first), numeric constants as cerd_numeric
   initialisers, a cerd_regex_cache per regular expression, the columns each CHECK reads
   and their constant defaults, the cerd_check objects, and `checks`, the array the
   descriptor points at. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_compile.h"
#include "emit.h"

static void emit_numeric(cg_buf *b, const cg_num *n)
{
    cg_buf_printf(b, "{.ngroups = %d, .weight = %d, .sign = %s, .dscale = %d", n->ngroups,
                  n->nan ? 0 : n->weight,
                  n->nan ? "CERD_NUMERIC_NAN" : n->neg ? "CERD_NUMERIC_NEG" : "CERD_NUMERIC_POS",
                  n->dscale);
    if (n->ngroups) {
        cg_buf_puts(b, ", .digits = {");
        for (int i = 0; i < n->ngroups; i++)
            cg_buf_printf(b, "%s%u", i ? ", " : "", (unsigned)n->digits[i]);
        cg_buf_puts(b, "}");
    }
    cg_buf_puts(b, "}");
}

/* Emits n's children, then n as `static const cerd_expr <prefix>_e<id>`; returns id. */
static int emit_node(cg_buf *b, const cg_api *api, const char *prefix, const cg_enode *n,
                     int *next)
{
    int *ids = n->nargs ? cg_xcalloc((size_t)n->nargs, sizeof *ids) : NULL;
    for (int i = 0; i < n->nargs; i++)
        ids[i] = emit_node(b, api, prefix, n->args[i], next);
    int id = (*next)++;

    bool numeric = n->op == CG_OP_CONST && n->type == CG_NUMERIC && !n->is_null;
    bool rx = n->op == CG_OP_REGEX || n->op == CG_OP_IREGEX;
    if (numeric) {
        cg_buf_printf(b, "static const cerd_numeric %s_num%d = ", prefix, id);
        emit_numeric(b, &n->num);
        cg_buf_puts(b, ";\n");
    }
    if (rx)
        cg_buf_printf(b, "static cerd_regex_cache %s_rx%d;\n", prefix, id);
    if (n->nargs) {
        cg_buf_printf(b, "static const cerd_expr *const %s_e%d_args[] = {", prefix, id);
        for (int i = 0; i < n->nargs; i++) {
            char item[48];
            snprintf(item, sizeof item, "&%s_e%d", prefix, ids[i]);
            if (i && cg_buf_column(b) + strlen(item) + 4 > CG_LINE_WIDTH)
                cg_buf_printf(b, ",\n    %s", item);
            else
                cg_buf_printf(b, "%s%s", i ? ", " : "", item);
        }
        cg_buf_puts(b, "};\n");
    }
    cg_buf_printf(b, "static const cerd_expr %s_e%d = {\n    .op = %s,\n    .type = %s,\n",
                  prefix, id, cg_op_enum(n->op), cg_kind_enum(n->type));
    cg_buf_printf(b, "    .column = %s,\n",
                  n->op == CG_OP_COLUMN ? api->enum_names[n->column] : "-1");
    if (n->nargs)
        cg_buf_printf(b, "    .nargs = %d,\n    .args = %s_e%d_args,\n", n->nargs, prefix, id);
    if (n->text && !(n->op == CG_OP_CONST && n->is_null)) {
        cg_buf_puts(b, "    .text = ");
        cg_buf_cstring(b, n->text);
        cg_buf_puts(b, ",\n");
    }
    if (n->op == CG_OP_CONST && !n->is_null) {
        switch (n->type) {
        case CG_INT32:
        case CG_INT64:
        case CG_BOOL:
            cg_buf_printf(b, "    .ival = INT64_C(%lld),\n", (long long)n->ival);
            break;
        case CG_NUMERIC:
            cg_buf_printf(b, "    .num = &%s_num%d,\n", prefix, id);
            break;
        case CG_TEXT:
            cg_buf_printf(b, "    .len = %zu,\n", strlen(n->text));
            break;
        default:
            break;
        }
    }
    if (n->op == CG_OP_FUNC)
        cg_buf_printf(b, "    .func = %s,\n", cg_func_enum(n->func));
    if (rx)
        cg_buf_printf(b, "    .regex = &%s_rx%d,\n", prefix, id);
    cg_buf_puts(b, "};\n");
    free(ids);
    return id;
}

void cg_emit_checks(cg_buf *b, const cg_api *api)
{
    const cg_table *t = api->t;
    if (!t->nchecks)
        return;
    cg_buf_puts(b, "/* CHECK constraints, compiled from the parse tree (lib/validate.c evaluates "
                   "them). */\n\n");
    for (int k = 0; k < t->nchecks; k++) {
        const cg_check *ck = &t->checks[k];
        char prefix[32];
        int next = 0, root;
        snprintf(prefix, sizeof prefix, "check%d", k);
        cg_buf_printf(b, "/* %s */\n", ck->name);
        root = emit_node(b, api, prefix, ck->compiled, &next);

        cg_buf_printf(b, "static const uint16_t %s_columns[] = {", prefix);
        for (int i = 0; i < ck->ncolumns; i++)
            cg_buf_printf(b, "%s%s", i ? ", " : "", api->enum_names[ck->columns[i]]);
        cg_buf_puts(b, "};\n");

        bool any_default = false;
        for (int i = 0; i < ck->ncolumns; i++)
            any_default = any_default || ck->defaults[i];
        if (any_default) {
            int *ids = cg_xcalloc((size_t)ck->ncolumns, sizeof *ids);
            for (int i = 0; i < ck->ncolumns; i++)
                ids[i] = ck->defaults[i] ? emit_node(b, api, prefix, ck->defaults[i], &next)
                                         : -1;
            cg_buf_printf(b, "/* The constant DEFAULT of each column, when it has one. */\n"
                             "static const cerd_expr *const %s_defaults[] = {",
                          prefix);
            for (int i = 0; i < ck->ncolumns; i++) {
                if (ids[i] >= 0)
                    cg_buf_printf(b, "%s&%s_e%d", i ? ", " : "", prefix, ids[i]);
                else
                    cg_buf_printf(b, "%sNULL", i ? ", " : "");
            }
            cg_buf_puts(b, "};\n");
            free(ids);
        }

        cg_buf_printf(b, "static const cerd_check %s = {\n    .name = ", prefix);
        cg_buf_cstring(b, ck->name);
        cg_buf_puts(b, ",\n    .sql = ");
        cg_buf_cstring(b, ck->source);
        cg_buf_printf(b, ",\n    .ncolumns = %d,\n    .columns = %s_columns,\n"
                         "    .expr = &%s_e%d,\n",
                      ck->ncolumns, prefix, prefix, root);
        if (any_default)
            cg_buf_printf(b, "    .defaults = %s_defaults,\n", prefix);
        cg_buf_puts(b, "};\n\n");
    }
    cg_buf_puts(b, "static const cerd_check *const checks[] = {\n");
    for (int k = 0; k < t->nchecks; k++)
        cg_buf_printf(b, "    &check%d,\n", k);
    cg_buf_puts(b, "};\n\n");
}

void cg_emit_checks_include(cg_buf *b, const cg_table *t)
{
    /* lib/tables/<t>.c is a library source: lib/ is on its include path */
    cg_buf_puts(b, t->nchecks ? "#include \"ops/expr.h\"\n\n" : "\n");
}
