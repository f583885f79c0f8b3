/* A growable byte buffer: the one buffer of the library (wire data, JSON text, SQL). */
#ifndef CERD_UTIL_BUF_H
#define CERD_UTIL_BUF_H

#include <stddef.h>

/* Zero-initialise; release with cerd__buf_free. */
typedef struct cerd__buf {
    char *data;
    size_t len, cap;
} cerd__buf;

/* Makes room for extra more bytes. Returns 0 or CERD_ENOMEM (error record set). */
int cerd__buf_reserve(cerd__buf *b, size_t extra);
/* Appends n bytes. Returns 0 or CERD_ENOMEM. */
int cerd__buf_append(cerd__buf *b, const void *p, size_t n);
/* Releases the memory and zeroes the buffer. Accepts NULL. */
void cerd__buf_free(cerd__buf *b);

#endif
