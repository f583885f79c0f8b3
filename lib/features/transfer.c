/* Rows from and to files (transfer.h): the CSV and JSON Lines readers, import through
   binary COPY, export as JSON Lines, CSV or binary COPY. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "util/buf.h"
#include "util/error_internal.h"
#include "wire/field.h"
#include "wire/row_json.h"
#include "ops/bulk_internal.h"
#include "cryptoerd/json.h"
#include "cryptoerd/row.h"
#include "cryptoerd/transfer.h"
#include "cryptoerd/types.h"

#define PROGRESS_EVERY 10000

/* ------------------------------------------------------------------ buffered input */

typedef struct reader {
    cerd_read_fn read;
    void *arg;
    char buf[1 << 16];
    size_t pos, len;
    bool eof, failed;
    int64_t line; /* 1-based line of the next byte */
} reader;

/* The next byte, or -1 at the end (or after a read error: r->failed). */
static inline int next_byte(reader *r)
{
    if (r->pos == r->len) {
        long n;
        if (r->eof)
            return -1;
        n = r->read(r->arg, r->buf, sizeof r->buf);
        if (n <= 0) {
            r->eof = true;
            r->failed = n < 0;
            return -1;
        }
        r->pos = 0;
        r->len = (size_t)n;
    }
    return (unsigned char)r->buf[r->pos++];
}

static inline int peek_byte(reader *r)
{
    int c = next_byte(r);
    if (c >= 0)
        r->pos--;
    return c;
}

/* ------------------------------------------------------------------ text to fields */

static int bad_field(const char *name, int64_t line, const cerd_table *t, int col, int code,
                     const char *constraint, const char *what, const char *text)
{
    cerd__error(code, "%s:%lld: column %s, constraint %s: %s \"%.60s\"", name,
                (long long)line, t->columns[col].name, constraint, what, text);
    cerd__error_names(t->name, t->columns[col].name, constraint);
    cerd__error_line(line);
    return code;
}

static const char *trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

static int parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    long long v;
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return CERD_EINVALID;
    for (; *p; p++)
        if (!isdigit((unsigned char)*p))
            return CERD_EINVALID;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno == ERANGE || v < lo || v > hi)
        return CERD_ERANGE;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"t", "true", "y", "yes", "on", "1"};
    static const char *const no[] = {"f", "false", "n", "no", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = true;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *out = false;
            return 0;
        }
    }
    return CERD_EINVALID;
}

/* PostgreSQL's one-dimensional array literal {a,"b c",NULL} as a JSON array: elements of
   integer arrays as raw numbers (checked by the JSON rule), others as strings. */
static cJSON *pg_array_json(const char *s, bool integers)
{
    cJSON *arr;
    cerd__buf el = {0};
    const char *p = s;

    while (*p == ' ')
        p++;
    if (*p++ != '{' || !(arr = cJSON_CreateArray()))
        return NULL;
    while (*p == ' ')
        p++;
    if (*p == '}') {
        p++;
        goto end;
    }
    for (;;) {
        bool quoted = false;
        cJSON *item;
        el.len = 0;
        while (*p == ' ')
            p++;
        if (*p == '"') {
            quoted = true;
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                if (cerd__buf_append(&el, p, 1))
                    goto fail;
            }
            if (*p++ != '"')
                goto fail;
        } else {
            for (; *p && *p != ',' && *p != '}'; p++) {
                if (*p == '"' || *p == '{' || *p == '\\')
                    goto fail;
                if (cerd__buf_append(&el, p, 1))
                    goto fail;
            }
            while (el.len && el.data[el.len - 1] == ' ')
                el.len--;
            if (!el.len)
                goto fail;
        }
        if (cerd__buf_append(&el, "", 1))
            goto fail;
        if (!quoted && !strcasecmp(el.data, "NULL"))
            item = cJSON_CreateNull();
        else if (integers)
            item = cJSON_CreateRaw(el.data);
        else
            item = cJSON_CreateString(el.data);
        if (!item)
            goto fail;
        cJSON_AddItemToArray(arr, item);
        while (*p == ' ')
            p++;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p++ == '}')
            break;
        goto fail;
    }
