/* Rows to and from JSON in the form of PostgreSQL's to_jsonb(): what fixtures, the
   validate tool and the interop tests exchange. Numbers stay exact: numerics travel as
   cJSON_Raw text, never through double. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cryptoerd/json.h"
#include "cryptoerd/row.h"
#include "cryptoerd/validate.h"
#include "wire/codec.h"
#include "wire/field.h"
#include "wire/violations.h"
#include "wire/row_json.h"
#include "util/error_internal.h"
#include "types/json_internal.h"

int cerd_json_parse(cJSON **out, const char *text, size_t len)
{
    if (!out || !text)
        return cerd__error(CERD_EMISUSE, "json parse: out or text is NULL");
    return cerd__json_parse(text, len, out);
}

int cerd_json_parse_ex(cJSON **out, const char *text, size_t len, unsigned flags,
                       size_t *error_offset)
{
    if (!out || !text)
        return cerd__error(CERD_EMISUSE, "json parse: out or text is NULL");
    return cerd__json_parse_ex(text, len, flags, out, error_offset);
}

int cerd_json_print(char **out, const cJSON *v, unsigned flags)
{
    cerd__buf b = {0};
    int rc;

    if (!out || !v)
        return cerd__error(CERD_EMISUSE, "json print: out or v is NULL");
    *out = NULL;
    if ((rc = cerd__json_print_buf_ex(v, flags, &b)) || (rc = cerd__buf_append(&b, "", 1))) {
        cerd__buf_free(&b);
        return rc;
    }
    *out = b.data;
    return 0;
}

/* ------------------------------------------------------------------ JSON -> row */

static const char *json_kind(const cJSON *v)
{
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v) || cJSON_IsRaw(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "null";
}

/* The exact text of a JSON number node (token text), in buf. */
static int number_text(const cJSON *v, char *buf, size_t size)
{
    if (cJSON_IsRaw(v))
        return snprintf(buf, size, "%s", v->valuestring) < (int)size ? 0 : -1;
    /* A plain number node is one whose token cJSON's printer reproduces exactly. */
    if (!cJSON_PrintPreallocated((cJSON *)v, buf, (int)size, 0))
        return -1;
    return 0;
}

static int wrong_type(const cerd_table *t, const cerd_column *c, const char *want,
                      const cJSON *v)
{
    return cerd__error(CERD_EINVALID, "%s.%s: expected %s, got %s", t->name, c->name, want,
                       json_kind(v));
}

static int parse_integer(const cerd_table *t, const cerd_column *c, const cJSON *v,
                         int64_t lo, int64_t hi, int64_t *out)
{
    char text[64], *end;
    long long n;

    /* Integer columns take JSON numbers only (a JSON string is refused: only numeric
       columns may be given as decimal text). */
    if (!cJSON_IsNumber(v) && !cJSON_IsRaw(v))
        return wrong_type(t, c, "an integer (a JSON number)", v);
    if (number_text(v, text, sizeof text) != 0)
        return cerd__error(CERD_ERANGE, "%s.%s: number too long", t->name, c->name);
    errno = 0;
    n = strtoll(text, &end, 10);
    if (end == text || *end)
        return cerd__error(CERD_EINVALID, "%s.%s: \"%s\" is not an integer", t->name, c->name,
                           text);
    if (errno == ERANGE || n < lo || n > hi)
        return cerd__error(CERD_ERANGE, "%s.%s: %s is out of range for %s", t->name, c->name,
                           text, c->type == CERD_TYPE_INT32 ? "integer" : "bigint");
    *out = n;
    return 0;
}

/* A numeric(p,s) value whose text cerd_numeric_parse() refused with CERD_ERANGE (more
   digits than a cerd_numeric holds, or a scale or weight beyond its format): read as the
   column stores it, rounded to s decimals half away from zero (PostgreSQL's numeric_in
   applies the typmod before it checks the format). The digits that matter are those down
   to 10^-(s+1); the rounded value then has at most p digits, or it does not fit. text is
   known to be numeric syntax (cerd_numeric_parse checks it before it counts digits). */
