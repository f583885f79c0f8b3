/* Memory of lists of rows (lib/wire/rows.c). */
#ifndef CERD_WIRE_ROWS_INTERNAL_H
#define CERD_WIRE_ROWS_INTERNAL_H

#include <stddef.h>

/* Memory for the n rows of a list, zeroed, released with cerd__rows_release (only). */
void *cerd__rows_alloc(size_t n, size_t row_size);
void cerd__rows_release(void *rows);

#endif
