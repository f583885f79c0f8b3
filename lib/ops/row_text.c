/* Rows as one compact text buffer (include/cryptoerd/rowtext.h): the row-batch
   conversion of the bindings. Descriptor-driven: one code path for every table. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cryptoerd/bulk.h"
#include "cryptoerd/json.h"
#include "cryptoerd/row.h"
#include "cryptoerd/rowtext.h"
#include "cryptoerd/types.h"
#include "wire/field.h"
#include "wire/rows_internal.h"
#include "util/buf.h"
#include "util/error_internal.h"
#include "types/json_internal.h"

/* ------------------------------------------------------------------ row -> text */

static bool needs_escape(unsigned char ch)
{
    return ch == CERD_TEXT_ESC || ch == CERD_TEXT_RS || ch == CERD_TEXT_FS || ch == 0;
}

/* Appends a value's bytes, escaped when needed (then *escaped is set). */
static int put_value(cerd__buf *b, const char *s, size_t n, bool *escaped)
{
    size_t i, start = 0;
    int rc;

    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!needs_escape(ch))
            continue;
        char esc[2] = {(char)CERD_TEXT_ESC, (char)(ch ^ 0x40)};
        if ((rc = cerd__buf_append(b, s + start, i - start)) || (rc = cerd__buf_append(b, esc, 2)))
            return rc;
        start = i + 1;
        *escaped = true;
    }
    return cerd__buf_append(b, s + start, n - start);
}

static int put_str(cerd__buf *b, const char *s, bool *escaped)
{
    return put_value(b, s, strlen(s), escaped);
}

static int put_json(cerd__buf *b, const cJSON *v, bool *escaped)
{
    cerd__buf tmp = {0};
    int rc = cerd__json_print_buf_ex(v, CERD_JSON_REPLACE_INVALID, &tmp);
    if (!rc)
        rc = put_value(b, tmp.data ? tmp.data : "null", tmp.data ? tmp.len : 4, escaped);
    cerd__buf_free(&tmp);
    return rc;
}

static int put_field(cerd__buf *b, const cerd_table *t, const cerd_column *c, const void *row,
                     bool *escaped)
{
    const char *f = cerd__field(c, row);
    char tmp[96];
    int rc;

    if (cerd__field_null_at(c, f))
        return cerd__buf_append(b, "", 1); /* the NUL byte */
    switch (c->type) {
    case CERD_TYPE_INT64:
        snprintf(tmp, sizeof tmp, "%" PRId64, *(const int64_t *)(const void *)f);
        return cerd__buf_append(b, tmp, strlen(tmp));
    case CERD_TYPE_INT32:
        snprintf(tmp, sizeof tmp, "%" PRId32, *(const int32_t *)(const void *)f);
        return cerd__buf_append(b, tmp, strlen(tmp));
    case CERD_TYPE_BOOL:
        return cerd__buf_append(b, *(const bool *)(const void *)f ? "t" : "f", 1);
    case CERD_TYPE_NUMERIC: {
        const cerd_numeric *n = (const cerd_numeric *)(const void *)f;
        int need = cerd_numeric_format(n, tmp, sizeof tmp);
        if (need < (int)sizeof tmp)
            return cerd__buf_append(b, tmp, (size_t)need);
        char *big = malloc((size_t)need + 1);
        if (!big)
            return cerd__error(CERD_ENOMEM, "out of memory");
        cerd_numeric_format(n, big, (size_t)need + 1);
        rc = cerd__buf_append(b, big, (size_t)need);
        free(big);
        return rc;
    }
    case CERD_TYPE_TIMESTAMPTZ: {
        char ts[CERD_TIMESTAMP_BUFSIZE];
        if (cerd_timestamp_format(*(const cerd_timestamp *)(const void *)f, ts)) {
            rc = cerd__error(CERD_ERANGE, "%s.%s: timestamp out of the years 1-9999", t->name,
                             c->name);
            cerd__error_names(t->name, c->name, "");
            return rc;
        }
        return cerd__buf_append(b, ts, strlen(ts));
    }
    case CERD_TYPE_TEXT:
        return put_str(b, *(char *const *)(const void *)f, escaped);
    case CERD_TYPE_JSONB:
        return put_json(b, *(const cJSON *const *)(const void *)f, escaped);
    case CERD_TYPE_INET: {
        char in[CERD_INET_BUFSIZE];
        cerd_inet_format((const cerd_inet *)(const void *)f, in);
        return cerd__buf_append(b, in, strlen(in));
    }
    case CERD_TYPE_INT32_ARRAY: {
        const cerd_int32_array *a = (const cerd_int32_array *)(const void *)f;
        if ((rc = cerd__buf_append(b, "[", 1)))
            return rc;
        for (size_t i = 0; i < a->count; i++) {
            if (a->nulls && a->nulls[i])
                snprintf(tmp, sizeof tmp, "%snull", i ? "," : "");
            else
                snprintf(tmp, sizeof tmp, "%s%" PRId32, i ? "," : "", a->values[i]);
            if ((rc = cerd__buf_append(b, tmp, strlen(tmp))))
                return rc;
        }
        return cerd__buf_append(b, "]", 1);
    }
    case CERD_TYPE_TEXT_ARRAY: {
        const cerd_text_array *a = (const cerd_text_array *)(const void *)f;
        cJSON *arr = cJSON_CreateArray();
        if (!arr)
            return cerd__error(CERD_ENOMEM, "out of memory");
        for (size_t i = 0; i < a->count; i++) {
            cJSON *e = a->values[i] ? cJSON_CreateString(a->values[i]) : cJSON_CreateNull();
            if (!e) {
                cJSON_Delete(arr);
                return cerd__error(CERD_ENOMEM, "out of memory");
            }
            cJSON_AddItemToArray(arr, e);
        }
        rc = put_json(b, arr, escaped);
        cJSON_Delete(arr);
        return rc;
    }
    }
    return cerd__error(CERD_EMISUSE, "%s.%s: unknown column type %d", t->name, c->name,
                       (int)c->type);
}

