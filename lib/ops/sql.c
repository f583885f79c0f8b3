/* SQL text and binary parameters (see sql.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/sql.h"
#include "wire/codec.h"
#include "wire/field.h"
#include "util/error_internal.h"

/* ------------------------------------------------------------------ SQL text */

void cerd__sql_add(cerd__sql *q, const char *s)
{
    size_t n;
    if (q->oom || q->off)
        return;
    n = strlen(s);
    if (cerd__buf_reserve(&q->b, n + 1)) {
        q->oom = true;
        return;
    }
    memcpy(q->b.data + q->b.len, s, n + 1);
    q->b.len += n;
}

void cerd__sql_ident(cerd__sql *q, const char *name)
{
    cerd__sql_add(q, "\"");
    cerd__sql_add(q, name);
    cerd__sql_add(q, "\"");
}

void cerd__sql_param(cerd__sql *q, int number)
{
    char buf[16];
    if (q->off)
        return;
    snprintf(buf, sizeof buf, "$%d", number);
    cerd__sql_add(q, buf);
}

void cerd__sql_all_columns(cerd__sql *q, const cerd_table *t)
{
    if (q->off)
        return;
    for (int i = 0; i < t->ncolumns; i++) {
        if (i)
            cerd__sql_add(q, ", ");
        cerd__sql_ident(q, t->columns[i].name);
    }
}

void cerd__sql_columns(cerd__sql *q, const cerd_table *t, const cerd_colset *set)
{
    int first = 1;
    for (int i = 0; i < t->ncolumns; i++) {
        if (!cerd_colset_has(set, (unsigned)i))
            continue;
        if (!first)
            cerd__sql_add(q, ", ");
        cerd__sql_ident(q, t->columns[i].name);
        first = 0;
    }
}

const char *cerd__sql_text(cerd__sql *q)
{
    if (q->oom || !q->b.data) {
        cerd__error(CERD_ENOMEM, "out of memory for SQL text");
        return NULL;
    }
    return q->b.data;
}

void cerd__sql_free(cerd__sql *q)
{
    cerd__buf_free(&q->b);
    q->oom = false;
}

/* ------------------------------------------------------------------ parameters */

/* The four per-parameter arrays live in one block: one allocation per growth. */
static int params_grow(cerd__params *p)
{
    int cap;
    size_t each;
    char *block;
    if (p->n < p->cap)
        return 0;
    cap = p->cap ? p->cap * 2 : 16;
    each = sizeof *p->types + sizeof *p->offsets + sizeof *p->lengths + sizeof *p->values;
    if (!(block = malloc((size_t)cap * each)))
        return cerd__error(CERD_ENOMEM, "out of memory for parameters");
    /* Widest elements first: every array stays aligned. */
    {
        size_t *offsets = (size_t *)block;
        const char **values = (const char **)(offsets + cap);
        uint32_t *types = (uint32_t *)(values + cap);
        int *lengths = (int *)(types + cap);
        if (p->n) {
            memcpy(offsets, p->offsets, (size_t)p->n * sizeof *offsets);
            memcpy(values, p->values, (size_t)p->n * sizeof *values);
            memcpy(types, p->types, (size_t)p->n * sizeof *types);
            memcpy(lengths, p->lengths, (size_t)p->n * sizeof *lengths);
        }
        free(p->offsets);
        p->offsets = offsets;
        p->values = values;
        p->types = types;
        p->lengths = lengths;
    }
    p->cap = cap;
    return 0;
}

int cerd__params_bytes(cerd__params *p, uint32_t oid, const void *bytes, int len)
{
    int rc;
    if ((rc = params_grow(p)))
        return rc;
    p->types[p->n] = oid;
    p->offsets[p->n] = p->data.len;
    p->lengths[p->n] = len < 0 ? -1 : len;
    if (len > 0 && cerd__buf_append(&p->data, bytes, (size_t)len))
        return cerd__error(CERD_ENOMEM, "out of memory for parameters");
    return ++p->n;
}

int cerd__params_value(cerd__params *p, const cerd_table *t, const cerd_column *c,
                       const void *row)
{
    int rc;
    if ((rc = params_grow(p)))
        return rc;
    p->types[p->n] = cerd__type_oid(c->type);
    p->offsets[p->n] = p->data.len;
    if ((rc = cerd__encode_field(t, c, row, &p->data)))
        return rc;
    p->lengths[p->n] = (int)(p->data.len - p->offsets[p->n]);
    return ++p->n;
}

int cerd__params_field(cerd__params *p, const cerd_table *t, const cerd_column *c,
                       const void *row)
{
    int rc;
    if (!cerd__field_is_null(c, row))
        return cerd__params_value(p, t, c, row);
    if ((rc = params_grow(p)))
        return rc;
    p->types[p->n] = cerd__type_oid(c->type);
    p->offsets[p->n] = p->data.len;
    p->lengths[p->n] = -1;
    return ++p->n;
}

int cerd__params_int64(cerd__params *p, int64_t v)
{
    unsigned char be[8];
    for (int i = 0; i < 8; i++)
        be[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
    return cerd__params_bytes(p, 20 /* int8 */, be, 8);
}

int cerd__params_values(cerd__params *p)
{
    for (int i = 0; i < p->n; i++)
        p->values[i] = p->lengths[i] < 0 ? NULL
                       : p->data.data ? p->data.data + p->offsets[i] : "";
    return 0;
}

void cerd__params_free(cerd__params *p)
{
    free(p->offsets); /* the block of the four arrays */
    cerd__buf_free(&p->data);
    memset(p, 0, sizeof *p);
}