static int parse_numeric_rounded(const cerd_table *t, const cerd_column *c, const char *text,
                                 cerd_numeric *out)
{
    const int p = c->precision, s = c->scale;
    const char *q = text;
    size_t nd = 0, first;
    long long nfrac = 0, exp10 = 0, e;
    bool neg = false, eneg = false;
    char *d, num[64];
    int rc;

    if (p < 1 || s < 0 || s > p)
        return cerd__error_prefix("%s.%s", t->name, c->name); /* keep the parser's error */
    if (!(d = malloc(strlen(text) + 2)))
        return cerd__error(CERD_ENOMEM, "out of memory");
    while (*q == ' ' || (*q >= '\t' && *q <= '\r'))
        q++;
    if (*q == '+' || *q == '-')
        neg = *q++ == '-';
    for (; *q >= '0' && *q <= '9'; q++)
        d[nd++] = *q;
    if (*q == '.')
        for (q++; *q >= '0' && *q <= '9'; q++, nfrac++)
            d[nd++] = *q;
    if (*q == 'e' || *q == 'E') {
        for (q++; *q == ' ' || (*q >= '\t' && *q <= '\r'); q++)
            ;
        if (*q == '+' || *q == '-')
            eneg = *q++ == '-';
        for (; *q >= '0' && *q <= '9'; q++)
            if (exp10 < INT_MAX)
                exp10 = exp10 * 10 + (*q - '0');
        if (exp10 >= INT_MAX / 2) { /* numeric_in refuses it before the typmod */
            free(d);
            return cerd__error(CERD_ERANGE, "%s.%s: numeric value overflows numeric format",
                               t->name, c->name);
        }
    }
    e = (eneg ? -exp10 : exp10) - nfrac; /* value = digits * 10^e */
    for (first = 0; first < nd && d[first] == '0'; first++)
        ;
    memmove(d, d + first, nd - first);
    nd -= first;
    if (e < -s) {
        long long drop = -s - e; /* digits below 10^-s */
        bool up = false;
        if (drop > (long long)nd) {
            nd = 0;
        } else {
            up = d[nd - (size_t)drop] >= '5';
            nd -= (size_t)drop;
        }
        e = -s;
        if (up) {
            size_t i = nd;
            while (i > 0 && d[i - 1] == '9')
                d[--i] = '0';
            if (i > 0) {
                d[i - 1]++;
            } else {
                memmove(d + 1, d, nd);
                d[0] = '1';
                nd++;
            }
        }
    }
    if (nd && (long long)nd + e > p - s) {
        free(d);
        return cerd__error(CERD_ERANGE,
                           "%s.%s: numeric field overflow: \"%.40s%s\" does not fit "
                           "numeric(%d,%d): a field with precision %d, scale %d must round "
                           "to an absolute value less than 10^%d",
                           t->name, c->name, text, strlen(text) > 40 ? "..." : "", p, s, p,
                           s, p - s);
    }
    if (!nd) {
        free(d);
        memset(out, 0, sizeof *out);
        out->dscale = (uint16_t)s;
        return 0;
    }
    d[nd] = '\0';
    /* digits * 10^e, at most p digits: short enough for cerd_numeric_parse unless p > 38 */
    if (snprintf(num, sizeof num, "%s%s", neg ? "-" : "", d) >= (int)sizeof num - 24) {
        free(d);
        return cerd__error(CERD_ERANGE, "%s.%s: numeric value \"%.40s...\" has more than %d "
                           "significant digits", t->name, c->name, text,
                           CERD_NUMERIC_MAX_DIGITS);
    }
    free(d);
    snprintf(num + strlen(num), 24, "e%lld", e);
    if ((rc = cerd_numeric_parse(out, num)) ||
        (rc = cerd_numeric_round_to_typmod(out, out, p, s)))
        return cerd__error_prefix("%s.%s", t->name, c->name);
    return 0;
}

/* round: read a numeric(p,s) value as the column stores it (rounded to s decimals). */
static int parse_numeric(const cerd_table *t, const cerd_column *c, const cJSON *v,
                         cerd_numeric *out, int round)
{
    char buf[64];
    const char *text;
    int rc;

    /* Numeric columns take JSON numbers or JSON strings holding decimal text. */
    if (cJSON_IsString(v) || cJSON_IsRaw(v)) {
        text = v->valuestring;
    } else if (cJSON_IsNumber(v)) {
        if (number_text(v, buf, sizeof buf))
            return cerd__error(CERD_ERANGE, "%s.%s: number too long", t->name, c->name);
        text = buf;
    } else
        return wrong_type(t, c, "a number (or decimal text in a string)", v);
    if (!text)
        return wrong_type(t, c, "a number (or decimal text in a string)", v);
    if ((rc = cerd_numeric_parse(out, text))) {
        if (rc == CERD_ERANGE && c->precision > 0)
            return parse_numeric_rounded(t, c, text, out);
        return cerd__error_prefix("%s.%s", t->name, c->name);
    }
    if (round && c->precision > 0 && cerd_numeric_round_to_typmod(out, out, c->precision,
                                                                   c->scale))
        return cerd__error_prefix("%s.%s", t->name, c->name);
    return 0;
}

