/* PostgreSQL's binary wire format for every cerd_type, driven by the column descriptor.
   Encoding checks what the server would refuse (text encoding, varchar length, timestamp
   range) so the failure names the table and column; decoding trusts nothing it is sent
   (every length is checked) and is the hot path of every read: no formatting, no
   allocation beyond what the field keeps. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "codec.h"
#include "error_internal.h"
#include "json.h"

/* Type OIDs (pg_type.dat). */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT4 23
#define OID_TEXT 25
#define OID_BPCHAR 1042
#define OID_VARCHAR 1043
#define OID_NAME 19
#define OID_INET 869
#define OID_INT4_ARRAY 1007
#define OID_TEXT_ARRAY 1009
#define OID_TIMESTAMPTZ 1184
#define OID_NUMERIC 1700
#define OID_JSONB 3802

/* PostgreSQL's inet address families on the wire (PGSQL_AF_INET = AF_INET + 0 = 2). */
#define PGSQL_AF_INET 2
#define PGSQL_AF_INET6 3

/* 2000-01-01 (PostgreSQL's epoch) minus 1970-01-01, in microseconds. */
#define PG_EPOCH_OFFSET_US INT64_C(946684800000000)
/* PostgreSQL's valid timestamp range, in its epoch: [MIN_TIMESTAMP, END_TIMESTAMP). */
#define PG_MIN_TIMESTAMP INT64_C(-211813488000000000)
#define PG_END_TIMESTAMP INT64_C(9223371331200000000)

/* ------------------------------------------------------------------------------ */
/* Buffer */

int cerd__buf_reserve(cerd__buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (b->cap - b->len >= extra)
        return 0;
    if (extra > SIZE_MAX - b->len)
        return cerd__error(CERD_ENOMEM, "buffer size overflow");
    need = b->len + extra;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (!p)
        return cerd__error(CERD_ENOMEM, "out of memory (buffer of %zu bytes)", cap);
    b->data = p;
    b->cap = cap;
    return 0;
}

