/* The verdict on one row (row_verdict.h).

   Reading: each member of the object is converted on its own (cerd_row_from_json stops at
   the first bad value; this reports every one), numerics after exact rounding
   (numeric_text.c), and the members that convert make the row. What a C row cannot say
   is judged here: NULL in a NOT NULL column whose C field has no NULL (an absent key
   there, or JSON null), and JSON null in a NOT NULL column that has a default (the
   library's insert would leave such a column to its default; an INSERT of NULL fails).
   Then the library: cerd_row_validate(CERD_VALIDATE_INSERT). A nullable column that has
   a default and is given JSON null is NULL, not its default, so the CHECKs that read it
   come from a second pass in CERD_VALIDATE_STORED (when no column they read is left to
   its default). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numeric_text.h"
#include "row_verdict.h"

/* Single-column items point into this: INDEX[i] = i. */
static const uint16_t INDEX[CERD_MAX_COLUMNS] = {
#define I8(n) n, n + 1, n + 2, n + 3, n + 4, n + 5, n + 6, n + 7
    I8(0),  I8(8),  I8(16), I8(24), I8(32),  I8(40),  I8(48),  I8(56),
    I8(64), I8(72), I8(80), I8(88), I8(96), I8(104), I8(112), I8(120)
#undef I8
};

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
    return add_item(v, constraint, group, column < 0 ? -1 : column, column < 0 ? 0 : 1,
                    column < 0 ? NULL : &INDEX[column], message);
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

static const char *json_kind(const cJSON *j)
{
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsNumber(j) || cJSON_IsRaw(j)) return "a number";
    if (cJSON_IsBool(j)) return "a boolean";
    if (cJSON_IsArray(j)) return "an array";
    if (cJSON_IsObject(j)) return "an object";
    return "null";
}

/* Whether some string or key in j is not valid UTF-8. */
static bool bad_utf8(const cJSON *j)
{
    if (j->string && cerd_text_check(j->string, strlen(j->string)))
        return true;
    if (cJSON_IsString(j) && j->valuestring &&
        cerd_text_check(j->valuestring, strlen(j->valuestring)))
        return true;
    for (const cJSON *c = j->child; c; c = c->next)
        if (bad_utf8(c))
            return true;
    return false;
}

/* Whether the column's C field can say NULL (else NULL reads as 0, false, ...). */
static bool has_null(const cerd_column *c)
{
    if (c->flags & CERD_COL_OPTIONAL)
        return true;
    return c->type == CERD_TYPE_TEXT || c->type == CERD_TYPE_JSONB ||
           c->type == CERD_TYPE_INT32_ARRAY || c->type == CERD_TYPE_TEXT_ARRAY;
}

