/* Rows to and from JSON in the form of PostgreSQL's to_jsonb(): what fixtures, the
   validate tool and the interop tests exchange. Numbers stay exact: numerics travel as
   cJSON_Raw text, never through double. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "codec.h"
#include "error_internal.h"
#include "json.h"

int cerd_json_parse(cJSON **out, const char *text, size_t len)
{
    if (!out || !text)
        return cerd__error(CERD_EMISUSE, "json parse: out or text is NULL");
    return cerd__json_parse(text, len, out);
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

    if (!cJSON_IsNumber(v) && !cJSON_IsRaw(v) && !cJSON_IsString(v))
        return wrong_type(t, c, "an integer", v);
    if (cJSON_IsString(v) ? snprintf(text, sizeof text, "%s", v->valuestring) >= (int)sizeof text
                          : number_text(v, text, sizeof text) != 0)
        return cerd__error(CERD_ERANGE, "%s.%s: number too long", t->name, c->name);
    errno = 0;
    n = strtoll(text, &end, 10); /* skips leading white space, as PostgreSQL does */
    while (*end == ' ' || (*end >= '\t' && *end <= '\r'))
        end++; /* and so is trailing white space accepted */
    if (end == text || *end)
        return cerd__error(CERD_EINVALID, "%s.%s: \"%s\" is not an integer", t->name, c->name,
                           text);
    if (errno == ERANGE || n < lo || n > hi)
        return cerd__error(CERD_ERANGE, "%s.%s: %s is out of range for %s", t->name, c->name,
                           text, c->type == CERD_TYPE_INT32 ? "integer" : "bigint");
    *out = n;
    return 0;
}

static int parse_numeric(const cerd_table *t, const cerd_column *c, const cJSON *v,
                         cerd_numeric *out)
{
    char text[512];
    int rc;

    if (cJSON_IsString(v)) {
        if (snprintf(text, sizeof text, "%s", v->valuestring) >= (int)sizeof text)
            return cerd__error(CERD_ERANGE, "%s.%s: number too long", t->name, c->name);
    } else if (cJSON_IsNumber(v) || cJSON_IsRaw(v)) {
        if (number_text(v, text, sizeof text))
            return cerd__error(CERD_ERANGE, "%s.%s: number too long", t->name, c->name);
    } else
        return wrong_type(t, c, "a number", v);
    if ((rc = cerd_numeric_parse(out, text)))
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

/* Sets one field from a non-null JSON value. */
static int set_field(const cerd_table *t, const cerd_column *c, const cJSON *v, void *row)
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
            if (!(rc = parse_numeric(t, c, v, &o->value)))
                o->valid = true;
            return rc;
        }
        return parse_numeric(t, c, v, (cerd_numeric *)field);
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
        cerd__free_field(&t->columns[i], out); /* a repeated key: the last one wins */
        if (!cJSON_IsNull(v) && (rc = set_field(t, &t->columns[i], v, out)))
            break;
    }
    if (rc)
        cerd_row_clear(t, out);
    return rc;
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

static cJSON *field_json(const cerd_column *c, const void *row)
{
    const char *field = (const char *)row + c->offset;
    bool opt = c->flags & CERD_COL_OPTIONAL;

    if (cerd__field_is_null(c, row))
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

int cerd_row_to_json(cJSON **out, const cerd_table *t, const void *row)
{
    cJSON *obj;

    if (!t || !row || !out)
        return cerd__error(CERD_EMISUSE, "row to json: table, row or out is NULL");
    *out = NULL;
    if (!(obj = cJSON_CreateObject()))
        return cerd__error(CERD_ENOMEM, "out of memory");
    for (int i = 0; i < t->ncolumns; i++) {
        cJSON *v = field_json(&t->columns[i], row);
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