end:
    while (*p == ' ')
        p++;
    if (*p)
        goto fail;
    cerd__buf_free(&el);
    return arr;
fail:
    cerd__buf_free(&el);
    cJSON_Delete(arr);
    return NULL;
}

/* Sets field col from text; rc with the error record set (without the place). */
static int set_text(void *row, const cerd_table *t, int col, char *text)
{
    const cerd_column *c = &t->columns[col];
    char *field = (char *)row + c->offset;
    bool opt = c->flags & CERD_COL_OPTIONAL;
    const char *s;
    int64_t n;
    int rc;

    cerd__field_free(c, row);
    switch (c->type) {
    case CERD_TYPE_INT64:
    case CERD_TYPE_INT32: {
        bool wide = c->type == CERD_TYPE_INT64;
        s = trim(text);
        if ((rc = parse_int(s, wide ? INT64_MIN : INT32_MIN, wide ? INT64_MAX : INT32_MAX, &n)))
            return cerd__error(rc, rc == CERD_ERANGE ? "integer out of range" : "not an integer");
        if (wide && opt)
            *(cerd_opt_int64 *)field = (cerd_opt_int64){n, true};
        else if (wide)
            *(int64_t *)field = n;
        else if (opt)
            *(cerd_opt_int32 *)field = (cerd_opt_int32){(int32_t)n, true};
        else
            *(int32_t *)field = (int32_t)n;
        return 0;
    }
    case CERD_TYPE_BOOL: {
        bool b;
        if (parse_bool(trim(text), &b))
            return cerd__error(CERD_EINVALID, "not a boolean");
        if (opt)
            *(cerd_opt_bool *)field = (cerd_opt_bool){b, true};
        else
            *(bool *)field = b;
        return 0;
    }
    case CERD_TYPE_NUMERIC:
        if (opt) {
            cerd_opt_numeric *o = (cerd_opt_numeric *)field;
            if ((rc = cerd_numeric_parse(&o->value, text)))
                return rc;
            o->valid = true;
            return 0;
        }
        return cerd_numeric_parse((cerd_numeric *)field, text);
    case CERD_TYPE_TIMESTAMPTZ: {
        cerd_timestamp ts;
        if ((rc = cerd_timestamp_parse(&ts, trim(text))))
            return rc;
        if (opt)
            *(cerd_opt_timestamp *)field = (cerd_opt_timestamp){ts, true};
        else
            *(cerd_timestamp *)field = ts;
        return 0;
    }
    case CERD_TYPE_INET: {
        cerd_inet in;
        if ((rc = cerd_inet_parse(&in, trim(text))))
            return rc;
        if (opt)
            *(cerd_opt_inet *)field = (cerd_opt_inet){in, true};
        else
            *(cerd_inet *)field = in;
        return 0;
    }
    case CERD_TYPE_TEXT:
        if (!(*(char **)field = strdup(text)))
            return cerd__error(CERD_ENOMEM, "out of memory");
        return 0;
    case CERD_TYPE_JSONB: {
        cJSON *v = NULL;
        if ((rc = cerd_json_parse_ex(&v, text, strlen(text), CERD_JSON_RAW_BYTES, NULL)))
            return rc;
        *(cJSON **)field = v;
        return 0;
    }
    case CERD_TYPE_INT32_ARRAY:
    case CERD_TYPE_TEXT_ARRAY: {
        cJSON *v = NULL;
        s = trim(text);
        if (*s == '[') {
            if ((rc = cerd_json_parse(&v, s, strlen(s))))
                return rc;
        } else if (!(v = pg_array_json(s, c->type == CERD_TYPE_INT32_ARRAY))) {
            return cerd__error(CERD_EINVALID, "not an array ({a,b} or [a,b])");
        }
        rc = cerd__row_set_json(row, t, col, v);
        cJSON_Delete(v);
        return rc;
    }
    }
    return cerd__error(CERD_ERROR, "unknown column type");
}