int cerd__buf_append(cerd__buf *b, const void *p, size_t n)
{
    int rc;
    if (n == 0)
        return 0;
    if ((rc = cerd__buf_reserve(b, n)))
        return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void cerd__buf_free(cerd__buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ------------------------------------------------------------------------------ */
/* Big-endian integers */

static inline void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static inline void put_u64(unsigned char *p, uint64_t v)
{
    put_u32(p, (uint32_t)(v >> 32));
    put_u32(p + 4, (uint32_t)v);
}

static inline uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

static int append_u32(cerd__buf *b, uint32_t v)
{
    int rc = cerd__buf_reserve(b, 4);
    if (rc)
        return rc;
    put_u32((unsigned char *)b->data + b->len, v);
    b->len += 4;
    return 0;
}

static int append_u64(cerd__buf *b, uint64_t v)
{
    int rc = cerd__buf_reserve(b, 8);
    if (rc)
        return rc;
    put_u64((unsigned char *)b->data + b->len, v);
    b->len += 8;
    return 0;
}

/* ------------------------------------------------------------------------------ */
/* Column helpers */

uint32_t cerd__type_oid(cerd_type type)
{
    switch (type) {
    case CERD_TYPE_INT64: return OID_INT8;
    case CERD_TYPE_INT32: return OID_INT4;
    case CERD_TYPE_BOOL: return OID_BOOL;
    case CERD_TYPE_NUMERIC: return OID_NUMERIC;
    case CERD_TYPE_TIMESTAMPTZ: return OID_TIMESTAMPTZ;
    case CERD_TYPE_TEXT: return OID_TEXT;
    case CERD_TYPE_JSONB: return OID_JSONB;
    case CERD_TYPE_INET: return OID_INET;
    case CERD_TYPE_INT32_ARRAY: return OID_INT4_ARRAY;
    case CERD_TYPE_TEXT_ARRAY: return OID_TEXT_ARRAY;
    }
    return 0;
}

/* Whether the field is a cerd_opt_* wrapper (identity columns are always plain). */
static inline bool is_opt(const cerd_column *c)
{
    return (c->flags & (CERD_COL_OPTIONAL | CERD_COL_IDENTITY)) == CERD_COL_OPTIONAL;
}

static const char *tname(const cerd_table *t)
{
    return t && t->name ? t->name : "?";
}

/* Re-records the last error with the table and column in front of its message. */
static int col_error(const cerd_table *t, const cerd_column *c, int code)
{
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", cerd_error_last()->message);
    return cerd__error(code, "%s.%s: %s", tname(t), c->name, msg);
}

static int malformed(const cerd_table *t, const cerd_column *c, const char *type, int len)
{
    return cerd__error(CERD_ERROR, "%s.%s: malformed binary %s value from the server (%d bytes)",
                       tname(t), c->name, type, len);
}

static int no_memory(const cerd_table *t, const cerd_column *c)
{
    return cerd__error(CERD_ENOMEM, "%s.%s: out of memory decoding the value", tname(t),
                       c->name);
}

const cerd_colset *cerd__row_defaults(const cerd_table *t, const void *row)
{
    return (const cerd_colset *)(const void *)((const char *)row + t->defaults_offset);
}

int cerd__write_state(const cerd_table *t, int i, const void *row)
{
    const cerd_column *c = &t->columns[i];
    if (cerd_colset_has(cerd__row_defaults(t, row), (unsigned)i))
        return CERD__W_DEFAULT;
    if (!cerd__field_is_null(c, row))
        return CERD__W_VALUE;
    if ((c->flags & CERD_COL_NOT_NULL) && (c->flags & (CERD_COL_HAS_DEFAULT | CERD_COL_IDENTITY)))
        return CERD__W_ABSENT;
    return CERD__W_NULL;
}

int cerd__field_is_null(const cerd_column *c, const void *row)
{
    const char *f = (const char *)row + c->offset;

    if (c->flags & CERD_COL_IDENTITY) {
        if (c->type == CERD_TYPE_INT32)
            return *(const int32_t *)f == 0;
        return *(const int64_t *)f == 0;
    }
    switch (c->type) {
    case CERD_TYPE_TEXT:
        return *(char *const *)f == NULL;
    case CERD_TYPE_JSONB:
        return *(cJSON *const *)f == NULL;
    case CERD_TYPE_INT32_ARRAY:
        return !((const cerd_int32_array *)f)->valid;
    case CERD_TYPE_TEXT_ARRAY:
        return !((const cerd_text_array *)f)->valid;
    default:
        break;
    }
    if (!(c->flags & CERD_COL_OPTIONAL))
        return 0;
    switch (c->type) {
    case CERD_TYPE_INT64: return !((const cerd_opt_int64 *)f)->valid;
    case CERD_TYPE_INT32: return !((const cerd_opt_int32 *)f)->valid;
    case CERD_TYPE_BOOL: return !((const cerd_opt_bool *)f)->valid;
    case CERD_TYPE_NUMERIC: return !((const cerd_opt_numeric *)f)->valid;
    case CERD_TYPE_TIMESTAMPTZ: return !((const cerd_opt_timestamp *)f)->valid;
    case CERD_TYPE_INET: return !((const cerd_opt_inet *)f)->valid;
    default: return 0;
    }
}

/* ------------------------------------------------------------------------------ */
/* Encoding */

/* Checks one text value as the server would store it in the column: UTF-8 without NUL,
   and for varchar(n) at most n characters, where excess characters that are all spaces
   are allowed (PostgreSQL truncates those silently). index >= 0 names an array element. */
static int check_text(const cerd_table *t, const cerd_column *c, const char *s, size_t len,
                      long index)
{
    char where[32] = ""; /* "[n]" for an array element; filled only on failure */

    if (cerd_text_check(s, len)) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", cerd_error_last()->message);
        if (index >= 0)
            snprintf(where, sizeof where, "[%ld]", index + 1);
        return cerd__error(CERD_EENCODING, "%s.%s%s: %s", tname(t), c->name, where, msg);
    }
    if (c->max_chars >= 0 && len > (size_t)c->max_chars) {
        size_t chars = cerd_text_chars(s, len);
        if (chars > (size_t)c->max_chars) {
            /* Byte offset just past the first max_chars characters. */
            size_t off = 0, seen = 0;
            while (off < len) {
                if (((unsigned char)s[off] & 0xC0) != 0x80) {
                    if (seen == (size_t)c->max_chars)
                        break;
                    seen++;
                }
                off++;
            }
            while (off < len && s[off] == ' ')
                off++;
            if (off < len) {
                size_t quoted = len > 40 ? 40 : len; /* quote a prefix, whole characters */
                while (quoted < len && ((unsigned char)s[quoted] & 0xC0) == 0x80)
                    quoted--;
                if (index >= 0)
                    snprintf(where, sizeof where, "[%ld]", index + 1);
                return cerd__error(CERD_ERANGE,
                                   "%s.%s%s: value too long for type character varying(%d): "
                                   "%zu characters \"%.*s%s\"",
                                   tname(t), c->name, where, (int)c->max_chars, chars,
                                   (int)quoted, s, quoted < len ? "..." : "");
            }
        }
    }
    if (len > INT32_MAX) {
        if (index >= 0)
            snprintf(where, sizeof where, "[%ld]", index + 1);
        return cerd__error(CERD_ERANGE, "%s.%s%s: text of %zu bytes is too long", tname(t),
                           c->name, where, len);
    }
    return 0;
}

static int encode_timestamp(const cerd_table *t, const cerd_column *c, cerd_timestamp ts,
                            cerd__buf *b)
{
    int64_t pg;
    if (ts == CERD_TIMESTAMP_INFINITY || ts == CERD_TIMESTAMP_NEG_INFINITY) {
        pg = ts;
    } else {
        if (ts < PG_MIN_TIMESTAMP + PG_EPOCH_OFFSET_US ||
            ts - PG_EPOCH_OFFSET_US >= PG_END_TIMESTAMP)
            return cerd__error(CERD_ERANGE, "%s.%s: timestamp %lld (microseconds since 1970) "
                                            "is out of PostgreSQL's range",
                               tname(t), c->name, (long long)ts);
        pg = ts - PG_EPOCH_OFFSET_US;
    }
    return append_u64(b, (uint64_t)pg);
}

static int encode_inet(const cerd_table *t, const cerd_column *c, const cerd_inet *in,
                       cerd__buf *b)
{
    unsigned nb, maxbits;
    unsigned char *p;
    int rc;

    if (in->family == 4) {
        nb = 4;
        maxbits = 32;
    } else if (in->family == 6) {
        nb = 16;
        maxbits = 128;
    } else {
        return cerd__error(CERD_EINVALID, "%s.%s: inet family %u is neither 4 nor 6",
                           tname(t), c->name, in->family);
    }
    if (in->bits > maxbits)
        return cerd__error(CERD_ERANGE, "%s.%s: inet prefix length %u above %u", tname(t),
                           c->name, in->bits, maxbits);
    if ((rc = cerd__buf_reserve(b, 4 + nb)))
        return rc;
    p = (unsigned char *)b->data + b->len;
    p[0] = in->family == 4 ? PGSQL_AF_INET : PGSQL_AF_INET6;
    p[1] = in->bits;
    p[2] = 0; /* is_cidr */
    p[3] = (unsigned char)nb;
    memcpy(p + 4, in->addr, nb);
    b->len += 4 + nb;
    return 0;
}

/* ndim, has_null, element type, and for a non-empty array its one dimension. */
static int array_header(cerd__buf *b, size_t count, bool has_null, uint32_t elem_oid)
{
    int rc = cerd__buf_reserve(b, 20);
    unsigned char *p;
    if (rc)
        return rc;
    p = (unsigned char *)b->data + b->len;
    put_u32(p, count ? 1 : 0);
    put_u32(p + 4, has_null ? 1 : 0);
    put_u32(p + 8, elem_oid);
    b->len += 12;
    if (count) {
        put_u32(p + 12, (uint32_t)count);
        put_u32(p + 16, 1);
        b->len += 8;
    }
    return 0;
}

static int encode_int32_array(const cerd_table *t, const cerd_column *c,
                              const cerd_int32_array *a, cerd__buf *b)
{
    bool has_null = false;
    unsigned char *p;
    int rc;

    if (a->count > INT32_MAX / 8)
        return cerd__error(CERD_ERANGE, "%s.%s: array of %zu elements is too long", tname(t),
                           c->name, a->count);
    if (a->count && !a->values)
        return cerd__error(CERD_EMISUSE, "%s.%s: array of %zu elements without values",
                           tname(t), c->name, a->count);
    if (a->nulls)
        for (size_t i = 0; i < a->count && !has_null; i++)
            has_null = a->nulls[i];
    if ((rc = array_header(b, a->count, has_null, OID_INT4)))
        return rc;
    if ((rc = cerd__buf_reserve(b, a->count * 8)))
        return rc;
    p = (unsigned char *)b->data + b->len;
    for (size_t i = 0; i < a->count; i++) {
        if (has_null && a->nulls[i]) {
            put_u32(p, UINT32_MAX); /* -1: NULL */
            p += 4;
        } else {
            put_u32(p, 4);
            put_u32(p + 4, (uint32_t)a->values[i]);
            p += 8;
        }
    }
    b->len = (size_t)((char *)p - b->data);
    return 0;
}

static int encode_text_array(const cerd_table *t, const cerd_column *c,
                             const cerd_text_array *a, cerd__buf *b)
{
    bool has_null = false;
    int rc;

    if (a->count > INT32_MAX / 4)
        return cerd__error(CERD_ERANGE, "%s.%s: array of %zu elements is too long", tname(t),
                           c->name, a->count);
    if (a->count && !a->values)
        return cerd__error(CERD_EMISUSE, "%s.%s: array of %zu elements without values",
                           tname(t), c->name, a->count);
    for (size_t i = 0; i < a->count; i++)
        if (!a->values[i])
            has_null = true;
    if ((rc = array_header(b, a->count, has_null, OID_TEXT)))
        return rc;
    for (size_t i = 0; i < a->count; i++) {
        const char *s = a->values[i];
        size_t len;
        if (!s) {
            if ((rc = append_u32(b, UINT32_MAX)))
                return rc;
            continue;
        }
        len = strlen(s);
        if ((rc = check_text(t, c, s, len, (long)i)) || (rc = append_u32(b, (uint32_t)len)) ||
            (rc = cerd__buf_append(b, s, len)))
            return rc;
    }
    return 0;
}

int cerd__encode_field(const cerd_table *t, const cerd_column *c, const void *row,
                       cerd__buf *b)
{
    const char *f = (const char *)row + c->offset;
    size_t mark = b->len;
    int rc;

    /* The value of an optional field is its first member, so f points at it either way. */
    switch (c->type) {
    case CERD_TYPE_INT64:
        rc = append_u64(b, (uint64_t) * (const int64_t *)f);
        break;
    case CERD_TYPE_INT32:
        rc = append_u32(b, (uint32_t) * (const int32_t *)f);
        break;
    case CERD_TYPE_BOOL: {
        char v = *(const bool *)f ? 1 : 0;
        rc = cerd__buf_append(b, &v, 1);
        break;
    }
    case CERD_TYPE_NUMERIC:
        rc = cerd__numeric_send((const cerd_numeric *)f, b);
        if (rc && rc != CERD_ENOMEM)
            rc = col_error(t, c, rc);
        break;
    case CERD_TYPE_TIMESTAMPTZ:
        rc = encode_timestamp(t, c, *(const cerd_timestamp *)f, b);
        break;
    case CERD_TYPE_TEXT: {
        const char *s = *(char *const *)f;
        size_t len;
        if (!s)
            return cerd__error(CERD_EMISUSE, "%s.%s: encoding a NULL text", tname(t), c->name);
        len = strlen(s);
        rc = check_text(t, c, s, len, -1);
        if (!rc)
            rc = cerd__buf_append(b, s, len);
        break;
    }
    case CERD_TYPE_JSONB: {
        const cJSON *j = *(cJSON *const *)f;
        if (!j)
            return cerd__error(CERD_EMISUSE, "%s.%s: encoding a NULL jsonb", tname(t), c->name);
        rc = cerd__buf_append(b, "\1", 1);
        if (!rc) {
            rc = cerd__json_print_buf(j, b);
            if (rc && rc != CERD_ENOMEM)
                rc = col_error(t, c, rc);
        }
        break;
    }
    case CERD_TYPE_INET:
        rc = encode_inet(t, c, (const cerd_inet *)f, b);
        break;
    case CERD_TYPE_INT32_ARRAY:
        rc = encode_int32_array(t, c, (const cerd_int32_array *)f, b);
        break;
    case CERD_TYPE_TEXT_ARRAY:
        rc = encode_text_array(t, c, (const cerd_text_array *)f, b);
        break;
    default:
        rc = cerd__error(CERD_EMISUSE, "%s.%s: unknown column type %d", tname(t), c->name,
                         (int)c->type);
    }
    if (rc)
        b->len = mark;
    return rc;
}

/* ------------------------------------------------------------------------------ */
/* Decoding */

static void set_null(const cerd_column *c, char *f)
{
    switch (c->type) {
    case CERD_TYPE_TEXT:
        *(char **)f = NULL;
        return;
    case CERD_TYPE_JSONB:
        *(cJSON **)f = NULL;
        return;
    case CERD_TYPE_INT32_ARRAY:
        memset(f, 0, sizeof(cerd_int32_array));
        return;
    case CERD_TYPE_TEXT_ARRAY:
        memset(f, 0, sizeof(cerd_text_array));
        return;
    default:
        break;
    }
    if (c->flags & CERD_COL_IDENTITY) {
        if (c->type == CERD_TYPE_INT32)
            *(int32_t *)f = 0;
        else
            *(int64_t *)f = 0;
        return;
    }
    switch (c->type) {
    case CERD_TYPE_INT64:
        if (is_opt(c))
            memset(f, 0, sizeof(cerd_opt_int64));
        else
            *(int64_t *)f = 0;
        break;
    case CERD_TYPE_INT32:
        if (is_opt(c))
            memset(f, 0, sizeof(cerd_opt_int32));
        else
            *(int32_t *)f = 0;
        break;
    case CERD_TYPE_BOOL:
        if (is_opt(c))
            memset(f, 0, sizeof(cerd_opt_bool));
        else
            *(bool *)f = false;
        break;
    case CERD_TYPE_NUMERIC:
        memset(f, 0, is_opt(c) ? sizeof(cerd_opt_numeric) : sizeof(cerd_numeric));
        break;
    case CERD_TYPE_TIMESTAMPTZ:
        if (is_opt(c))
            memset(f, 0, sizeof(cerd_opt_timestamp));
        else
            *(cerd_timestamp *)f = 0;
        break;
    case CERD_TYPE_INET:
        memset(f, 0, is_opt(c) ? sizeof(cerd_opt_inet) : sizeof(cerd_inet));
        break;
    default:
        break;
    }
}

/* Parses an array header: returns the element count (>= 0) and sets *body to the first
   element, or returns -1 after recording the error. */
static long array_decode_header(const cerd_table *t, const cerd_column *c,
                                const unsigned char *d, int len, bool text_elems,
                                const unsigned char **body)
{
    const char *what = text_elems ? "text[]" : "integer[]";
    int32_t ndim, flags, count;
    uint32_t elem;

    if (len < 12)
        return malformed(t, c, what, len), -1;
    ndim = (int32_t)get_u32(d);
    flags = (int32_t)get_u32(d + 4);
    elem = get_u32(d + 8);
    if (text_elems ? (elem != OID_TEXT && elem != OID_VARCHAR && elem != OID_BPCHAR &&
                      elem != OID_NAME)
                   : elem != OID_INT4)
        return cerd__error(CERD_ERROR, "%s.%s: array element type %u is not the column's",
                           tname(t), c->name, elem),
               -1;
    if (flags != 0 && flags != 1)
        return malformed(t, c, what, len), -1;
    if (ndim == 0) {
        *body = d + 12;
        return len == 12 ? 0 : (malformed(t, c, what, len), -1);
    }
    if (ndim > 1)
        return cerd__error(CERD_ERROR, "%s.%s: %d-dimensional array; only one-dimensional "
                                       "arrays are supported",
                           tname(t), c->name, (int)ndim),
               -1;
    if (ndim < 0 || len < 20)
        return malformed(t, c, what, len), -1;
    count = (int32_t)get_u32(d + 12);
    /* d + 16: the lower bound, whatever it is, is not kept */
    if (count < 0 || (size_t)count > (size_t)(len - 20) / 4)
        return malformed(t, c, what, len), -1;
    *body = d + 20;
    return count;
}

static int decode_int32_array(const cerd_table *t, const cerd_column *c,
                              const unsigned char *d, int len, cerd_int32_array *a)
{
    const unsigned char *p, *end = d + len;
    long count = array_decode_header(t, c, d, len, false, &p);
    int32_t *values = NULL;
    bool *nulls = NULL;

    if (count < 0)
        return cerd_error_last()->code;
    if (count > 0) {
        values = malloc((size_t)count * sizeof *values);
        if (!values)
            return no_memory(t, c);
    }
    for (long i = 0; i < count; i++) {
        int32_t elen;
        if (end - p < 4)
            goto bad;
        elen = (int32_t)get_u32(p);
        p += 4;
        if (elen == -1) {
            if (!nulls && !(nulls = calloc((size_t)count, sizeof *nulls))) {
                free(values);
                return no_memory(t, c);
            }
            nulls[i] = true;
            values[i] = 0;
        } else if (elen == 4 && end - p >= 4) {
            values[i] = (int32_t)get_u32(p);
            p += 4;
        } else {
            goto bad;
        }
    }
    if (p != end)
        goto bad;
    a->values = values;
    a->nulls = nulls;
    a->count = (size_t)count;
    a->valid = true;
    return 0;

bad:
    free(values);
    free(nulls);
    return malformed(t, c, "integer[]", len);
}

static int decode_text_array(const cerd_table *t, const cerd_column *c,
                             const unsigned char *d, int len, cerd_text_array *a)
{
    const unsigned char *p, *end = d + len;
    long count = array_decode_header(t, c, d, len, true, &p), i = 0;
    char **values = NULL;
    int rc;

    if (count < 0)
        return cerd_error_last()->code;
    if (count > 0) {
        values = calloc((size_t)count, sizeof *values);
        if (!values)
            return no_memory(t, c);
    }
    for (; i < count; i++) {
        int32_t elen;
        if (end - p < 4)
            goto bad;
        elen = (int32_t)get_u32(p);
        p += 4;
        if (elen == -1)
            continue;
        if (elen < 0 || end - p < elen)
            goto bad;
        if (cerd_text_check((const char *)p, (size_t)elen)) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", cerd_error_last()->message);
            rc = cerd__error(CERD_EENCODING, "%s.%s[%ld]: %s", tname(t), c->name, i + 1, msg);
            goto fail;
        }
        values[i] = malloc((size_t)elen + 1);
        if (!values[i]) {
            rc = no_memory(t, c);
            goto fail;
        }
        memcpy(values[i], p, (size_t)elen);
        values[i][elen] = '\0';
        p += elen;
    }
    if (p != end)
        goto bad;
    a->values = values;
    a->count = (size_t)count;
    a->valid = true;
    return 0;

bad:
    rc = malformed(t, c, "text[]", len);
fail:
    for (long k = 0; k < count; k++)
        free(values[k]);
    free(values);
    return rc;
}

