/* A strict JSON parser building cJSON trees with exact numbers, and a locale-independent
   printer (see json.h). Recursive descent, depth-limited; every read is bounds-checked,
   so any byte string is safe to feed it. */
#include <float.h>
#include <locale.h>
#include <math.h> /* isnan, isinf, signbit: macros, no libm needed */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptoerd/types.h"
#include "util/error_internal.h"
#include "types/json_internal.h"

/* ------------------------------------------------------------------------------ */
/* The "C" locale, for strtod and snprintf of doubles whatever setlocale() says. */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static locale_t get_c_locale(void)
{
    pthread_once(&c_locale_once, c_locale_init);
    return c_locale;
}

static double dabs(double d)
{
    return d < 0 ? -d : d;
}

/* strtod of a NUL-terminated number in the C locale; 0 when no C locale is available. */
static int strtod_c(const char *s, double *out)
{
    locale_t c = get_c_locale(), old;
    if (!c)
        return 0;
    old = uselocale(c);
    *out = strtod(s, NULL);
    uselocale(old);
    return 1;
}

/* cJSON 1.7's print_number, in the C locale: NaN and infinities as null, else %1.15g
   when that reads back to (almost exactly, by cJSON's own comparison) the same double,
   else %1.17g. Returns the length written to buf (at least 32 bytes), or -1. */
static int cjson_number_text(double d, char *buf, size_t size)
{
    locale_t c, old;
    double test;
    int n;

    if (isnan(d) || isinf(d))
        return snprintf(buf, size, "null");
    c = get_c_locale();
    if (!c)
        return -1;
    old = uselocale(c);
    n = snprintf(buf, size, "%1.15g", d);
    test = strtod(buf, NULL);
    {
        double maxval = dabs(test) > dabs(d) ? dabs(test) : dabs(d);
        if (!(dabs(test - d) <= maxval * DBL_EPSILON))
            n = snprintf(buf, size, "%1.17g", d);
    }
    uselocale(old);
    return n > 0 && (size_t)n < size ? n : -1;
}

/* ------------------------------------------------------------------------------ */
/* Parser */

typedef struct parser {
    const unsigned char *start, *p, *end;
    int depth;
    int raw_bytes; /* strings and keys may hold bytes that are not UTF-8 */
    size_t fail_at; /* byte offset of the error, for cerd__json_parse_ex */
} parser;

static int fail(const parser *s, const unsigned char *at, const char *why)
{
    ((parser *)s)->fail_at = (size_t)(at - s->start);
    return cerd__error(CERD_EINVALID, "invalid JSON at byte offset %zu: %s",
                       (size_t)(at - s->start), why);
}