static int format_row(cerd__buf *b, const cerd_table *t, const void *row)
{
    size_t flag_at = b->len;
    bool escaped = false;
    int rc;
    const char fs = (char)CERD_TEXT_FS, rs = (char)CERD_TEXT_RS;

    if ((rc = cerd__buf_append(b, "p", 1)))
        return rc;
    for (int i = 0; i < t->ncolumns; i++) {
        if (i && (rc = cerd__buf_append(b, &fs, 1)))
            return rc;
        if ((rc = put_field(b, t, &t->columns[i], row, &escaped)))
            return rc;
    }
    if (escaped)
        b->data[flag_at] = 'e';
    return cerd__buf_append(b, &rs, 1);
}

static int finish(char **out, size_t *len, cerd__buf *b, int rc)
{
    if (!rc && b->len)
        rc = cerd__buf_append(b, "", 1);
    if (rc || !b->len) {
        cerd__buf_free(b);
        return rc;
    }
    *out = b->data;
    *len = b->len - 1;
    return 0;
}

int cerd_rows_format_text(char **out, size_t *len, const cerd_table *t, const void *rows,
                          size_t n)
{
    cerd__buf b = {0};
    int rc = 0;

    if (!out || !len || !t || (n && !rows))
        return cerd__error(CERD_EMISUSE, "rows format text: NULL argument");
    *out = NULL;
    *len = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = format_row(&b, t, (const char *)rows + i * t->row_size);
    return finish(out, len, &b, rc);
}

void cerd_text_free(char *text)
{
    free(text);
}

/* ------------------------------------------------------------------ text -> row */

static int bad(const cerd_table *t, const cerd_column *c, int code, const char *why,
               const char *v)
{
    int rc = cerd__error(code, "%s.%s: %s: \"%.60s\"", t->name, c->name, why, v);
    cerd__error_names(t->name, c->name, "");
    return rc;
}

static int parse_int(const cerd_table *t, const cerd_column *c, const char *v, int64_t lo,
                     int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end)
        return bad(t, c, CERD_EINVALID, "not an integer", v);
    if (errno == ERANGE || x < lo || x > hi)
        return bad(t, c, CERD_ERANGE, "integer out of range", v);
    *out = (int64_t)x;
    return 0;
}

