/* `cerdgen --dump-model`: the model as text, for debugging the generator (tables, columns,
   keys, foreign keys, and each CHECK with its compiled tree as an S-expression). */
#include "dump_model.h"

#include "check_compile.h"

static void dump_tree(const cg_table *t, const cg_enode *n, FILE *out)
{
    if (n->op == CG_OP_COLUMN) {
        fputs(t->columns[n->column].name, out);
        return;
    }
    if (n->op == CG_OP_CONST) {
        if (n->is_null)
            fprintf(out, "NULL::%s", cg_kind_sql(n->type));
        else if (n->type == CG_TEXT)
            fprintf(out, "'%s'", n->text);
        else
            fprintf(out, "%s::%s", n->text, cg_kind_sql(n->type));
        return;
    }
    fprintf(out, "(%s", cg_op_enum(n->op) + 10);
    if (n->op == CG_OP_FUNC)
        fprintf(out, " %s", n->text);
    for (int i = 0; i < n->nargs; i++) {
        fputc(' ', out);
        dump_tree(t, n->args[i], out);
    }
    fputc(')', out);
}

static void dump_key(const cg_table *t, const cg_key *k, FILE *out)
{
    fprintf(out, "%s (", k->name);
    for (int i = 0; i < k->ncolumns; i++)
        fprintf(out, "%s%s", i ? ", " : "", t->columns[k->columns[i]].name);
    fprintf(out, ")");
    if (k->predicate)
        fprintf(out, " WHERE [%s]", k->predicate);
    fprintf(out, "%s\n", k->from_index ? " (index)" : "");
}

void cg_schema_dump(const cg_schema *s, FILE *out)
{
    for (int i = 0; i < s->ntables; i++) {
        const cg_table *t = &s->tables[i];
        fprintf(out, "table %s (%s, %s)\n", t->name, t->file, t->origin);
        for (int c = 0; c < t->ncolumns; c++) {
            const cg_column *col = &t->columns[c];
            fprintf(out, "  column %s %s [%s] flags=%s max_chars=%d precision=%d scale=%d",
                    col->name, col->sql_type, cg_column_field_type(col), cg_column_flags(col),
                    col->max_chars, col->precision, col->scale);
            if (col->default_text)
                fprintf(out, " default=[%s]", col->default_text);
            fprintf(out, "\n");
        }
        fprintf(out, "  primary key ");
        dump_key(t, &t->pk, out);
        for (int k = 0; k < t->nuniques; k++) {
            fprintf(out, "  unique ");
            dump_key(t, &t->uniques[k], out);
        }
        for (int k = 0; k < t->nindexes; k++) {
            fprintf(out, "  index ");
            dump_key(t, &t->indexes[k], out);
        }
        for (int k = 0; k < t->nfks; k++) {
            const cg_foreign_key *fk = &t->fks[k];
            fprintf(out, "  foreign key %s (", fk->name);
            for (int c = 0; c < fk->ncolumns; c++)
                fprintf(out, "%s%s", c ? ", " : "", t->columns[fk->columns[c]].name);
            fprintf(out, ") -> %s(", fk->ref_table);
            for (int c = 0; c < fk->ncolumns; c++)
                fprintf(out, "%s%s", c ? ", " : "", fk->ref_columns[c]);
            fprintf(out, ")\n");
        }
        for (int k = 0; k < t->nchecks; k++) {
            const cg_check *ck = &t->checks[k];
            fprintf(out, "  check %s [%s] uses", ck->name, ck->source);
            for (int c = 0; c < ck->ncolumns; c++)
                fprintf(out, " %s", t->columns[ck->columns[c]].name);
            fprintf(out, "\n");
            if (ck->compiled) {
                fprintf(out, "    compiled ");
                dump_tree(t, ck->compiled, out);
                fprintf(out, "\n");
            }
            for (int c = 0; ck->defaults && c < ck->ncolumns; c++)
                if (ck->defaults[c]) {
                    fprintf(out, "    default of %s ", t->columns[ck->columns[c]].name);
                    dump_tree(t, ck->defaults[c], out);
                    fprintf(out, "\n");
                }
        }
        fprintf(out, "  soft delete column %d\n", t->soft_delete_column);
    }
}