static void skip_ws(parser *s)
{
    while (s->p < s->end &&
           (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

/* Appends item to the children of parent, keeping cJSON's invariant that the first
   child's prev points to the last one (so cJSON_AddItemToArray stays O(1)). */
static void link_child(cJSON *parent, cJSON *item)
{
    cJSON *head = parent->child;
    if (!head) {
        parent->child = item;
        item->prev = item;
    } else {
        cJSON *tail = head->prev;
        tail->next = item;
        item->prev = tail;
        head->prev = item;
    }
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the four hex digits after "\u" at q (q + 4 <= end checked by the caller). */
static long hex4(const unsigned char *q)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(q[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static unsigned char *put_utf8(unsigned char *o, unsigned long cp)
{
    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *o++ = (unsigned char)(0xC0 | cp >> 6);
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xE0 | cp >> 12);
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (unsigned char)(0xF0 | cp >> 18);
        *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Parses the string whose opening quote is at s->p into a new cJSON_malloc'd string. */
static int parse_string(parser *s, char **out)
{
    const unsigned char *open = s->p, *q = s->p + 1, *body = q;
    int escaped = 0;
    size_t span;
    unsigned char *buf, *o;

    /* Find the closing quote; refuse raw control characters on the way. */
    for (;;) {
        if (q >= s->end)
            return fail(s, open, "unterminated string");
        if (*q == '"')
            break;
        if (*q < 0x20)
            return fail(s, q, "control character in a string must be escaped");
        if (*q == '\\') {
            escaped = 1;
            if (q + 1 >= s->end)
                return fail(s, open, "unterminated string");
            q += 2;
            continue;
        }
        q++;
    }
    span = (size_t)(q - body);

    /* Escapes are ASCII, so the raw span is valid UTF-8 exactly when the string is. */
    s->fail_at = (size_t)(open - s->start);
    if (!s->raw_bytes && cerd_text_check((const char *)body, span)) {
        char why[256];
        snprintf(why, sizeof why, "in the string starting at byte offset %zu: %s",
                 (size_t)(open - s->start), cerd_error_last()->message);
        return cerd__error(CERD_EINVALID, "invalid JSON: %s", why);
    }

    buf = cJSON_malloc(span + 1);
    if (!buf)
        return cerd__error(CERD_ENOMEM, "out of memory parsing JSON");
    if (!escaped) {
        memcpy(buf, body, span);
        buf[span] = '\0';
        s->p = q + 1;
        *out = (char *)buf;
        return 0;
    }

    o = buf;
    for (const unsigned char *r = body; r < q;) {
        if (*r != '\\') {
            *o++ = *r++;
            continue;
        }
        const unsigned char *esc = r;
        r++; /* the escape letter; r < q holds since the scan above paired each backslash */
        switch (*r++) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            long cp, lo;
            if (q - r < 4 || (cp = hex4(r)) < 0) {
                cJSON_free(buf);
                return fail(s, esc, "\"\\u\" must be followed by four hexadecimal digits");
            }
            r += 4;
            if (cp == 0) {
                cJSON_free(buf);
                return fail(s, esc, "unsupported Unicode escape sequence: \\u0000 cannot be "
                                    "converted to text");
            }
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cJSON_free(buf);
                return fail(s, esc, "Unicode low surrogate must follow a high surrogate");
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (q - r < 6 || r[0] != '\\' || r[1] != 'u' || (lo = hex4(r + 2)) < 0 ||
                    lo < 0xDC00 || lo > 0xDFFF) {
                    cJSON_free(buf);
                    return fail(s, esc, "Unicode high surrogate must be followed by a low "
                                        "surrogate");
                }
                r += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            o = put_utf8(o, (unsigned long)cp);
            break;
        }
        default:
            cJSON_free(buf);
            return fail(s, esc, "invalid escape sequence");
        }
    }
    *o = '\0';
    s->p = q + 1;
    *out = (char *)buf;
    return 0;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Makes a Raw node holding the token text. */
static int raw_node(const unsigned char *tok, size_t len, cJSON **out)
{
    cJSON *n = cJSON_CreateNull();
    char *text = cJSON_malloc(len + 1);
    if (!n || !text) {
        cJSON_Delete(n);
        cJSON_free(text);
        return cerd__error(CERD_ENOMEM, "out of memory parsing JSON");
    }
    memcpy(text, tok, len);
    text[len] = '\0';
    n->type = cJSON_Raw;
    n->valuestring = text;
    *out = n;
    return 0;
}

static int number_node(double d, cJSON **out)
{
    cJSON *n = cJSON_CreateNumber(d);
    if (!n)
        return cerd__error(CERD_ENOMEM, "out of memory parsing JSON");
    *out = n;
    return 0;
}

/* Parses the number at s->p (JSON grammar) and decides between Number and Raw. */
static int parse_number(parser *s, cJSON **out)
{
    const unsigned char *tok = s->p, *q = s->p, *int_start, *frac_start = NULL;
    size_t int_len, frac_len = 0, len;
    int neg = 0;
    long exp10 = 0;
    char digits[16];
    int ndig;
    long x; /* decimal exponent of the first significant digit */

    if (*q == '-') {
        neg = 1;
        q++;
    }
    int_start = q;
    if (q >= s->end || *q < '0' || *q > '9')
        return fail(s, tok, "invalid number");
    if (*q == '0') {
        q++;
    } else {
        while (q < s->end && *q >= '0' && *q <= '9')
            q++;
    }
    int_len = (size_t)(q - int_start);
    if (q < s->end && *q == '.') {
        q++;
        frac_start = q;
        while (q < s->end && *q >= '0' && *q <= '9')
            q++;
        frac_len = (size_t)(q - frac_start);
        if (frac_len == 0)
            return fail(s, tok, "invalid number: digits expected after the decimal point");
    }
    if (q < s->end && (*q == 'e' || *q == 'E')) {
        int eneg = 0;
        const unsigned char *e0;
        q++;
        if (q < s->end && (*q == '+' || *q == '-'))
            eneg = *q++ == '-';
        e0 = q;
        while (q < s->end && *q >= '0' && *q <= '9') {
            if (exp10 < 100000000)
                exp10 = exp10 * 10 + (*q - '0');
            q++;
        }
        if (q == e0)
            return fail(s, tok, "invalid number: digits expected in the exponent");
        if (eneg)
            exp10 = -exp10;
    }
    if (q < s->end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                       (*q >= '0' && *q <= '9') || *q == '.' || *q == '_')) {
        return fail(s, tok, "invalid number");
    }
    s->p = q;
    len = (size_t)(q - tok);

    /* Significant digits: from the first to the last nonzero digit. */
    {
        size_t total = int_len + frac_len, first = SIZE_MAX, last = 0;
        for (size_t i = 0; i < total; i++) {
            unsigned char c = i < int_len ? int_start[i] : frac_start[i - int_len];
            if (c != '0') {
                if (first == SIZE_MAX)
                    first = i;
                last = i;
            }
        }
        if (first == SIZE_MAX) {
            /* Zero: only "0" itself prints back as written ("-0", "0.0" do not). */
            if (len == 1)
                return number_node(0.0, out);
            return raw_node(tok, len, out);
        }
        /* exponent of the first significant digit */
        if (first < int_len)
            x = (long)(int_len - 1 - first) + exp10;
        else
            x = exp10 - (long)(first - int_len + 1);
        if (last - first + 1 <= 15) {
            ndig = (int)(last - first + 1);
            for (int i = 0; i < ndig; i++) {
                size_t k = first + (size_t)i;
                digits[i] = (char)(k < int_len ? int_start[k] : frac_start[k - int_len]);
            }
        } else {
            ndig = 16; /* too many for the fast path */
        }
    }

    if (ndig <= 15 && x >= -300 && x <= 300) {
        /* At most 15 significant digits in the normal range: the double round-trips
           through %1.15g to these digits (DBL_DIG), so cJSON prints the %g form of them.
           The number stays a Number exactly when it is written in that form. */
        char canon[48];
        size_t n = 0;
        if (neg)
            canon[n++] = '-';
        if (x < -4 || x >= 15) {
            long ax = x < 0 ? -x : x;
            canon[n++] = digits[0];
            if (ndig > 1) {
                canon[n++] = '.';
                memcpy(canon + n, digits + 1, (size_t)ndig - 1);
                n += (size_t)ndig - 1;
            }
            canon[n++] = 'e';
            canon[n++] = x < 0 ? '-' : '+';
            if (ax >= 100)
                canon[n++] = (char)('0' + ax / 100);
            canon[n++] = (char)('0' + ax / 10 % 10);
            canon[n++] = (char)('0' + ax % 10);
        } else if (x >= 0) {
            for (long k = 0; k <= x; k++)
                canon[n++] = k < ndig ? digits[k] : '0';
            if (ndig > x + 1) {
                canon[n++] = '.';
                memcpy(canon + n, digits + x + 1, (size_t)(ndig - x - 1));
                n += (size_t)(ndig - x - 1);
            }
        } else {
            canon[n++] = '0';
            canon[n++] = '.';
            for (long k = 0; k < -x - 1; k++)
                canon[n++] = '0';
            memcpy(canon + n, digits, (size_t)ndig);
            n += (size_t)ndig;
        }
        if (n != len || memcmp(canon, tok, len) != 0)
            return raw_node(tok, len, out);

        /* Exact conversion (Clinger's fast path) when the digits fit 2^53 and the power
           of ten is exact; else strtod. */
        {
            int64_t m = 0;
            long e = x - (ndig - 1);
            double d;
            for (int i = 0; i < ndig; i++)
                m = m * 10 + (digits[i] - '0');
            if (FLT_EVAL_METHOD == 0 && e >= -22 && e <= 22 + (15 - ndig)) {
                if (e > 22) {
                    for (; e > 22; e--)
                        m *= 10;
                }
                d = e >= 0 ? (double)m * pow10_exact[e] : (double)m / pow10_exact[-e];
                return number_node(neg ? -d : d, out);
            }
        }
    }

    /* Slow path: parse with strtod and print as cJSON would. */
    {
        char tmp[40], printed[40];
        double d;
        int n;
        /* cJSON never prints more than 24 characters for a number */
        if (len >= sizeof tmp)
            return raw_node(tok, len, out);
        memcpy(tmp, tok, len);
        tmp[len] = '\0';
        if (!strtod_c(tmp, &d))
            return raw_node(tok, len, out);
        n = cjson_number_text(d, printed, sizeof printed);
        if (n < 0 || (size_t)n != len || memcmp(printed, tok, len) != 0)
            return raw_node(tok, len, out);
        return number_node(d, out);
    }
}

static int parse_value(parser *s, cJSON **out);

static int parse_container(parser *s, cJSON **out, int is_object)
{
    const unsigned char *open = s->p;
    unsigned char close = is_object ? '}' : ']';
    cJSON *node;
    int rc;

    s->fail_at = (size_t)(open - s->start);
    if (++s->depth > CERD_JSON_MAX_DEPTH)
        return cerd__error(CERD_ERANGE,
                           "JSON nested deeper than %d levels at byte offset %zu",
                           CERD_JSON_MAX_DEPTH, (size_t)(open - s->start));
    node = is_object ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!node)
        return cerd__error(CERD_ENOMEM, "out of memory parsing JSON");
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        s->depth--;
        *out = node;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        cJSON *child = NULL;

        if (is_object) {
            skip_ws(s);
            if (s->p >= s->end || *s->p != '"') {
                rc = fail(s, s->p, "expected a string as object key");
                goto error;
            }
            if ((rc = parse_string(s, &key)))
                goto error;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':') {
                cJSON_free(key);
                rc = fail(s, s->p, "expected ':' after an object key");
                goto error;
            }
            s->p++;
        }
        if ((rc = parse_value(s, &child))) {
            cJSON_free(key);
            goto error;
        }
        child->string = key;
        link_child(node, child);
        skip_ws(s);
        if (s->p >= s->end) {
            rc = fail(s, s->p, is_object ? "unterminated object" : "unterminated array");
            goto error;
        }
        if (*s->p == ',') {
            s->p++;
            continue;
        }
        if (*s->p == close) {
            s->p++;
            break;
        }
        rc = fail(s, s->p, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
        goto error;
    }
    s->depth--;
    *out = node;
    return 0;

error:
    cJSON_Delete(node);
    return rc;
}

static int parse_literal(parser *s, const char *word, size_t n, int type, cJSON **out)
{
    cJSON *node;
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return fail(s, s->p, "invalid token");
    if (s->p + n < s->end) {
        unsigned char c = s->p[n];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_')
            return fail(s, s->p, "invalid token");
    }
    s->p += n;
    node = cJSON_CreateNull();
    if (!node)
        return cerd__error(CERD_ENOMEM, "out of memory parsing JSON");
    node->type = type;
    if (type == cJSON_True)
        node->valueint = 1, node->valuedouble = 1;
    *out = node;
    return 0;
}

static int parse_value(parser *s, cJSON **out)
{
    skip_ws(s);
    if (s->p >= s->end)
        return fail(s, s->p, "unexpected end of input");
    switch (*s->p) {
    case '{':
        return parse_container(s, out, 1);
    case '[':
        return parse_container(s, out, 0);
    case '"': {
        char *str;
        cJSON *node;
        int rc = parse_string(s, &str);
        if (rc)
            return rc;
        node = cJSON_CreateNull();
        if (!node) {
            cJSON_free(str);
            return cerd__error(CERD_ENOMEM, "out of memory parsing JSON");
        }
        node->type = cJSON_String;
        node->valuestring = str;
        *out = node;
        return 0;
    }
    case 't':
        return parse_literal(s, "true", 4, cJSON_True, out);
    case 'f':
        return parse_literal(s, "false", 5, cJSON_False, out);
    case 'n':
        return parse_literal(s, "null", 4, cJSON_NULL, out);
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            return parse_number(s, out);
        return fail(s, s->p, "invalid token");
    }
}

int cerd__json_parse_ex(const char *text, size_t len, unsigned flags, cJSON **out,
                        size_t *error_offset)
{
    parser s;
    cJSON *v = NULL;
    int rc;

    if (!out)
        return cerd__error(CERD_EMISUSE, "cerd__json_parse: NULL out");
    *out = NULL;
    if (!text && len)
        return cerd__error(CERD_EMISUSE, "cerd__json_parse: NULL text");
    s.start = s.p = (const unsigned char *)(text ? text : "");
    s.end = s.start + len;
    s.depth = 0;
    s.raw_bytes = (flags & CERD_JSON_RAW_BYTES) != 0;
    s.fail_at = 0;
    if ((rc = parse_value(&s, &v)) == 0) {
        skip_ws(&s);
        if (s.p != s.end) {
            cJSON_Delete(v);
            rc = fail(&s, s.p, "unexpected data after the JSON value");
        }
    }
    if (rc) {
        if (error_offset)
            *error_offset = s.fail_at;
        return rc;
    }
    *out = v;
    return 0;
}

int cerd__json_parse(const char *text, size_t len, cJSON **out)
{
    return cerd__json_parse_ex(text, len, 0, out, NULL);
}

/* ------------------------------------------------------------------------------ */
/* Printer */

static int put(cerd__buf *b, const void *p, size_t n)
{
    return cerd__buf_append(b, p, n);
}

static int print_string(const char *str, cerd__buf *b, int replace);

/* Length of the valid UTF-8 sequence at s (len bytes left), or 0: asked of
   cerd_text_check, the library's one UTF-8 reader (which may set the error record). */
static size_t utf8_len(const unsigned char *s, size_t len)
{
    for (size_t n = 1; n <= 4 && n <= len; n++)
        if (cerd_text_check((const char *)s, n) == 0)
            return n;
    return 0;
}

/* print_string for text that is not valid UTF-8: each byte that starts no valid
   sequence is written as U+FFFD. */
static int print_string_replacing(const unsigned char *s, size_t len, cerd__buf *b)
{
    cerd__buf clean = {0};
    int rc = 0;

    for (size_t i = 0; i < len && !rc;) {
        size_t n = utf8_len(s + i, len - i);
        if (n) {
            rc = cerd__buf_append(&clean, s + i, n);
            i += n;
        } else {
            rc = cerd__buf_append(&clean, "\xEF\xBF\xBD", 3);
            i++;
        }
    }
    if (!rc)
        rc = cerd__buf_append(&clean, "", 1);
    if (!rc)
        rc = print_string(clean.data, b, 0);
    cerd__buf_free(&clean);
    return rc;
}

static int print_string(const char *str, cerd__buf *b, int replace)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t len = strlen((const char *)s), run = 0;
    int rc;

    if ((rc = cerd_text_check((const char *)s, len))) {
        if (replace)
            return print_string_replacing(s, len, b);
        return rc;
    }
    if ((rc = cerd__buf_reserve(b, len + 2)))
        return rc;
    b->data[b->len++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        char esc[6];
        size_t n = 2;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if ((rc = put(b, s + run, i - run)))
            return rc;
        run = i + 1;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if ((rc = put(b, esc, n)))
            return rc;
    }
    if ((rc = put(b, s + run, len - run)))
        return rc;
    return put(b, "\"", 1);
}

static int print_value(const cJSON *v, cerd__buf *b, int depth, int replace)
{
    int rc;

    switch (v->type & 0xFF) {
    case cJSON_NULL:
        return put(b, "null", 4);
    case cJSON_False:
        return put(b, "false", 5);
    case cJSON_True:
        return put(b, "true", 4);
    case cJSON_Number: {
        char text[40];
        double d = v->valuedouble;
        int n;
        if (d > -1e15 && d < 1e15 && d == (double)(int64_t)d) {
            /* Integers print as %1.15g would print them, without snprintf. */
            int64_t i = (int64_t)d;
            uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
            char *p = text + sizeof text;
            do {
                *--p = (char)('0' + u % 10);
                u /= 10;
            } while (u);
            if (i < 0 || (i == 0 && signbit(d)))
                *--p = '-';
            return put(b, p, (size_t)(text + sizeof text - p));
        }
        n = cjson_number_text(d, text, sizeof text);
        if (n < 0)
            return cerd__error(CERD_ENOMEM, "cannot print a JSON number: no C locale");
        return put(b, text, (size_t)n);
    }
    case cJSON_Raw:
        if (!v->valuestring)
            return cerd__error(CERD_EINVALID, "JSON raw node without text");
        return put(b, v->valuestring, strlen(v->valuestring));
    case cJSON_String:
        return print_string(v->valuestring, b, replace);
    case cJSON_Array:
    case cJSON_Object: {
        int is_object = (v->type & 0xFF) == cJSON_Object;
        if (depth >= CERD_JSON_MAX_DEPTH)
            return cerd__error(CERD_EINVALID, "JSON nested deeper than %d levels (or cyclic)",
                               CERD_JSON_MAX_DEPTH);
        if ((rc = put(b, is_object ? "{" : "[", 1)))
            return rc;
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child && (rc = put(b, ",", 1)))
                return rc;
            if (is_object) {
                if ((rc = print_string(c->string, b, replace)) || (rc = put(b, ":", 1)))
                    return rc;
            }
            if ((rc = print_value(c, b, depth + 1, replace)))
                return rc;
        }
        return put(b, is_object ? "}" : "]", 1);
    }
    default:
        return cerd__error(CERD_EINVALID, "JSON node of unknown type %d", v->type & 0xFF);
    }
}

int cerd__json_print_buf_ex(const cJSON *v, unsigned flags, cerd__buf *b)
{
    size_t mark = b->len;
    int rc;
    if (!v)
        return cerd__error(CERD_EMISUSE, "cerd__json_print: NULL value");
    rc = print_value(v, b, 0, (flags & CERD_JSON_REPLACE_INVALID) != 0);
    if (rc)
        b->len = mark;
    return rc;
}

int cerd__json_print_buf(const cJSON *v, cerd__buf *b)
{
    return cerd__json_print_buf_ex(v, 0, b);
}

char *cerd__json_print(const cJSON *v)
{
    cerd__buf b = {0};
    if (cerd__json_print_buf(v, &b) || cerd__buf_append(&b, "", 1)) {
        cerd__buf_free(&b);
        return NULL;
    }
    return b.data;
}
