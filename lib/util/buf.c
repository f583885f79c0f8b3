/* The growable byte buffer every layer builds wire data and text in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/error_internal.h"

int cerd__buf_reserve(cerd__buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (b->cap - b->len >= extra)
        return 0;
    if (extra > SIZE_MAX - b->len)
        return cerd__error(CERD_ENOMEM, "buffer size overflow");
    need = b->len + extra;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (!p)
        return cerd__error(CERD_ENOMEM, "out of memory (buffer of %zu bytes)", cap);
    b->data = p;
    b->cap = cap;
    return 0;
}

int cerd__buf_append(cerd__buf *b, const void *p, size_t n)
{
    int rc;
    if (n == 0)
        return 0;
    if ((rc = cerd__buf_reserve(b, n)))
        return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void cerd__buf_free(cerd__buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