int cerd_row_set_text(void *row, const cerd_table *t, int column, const char *text)
{
    char *copy;
    int rc;

    if (!row || !t || !text || column < 0 || column >= t->ncolumns)
        return cerd__error(CERD_EMISUSE, "row set text: bad arguments");
    if (!(copy = strdup(text)))
        return cerd__error(CERD_ENOMEM, "out of memory");
    if ((rc = set_text(row, t, column, copy)))
        cerd__error_prefix("%s.%s", t->name, t->columns[column].name);
    free(copy);
    return rc;
}

/* ------------------------------------------------------------------ CSV */

typedef struct record {
    cerd__buf text;   /* fields, each NUL-terminated */
    size_t *starts;   /* offset of each field in text */
    bool *quoted;
    size_t n, cap;
} record;

/* Room for field rec->n. */
static int record_reserve(record *rec)
{
    if (rec->n == rec->cap) {
        size_t cap = rec->cap ? rec->cap * 2 : 32;
        size_t *s = realloc(rec->starts, cap * sizeof *s);
        bool *q;
        if (!s)
            return CERD_ENOMEM;
        rec->starts = s;
        if (!(q = realloc(rec->quoted, cap * sizeof *q)))
            return CERD_ENOMEM;
        rec->quoted = q;
        rec->cap = cap;
    }
    return 0;
}

static int record_end_field(record *rec, bool quoted)
{
    rec->quoted[rec->n++] = quoted;
    return cerd__buf_append(&rec->text, "", 1) ? CERD_ENOMEM : 0;
}

static void record_free(record *rec)
{
    cerd__buf_free(&rec->text);
    free(rec->starts);
    free(rec->quoted);
}

static int csv_error(const char *name, int64_t line, const char *what)
{
    cerd__error(CERD_EINVALID, "%s:%lld: constraint csv: %s", name, (long long)line, what);
    cerd__error_names(NULL, NULL, "csv");
    cerd__error_line(line);
    return CERD_EINVALID;
}

/* Reads one record; 1: a record, 0: the end, <0: an error (record set). Blank lines are
   skipped. */
static int csv_record(reader *r, record *rec, const char *name, int64_t *start_line)
{
    int c;

    rec->text.len = 0;
    rec->n = 0;
    for (;;) {
        c = peek_byte(r);
        if (c == '\n') {
            next_byte(r);
            r->line++;
        } else if (c == '\r') {
            next_byte(r);
            if (peek_byte(r) == '\n')
                next_byte(r);
            r->line++;
        } else {
            break;
        }
    }
    if (c < 0)
        return r->failed ? cerd__error(CERD_ERROR, "%s: reading the input failed", name) : 0;
    *start_line = r->line;
    for (;;) {
        bool quoted = false;
        if (record_reserve(rec))
            return cerd__error(CERD_ENOMEM, "out of memory");
        rec->starts[rec->n] = rec->text.len;
        c = next_byte(r);
        if (c == '"') {
            quoted = true;
            for (;;) {
                c = next_byte(r);
                if (c < 0)
                    return csv_error(name, *start_line, "a quoted field is not closed");
                if (c == '"') {
                    if (peek_byte(r) == '"') {
                        next_byte(r);
                    } else {
                        c = next_byte(r);
                        break;
                    }
                } else if (c == '\n') {
                    r->line++;
                }
                if (cerd__buf_append(&rec->text, &(char){(char)c}, 1))
                    return cerd__error(CERD_ENOMEM, "out of memory");
            }
            if (c >= 0 && c != ',' && c != '\n' && c != '\r')
                return csv_error(name, r->line, "text after a closing quote");
        } else {
            while (c >= 0 && c != ',' && c != '\n' && c != '\r') {
                if (c == '"')
                    return csv_error(name, r->line, "a quote inside an unquoted field");
                /* copy a run of plain bytes at once */
                const char *p = r->buf + r->pos - 1, *e = r->buf + r->len, *q = p;
                while (q < e && *q != ',' && *q != '\n' && *q != '\r' && *q != '"')
                    q++;
                if (cerd__buf_append(&rec->text, p, (size_t)(q - p)))
                    return cerd__error(CERD_ENOMEM, "out of memory");
                r->pos += (size_t)(q - p) - 1;
                c = next_byte(r);
            }
        }
        if (record_end_field(rec, quoted))
            return cerd__error(CERD_ENOMEM, "out of memory");
        if (c == ',')
            continue;
        if (c == '\r' && peek_byte(r) == '\n')
            next_byte(r);
        if (c == '\n' || c == '\r')
            r->line++;
        if (r->failed)
            return cerd__error(CERD_ERROR, "%s: reading the input failed", name);
        return 1;
    }
}

