/* The verdict on one row (row_verdict.h).

   Reading is the library's: cerd_row_from_json_collect() reads every member it can and
   reports each that it cannot (type, encoding, numeric_precision), naming its column.
   What a C row cannot say is judged here: NULL in a NOT NULL column whose C field has no
   NULL (an absent key there, or JSON null), and JSON null in a NOT NULL column that has
   a default (the library's insert would leave such a column to its default; an INSERT
   of NULL fails). Then the library: cerd_row_validate(CERD_VALIDATE_INSERT). A nullable
   column that has a default and is given JSON null is NULL, not its default, so the
   CHECKs that read it come from a second pass in CERD_VALIDATE_STORED (when no column
   they read is left to its default). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "row_verdict.h"

static int add_item(verdict *v, const char *constraint, int group, int key,
                    uint16_t ncolumns, const uint16_t *columns, const char *message)
{
    char *msg;
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        verdict_item *p = realloc(v->items, cap * sizeof *p);
        if (!p)
            return -1;
        v->items = p;
        v->cap = cap;
    }
    if (!(msg = strdup(message)))
        return -1;
    v->items[v->count] = (verdict_item){.constraint = constraint,
                                        .ncolumns = ncolumns,
                                        .columns = columns,
                                        .message = msg,
                                        .group = group,
                                        .key = key,
                                        .seq = v->count};
    v->count++;
    return 0;
}

/* An item of the row (column < 0) or of one column. message, or else fmt, says why. */
static __attribute__((format(printf, 6, 7))) int add(verdict *v, const char *constraint,
                                                      int group, int column,
                                                      const char *message, const char *fmt,
                                                      ...)
{
    char buf[1024];
    if (!message) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        message = buf;
    }
    if (add_item(v, constraint, group, column < 0 ? -1 : column, column < 0 ? 0 : 1, NULL,
                 message))
        return -1;
    v->items[v->count - 1].column = (uint16_t)(column < 0 ? 0 : column);
    return 0;
}

void verdict_free(verdict *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->count; i++)
        free(v->items[i].message);
    free(v->items);
    memset(v, 0, sizeof *v);
}

/* Whether the column's C field can say NULL (else NULL reads as 0, false, ...). */
static bool has_null(const cerd_column *c)
{
    if (c->flags & CERD_COL_OPTIONAL)
        return true;
    return c->type == CERD_TYPE_TEXT || c->type == CERD_TYPE_JSONB ||
           c->type == CERD_TYPE_INT32_ARRAY || c->type == CERD_TYPE_TEXT_ARRAY;
}

static bool touches(const cerd_violation *x, const bool *set)
{
    for (uint16_t i = 0; i < x->ncolumns; i++)
        if (set[x->columns[i]])
            return true;
    return false;
}

static int check_index(const cerd_table *t, const char *name)
{
    for (int k = 0; k < t->nchecks; k++)
        if (t->checks[k] && !strcmp(cerd_check_name(t->checks[k]), name))
            return k;
    return t->nchecks;
}

/* Takes the library's violations into v: those not touching skip (and, when only is
   given, CHECKs touching only and not also avoid). */
static int take(verdict *v, const cerd_table *t, const cerd_violations *lib, const bool *skip,
                const bool *only, const bool *avoid)
{
    for (size_t i = 0; i < lib->count; i++) {
        const cerd_violation *x = &lib->items[i];
        bool check = x->kind == CERD_VIOLATION_CHECK;
        if (touches(x, skip))
            continue;
        if (only && (!check || !touches(x, only) || touches(x, avoid)))
            continue;
        if (add_item(v, x->constraint, check ? 2 : 1,
                     check ? check_index(t, x->constraint)
                           : (x->ncolumns ? x->columns[0] : -1),
                     x->ncolumns, x->columns, x->message))
            return -1;
    }
    return 0;
}