static int decode_value(const cerd_table *t, const cerd_column *c, const char *data, int len,
                        char *f)
{
    const unsigned char *d = (const unsigned char *)data;
    bool opt = is_opt(c);
    int rc;

    if (len < 0 || !data) {
        set_null(c, f);
        if (c->type == CERD_TYPE_TEXT || c->type == CERD_TYPE_JSONB ||
            c->type == CERD_TYPE_INT32_ARRAY || c->type == CERD_TYPE_TEXT_ARRAY || opt)
            return 0;
        return cerd__error(CERD_ERROR, "%s.%s: unexpected NULL for a column the row holds "
                                       "as a plain value",
                           tname(t), c->name);
    }

    switch (c->type) {
    case CERD_TYPE_INT64:
        if (len != 8)
            return malformed(t, c, "bigint", len);
        if (!opt) {
            *(int64_t *)f = (int64_t)get_u64(d);
        } else {
            cerd_opt_int64 *o = (cerd_opt_int64 *)f;
            o->value = (int64_t)get_u64(d);
            o->valid = true;
        }
        return 0;
    case CERD_TYPE_INT32:
        if (len != 4)
            return malformed(t, c, "integer", len);
        if (!opt) {
            *(int32_t *)f = (int32_t)get_u32(d);
        } else {
            cerd_opt_int32 *o = (cerd_opt_int32 *)f;
            o->value = (int32_t)get_u32(d);
            o->valid = true;
        }
        return 0;
    case CERD_TYPE_BOOL:
        if (len != 1)
            return malformed(t, c, "boolean", len);
        if (!opt) {
            *(bool *)f = d[0] != 0;
        } else {
            cerd_opt_bool *o = (cerd_opt_bool *)f;
            o->value = d[0] != 0;
            o->valid = true;
        }
        return 0;
    case CERD_TYPE_NUMERIC: {
        cerd_numeric *n = (cerd_numeric *)f; /* the value is an optional's first member */
        rc = cerd__numeric_recv(n, data, len);
        if (rc) {
            return rc == CERD_ENOMEM ? rc : col_error(t, c, rc);
        }
        if (opt)
            ((cerd_opt_numeric *)f)->valid = true;
        return 0;
    }
    case CERD_TYPE_TIMESTAMPTZ: {
        int64_t pg, ts;
        if (len != 8)
            return malformed(t, c, "timestamptz", len);
        pg = (int64_t)get_u64(d);
        if (pg == INT64_MAX || pg == INT64_MIN) {
            ts = pg;
        } else {
            if (pg >= INT64_MAX - PG_EPOCH_OFFSET_US)
                return cerd__error(CERD_ERANGE,
                                   "%s.%s: timestamp beyond what microseconds since 1970 in "
                                   "64 bits can hold",
                                   tname(t), c->name);
            ts = pg + PG_EPOCH_OFFSET_US;
        }
        if (!opt) {
            *(cerd_timestamp *)f = ts;
        } else {
            cerd_opt_timestamp *o = (cerd_opt_timestamp *)f;
            o->value = ts;
            o->valid = true;
        }
        return 0;
    }
    case CERD_TYPE_TEXT: {
        char *s;
        if (cerd_text_check(data, (size_t)len))
            return col_error(t, c, CERD_EENCODING);
        s = malloc((size_t)len + 1);
        if (!s)
            return no_memory(t, c);
        memcpy(s, data, (size_t)len);
        s[len] = '\0';
        *(char **)f = s;
        return 0;
    }
    case CERD_TYPE_JSONB: {
        cJSON *j = NULL;
        if (len < 1 || d[0] != 1)
            return malformed(t, c, "jsonb", len);
        rc = cerd__json_parse(data + 1, (size_t)len - 1, &j);
        if (rc) {
            if (rc == CERD_ENOMEM)
                return rc;
            return col_error(t, c, rc == CERD_EINVALID ? CERD_ERROR : rc);
        }
        *(cJSON **)f = j;
        return 0;
    }
    case CERD_TYPE_INET: {
        cerd_inet v;
        unsigned nb, maxbits;
        if (len < 4)
            return malformed(t, c, "inet", len);
        memset(&v, 0, sizeof v);
        if (d[0] == PGSQL_AF_INET) {
            v.family = 4;
            nb = 4;
            maxbits = 32;
        } else if (d[0] == PGSQL_AF_INET6) {
            v.family = 6;
            nb = 16;
            maxbits = 128;
        } else {
            return malformed(t, c, "inet", len);
        }
        if (d[1] > maxbits || d[3] != nb || (unsigned)len != 4 + nb)
            return malformed(t, c, "inet", len);
        v.bits = d[1];
        memcpy(v.addr, d + 4, nb);
        if (!opt) {
            *(cerd_inet *)f = v;
        } else {
            cerd_opt_inet *o = (cerd_opt_inet *)f;
            o->value = v;
            o->valid = true;
        }
        return 0;
    }
    case CERD_TYPE_INT32_ARRAY:
        memset(f, 0, sizeof(cerd_int32_array));
        return decode_int32_array(t, c, d, len, (cerd_int32_array *)f);
    case CERD_TYPE_TEXT_ARRAY:
        memset(f, 0, sizeof(cerd_text_array));
        return decode_text_array(t, c, d, len, (cerd_text_array *)f);
    }
    return cerd__error(CERD_EMISUSE, "%s.%s: unknown column type %d", tname(t), c->name,
                       (int)c->type);
}