static char *dup_string(const cerd_table *t, const cerd_column *c, const cJSON *v, int *rc)
{
    char *s;
    if (!cJSON_IsString(v)) {
        *rc = wrong_type(t, c, "a string", v);
        return NULL;
    }
    if (!(s = strdup(v->valuestring)))
        *rc = cerd__error(CERD_ENOMEM, "out of memory");
    return s;
}

static int set_int32_array(const cerd_table *t, const cerd_column *c, const cJSON *v,
                           cerd_int32_array *a)
{
    int n = cJSON_GetArraySize(v), i = 0, rc = 0;
    const cJSON *e;

    a->count = (size_t)n;
    a->valid = true;
    if (n && (!(a->values = calloc((size_t)n, sizeof *a->values))
              || !(a->nulls = calloc((size_t)n, sizeof *a->nulls))))
        return cerd__error(CERD_ENOMEM, "out of memory");
    cJSON_ArrayForEach(e, v) {
        int64_t x = 0;
        if (cJSON_IsNull(e))
            a->nulls[i] = true;
        else if ((rc = parse_integer(t, c, e, INT32_MIN, INT32_MAX, &x)))
            return rc;
        a->values[i++] = (int32_t)x;
    }
    return 0;
}

static int set_text_array(const cerd_table *t, const cerd_column *c, const cJSON *v,
                          cerd_text_array *a)
{
    int n = cJSON_GetArraySize(v), i = 0, rc = 0;
    const cJSON *e;

    a->count = (size_t)n;
    a->valid = true;
    if (n && !(a->values = calloc((size_t)n, sizeof *a->values)))
        return cerd__error(CERD_ENOMEM, "out of memory");
    cJSON_ArrayForEach(e, v) {
        if (!cJSON_IsNull(e) && !(a->values[i] = dup_string(t, c, e, &rc)))
            return rc;
        i++;
    }
    return 0;
}

/* Sets one field from a non-null JSON value (set_field() names the column in the error). */
static int set_value(const cerd_table *t, const cerd_column *c, const cJSON *v, void *row,
                     int round)
{
    char *field = (char *)row + c->offset;
    bool opt = c->flags & CERD_COL_OPTIONAL;
    int64_t n = 0;
    int rc = 0;

    switch (c->type) {
    case CERD_TYPE_INT64:
        if ((rc = parse_integer(t, c, v, INT64_MIN, INT64_MAX, &n)))
            return rc;
        if (opt)
            *(cerd_opt_int64 *)field = (cerd_opt_int64){n, true};
        else
            *(int64_t *)field = n;
        return 0;
    case CERD_TYPE_INT32:
        if ((rc = parse_integer(t, c, v, INT32_MIN, INT32_MAX, &n)))
            return rc;
        if (opt)
            *(cerd_opt_int32 *)field = (cerd_opt_int32){(int32_t)n, true};
        else
            *(int32_t *)field = (int32_t)n;
        return 0;
    case CERD_TYPE_BOOL:
        if (!cJSON_IsBool(v))
            return wrong_type(t, c, "a boolean", v);
        if (opt)
            *(cerd_opt_bool *)field = (cerd_opt_bool){cJSON_IsTrue(v), true};
        else
            *(bool *)field = cJSON_IsTrue(v);
        return 0;
    case CERD_TYPE_NUMERIC:
        if (opt) {
            cerd_opt_numeric *o = (cerd_opt_numeric *)field;
            if (!(rc = parse_numeric(t, c, v, &o->value, round)))
                o->valid = true;
            return rc;
        }
        return parse_numeric(t, c, v, (cerd_numeric *)field, round);
    case CERD_TYPE_TIMESTAMPTZ: {
        cerd_timestamp ts;
        if (!cJSON_IsString(v))
            return wrong_type(t, c, "a timestamp string", v);
        if ((rc = cerd_timestamp_parse(&ts, v->valuestring)))
            return cerd__error_prefix("%s.%s", t->name, c->name);
        if (opt)
            *(cerd_opt_timestamp *)field = (cerd_opt_timestamp){ts, true};
        else
            *(cerd_timestamp *)field = ts;
        return 0;
    }
    case CERD_TYPE_INET: {
        cerd_inet in;
        if (!cJSON_IsString(v))
            return wrong_type(t, c, "an address string", v);
        if ((rc = cerd_inet_parse(&in, v->valuestring)))
            return cerd__error_prefix("%s.%s", t->name, c->name);
        if (opt)
            *(cerd_opt_inet *)field = (cerd_opt_inet){in, true};
        else
            *(cerd_inet *)field = in;
        return 0;
    }
    case CERD_TYPE_TEXT:
        *(char **)field = dup_string(t, c, v, &rc);
        return rc;
    case CERD_TYPE_JSONB:
        if (!(*(cJSON **)field = cJSON_Duplicate(v, 1)))
            return cerd__error(CERD_ENOMEM, "out of memory");
        return 0;
    case CERD_TYPE_INT32_ARRAY:
        if (!cJSON_IsArray(v))
            return wrong_type(t, c, "an array", v);
        return set_int32_array(t, c, v, (cerd_int32_array *)field);
    case CERD_TYPE_TEXT_ARRAY:
        if (!cJSON_IsArray(v))
            return wrong_type(t, c, "an array", v);
        return set_text_array(t, c, v, (cerd_text_array *)field);
    }
    return cerd__error(CERD_ERROR, "%s.%s: unknown column type", t->name, c->name);
}