static int parse_int_array(const cerd_table *t, const cerd_column *c, const char *v, size_t n,
                           cerd_int32_array *a)
{
    cJSON *j = NULL;
    if (cerd__json_parse(v, n, &j) || !cJSON_IsArray(j)) {
        cJSON_Delete(j);
        return bad(t, c, CERD_EINVALID, "not a JSON array of integers", v);
    }
    size_t count = (size_t)cJSON_GetArraySize(j);
    a->values = calloc(count ? count : 1, sizeof *a->values);
    a->nulls = NULL;
    a->count = count;
    a->valid = true;
    if (!a->values) {
        cJSON_Delete(j);
        return cerd__error(CERD_ENOMEM, "out of memory");
    }
    size_t i = 0;
    int rc = 0;
    for (const cJSON *e = j->child; e && !rc; e = e->next, i++) {
        if (cJSON_IsNull(e)) {
            if (!a->nulls && !(a->nulls = calloc(count, sizeof *a->nulls)))
                rc = cerd__error(CERD_ENOMEM, "out of memory");
            else
                a->nulls[i] = true;
            continue;
        }
        char num[64];
        int64_t x;
        if (cJSON_IsRaw(e))
            snprintf(num, sizeof num, "%s", e->valuestring);
        else if (!cJSON_IsNumber(e) || !cJSON_PrintPreallocated((cJSON *)e, num, sizeof num, 0))
            num[0] = '\0';
        if (!(rc = parse_int(t, c, num, INT32_MIN, INT32_MAX, &x)))
            a->values[i] = (int32_t)x;
    }
    cJSON_Delete(j);
    return rc;
}

static int parse_text_array(const cerd_table *t, const cerd_column *c, const char *v, size_t n,
                            cerd_text_array *a)
{
    cJSON *j = NULL;
    if (cerd__json_parse(v, n, &j) || !cJSON_IsArray(j)) {
        cJSON_Delete(j);
        return bad(t, c, CERD_EINVALID, "not a JSON array of strings", v);
    }
    size_t count = (size_t)cJSON_GetArraySize(j);
    a->values = calloc(count ? count : 1, sizeof *a->values);
    a->count = count;
    a->valid = true;
    if (!a->values) {
        cJSON_Delete(j);
        return cerd__error(CERD_ENOMEM, "out of memory");
    }
    size_t i = 0;
    int rc = 0;
    for (const cJSON *e = j->child; e && !rc; e = e->next, i++) {
        if (cJSON_IsNull(e))
            continue;
        if (!cJSON_IsString(e))
            rc = bad(t, c, CERD_EINVALID, "array element is not a string", v);
        else if (!(a->values[i] = strdup(e->valuestring)))
            rc = cerd__error(CERD_ENOMEM, "out of memory");
    }
    cJSON_Delete(j);
    return rc;
}