int cerd__decode_row(const cerd_table *t, const PGresult *res, int r, void *row)
{
    if (PQnfields(res) != t->ncolumns)
        return cerd__error(CERD_ERROR, "%s: result has %d columns, the descriptor %d",
                           t->name, PQnfields(res), t->ncolumns);
    for (int i = 0; i < t->ncolumns; i++) {
        const cerd_column *c = &t->columns[i];
        /* A NOT NULL column never comes back NULL: one libpq call saved per field (were
           it NULL anyway, its empty value would fail to decode, not pass as zero). */
        int len = !(c->flags & CERD_COL_NOT_NULL) && PQgetisnull(res, r, i)
                      ? -1
                      : PQgetlength(res, r, i);
        char *f = (char *)row + c->offset;
        int rc = decode_value(t, c, PQgetvalue(res, r, i), len, f);
        if (rc) {
            set_null(c, f);
            cerd_row_clear(t, row);
            return rc;
        }
    }
    return 0;
}

int cerd__decode_field(const cerd_table *t, const cerd_column *c, const char *data, int len,
                       void *row)
{
    char *f = (char *)row + c->offset;
    int rc = decode_value(t, c, data, len, f);
    if (rc)
        set_null(c, f); /* nothing half-decoded is left behind */
    return rc;
}

void cerd__free_field(const cerd_column *c, void *row)
{
    char *f = (char *)row + c->offset;

    switch (c->type) {
    case CERD_TYPE_TEXT:
        free(*(char **)f);
        break;
    case CERD_TYPE_JSONB:
        cJSON_Delete(*(cJSON **)f);
        break;
    case CERD_TYPE_INT32_ARRAY: {
        cerd_int32_array *a = (cerd_int32_array *)f;
        free(a->values);
        free(a->nulls);
        break;
    }
    case CERD_TYPE_TEXT_ARRAY: {
        cerd_text_array *a = (cerd_text_array *)f;
        if (a->values)
            for (size_t i = 0; i < a->count; i++)
                free(a->values[i]);
        free(a->values);
        break;
    }
    default:
        break;
    }
    set_null(c, f);
}
