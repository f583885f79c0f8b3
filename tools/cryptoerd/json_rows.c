/* The input reader of `cryptoerd validate` (json_rows.h).

   Parsing is the library's (cerd_json_parse: strict RFC 8259, exact numbers). That parser
   refuses a string holding bytes that are not UTF-8, but for this tool such a string is a
   row with an encoding problem, not unparsable input. So the reader first copies the
   input with every byte that starts no valid UTF-8 sequence replaced by '?' (a byte that
   is valid inside a string and invalid anywhere else in JSON, so the syntax verdict and
   every byte offset stay the same), parses the copy, and then walks the text alongside
   the tree it gave to put the original bytes back into each string (or object key) that
   had some. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cryptoerd/cryptoerd.h>

#include "json_rows.h"

/* Length of the valid UTF-8 sequence at p (RFC 3629, as PostgreSQL's pg_utf8_islegal:
   no overlong forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (left < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Line and column (1-based, columns in bytes) of byte offset off of data. */
static void line_col(const char *data, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, start = 0;
    for (size_t i = 0; i < off; i++)
        if (data[i] == '\n') {
            l++;
            start = i + 1;
        }
    *line = l;
    *col = off - start + 1;
}

/* Turns the library's parse error (whose message gives "byte offset N" relative to base)
   into "line L, column C: message" in err. */
static void parse_error(const char *data, size_t base, char *err, size_t errsize)
{
    const char *msg = cerd_error_last()->message;
    const char *at = strstr(msg, "byte offset ");
    size_t off = 0, line, col;

    if (at) {
        char *end;
        unsigned long long v = strtoull(at + 12, &end, 10);
        if (end != at + 12)
            off = (size_t)v;
    }
    line_col(data, base + off, &line, &col);
    if (!strncmp(msg, "invalid JSON at byte offset ", 28)) {
        /* "invalid JSON at byte offset N: why" -> "invalid JSON: why" */
        const char *why = strstr(msg + 28, ": ");
        snprintf(err, errsize, "line %zu, column %zu: invalid JSON%s", line, col,
                 why ? why : "");
    } else {
        snprintf(err, errsize, "line %zu, column %zu: %s", line, col, msg);
    }
}

/* ------------------------------------------------------------------------------ */
/* Putting the original bytes back */

typedef struct walk {
    const char *text; /* the parsed copy */
    const char *orig; /* the input */
    const bool *bad;  /* per byte: replaced */
    size_t pos, end;
} walk;

static void skip_ws(walk *w)
{
    while (w->pos < w->end && (w->text[w->pos] == ' ' || w->text[w->pos] == '\n' ||
                               w->text[w->pos] == '\r' || w->text[w->pos] == '\t'))
        w->pos++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 0;
}

static unsigned long hex4(const char *q)
{
    return (unsigned long)(hexval(q[0]) << 12 | hexval(q[1]) << 8 | hexval(q[2]) << 4 |
                           hexval(q[3]));
}

/* The string token at w->pos (opening quote), decoded from the original bytes when it
   holds a replaced byte: a new cJSON_malloc'd string, or NULL when it holds none (or
   memory ran out: the '?' then stay). Moves w->pos past the closing quote. */
static char *string_token(walk *w)
{
    size_t open = w->pos, q = open + 1, close;
    bool any = false;
    char *buf, *o;

    while (q < w->end && w->text[q] != '"') {
        if (w->bad[q])
            any = true;
        q += w->text[q] == '\\' ? 2 : 1;
    }
    close = q;
    w->pos = close + 1;
    if (!any || !(buf = cJSON_malloc(close - open)))
        return NULL;
    o = buf;
    for (size_t r = open + 1; r < close;) {
        unsigned long cp, lo;
        if (w->text[r] != '\\') {
            *o++ = w->orig[r++];
            continue;
        }
        r++;
        switch (w->text[r++]) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u':
            cp = hex4(w->text + r);
            r += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* the parser checked the low half */
                lo = hex4(w->text + r + 2);
                r += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp < 0x80) {
                *o++ = (char)cp;
            } else if (cp < 0x800) {
                *o++ = (char)(0xC0 | cp >> 6);
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                *o++ = (char)(0xE0 | cp >> 12);
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            } else {
                *o++ = (char)(0xF0 | cp >> 18);
                *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
                *o++ = (char)(0x80 | (cp & 0x3F));
            }
            break;
        default: /* '"', '\\', '/' */
            *o++ = w->text[r - 1];
            break;
        }
    }
    *o = '\0';
    return buf;
}