static const char *field_at(const record *rec, size_t i)
{
    return rec->text.data + rec->starts[i];
}

static void progress(const cerd_import_options *o, int64_t rows, bool last)
{
    if (o->progress && (last || rows % PROGRESS_EVERY == 0))
        o->progress(o->progress_arg, rows, 0);
}

static int parse_csv(int64_t *rows, const cerd_table *t, reader *r, const cerd_import_options *o,
                     const char *name, cerd_import_row_fn fn, void *fn_arg, cerd_colset *cols_out)
{
    record rec = {0};
    int *cols = NULL;
    size_t ncols = 0;
    cerd_colset seen = {{0}};
    void *row = calloc(1, t->row_size);
    int64_t line = 1, n = 0;
    int rc;

    if (!row)
        return cerd__error(CERD_ENOMEM, "out of memory");
    rc = csv_record(r, &rec, name, &line);
    if (rc == 0)
        rc = csv_error(name, 1, "no header row naming the columns");
    if (rc < 0)
        goto done;
    ncols = rec.n;
    if (!(cols = calloc(ncols, sizeof *cols))) {
        rc = cerd__error(CERD_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < ncols; i++) {
        const char *h = field_at(&rec, i);
        cols[i] = cerd_table_column(t, h);
        if (cols[i] < 0) {
            rc = cerd__error(CERD_EINVALID, "%s:%lld: constraint csv: the header names \"%.60s\", "
                             "which is not a column of %s", name, (long long)line, h, t->name);
            cerd__error_names(t->name, NULL, "csv");
            cerd__error_line(line);
            goto done;
        }
        if (cerd_colset_has(&seen, (unsigned)cols[i])) {
            rc = cerd__error(CERD_EINVALID, "%s:%lld: constraint csv: the header names column "
                             "%s twice", name, (long long)line, h);
            cerd__error_names(t->name, h, "csv");
            cerd__error_line(line);
            goto done;
        }
        cerd_colset_add(&seen, (unsigned)cols[i]);
    }
    if (cols_out)
        *cols_out = seen;
    while ((rc = csv_record(r, &rec, name, &line)) == 1) {
        rc = 0;
        if (rec.n != ncols) {
            char what[96];
            snprintf(what, sizeof what, "%zu fields where the header has %zu", rec.n, ncols);
            rc = csv_error(name, line, what);
            break;
        }
        cerd_row_clear(t, row);
        for (size_t i = 0; i < ncols && !rc; i++) {
            char *text = rec.text.data + rec.starts[i];
            if (!*text && !rec.quoted[i])
                continue; /* NULL */
            if ((rc = set_text(row, t, cols[i], text))) {
                int code = rc;
                char msg[256];
                snprintf(msg, sizeof msg, "%s", cerd_error_last()->message);
                bad_field(name, line, t, cols[i], code,
                          code == CERD_ERANGE && t->columns[cols[i]].type == CERD_TYPE_NUMERIC
                              ? "numeric_precision" : "type", msg, text);
            }
        }
        if (rc)
            break;
        if ((rc = fn(fn_arg, line, row)))
            break;
        progress(o, ++n, false);
    }
    if (rc > 0)
        rc = 0;
done:
    if (!rc)
        progress(o, n, true);
    if (rows)
        *rows = n;
    cerd_row_clear(t, row);
    free(row);
    free(cols);
    record_free(&rec);
    return rc;
}

/* ------------------------------------------------------------------ JSON Lines */

static int parse_jsonl(int64_t *rows, const cerd_table *t, reader *r, const cerd_import_options *o,
                       const char *name, cerd_import_row_fn fn, void *fn_arg)
{
    cerd__buf line = {0};
    void *row = calloc(1, t->row_size);
    int64_t n = 0;
    int rc = 0;

    if (!row)
        return cerd__error(CERD_ENOMEM, "out of memory");
    for (;;) {
        int c;
        int64_t at = r->line;
        cJSON *obj = NULL;
        size_t off = 0;
        bool blank = true;

        line.len = 0;
        while ((c = next_byte(r)) >= 0 && c != '\n') {
            if (cerd__buf_append(&line, &(char){(char)c}, 1)) {
                rc = cerd__error(CERD_ENOMEM, "out of memory");
                break;
            }
            if (c != ' ' && c != '\t' && c != '\r')
                blank = false;
        }
        if (rc)
            break;
        if (c == '\n')
            r->line++;
        if (r->failed) {
            rc = cerd__error(CERD_ERROR, "%s: reading the input failed", name);
            break;
        }
        if (blank) {
            if (c < 0)
                break;
            continue;
        }
        if ((rc = cerd_json_parse_ex(&obj, line.data, line.len, CERD_JSON_RAW_BYTES, &off))) {
            cerd__error_prefix("%s:%lld:%zu", name, (long long)at, off + 1);
            cerd__error_names(t->name, NULL, "type");
            cerd__error_line(at);
            break;
        }
        rc = cerd_row_from_json(row, t, obj);
        cJSON_Delete(obj);
        if (rc) {
            char col[96]; /* a copy: the record's own column is rewritten below */
            snprintf(col, sizeof col, "%s", cerd_error_last()->column);
            cerd__error_prefix("%s:%lld: constraint %s", name, (long long)at,
                               rc == CERD_ERANGE ? "numeric_precision" : "type");
            cerd__error_names(t->name, *col ? col : NULL,
                              rc == CERD_ERANGE ? "numeric_precision" : "type");
            cerd__error_line(at);
            break;
        }
        if ((rc = fn(fn_arg, at, row)))
            break;
        progress(o, ++n, false);
        if (c < 0)
            break;
    }
    if (!rc)
        progress(o, n, true);
    if (rows)
        *rows = n;
    cerd_row_clear(t, row);
    free(row);
    cerd__buf_free(&line);
    return rc;
}

static int parse_any(int64_t *rows, const cerd_table *t, cerd_read_fn read, void *read_arg,
                     const cerd_import_options *opts, cerd_import_row_fn fn, void *fn_arg,
                     cerd_colset *cols)
{
    static const cerd_import_options defaults = CERD_IMPORT_OPTIONS_INIT;
    const cerd_import_options *o = opts ? opts : &defaults;
    const char *name = o->name ? o->name : "input";
    reader *r;
    int rc;

    if (rows)
        *rows = 0;
    if (!t || !read || !fn || o->version != 1)
        return cerd__error(CERD_EMISUSE, "import: NULL argument or unknown options version");
    if (!(r = calloc(1, sizeof *r)))
        return cerd__error(CERD_ENOMEM, "out of memory");
    r->read = read;
    r->arg = read_arg;
    r->line = 1;
    if (o->format == CERD_FORMAT_CSV)
        rc = parse_csv(rows, t, r, o, name, fn, fn_arg, cols);
    else if (o->format == CERD_FORMAT_JSONL)
        rc = parse_jsonl(rows, t, r, o, name, fn, fn_arg);
    else
        rc = cerd__error(CERD_EMISUSE, "import: the format must be CSV or JSON Lines");
    free(r);
    return rc;
}

int cerd_import_parse(int64_t *rows, const cerd_table *t, cerd_read_fn read, void *read_arg,
                      const cerd_import_options *opts, cerd_import_row_fn fn, void *fn_arg)
{
    return parse_any(rows, t, read, read_arg, opts, fn, fn_arg, NULL);
}

/* ------------------------------------------------------------------ import */

typedef struct importer {
    cerd_conn *conn;
    const cerd_table *t;
    const cerd_import_options *o;
    const char *name;
    cerd_copy *w;
    cerd_colset cols;
    bool csv;
} importer;

static int import_row(void *arg, int64_t line, const void *row)
{
    importer *im = arg;
    int rc;

    if (!im->w) {
        cerd_copy_options co = CERD_COPY_OPTIONS_INIT;
        co.create_partitions = im->o && im->o->create_partitions;
        if ((rc = cerd_copy_begin(&im->w, im->conn, im->t, im->csv ? &im->cols : NULL, &co)))
            return rc;
    }
    if ((rc = cerd_copy_put(im->w, row))) {
        const cerd_error *e = cerd_error_last();
        if (rc == CERD_EINVALID && e->column[0])
            cerd__error_prefix("%s:%lld: column %s, constraint %s", im->name, (long long)line,
                               e->column, e->constraint[0] ? e->constraint : "?");
        else
            cerd__error_prefix("%s:%lld", im->name, (long long)line);
        cerd__error_line(line);
    }
    return rc;
}

int cerd_import(int64_t *rows, cerd_conn *conn, const cerd_table *t, cerd_read_fn read,
                void *read_arg, const cerd_import_options *opts)
{
    importer im = {0};
    int64_t n = 0, written = 0;
    int rc;

    if (rows)
        *rows = 0;
    if (!conn)
        return cerd__error(CERD_EMISUSE, "import: connection is NULL");
    im.conn = conn;
    im.t = t;
    im.o = opts;
    im.name = opts && opts->name ? opts->name : "input";
    im.csv = !opts || opts->format == CERD_FORMAT_CSV;
    rc = parse_any(&n, t, read, read_arg, opts, import_row, &im, &im.cols);
    if (rc) {
        cerd_copy_abort(im.w);
        return rc;
    }
    if (im.w && (rc = cerd_copy_end(&written, im.w))) {
        const cerd_error *e = cerd_error_last();
        if (!strstr(e->message, "line"))
            cerd__error_prefix("%s (the server refused the COPY; it names no line of the input)",
                               im.name);
        return rc;
    }
    if (rows)
        *rows = written;
    return 0;
}

/* ------------------------------------------------------------------ export */

typedef struct out {
    cerd_write_fn write;
    void *arg;
    cerd__buf b;
} out;

static int flush_out(out *o, bool force)
{
    if (o->b.len && (force || o->b.len >= (1 << 16))) {
        if (o->write(o->arg, o->b.data, o->b.len))
            return cerd__error(CERD_ERROR, "export: writing the output failed");
        o->b.len = 0;
    }
    return 0;
}

static int put(out *o, const char *s, size_t n)
{
    return cerd__buf_append(&o->b, s, n) ? cerd__error(CERD_ENOMEM, "out of memory") : 0;
}

static int put_csv_text(out *o, const char *s)
{
    int rc;
    if (*s && !strpbrk(s, ",\"\r\n"))
        return put(o, s, strlen(s));
    if ((rc = put(o, "\"", 1)))
        return rc;
    for (const char *p = s; *p; p++)
        if ((rc = put(o, p, 1)) || (*p == '"' && (rc = put(o, "\"", 1))))
            return rc;
    return put(o, "\"", 1);
}

static int row_csv(out *o, const cerd_table *t, const void *row)
{
    cJSON *obj = NULL, *v;
    int rc, i = 0;

    if ((rc = cerd__row_to_json_stored(&obj, t, row)))
        return rc;
    cJSON_ArrayForEach(v, obj) {
        if (i++ && (rc = put(o, ",", 1)))
            break;
        if (cJSON_IsNull(v))
            continue;
        if (cJSON_IsString(v)) {
            rc = put_csv_text(o, v->valuestring);
        } else {
            char *text = NULL;
            if (!(rc = cerd_json_print(&text, v, CERD_JSON_REPLACE_INVALID)))
                rc = put_csv_text(o, text);
            free(text);
        }
        if (rc)
            break;
    }
    cJSON_Delete(obj);
    return rc ? rc : put(o, "\n", 1);
}

static int row_jsonl(out *o, const cerd_table *t, const void *row)
{
    cJSON *obj = NULL;
    char *text = NULL;
    int rc;

    if ((rc = cerd__row_to_json_stored(&obj, t, row)))
        return rc;
    rc = cerd_json_print(&text, obj, CERD_JSON_REPLACE_INVALID);
    cJSON_Delete(obj);
    if (!rc && !(rc = put(o, text, strlen(text))))
        rc = put(o, "\n", 1);
    free(text);
    return rc;
}

int cerd_export(int64_t *rows, cerd_conn *conn, const cerd_table *t,
                const cerd_export_options *opts, cerd_write_fn write, void *write_arg)
{
    static const cerd_export_options defaults = CERD_EXPORT_OPTIONS_INIT;
    const cerd_export_options *eo = opts ? opts : &defaults;
    cerd_stream *s = NULL;
    cerd_copy_out *co = NULL;
    out o = {write, write_arg, {0}};
    cerd_colset all = {{0}};
    void *row;
    int64_t n = 0;
    int rc, more, crc;

    if (rows)
        *rows = 0;
    if (!conn || !t || !write || eo->version != 1 || eo->format < CERD_FORMAT_CSV ||
        eo->format > CERD_FORMAT_BINARY)
        return cerd__error(CERD_EMISUSE, "export: NULL argument or bad options");
    for (int i = 0; i < t->ncolumns; i++)
        cerd_colset_add(&all, (unsigned)i);
    if (!(row = calloc(1, t->row_size)))
        return cerd__error(CERD_ENOMEM, "out of memory");
    rc = eo->range ? cerd_stream_open(&s, conn, t, eo->range, 0) : cerd_copy_out_open(&co, conn, t);
    if (rc) {
        free(row);
        return rc;
    }
    if (eo->format == CERD_FORMAT_CSV) {
        for (int i = 0; !rc && i < t->ncolumns; i++)
            rc = (i && (rc = put(&o, ",", 1))) ? rc : put(&o, t->columns[i].name,
                                                          strlen(t->columns[i].name));
        if (!rc)
            rc = put(&o, "\n", 1);
    } else if (eo->format == CERD_FORMAT_BINARY) {
        rc = cerd__copy_header(&o.b) ? cerd__error(CERD_ENOMEM, "out of memory") : 0;
    }
    while (!rc && (more = s ? cerd_stream_next(s, row) : cerd_copy_out_next(co, row)) != 0) {
        if (more < 0) {
            rc = more;
            break;
        }
        if (eo->format == CERD_FORMAT_JSONL)
            rc = row_jsonl(&o, t, row);
        else if (eo->format == CERD_FORMAT_CSV)
            rc = row_csv(&o, t, row);
        else
            rc = cerd__copy_encode_row(&o.b, t, &all, t->ncolumns, row);
        if (!rc)
            rc = flush_out(&o, false);
        if (!rc && ++n % PROGRESS_EVERY == 0 && eo->progress)
            eo->progress(eo->progress_arg, n, 0);
    }
    if (!rc && eo->format == CERD_FORMAT_BINARY && cerd__copy_trailer(&o.b))
        rc = cerd__error(CERD_ENOMEM, "out of memory");
    if (!rc)
        rc = flush_out(&o, true);
    crc = s ? cerd_stream_close(s) : cerd_copy_out_close(co);
    if (!rc)
        rc = crc;
    if (!rc && eo->progress)
        eo->progress(eo->progress_arg, n, n);
    cerd_row_clear(t, row);
    free(row);
    cerd__buf_free(&o.b);
    if (!rc && rows)
        *rows = n;
    return rc;
}
