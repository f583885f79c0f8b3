/* Writing generated C (see emit_util.h). */
#include "emit_util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static void reserve(cg_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        fputs("cerdgen: out of memory\n", stderr);
        exit(1);
    }
    b->data = p;
    b->cap = cap;
}

void cg_buf_puts(cg_buf *b, const char *s)
{
    size_t n = strlen(s);
    reserve(b, n);
    memcpy(b->data + b->len, s, n + 1);
    b->len += n;
}

void cg_buf_printf(cg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void cg_buf_free(cg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Characters (not UTF-8 continuation bytes) in s[0..n). */
static size_t width_of(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            w++;
    return w;
}

size_t cg_buf_column(const cg_buf *b)
{
    size_t i = b->len;
    while (i > 0 && b->data[i - 1] != '\n')
        i--;
    return width_of(b->data + i, b->len - i);
}

char *cg_doc_text(const char *s)
{
    cg_buf b = {0};
    bool space = false;
    cg_buf_puts(&b, "");
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isspace(c)) {
            space = b.len > 0;
            continue;
        }
        if (space) {
            cg_buf_puts(&b, " ");
            space = false;
        }
        char tmp[4] = {(char)c, 0, 0, 0};
        if (c == ':' && p[1] == ':') {
            tmp[0] = '\\'; /* "::" would be an explicit link request */
            tmp[1] = ':';
            tmp[2] = ':';
            p++;
        } else if (strchr("\\@&<>%#$\"", c)) {
            tmp[0] = '\\';
            tmp[1] = (char)c;
        } else if (c == '*' && p[1] == '/') {
            tmp[1] = ' '; /* star-slash would end the comment */
        } else if (c == '/' && p[1] == '*') {
            tmp[1] = ' '; /* slash-star inside a comment draws -Wcomment */
        }
        cg_buf_puts(&b, tmp);
    }
    return b.data;
}

static bool ends_with_backslash(const char *start, const char *end)
{
    if (end > start && end[-1] == '\\')
        return true;
    return end - start >= 3 && end[-1] == '/' && end[-2] == '?' && end[-3] == '?';
}

void cg_buf_wrap(cg_buf *b, const char *text, const char *indent)
{
    size_t col = cg_buf_column(b);
    const char *p = text;
    bool first = true;
    while (*p) {
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        /* Never end a line with a backslash (or the trigraph ??/ that means one): it would
           splice the next line onto it. */
        while (*e == ' ' && e > p && ends_with_backslash(p, e)) {
            e++;
            while (*e && *e != ' ')
                e++;
        }
        size_t w = width_of(p, (size_t)(e - p));
        if (!first && col + 1 + w > CG_LINE_WIDTH) {
            cg_buf_printf(b, "\n%s", indent);
            col = width_of(indent, strlen(indent));
        } else if (!first) {
            cg_buf_puts(b, " ");
            col++;
        }
        cg_buf_printf(b, "%.*s", (int)(e - p), p);
        col += w;
        first = false;
        p = *e ? e + 1 : e;
    }
}

void cg_buf_cstring(cg_buf *b, const char *s)
{
    cg_buf_puts(b, "\"");
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            cg_buf_printf(b, "\\%c", c);
        else if (c == '\n')
            cg_buf_puts(b, "\\n");
        else if (c == '\t')
            cg_buf_puts(b, "\\t");
        else if (c < 0x20 || c == 0x7f)
            cg_buf_printf(b, "\\%03o", c);
        else if (c == '?' && p > s && p[-1] == '?')
            cg_buf_puts(b, "\\?"); /* no trigraphs */
        else
            cg_buf_printf(b, "%c", c);
    }
    cg_buf_puts(b, "\"");
}

char *cg_upper(const char *s)
{
    char *u = cg_xstrdup(s);
    for (char *p = u; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return u;
}

void cg_buf_call(cg_buf *b, const char *head, const char *const *params, int nparams,
                 const char *tail)
{
    size_t total = strlen(head) + 2 + strlen(tail) + cg_buf_column(b);
    for (int i = 0; i < nparams; i++)
        total += strlen(params[i]) + 2;
    cg_buf_printf(b, "%s(", head);
    if (total <= CG_LINE_WIDTH) {
        for (int i = 0; i < nparams; i++)
            cg_buf_printf(b, "%s%s", i ? ", " : "", params[i]);
        cg_buf_printf(b, ")%s", tail);
        return;
    }
    size_t align = cg_buf_column(b);
    if (align > 48) {
        /* A long name: the parameters go on the following lines. */
        align = 8;
        cg_buf_printf(b, "\n%*s", (int)align, "");
    }
    size_t col = align;
    for (int i = 0; i < nparams; i++) {
        size_t w = strlen(params[i]) + (i + 1 < nparams ? 1 : 1 + strlen(tail));
        if (i > 0) {
            if (col + 1 + w > CG_LINE_WIDTH) {
                cg_buf_printf(b, "\n%*s", (int)align, "");
                col = align;
            } else {
                cg_buf_puts(b, " ");
                col++;
            }
        }
        cg_buf_printf(b, "%s%s", params[i], i + 1 < nparams ? "," : "");
        col += w;
    }
    cg_buf_printf(b, ")%s", tail);
}
