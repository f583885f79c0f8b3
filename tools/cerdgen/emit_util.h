/* Writing generated C: a growable text buffer, Doxygen-safe comment text, C string
   literals, and wrapped prototypes. */
#ifndef CERDGEN_EMIT_UTIL_H
#define CERDGEN_EMIT_UTIL_H

#include <stddef.h>

/* Width generated lines are wrapped to (where they can be). */
#define CG_LINE_WIDTH 96

typedef struct cg_buf {
    char *data; /* NUL-terminated */
    size_t len, cap;
} cg_buf;

void cg_buf_puts(cg_buf *b, const char *s);
void cg_buf_printf(cg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cg_buf_free(cg_buf *b);
/* Column of the end of the buffer (characters since the last newline). */
size_t cg_buf_column(const cg_buf *b);

/* Text made safe for a Doxygen comment: whitespace runs (newlines included) become one
   space; \ @ & < > % # $ " and :: are escaped with a backslash; the comment delimiters
   slash-star and star-slash are broken up. Caller frees. */
char *cg_doc_text(const char *s);

/* Appends text (already made safe) word-wrapped at CG_LINE_WIDTH: it continues the
   current line, and every further line starts with `indent`. */
void cg_buf_wrap(cg_buf *b, const char *text, const char *indent);

/* Appends s as a C string literal, quotes included. */
void cg_buf_cstring(cg_buf *b, const char *s);

/* s in upper case. Caller frees. */
char *cg_upper(const char *s);

/* Appends "<head>(<p0>, <p1>, ...)<tail>", breaking after commas (continuation lines
   aligned after the parenthesis) when the line would be wider than CG_LINE_WIDTH. */
void cg_buf_call(cg_buf *b, const char *head, const char *const *params, int nparams,
                 const char *tail);

#endif