/* Sets column c of row from the value v (n bytes, NUL-terminated at v[n]). */
static int set_field(const cerd_table *t, int ci, void *row, const char *v, size_t n)
{
    const cerd_column *c = &t->columns[ci];
    char *f = (char *)row + c->offset;
    int64_t x;
    int rc;

    if (n == 1 && v[0] == '\0')
        return 0; /* NULL: the field stays zeroed */
    if (n == 2 && v[0] == '\0' && v[1] == 'D') {
        cerd_colset_add((cerd_colset *)(void *)((char *)row + t->defaults_offset), (unsigned)ci);
        return 0;
    }
    if (c->type != CERD_TYPE_TEXT && memchr(v, '\0', n))
        return bad(t, c, CERD_EINVALID, "NUL byte in a value", "");
    switch (c->type) {
    case CERD_TYPE_INT64:
        if ((rc = parse_int(t, c, v, INT64_MIN, INT64_MAX, &x)))
            return rc;
        *(int64_t *)(void *)f = x;
        break;
    case CERD_TYPE_INT32:
        if ((rc = parse_int(t, c, v, INT32_MIN, INT32_MAX, &x)))
            return rc;
        *(int32_t *)(void *)f = (int32_t)x;
        break;
    case CERD_TYPE_BOOL:
        if (n != 1 || (v[0] != 't' && v[0] != 'f'))
            return bad(t, c, CERD_EINVALID, "not a boolean (t or f)", v);
        *(bool *)(void *)f = v[0] == 't';
        break;
    case CERD_TYPE_NUMERIC:
        if ((rc = cerd_numeric_parse((cerd_numeric *)(void *)f, v))) {
            cerd__error_prefix("%s.%s", t->name, c->name);
            cerd__error_names(t->name, c->name, "");
            return rc;
        }
        break;
    case CERD_TYPE_TIMESTAMPTZ: {
        size_t k = (v[0] == '-' || v[0] == '+') ? 1 : 0;
        while (k < n && v[k] >= '0' && v[k] <= '9')
            k++;
        if (k == n && n > 0 && !(n == 1 && (v[0] == '-' || v[0] == '+'))) {
            if ((rc = parse_int(t, c, v, INT64_MIN, INT64_MAX, &x)))
                return rc;
            *(cerd_timestamp *)(void *)f = x;
        } else if (cerd_timestamp_parse((cerd_timestamp *)(void *)f, v)) {
            return bad(t, c, CERD_EINVALID, "not an ISO 8601 timestamp", v);
        }
        break;
    }
    case CERD_TYPE_TEXT: {
        if (memchr(v, '\0', n)) {
            rc = cerd__error(CERD_EENCODING, "%s.%s: text contains a NUL byte", t->name,
                             c->name);
            cerd__error_names(t->name, c->name, "");
            return rc;
        }
        char *s = malloc(n + 1);
        if (!s)
            return cerd__error(CERD_ENOMEM, "out of memory");
        memcpy(s, v, n + 1);
        *(char **)(void *)f = s;
        return 0;
    }
    case CERD_TYPE_JSONB: {
        cJSON *j = NULL;
        if (cerd__json_parse(v, n, &j))
            return bad(t, c, CERD_EINVALID, "not JSON", v);
        *(cJSON **)(void *)f = j;
        return 0;
    }
    case CERD_TYPE_INET:
        if (cerd_inet_parse((cerd_inet *)(void *)f, v))
            return bad(t, c, CERD_EINVALID, "not an inet address", v);
        break;
    case CERD_TYPE_INT32_ARRAY:
        return parse_int_array(t, c, v, n, (cerd_int32_array *)(void *)f);
    case CERD_TYPE_TEXT_ARRAY:
        return parse_text_array(t, c, v, n, (cerd_text_array *)(void *)f);
    }
    cerd__field_set_present(c, row);
    return 0;
}

/* Parses one row starting at text (up to end); *next gets the position after it. */
static int parse_row(void *row, const cerd_table *t, const char *text, const char *end,
                     const char **next, cerd__buf *scratch)
{
    if (text >= end || (*text != 'p' && *text != 'e'))
        return cerd__error(CERD_EINVALID, "%s: row text does not start with a flag (p or e)",
                           t->name);
    bool esc = *text == 'e';
    const char *p = text + 1;
    int col = 0, rc;

    for (;;) {
        const char *q = p;
        while (q < end && *q != (char)CERD_TEXT_FS && *q != (char)CERD_TEXT_RS)
            q++;
        if (col >= t->ncolumns)
            return cerd__error(CERD_EINVALID, "%s: row text has more than %d fields", t->name,
                               (int)t->ncolumns);
        scratch->len = 0;
        if (!esc) {
            if ((rc = cerd__buf_append(scratch, p, (size_t)(q - p))))
                return rc;
        } else {
            for (const char *r = p; r < q; r++) {
                char ch = *r;
                if (ch == (char)CERD_TEXT_ESC && r + 1 < q)
                    ch = (char)(*++r ^ 0x40);
                if ((rc = cerd__buf_append(scratch, &ch, 1)))
                    return rc;
            }
        }
        size_t n = scratch->len;
        if ((rc = cerd__buf_append(scratch, "", 1)))
            return rc;
        if ((rc = set_field(t, col, row, scratch->data, n)))
            return rc;
        col++;
        if (q >= end || *q == (char)CERD_TEXT_RS) {
            *next = q < end ? q + 1 : q;
            break;
        }
        p = q + 1;
    }
    if (col != t->ncolumns)
        return cerd__error(CERD_EINVALID, "%s: row text has %d fields, the table %d columns",
                           t->name, col, (int)t->ncolumns);
    return 0;
}

