#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "rows.h"

void *new_row(const cerd_table *t)
{
    void *row = calloc(1, t->row_size);
    assert_non_null(row);
    return row;
}

void free_row(const cerd_table *t, void *row)
{
    cerd_row_clear(t, row);
    free(row);
}