/* The text of a number or string value, for a numeric column; NULL for other kinds. */
static const char *number_text(const cJSON *j, char *buf, size_t size)
{
    if (cJSON_IsString(j) || cJSON_IsRaw(j))
        return j->valuestring;
    if (cJSON_IsNumber(j) && cJSON_PrintPreallocated((cJSON *)j, buf, (int)size, 0))
        return buf; /* cerd_json_parse made a Number only where this prints the token */
    return NULL;
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

/* Adds the value of column name to obj: a Raw node of canon when given, else a reference
   to m (nothing copied, nothing freed with obj). Returns false when memory ran out. */
static bool add_value(cJSON *obj, const char *name, const cJSON *m, const char *canon)
{
    if (canon) {
        cJSON *raw = cJSON_CreateRaw(canon);
        if (raw && cJSON_AddItemToObject(obj, name, raw))
            return true;
        cJSON_Delete(raw);
        return false;
    }
    return cJSON_AddItemReferenceToObject(obj, name, (cJSON *)m);
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
    const cJSON *member[CERD_MAX_COLUMNS] = {NULL};
    bool skip[CERD_MAX_COLUMNS] = {false};    /* reported here: not judged further */
    bool nulled[CERD_MAX_COLUMNS] = {false};  /* nullable, has a default, given null */
    bool deflt[CERD_MAX_COLUMNS] = {false};   /* absent, left to its default */
    bool any_nulled = false;
    cJSON *obj = NULL, *one = NULL;
    void *fields = NULL, *scratch = NULL;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (t->ncolumns > CERD_MAX_COLUMNS)
        return -1; /* no generated table has that many (cerd_row_validate refuses it) */
    if (!cJSON_IsObject(row)) {
        if (add(out, "type", 0, -1, NULL, "%s: a row must be a JSON object, not %s", t->name,
                json_kind(row)))
            return -1;
        return 1;
    }

    /* keys: the last of a repeated key wins, as in jsonb */
    for (const cJSON *m = row->child; m; m = m->next) {
        int col;
        if (cerd_text_check(m->string, strlen(m->string))) {
            if (add(out, "encoding", 0, -1, NULL, "%s: key: %s", t->name,
                    cerd_error_last()->message))
                goto done;
            continue;
        }
        if ((col = cerd_table_column(t, m->string)) < 0) {
            bool again = false; /* a repeated unknown key is reported once */
            for (const cJSON *p = row->child; p != m && !again; p = p->next)
                again = !strcmp(p->string, m->string);
            if (!again && add(out, "type", 0, -1, NULL, "%s: no column named \"%s\"", t->name,
                              m->string))
                goto done;
            continue;
        }
        member[col] = m;
    }

    if (!(obj = cJSON_CreateObject()) || !(fields = calloc(1, t->row_size)) ||
        !(scratch = calloc(1, t->row_size)))
        goto done;

    for (int col = 0; col < t->ncolumns; col++) {
        const cerd_column *c = &t->columns[col];
        const cJSON *m = member[col];
        char *canon = NULL;
        int r;

        if (!m || cJSON_IsNull(m)) {
            bool not_null = c->flags & CERD_COL_NOT_NULL, dflt = c->flags & CERD_COL_HAS_DEFAULT;
            if (!m && dflt)
                deflt[col] = true;
            else if (not_null && (m ? dflt || !has_null(c) : !has_null(c))) {
                /* what the library cannot see: a field without NULL, or null that the
                   library's insert would turn into the default */
                if (add(out, "not_null", 1, col, NULL, "%s.%s: null value violates NOT NULL%s",
                        t->name, c->name, m ? "" : " (no value given, and no default)"))
                    goto done;
                skip[col] = true;
            } else if (m && dflt) {
                nulled[col] = any_nulled = true;
            }
            continue;
        }

        if (c->type == CERD_TYPE_NUMERIC) {
            char buf[64], why[256];
            const char *text = number_text(m, buf, sizeof buf);
            int nt = text ? numeric_text_prepare(text, c->precision, c->scale, &canon, why,
                                                 sizeof why)
                          : NT_OK;
            if (nt == NT_NOMEM)
                goto done;
            if (nt != NT_OK) {
                if (add(out, nt == NT_OVERFLOW ? "numeric_precision" : "type", 1, col, NULL,
                        "%s.%s: %s", t->name, c->name, why))
                    goto done;
                skip[col] = true;
                continue;
            }
        }

        /* this column alone, to report its own problem */
        if (!(one = cJSON_CreateObject()) || !add_value(one, c->name, m, canon)) {
            free(canon);
            goto done;
        }
        r = cerd_row_from_json(t, one, scratch);
        cJSON_Delete(one);
        one = NULL;
        if (r == CERD_ENOMEM) {
            free(canon);
            goto done;
        }
        if (r) {
            bool enc = bad_utf8(m);
            free(canon);
            if (add(out, enc ? "encoding" : "type", 1, col, NULL, "%s%s",
                    cerd_error_last()->message, enc ? " (the value is not valid UTF-8)" : ""))
                goto done;
            skip[col] = true;
            continue;
        }
        cerd_row_clear(t, scratch);
        r = !add_value(obj, c->name, m, canon);
        free(canon);
        if (r)
            goto done;
    }

    /* the row the members make, judged by the library */
    {
        cerd_violations lib = {0}, stored = {0};
        int r2 = cerd_row_from_json(t, obj, fields);
        if (r2 == CERD_ENOMEM)
            goto done;
        if (r2) { /* each member converted alone: should not happen */
            if (add(out, "type", 0, -1, cerd_error_last()->message, NULL))
                goto done;
        } else {
            r2 = cerd_row_validate(t, fields, CERD_VALIDATE_INSERT, &lib);
            if (r2 && r2 != CERD_EINVALID)
                goto done;
            if (any_nulled) {
                bool skip_nulled[CERD_MAX_COLUMNS];
                for (int i = 0; i < CERD_MAX_COLUMNS; i++)
                    skip_nulled[i] = skip[i] || nulled[i];
                r2 = cerd_row_validate(t, fields, CERD_VALIDATE_STORED, &stored);
                if ((r2 && r2 != CERD_EINVALID) || take(out, t, &lib, skip_nulled, NULL, NULL) ||
                    take(out, t, &stored, skip, nulled, deflt)) {
                    cerd_violations_free(&lib);
                    cerd_violations_free(&stored);
                    goto done;
                }
            } else if (take(out, t, &lib, skip, NULL, NULL)) {
                cerd_violations_free(&lib);
                goto done;
            }
            cerd_violations_free(&lib);
            cerd_violations_free(&stored);
        }
    }
    if (out->count)
        qsort(out->items, out->count, sizeof *out->items, cmp_items);
    rc = out->count ? 1 : 0;
done:
    cJSON_Delete(obj);
    cJSON_Delete(one);
    if (fields)
        cerd_row_clear(t, fields);
    free(fields);
    free(scratch);
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

/* s as a JSON string: quotes, escapes, and U+FFFD for each byte that starts no valid
   UTF-8 sequence. */
static void put_string(sbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    put(b, "\"", 1);
    while (*p) {
        unsigned char c = *p;
        size_t n;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(b, e, 2);
            p++;
        } else if (c < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", c);
            puts_(b, c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : e);
            p++;
        } else if (c < 0x80) {
            put(b, (const char *)p, 1);
            p++;
        } else {
            /* the length of a valid sequence, else 0 */
            n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
            for (size_t i = 1; i < n; i++) {
                unsigned char lo = 0x80, hi = 0xBF;
                if (i == 1 && c == 0xE0) lo = 0xA0;
                if (i == 1 && c == 0xED) hi = 0x9F;
                if (i == 1 && c == 0xF0) lo = 0x90;
                if (i == 1 && c == 0xF4) hi = 0x8F;
                if (p[i] < lo || p[i] > hi) {
                    n = 0;
                    break;
                }
            }
            if (n) {
                put(b, (const char *)p, n);
                p += n;
            } else {
                puts_(b, "\xEF\xBF\xBD");
                p++;
            }
        }
    }
    put(b, "\"", 1);
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
                put_string(&b, x->columns[k] < t->ncolumns ? t->columns[x->columns[k]].name
                                                            : "?");
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