int cerd_row_parse_text(void *out, const cerd_table *t, const char *text, size_t len)
{
    cerd__buf scratch = {0};
    const char *next;

    if (!out || !t || !text)
        return cerd__error(CERD_EMISUSE, "row parse text: NULL argument");
    cerd_row_clear(t, out);
    int rc = parse_row(out, t, text, text + len, &next, &scratch);
    cerd__buf_free(&scratch);
    return rc;
}

static size_t count_rows(const char *text, size_t len)
{
    size_t n = 0;
    for (const char *p = text; (p = memchr(p, CERD_TEXT_RS, len - (size_t)(p - text))); p++)
        n++;
    if (len && text[len - 1] != (char)CERD_TEXT_RS)
        n++;
    return n;
}

int cerd_rows_parse_text(cerd_rows *out, const cerd_table *t, const char *text, size_t len)
{
    cerd__buf scratch = {0};
    int rc = 0;

    if (!out || !t || (len && !text))
        return cerd__error(CERD_EMISUSE, "rows parse text: NULL argument");
    memset(out, 0, sizeof *out);
    size_t n = len ? count_rows(text, len) : 0;
    if (!n)
        return 0;
    if (!(out->rows = cerd__rows_alloc(n, t->row_size)))
        return cerd__error(CERD_ENOMEM, "out of memory");
    const char *p = text, *end = text + len;
    for (size_t i = 0; i < n && !rc; i++) {
        out->count = i + 1;
        if ((rc = parse_row((char *)out->rows + i * t->row_size, t, p, end, &p, &scratch)))
            cerd__error_prefix("row %zu", i);
    }
    cerd__buf_free(&scratch);
    if (rc)
        cerd_rows_free(t, out);
    return rc;
}

int cerd_copy_put_text(cerd_copy *w, const cerd_table *t, const char *text, size_t len)
{
    cerd__buf scratch = {0};
    int rc = 0;

    if (!w || !t || (len && !text))
        return cerd__error(CERD_EMISUSE, "copy put text: NULL argument");
    void *row = calloc(1, t->row_size);
    if (!row)
        return cerd__error(CERD_ENOMEM, "out of memory");
    const char *p = text, *end = text + len;
    for (size_t i = 0; p < end && !rc; i++) {
        if ((rc = parse_row(row, t, p, end, &p, &scratch)))
            cerd__error_prefix("copy text row %zu", i);
        else
            rc = cerd_copy_put(w, row);
        cerd_row_clear(t, row);
    }
    cerd__buf_free(&scratch);
    free(row);
    return rc;
}

typedef int (*next_fn)(void *src, void *row);

static int read_text(char **out, size_t *len, size_t *nrows, void *src, next_fn next,
                     const cerd_table *t, size_t max_rows)
{
    cerd__buf b = {0};
    int rc = 0;

    if (!out || !len || !nrows || !src || !t)
        return cerd__error(CERD_EMISUSE, "read text: NULL argument");
    *out = NULL;
    *len = 0;
    *nrows = 0;
    if (!max_rows)
        max_rows = 1000;
    void *row = calloc(1, t->row_size);
    if (!row)
        return cerd__error(CERD_ENOMEM, "out of memory");
    while (*nrows < max_rows) {
        rc = next(src, row);
        if (rc <= 0)
            break;
        rc = format_row(&b, t, row);
        if (rc)
            break;
        (*nrows)++;
    }
    cerd_row_clear(t, row);
    free(row);
    if (rc < 0) {
        cerd__buf_free(&b);
        *nrows = 0;
        return rc;
    }
    return finish(out, len, &b, 0);
}

static int stream_next(void *s, void *row)
{
    return cerd_stream_next(s, row);
}

static int copy_out_next(void *r, void *row)
{
    return cerd_copy_out_next(r, row);
}

int cerd_stream_read_text(char **out, size_t *len, size_t *nrows, cerd_stream *s,
                          const cerd_table *t, size_t max_rows)
{
    return read_text(out, len, nrows, s, stream_next, t, max_rows);
}

int cerd_copy_out_read_text(char **out, size_t *len, size_t *nrows, cerd_copy_out *r,
                            const cerd_table *t, size_t max_rows)
{
    return read_text(out, len, nrows, r, copy_out_next, t, max_rows);
}
