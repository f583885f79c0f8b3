/* A growable NUL-terminated string for tests (fails the cmocka test when out of memory).
   Zero-initialised is empty; data stays NULL until something is added. */
#ifndef CERD_TEST_STRBUF_H
#define CERD_TEST_STRBUF_H

#include <stddef.h>

typedef struct strbuf {
    char *data;
    size_t len, cap;
} strbuf;

void strbuf_put(strbuf *b, const char *s, size_t n);
void strbuf_putc(strbuf *b, char c);
void strbuf_puts(strbuf *b, const char *s);
void strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_free(strbuf *b);

#endif
