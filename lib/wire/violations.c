/* Lists of violations: see violations.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error_internal.h"
#include "wire/violations.h"

const uint16_t cerd__column_index[CERD_MAX_COLUMNS] = {
#define I8(n) n, n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7
    I8(0),  I8(8),  I8(16), I8(24), I8(32), I8(40), I8(48), I8(56),
    I8(64), I8(72), I8(80), I8(88), I8(96), I8(104), I8(112), I8(120)
#undef I8
};

int cerd__violations_add(cerd_violations *v, size_t *cap, cerd_violation_kind kind,
                         const char *constraint, uint16_t ncolumns, const uint16_t *columns,
                         const char *fmt, ...)
{
    char buf[1024], *msg;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (v->count == *cap) {
        size_t n = *cap ? *cap * 2 : 8;
        cerd_violation *p = realloc(v->items, n * sizeof *p);
        if (!p)
            return cerd__error(CERD_ENOMEM, "out of memory (list of %zu violations)", n);
        v->items = p;
        *cap = n;
    }
    if (!(msg = strdup(buf)))
        return cerd__error(CERD_ENOMEM, "out of memory (violation message)");
    v->items[v->count++] = (cerd_violation){.kind = kind,
                                            .constraint = constraint,
                                            .ncolumns = ncolumns,
                                            .columns = columns,
                                            .message = msg};
    return 0;
}

void cerd_violations_free(cerd_violations *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->count; i++)
        free((char *)v->items[i].message);
    free(v->items);
    memset(v, 0, sizeof *v);
}
