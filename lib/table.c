/* Finding descriptors, and releasing rows: the parts of the runtime that need no server. */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "tables/registry.h"

const cerd_table *cerd_table_find(const char *name)
{
    for (size_t i = 0; name && i < cerd__table_count; i++)
        if (!strcmp(cerd__tables[i]->name, name))
            return cerd__tables[i];
    return NULL;
}

size_t cerd_table_count(void)
{
    return cerd__table_count;
}

const cerd_table *cerd_table_at(size_t index)
{
    return index < cerd__table_count ? cerd__tables[index] : NULL;
}

int cerd_table_column(const cerd_table *t, const char *name)
{
    for (int i = 0; t && name && i < t->ncolumns; i++)
        if (!strcmp(t->columns[i].name, name))
            return i;
    return -1;
}

void cerd_row_clear(const cerd_table *t, void *row)
{
    if (!t || !row)
        return;
    for (int i = 0; i < t->ncolumns; i++)
        cerd__free_field(&t->columns[i], row);
    memset(row, 0, t->row_size);
}

/* Whether fields of this type own memory (strings, JSON, arrays). */
static int owns_memory(cerd_type type)
{
    return type == CERD_TYPE_TEXT || type == CERD_TYPE_JSONB || type == CERD_TYPE_INT32_ARRAY
           || type == CERD_TYPE_TEXT_ARRAY;
}

void cerd_rows_free(const cerd_table *t, cerd_rows *rows)
{
    if (!t || !rows)
        return;
    /* Rows about to be freed need no zeroing: release only what fields own. */
    for (int c = 0; c < t->ncolumns; c++) {
        if (!owns_memory(t->columns[c].type))
            continue;
        for (size_t i = 0; i < rows->count; i++)
            cerd__free_field(&t->columns[c], (char *)rows->rows + i * t->row_size);
    }
    free(rows->rows);
    memset(rows, 0, sizeof *rows);
}