/* Walks the value at w->pos, which the parser made into node. */
static void restore(walk *w, cJSON *node)
{
    skip_ws(w);
    if (w->pos >= w->end)
        return;
    switch (w->text[w->pos]) {
    case '"': {
        char *s = string_token(w);
        if (s) {
            cJSON_free(node->valuestring);
            node->valuestring = s;
        }
        return;
    }
    case '[':
    case '{': {
        bool object = w->text[w->pos] == '{';
        w->pos++;
        for (cJSON *c = node->child; c; c = c->next) {
            if (object) {
                char *key;
                skip_ws(w);
                if ((key = string_token(w))) {
                    if (!(c->type & cJSON_StringIsConst))
                        cJSON_free(c->string);
                    c->string = key;
                    c->type &= ~cJSON_StringIsConst;
                }
                skip_ws(w);
                w->pos++; /* ':' */
            }
            restore(w, c);
            skip_ws(w);
            w->pos++; /* ',' or the closing bracket */
        }
        if (!node->child) {
            skip_ws(w);
            w->pos++; /* the closing bracket */
        }
        return;
    }
    default: /* number, true, false, null: the parser checked the token */
        while (w->pos < w->end && !is_ws(w->text[w->pos]) && w->text[w->pos] != ',' &&
               w->text[w->pos] != ']' && w->text[w->pos] != '}')
            w->pos++;
        return;
    }
}

/* ------------------------------------------------------------------------------ */

static int add_tree(jrows *out, cJSON *tree)
{
    cJSON **t = realloc(out->trees, (out->ntrees + 1) * sizeof *t);
    if (!t)
        return -1;
    out->trees = t;
    out->trees[out->ntrees++] = tree;
    return 0;
}

static int add_row(jrows *out, cJSON *row, size_t *cap)
{
    if (out->count == *cap) {
        size_t n = *cap ? *cap * 2 : 64;
        cJSON **r = realloc(out->rows, n * sizeof *r);
        if (!r)
            return -1;
        out->rows = r;
        *cap = n;
    }
    out->rows[out->count++] = row;
    return 0;
}

/* Parses [start, end) of the copy; on success the tree, its original bytes restored. */
static int parse_span(const char *text, const char *orig, const bool *bad, size_t start,
                      size_t end, cJSON **tree, char *err, size_t errsize)
{
    if (cerd_json_parse(tree, text + start, end - start)) {
        parse_error(orig, start, err, errsize);
        return -1;
    }
    if (bad) {
        bool any = false;
        for (size_t i = start; i < end && !any; i++)
            any = bad[i];
        if (any) {
            walk w = {text, orig, bad, start, end};
            restore(&w, *tree);
        }
    }
    return 0;
}

int jrows_read(jrows *out, const char *data, size_t len, char *err, size_t errsize)
{
    char *text = NULL;
    bool *bad = NULL;
    size_t start = 0, cap = 0;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (err && errsize)
        err[0] = '\0';
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
        start = 3;

    /* The copy to parse, with bytes that are not UTF-8 replaced. */
    if (!(text = malloc(len + 1))) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    memcpy(text, data, len);
    text[len] = '\0';
    for (size_t i = start; i < len;) {
        size_t n = utf8_seq((const unsigned char *)data + i, len - i);
        if (n) {
            i += n;
            continue;
        }
        if (!bad && !(bad = calloc(len ? len : 1, sizeof *bad))) {
            snprintf(err, errsize, "out of memory");
            goto done;
        }
        bad[i] = true;
        text[i++] = '?';
    }

    while (start < len && is_ws(text[start]))
        start++;
    if (start == len) {
        rc = 0;
        goto done;
    }

    if (text[start] == '[') {
        /* one array of rows */
        cJSON *tree = NULL;
        if (parse_span(text, data, bad, start, len, &tree, err, errsize))
            goto done;
        if (add_tree(out, tree)) {
            cJSON_Delete(tree);
            snprintf(err, errsize, "out of memory");
            goto done;
        }
        for (cJSON *r = tree->child; r; r = r->next)
            if (add_row(out, r, &cap)) {
                snprintf(err, errsize, "out of memory");
                goto done;
            }
    } else {
        /* one row per line */
        size_t line = start;
        while (line < len) {
            const char *nl = memchr(text + line, '\n', len - line);
            size_t end = nl ? (size_t)(nl - text) : len, next = nl ? end + 1 : len;
            size_t s = line;
            cJSON *tree = NULL;
            while (s < end && is_ws(text[s]))
                s++;
            if (s < end) {
                if (end > s && text[end - 1] == '\r')
                    end--;
                if (parse_span(text, data, bad, line, end, &tree, err, errsize))
                    goto done;
                if (add_tree(out, tree)) {
                    cJSON_Delete(tree);
                    snprintf(err, errsize, "out of memory");
                    goto done;
                }
                if (add_row(out, tree, &cap)) {
                    snprintf(err, errsize, "out of memory");
                    goto done;
                }
            }
            line = next;
        }
    }
    rc = 0;

done:
    if (rc)
        jrows_free(out);
    free(text);
    free(bad);
    return rc;
}

void jrows_free(jrows *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->ntrees; i++)
        cJSON_Delete(r->trees[i]);
    free(r->trees);
    free(r->rows);
    memset(r, 0, sizeof *r);
}
