/* The typed API of a table (see api.h). */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit_util.h"

/* Names of the fixed parameters and locals of the generated functions; a key column
   with one of these names is passed as <name>_value. */
static const char *const RESERVED_PARAMS[] = {"conn", "out", "in", "page", "cols",
                                              "key", "rows", "rc", "list", "row"};

static bool same_column_set(const cg_key *a, const cg_key *b)
{
    if (a->ncolumns != b->ncolumns)
        return false;
    for (int i = 0; i < a->ncolumns; i++) {
        bool found = false;
        for (int j = 0; j < b->ncolumns; j++)
            found = found || a->columns[i] == b->columns[j];
        if (!found)
            return false;
    }
    return true;
}

static char *key_suffix(const cg_table *t, const cg_key *k)
{
    cg_buf b = {0};
    for (int i = 0; i < k->ncolumns; i++)
        cg_buf_printf(&b, "%s%s", i ? "_" : "", t->columns[k->columns[i]].name);
    return b.data;
}

void cg_api_build(cg_api *api, const cg_table *t)
{
    memset(api, 0, sizeof *api);
    api->t = t;
    api->upper = cg_upper(t->name);
    api->ncolumns_name = cg_xasprintf("CERD_%s__NCOLUMNS", api->upper);
    api->enum_names = cg_xcalloc((size_t)t->ncolumns, sizeof *api->enum_names);
    api->param_names = cg_xcalloc((size_t)t->ncolumns, sizeof *api->param_names);
    for (int i = 0; i < t->ncolumns; i++) {
        const char *name = t->columns[i].name;
        char *up = cg_upper(name);
        api->enum_names[i] = cg_xasprintf("CERD_%s_%s", api->upper, up);
        free(up);
        bool clash = false;
        for (size_t r = 0; r < sizeof RESERVED_PARAMS / sizeof RESERVED_PARAMS[0]; r++)
            clash = clash || strcmp(name, RESERVED_PARAMS[r]) == 0;
        api->param_names[i] = clash ? cg_xasprintf("%s_value", name) : cg_xstrdup(name);
    }

    /* One get_by/upsert_by pair per distinct column set of the unique keys; none for a
       key with the primary key's columns (get/upsert serve it). Among keys with the same
       columns, a full key is preferred to a partial index. */
    for (int k = 0; k < t->nuniques; k++) {
        const cg_key *key = &t->uniques[k];
        if (same_column_set(key, &t->pk))
            continue;
        cg_by_key *bk = NULL;
        for (int i = 0; i < api->nbykeys; i++)
            if (same_column_set(&t->uniques[api->bykeys[i].key_index], key))
                bk = &api->bykeys[i];
        if (!bk) {
            api->bykeys = cg_grow(api->bykeys, &api->nbykeys, sizeof *api->bykeys);
            bk = &api->bykeys[api->nbykeys - 1];
            bk->suffix = key_suffix(t, key);
            bk->key_index = k;
            continue;
        }
        const cg_key *cur = &t->uniques[bk->key_index];
        const char *other = key->name;
        if (cur->predicate && !key->predicate) {
            other = cur->name;
            bk->key_index = k;
        }
        char *also = bk->also ? cg_xasprintf("%s, %s", bk->also, other) : cg_xstrdup(other);
        free(bk->also);
        bk->also = also;
    }

    /* One list_by per foreign-key column. */
    for (int f = 0; f < t->nfks; f++) {
        int col = t->fks[f].column;
        int at = -1;
        for (int i = 0; i < api->nlists; i++)
            if (api->list_columns[i] == col)
                at = i;
        if (at < 0) {
            int n = api->nlists;
            api->list_columns = cg_grow(api->list_columns, &n, sizeof *api->list_columns);
            api->list_columns[n - 1] = col;
            n = api->nlists;
            api->list_fk_names = cg_grow(api->list_fk_names, &n, sizeof *api->list_fk_names);
            api->list_fk_names[n - 1] = cg_xstrdup(t->fks[f].name);
            api->nlists = n;
        } else {
            char *names = cg_xasprintf("%s, %s", api->list_fk_names[at], t->fks[f].name);
            free(api->list_fk_names[at]);
            api->list_fk_names[at] = names;
        }
    }
    api->soft_delete = t->soft_delete_column >= 0;
}