/* set_value(), with the table and column in the error record (cerd_error.column), not
   only in the message: callers such as the importer report them separately. */
static int set_field(const cerd_table *t, const cerd_column *c, const cJSON *v, void *row,
                     int round)
{
    int rc = set_value(t, c, v, row, round);
    if (rc && rc != CERD_ENOMEM)
        cerd__error_names(t->name, c->name, "");
    return rc;
}

int cerd__row_set_json(void *row, const cerd_table *t, int column, const cJSON *v)
{
    if (!row || !t || column < 0 || column >= t->ncolumns)
        return cerd__error(CERD_EMISUSE, "row set: bad arguments");
    cerd__field_free(&t->columns[column], row);
    if (!v || cJSON_IsNull(v))
        return 0;
    return set_field(t, &t->columns[column], v, row, 0);
}

int cerd_row_from_json(void *out, const cerd_table *t, const cJSON *obj)
{
    const cJSON *v;
    int rc = 0;

    if (!t || !out)
        return cerd__error(CERD_EMISUSE, "row from json: table or out is NULL");
    if (!cJSON_IsObject(obj))
        return cerd__error(CERD_EINVALID, "%s: expected a JSON object, got %s", t->name,
                           obj ? json_kind(obj) : "nothing");
    cerd_row_clear(t, out);
    cJSON_ArrayForEach(v, obj) {
        int i = cerd_table_column(t, v->string);
        if (i < 0) {
            rc = cerd__error(CERD_EINVALID, "%s: no column named \"%s\"", t->name, v->string);
            break;
        }
        cerd__field_free(&t->columns[i], out); /* a repeated key: the last one wins */
        if (!cJSON_IsNull(v) && (rc = set_field(t, &t->columns[i], v, out, 0)))
            break;
    }
    if (rc)
        cerd_row_clear(t, out);
    return rc;
}

typedef struct collector {
    cerd_violations *v;
    size_t cap;
} collector;

static __attribute__((format(printf, 4, 5))) int report(collector *k, cerd_violation_kind kind,
                                                         int col, const char *fmt, ...)
{
    static const char *const names[] = {
        [CERD_VIOLATION_TYPE] = "type",
        [CERD_VIOLATION_NUMERIC_PRECISION] = "numeric_precision",
        [CERD_VIOLATION_ENCODING] = "encoding"};
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return cerd__violations_add(k->v, &k->cap, kind, names[kind], col < 0 ? 0 : 1,
                                col < 0 ? NULL : &cerd__column_index[col], "%s", buf);
}

