/* Rows of any table, on the heap, for tests. */
#ifndef CERD_TEST_ROWS_H
#define CERD_TEST_ROWS_H

#include <cryptoerd/cryptoerd.h>

/* A zeroed row of t (fails the cmocka test when out of memory). */
void *new_row(const cerd_table *t);

/* cerd_row_clear()s row, then frees it. */
void free_row(const cerd_table *t, void *row);

#endif