void cg_api_free(cg_api *api)
{
    for (int i = 0; i < api->t->ncolumns; i++) {
        free(api->enum_names[i]);
        free(api->param_names[i]);
    }
    free(api->enum_names);
    free(api->param_names);
    for (int i = 0; i < api->nbykeys; i++) {
        free(api->bykeys[i].suffix);
        free(api->bykeys[i].also);
    }
    free(api->bykeys);
    for (int i = 0; i < api->nlists; i++)
        free(api->list_fk_names[i]);
    free(api->list_fk_names);
    free(api->list_columns);
    free(api->upper);
    free(api->ncolumns_name);
    memset(api, 0, sizeof *api);
}

typedef struct symbol {
    char *name;
    const char *origin; /* table name, or NULL for the runtime */
} symbol;

static void add_symbol(symbol **syms, int *n, char *name, const char *origin)
{
    *syms = cg_grow(*syms, n, sizeof **syms);
    (*syms)[*n - 1].name = name;
    (*syms)[*n - 1].origin = origin;
}

static int cmp_symbol(const void *a, const void *b)
{
    const symbol *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    /* Deterministic order of equal names: the runtime's first, then by table. */
    if (!x->origin || !y->origin)
        return (x->origin != NULL) - (y->origin != NULL);
    return strcmp(x->origin, y->origin);
}

void cg_api_check_symbols(const cg_schema *s, char **reserved, int nreserved)
{
    symbol *syms = NULL;
    int n = 0;
    for (int i = 0; i < nreserved; i++)
        add_symbol(&syms, &n, cg_xstrdup(reserved[i]), NULL);
    for (int ti = 0; ti < s->ntables; ti++) {
        const cg_table *t = &s->tables[ti];
        const char *tn = t->name;
        cg_api api;
        cg_api_build(&api, t);
        static const char *const fixed[] = {
            "", "_list", "_table", "_column", "_insert", "_get", "_update",
            "_update_columns", "_upsert", "_delete", "_count", "_exists", "_clear",
            "_list_free",
        };
        for (size_t f = 0; f < sizeof fixed / sizeof fixed[0]; f++)
            add_symbol(&syms, &n, cg_xasprintf("cerd_%s%s", tn, fixed[f]), tn);
        if (api.soft_delete)
            add_symbol(&syms, &n, cg_xasprintf("cerd_%s_delete_hard", tn), tn);
        for (int k = 0; k < api.nbykeys; k++) {
            add_symbol(&syms, &n, cg_xasprintf("cerd_%s_get_by_%s", tn, api.bykeys[k].suffix),
                       tn);
            add_symbol(&syms, &n,
                       cg_xasprintf("cerd_%s_upsert_by_%s", tn, api.bykeys[k].suffix), tn);
        }
        for (int l = 0; l < api.nlists; l++)
            add_symbol(&syms, &n,
                       cg_xasprintf("cerd_%s_list_by_%s", tn,
                                    t->columns[api.list_columns[l]].name),
                       tn);
        for (int c = 0; c < t->ncolumns; c++)
            add_symbol(&syms, &n, cg_xstrdup(api.enum_names[c]), tn);
        add_symbol(&syms, &n, cg_xstrdup(api.ncolumns_name), tn);
        add_symbol(&syms, &n, cg_xasprintf("CRYPTOERD_TABLES_%s_H", api.upper), tn);
        cg_api_free(&api);
    }
    qsort(syms, (size_t)n, sizeof *syms, cmp_symbol);
    for (int i = 1; i < n; i++) {
        if (strcmp(syms[i - 1].name, syms[i].name) != 0)
            continue;
        if (!syms[i].origin && !syms[i - 1].origin)
            continue; /* the runtime's own names may repeat (declaration and use) */
        if (!syms[i - 1].origin)
            fprintf(stderr,
                    "cerdgen: table %s: the generated name %s is already a name of the "
                    "library's public headers; rename the table or column\n",
                    syms[i].origin, syms[i].name);
        else
            fprintf(stderr,
                    "cerdgen: tables %s and %s: both would generate the name %s; rename a "
                    "table or column\n",
                    syms[i - 1].origin, syms[i].origin, syms[i].name);
        exit(1);
    }
    for (int i = 0; i < n; i++)
        free(syms[i].name);
    free(syms);
}