/* Whether some string or key in v (v's own key aside) is not valid UTF-8. */
static bool bad_utf8(const cJSON *v)
{
    if (cJSON_IsString(v) && v->valuestring &&
        cerd_text_check(v->valuestring, strlen(v->valuestring)))
        return true;
    for (const cJSON *c = v->child; c; c = c->next)
        if ((c->string && cerd_text_check(c->string, strlen(c->string))) || bad_utf8(c))
            return true;
    return false;
}

int cerd_row_from_json_collect(void *out, cerd_violations *problems, const cerd_table *t,
                               const cJSON *obj)
{
    const cJSON *member[CERD_MAX_COLUMNS] = {NULL};
    collector k = {problems, 0};
    int rc = 0;

    if (!out || !problems || !t)
        return cerd__error(CERD_EMISUSE, "row from json: out, problems or table is NULL");
    memset(problems, 0, sizeof *problems);
    problems->table = t;
    if (t->ncolumns > CERD_MAX_COLUMNS)
        return cerd__error(CERD_EMISUSE, "%s: more than %d columns", t->name,
                           CERD_MAX_COLUMNS);
    cerd_row_clear(t, out);
    if (!cJSON_IsObject(obj)) {
        rc = report(&k, CERD_VIOLATION_TYPE, -1, "%s: a row must be a JSON object, not %s",
                    t->name, obj ? json_kind(obj) : "nothing");
        goto finish;
    }
    /* keys: the last of a repeated key wins, as in jsonb */
    for (const cJSON *m = obj->child; m && !rc; m = m->next) {
        int col;
        if (!m->string || cerd_text_check(m->string, strlen(m->string))) {
            rc = report(&k, CERD_VIOLATION_ENCODING, -1, "%s: key: %s", t->name,
                        m->string ? cerd_error_last()->message : "missing");
            continue;
        }
        if ((col = cerd_table_column(t, m->string)) < 0) {
            bool again = false; /* a repeated unknown key is reported once */
            for (const cJSON *p = obj->child; p != m && !again; p = p->next)
                again = p->string && !strcmp(p->string, m->string);
            if (!again)
                rc = report(&k, CERD_VIOLATION_TYPE, -1, "%s: no column named \"%s\"",
                            t->name, m->string);
            continue;
        }
        member[col] = m;
    }
    for (int col = 0; col < t->ncolumns && !rc; col++) {
        const cerd_column *c = &t->columns[col];
        const cJSON *m = member[col];
        int r;
        if (!m || cJSON_IsNull(m))
            continue;
        if (!(r = set_field(t, c, m, out, 1)))
            continue;
        cerd__field_free(c, out);
        if (r == CERD_ENOMEM) {
            rc = r;
        } else if (bad_utf8(m)) {
            rc = report(&k, CERD_VIOLATION_ENCODING, col, "%s (the value is not valid UTF-8)",
                        cerd_error_last()->message);
        } else {
            rc = report(&k, c->type == CERD_TYPE_NUMERIC && c->precision > 0 &&
                                    r == CERD_ERANGE
                                ? CERD_VIOLATION_NUMERIC_PRECISION
                                : CERD_VIOLATION_TYPE,
                        col, "%s", cerd_error_last()->message);
        }
    }

finish:
    if (rc) {
        cerd_violations_free(problems);
        problems->table = t;
        return rc;
    }
    if (problems->count) {
        const cerd_violation *f = &problems->items[0];
        cerd__error(CERD_EINVALID, "%s", f->message);
        cerd__error_names(t->name, f->ncolumns ? t->columns[f->columns[0]].name : NULL,
                          f->constraint);
        return CERD_EINVALID;
    }
    return 0;
}

/* ------------------------------------------------------------------ row -> JSON */

/* to_jsonb's timestamp text: "2025-01-02T03:04:05.1234+00:00" (fraction trimmed). */
static cJSON *timestamp_json(cerd_timestamp ts)
{
    char buf[CERD_TIMESTAMP_BUFSIZE + 8];
    char *z, *end;

    if (ts == CERD_TIMESTAMP_INFINITY)
        return cJSON_CreateString("infinity");
    if (ts == CERD_TIMESTAMP_NEG_INFINITY)
        return cJSON_CreateString("-infinity");
    if (cerd_timestamp_format(ts, buf))
        return NULL;
    z = strchr(buf, 'Z');
    if (!z)
        return NULL;
    end = z;
    if (strchr(buf, '.')) {
        while (end[-1] == '0')
            end--;
        if (end[-1] == '.')
            end--;
    }
    strcpy(end, "+00:00");
    return cJSON_CreateString(buf);
}