static int cmp_items(const void *a, const void *b)
{
    const verdict_item *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int verdict_row(verdict *out, const cerd_table *t, const cJSON *row)
{
    bool given[CERD_MAX_COLUMNS] = {false};   /* the row has the key */
    bool jnull[CERD_MAX_COLUMNS] = {false};   /* ... with JSON null (the last one) */
    bool skip[CERD_MAX_COLUMNS] = {false};    /* reported: not judged further */
    bool nulled[CERD_MAX_COLUMNS] = {false};  /* nullable, has a default, given null */
    bool deflt[CERD_MAX_COLUMNS] = {false};   /* absent, left to its default */
    bool any_nulled = false;
    cerd_violations read = {0}, lib = {0}, stored = {0};
    void *fields = NULL;
    int rc = -1, r;

    memset(out, 0, sizeof *out);
    if (t->ncolumns > CERD_MAX_COLUMNS || !(fields = calloc(1, t->row_size)))
        return -1;

    /* reading: every member the library cannot read, each with its column and why */
    r = cerd_row_from_json_collect(fields, &read, t, row);
    if (r && r != CERD_EINVALID)
        goto done;
    for (size_t i = 0; i < read.count; i++) {
        const cerd_violation *x = &read.items[i];
        if (add_item(out, x->constraint, x->ncolumns ? 1 : 0,
                     x->ncolumns ? x->columns[0] : -1, x->ncolumns, x->columns, x->message))
            goto done;
        if (x->ncolumns)
            skip[x->columns[0]] = true;
    }
    if (!cJSON_IsObject(row)) {
        rc = 1;
        goto done;
    }
    for (const cJSON *m = row->child; m; m = m->next) {
        int col = m->string ? cerd_table_column(t, m->string) : -1;
        if (col >= 0) {
            given[col] = true;
            jnull[col] = cJSON_IsNull(m); /* the last of a repeated key wins */
        }
    }

    for (int col = 0; col < t->ncolumns; col++) {
        const cerd_column *c = &t->columns[col];
        bool not_null = c->flags & CERD_COL_NOT_NULL, dflt = c->flags & CERD_COL_HAS_DEFAULT;

        if (given[col] && !jnull[col])
            continue;
        if (!given[col] && dflt)
            deflt[col] = true;
        else if (not_null && (given[col] ? dflt || !has_null(c) : !has_null(c))) {
            /* what the library cannot see: a field without NULL, or null that the
               library's insert would turn into the default */
            if (add(out, "not_null", 1, col, NULL, "%s.%s: null value violates NOT NULL%s",
                    t->name, c->name, given[col] ? "" : " (no value given, and no default)"))
                goto done;
            skip[col] = true;
        } else if (given[col] && dflt) {
            nulled[col] = any_nulled = true;
        }
    }

    /* the row the members make, judged by the library */
    r = cerd_row_validate(&lib, t, fields, CERD_VALIDATE_INSERT);
    if (r && r != CERD_EINVALID)
        goto done;
    if (any_nulled) {
        bool skip_nulled[CERD_MAX_COLUMNS];
        for (int i = 0; i < CERD_MAX_COLUMNS; i++)
            skip_nulled[i] = skip[i] || nulled[i];
        r = cerd_row_validate(&stored, t, fields, CERD_VALIDATE_STORED);
        if ((r && r != CERD_EINVALID) || take(out, t, &lib, skip_nulled, NULL, NULL) ||
            take(out, t, &stored, skip, nulled, deflt))
            goto done;
    } else if (take(out, t, &lib, skip, NULL, NULL)) {
        goto done;
    }
    if (out->count)
        qsort(out->items, out->count, sizeof *out->items, cmp_items);
    rc = out->count ? 1 : 0;
done:
    cerd_violations_free(&read);
    cerd_violations_free(&lib);
    cerd_violations_free(&stored);
    cerd_row_clear(t, fields);
    free(fields);
    return rc;
}

/* ------------------------------------------------------------------------------ */
/* Output */

typedef struct sbuf {
    char *data;
    size_t len, cap;
    bool failed;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;
        while (b->len + n + 1 > cap)
            cap *= 2;
        if (!(p = realloc(b->data, cap))) {
            b->failed = true;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void puts_(sbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* s as a JSON string (the library's printer: escapes as PostgreSQL's, and U+FFFD for
   each byte that starts no valid UTF-8 sequence). */
static void put_string(sbuf *b, const char *s)
{
    cJSON *str = cJSON_CreateString(s);
    char *text = NULL;
    if (!str || cerd_json_print(&text, str, CERD_JSON_REPLACE_INVALID)) {
        b->failed = true;
    } else {
        puts_(b, text);
    }
    free(text);
    cJSON_Delete(str);
}

char *verdict_format(const cerd_table *t, size_t row, const verdict *v)
{
    sbuf b = {0};
    char num[48];

    snprintf(num, sizeof num, "%zu", row);
    puts_(&b, "{\"row\": ");
    puts_(&b, num);
    if (!v->count) {
        puts_(&b, ", \"valid\": true}\n");
    } else {
        puts_(&b, ", \"valid\": false, \"violations\": [");
        for (size_t i = 0; i < v->count; i++) {
            const verdict_item *x = &v->items[i];
            if (i)
                puts_(&b, ", ");
            puts_(&b, "{\"constraint\": ");
            put_string(&b, x->constraint);
            puts_(&b, ", \"columns\": [");
            for (uint16_t k = 0; k < x->ncolumns; k++) {
                if (k)
                    puts_(&b, ",");
                uint16_t col = x->columns ? x->columns[k] : x->column;
                put_string(&b, col < t->ncolumns ? t->columns[col].name : "?");
            }
            puts_(&b, "], \"message\": ");
            put_string(&b, x->message);
            puts_(&b, "}");
        }
        puts_(&b, "]}\n");
    }
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    return b.data;
}
