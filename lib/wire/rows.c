/* Memory of lists: freeing a list, the list allocator; and
   finding a column of a descriptor by name. No server involved. */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cryptoerd/row.h"
#include "wire/field.h"
#include "wire/rows_internal.h"

int cerd_table_column(const cerd_table *t, const char *name)
{
    for (int i = 0; t && name && i < t->ncolumns; i++)
        if (!strcmp(t->columns[i].name, name))
            return i;
    return -1;
}

void cerd_rows_free(const cerd_table *t, cerd_rows *rows)
{
    if (!t || !rows)
        return;
    /* Rows about to be freed need no zeroing: release only what fields own. */
    for (int c = 0; c < t->ncolumns; c++) {
        if (!cerd__type_owns_memory(t->columns[c].type))
            continue;
        for (size_t i = 0; i < rows->count; i++)
            cerd__field_free(&t->columns[c], (char *)rows->rows + i * t->row_size);
    }
    cerd__rows_release(rows->rows);
    memset(rows, 0, sizeof *rows);
}

/* List memory: every block starts with its size, so that release knows it; a thread
   keeps the last large block a list released for its next list, since lists are
   typically fetched page after page of the same size and a fresh multi-megabyte calloc
   costs a page fault per 4 KiB. The spare block is freed when its thread ends. */
#define SPARE_MIN (1u << 20)
#define SPARE_MAX (64u << 20)

typedef struct rows_block {
    size_t size;
    max_align_t data[]; /* the rows, aligned for any row struct */
} rows_block;

static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void spare_init(void)
{
    pthread_key_create(&spare_key, free);
}

void *cerd__rows_alloc(size_t n, size_t row_size)
{
    size_t size = n * row_size;
    rows_block *b = NULL;

    if (size >= SPARE_MIN) {
        pthread_once(&spare_once, spare_init);
        b = pthread_getspecific(spare_key);
        if (b && b->size >= size && b->size <= 2 * size) {
            pthread_setspecific(spare_key, NULL);
            memset(b->data, 0, size);
            return b->data;
        }
    }
    if (!(b = calloc(1, sizeof *b + size)))
        return NULL;
    b->size = size;
    return b->data;
}

void cerd__rows_release(void *rows)
{
    rows_block *b, *old;

    if (!rows)
        return;
    b = (rows_block *)((char *)rows - offsetof(rows_block, data));
    if (b->size < SPARE_MIN || b->size > SPARE_MAX) {
        free(b);
        return;
    }
    pthread_once(&spare_once, spare_init);
    old = pthread_getspecific(spare_key);
    pthread_setspecific(spare_key, b);
    free(old);
}
