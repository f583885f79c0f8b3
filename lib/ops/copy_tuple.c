/* What COPY and the staging table of bulk upsert share: the write rule's column sets and
   binary COPY tuples (see bulk_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/bulk_internal.h"
#include "wire/codec.h"
#include "wire/field.h"
#include "wire/violations.h"
#include "util/error_internal.h"

/* ------------------------------------------------------------------ write rule */


void cerd__present_set(const cerd_table *t, const void *row, cerd_colset *set)
{
    memset(set, 0, sizeof *set);
    for (int i = 0; i < t->ncolumns; i++) {
        int st = cerd__write_state(t, i, row);
        if (st == CERD__W_VALUE || st == CERD__W_NULL)
            cerd_colset_add(set, (unsigned)i);
    }
}

int cerd__colset_count(const cerd_colset *set, int ncolumns)
{
    int n = 0;
    for (int i = 0; i < ncolumns; i++)
        n += cerd_colset_has(set, (unsigned)i);
    return n;
}

bool cerd__colset_equal(const cerd_colset *a, const cerd_colset *b)
{
    return memcmp(a->bits, b->bits, sizeof a->bits) == 0;
}

/* ------------------------------------------------------------------ COPY tuples */

static void put_be32(char *p, uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
}

int cerd__copy_header(cerd__buf *b)
{
    static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
    return cerd__buf_append(b, header, sizeof header) ? CERD_ENOMEM : 0;
}

int cerd__copy_trailer(cerd__buf *b)
{
    return cerd__buf_append(b, "\377\377", 2) ? CERD_ENOMEM : 0;
}

#define OID_VARCHAR 1043

int cerd__copy_encode_row(cerd__buf *b, const cerd_table *t, const cerd_colset *set, int nset,
                          const void *row)
{
    size_t mark = b->len;
    char n16[2] = {(char)(nset >> 8), (char)nset};
    int rc = 0;

    if (cerd__buf_append(b, n16, 2))
        return cerd__error(CERD_ENOMEM, "%s: out of memory for COPY data", t->name);
    for (int i = 0; i < t->ncolumns && !rc; i++) {
        const cerd_column *c = &t->columns[i];
        size_t at;
        if (!cerd_colset_has(set, (unsigned)i))
            continue;
        at = b->len;
        if (cerd__buf_append(b, "\377\377\377\377", 4)) {
            rc = cerd__error(CERD_ENOMEM, "%s: out of memory for COPY data", t->name);
            break;
        }
        if (cerd__field_is_null(c, row))
            continue;
        if ((rc = cerd__encode_field(t, c, row, b)))
            break;
        put_be32(b->data + at, (uint32_t)(b->len - at - 4));
        /* A COPY checks an array's element type exactly (array_recv): varchar(n)[] columns
           take varchar elements, where parameters travel as text[]. */
        if (c->type == CERD_TYPE_TEXT_ARRAY && c->max_chars >= 0 && b->len - at - 4 >= 12)
            put_be32(b->data + at + 4 + 8, OID_VARCHAR);
    }
    if (rc)
        b->len = mark;
    return rc;
}

static int add_violation(cerd_violations *v, const cerd_table *t, int col, const char *msg)
{
    size_t cap = v->count; /* grows by doubling from the current size */
    v->table = t;
    return cerd__violations_add(v, &cap, CERD_VIOLATION_NOT_NULL, "not_null", 1,
                                &cerd__column_index[col], "%s", msg);
}

int cerd__copy_conform(const cerd_table *t, const cerd_colset *set, bool strict,
                       const void *row, cerd_violations *v)
{
    int first = -1;
    char msg[256] = "";

    for (int i = 0; i < t->ncolumns; i++) {
        const cerd_column *c = &t->columns[i];
        bool in = cerd_colset_has(set, (unsigned)i);
        char m[256];
        if (in && (c->flags & CERD_COL_NOT_NULL) && cerd__field_is_null(c, row))
            snprintf(m, sizeof m, "%s.%s: NULL in a NOT NULL column the COPY sends "
                     "(a COPY cannot send DEFAULT: set it, or leave it out of the columns)",
                     t->name, c->name);
        else if (strict && !in && !cerd__field_is_null(c, row))
            snprintf(m, sizeof m, "%s.%s: holds a value, but the COPY's columns (taken "
                     "from the first row, where it was absent) leave it out", t->name,
                     c->name);
        else
            continue;
        if (first < 0) {
            first = i;
            memcpy(msg, m, sizeof msg);
        }
        if (v && add_violation(v, t, i, m))
            return CERD_ENOMEM;
    }
    if (first < 0)
        return 0;
    cerd__error(CERD_EINVALID, "%s", msg);
    cerd__error_names(t->name, t->columns[first].name, "not_null");
    return CERD_EINVALID;
}