static cJSON *numeric_json(const cerd_numeric *n)
{
    char buf[256];
    cerd_numeric_format(n, buf, sizeof buf);
    if (n->sign == CERD_NUMERIC_NAN || n->sign == CERD_NUMERIC_PINF
        || n->sign == CERD_NUMERIC_NINF)
        return cJSON_CreateString(buf); /* JSON has no NaN/Infinity: to_jsonb quotes them */
    return cJSON_CreateRaw(buf);
}

static cJSON *int64_json(int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return cJSON_CreateRaw(buf);
}

static cJSON *field_json(const cerd_column *c, const void *row, bool stored)
{
    const char *field = (const char *)row + c->offset;
    bool opt = c->flags & CERD_COL_OPTIONAL;

    /* an identity is never NULL in a stored row: there 0 is the value */
    if (cerd__field_is_null(c, row) && !(stored && (c->flags & CERD_COL_IDENTITY)))
        return cJSON_CreateNull();
    switch (c->type) {
    case CERD_TYPE_INT64:
        return int64_json(opt ? ((const cerd_opt_int64 *)field)->value : *(const int64_t *)field);
    case CERD_TYPE_INT32:
        return int64_json(opt ? ((const cerd_opt_int32 *)field)->value : *(const int32_t *)field);
    case CERD_TYPE_BOOL:
        return cJSON_CreateBool(opt ? ((const cerd_opt_bool *)field)->value : *(const bool *)field);
    case CERD_TYPE_NUMERIC:
        return numeric_json(opt ? &((const cerd_opt_numeric *)field)->value
                                : (const cerd_numeric *)field);
    case CERD_TYPE_TIMESTAMPTZ:
        return timestamp_json(opt ? ((const cerd_opt_timestamp *)field)->value
                                  : *(const cerd_timestamp *)field);
    case CERD_TYPE_INET: {
        char buf[CERD_INET_BUFSIZE];
        cerd_inet_format(opt ? &((const cerd_opt_inet *)field)->value : (const cerd_inet *)field,
                         buf);
        return cJSON_CreateString(buf);
    }
    case CERD_TYPE_TEXT:
        return cJSON_CreateString(*(char *const *)field);
    case CERD_TYPE_JSONB:
        return cJSON_Duplicate(*(cJSON *const *)field, 1);
    case CERD_TYPE_INT32_ARRAY: {
        const cerd_int32_array *a = (const cerd_int32_array *)field;
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; arr && i < a->count; i++)
            cJSON_AddItemToArray(arr, a->nulls && a->nulls[i] ? cJSON_CreateNull()
                                                              : int64_json(a->values[i]));
        return arr;
    }
    case CERD_TYPE_TEXT_ARRAY: {
        const cerd_text_array *a = (const cerd_text_array *)field;
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; arr && i < a->count; i++)
            cJSON_AddItemToArray(arr, a->values[i] ? cJSON_CreateString(a->values[i])
                                                   : cJSON_CreateNull());
        return arr;
    }
    }
    return NULL;
}

static int row_to_json(cJSON **out, const cerd_table *t, const void *row, bool stored)
{
    cJSON *obj;

    if (!t || !row || !out)
        return cerd__error(CERD_EMISUSE, "row to json: table, row or out is NULL");
    *out = NULL;
    if (!(obj = cJSON_CreateObject()))
        return cerd__error(CERD_ENOMEM, "out of memory");
    for (int i = 0; i < t->ncolumns; i++) {
        cJSON *v = field_json(&t->columns[i], row, stored);
        if (!v) {
            cJSON_Delete(obj);
            return cerd__error(CERD_ERANGE, "%s.%s: value cannot be written as JSON", t->name,
                               t->columns[i].name);
        }
        cJSON_AddItemToObject(obj, t->columns[i].name, v);
    }
    *out = obj;
    return 0;
}

int cerd_row_to_json(cJSON **out, const cerd_table *t, const void *row)
{
    return row_to_json(out, t, row, false);
}

int cerd__row_to_json_stored(cJSON **out, const cerd_table *t, const void *row)
{
    return row_to_json(out, t, row, true);
}
