/* The input reader of `cryptoerd validate` (json_rows.h). Parsing is the library's. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cryptoerd/cryptoerd.h>

#include "json_rows.h"

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* "line L, column C: why" for the library's parse error at byte offset off of the span
   that starts at column col0 (0-based) of line `line`. */
static void parse_error(size_t line, size_t col, char *err, size_t errsize)
{
    const char *msg = cerd_error_last()->message;
    static const char prefix[] = "invalid JSON at byte offset ";

    if (!strncmp(msg, prefix, sizeof prefix - 1)) {
        /* "invalid JSON at byte offset N: why" -> "invalid JSON: why" */
        const char *why = strstr(msg + sizeof prefix - 1, ": ");
        snprintf(err, errsize, "line %zu, column %zu: invalid JSON%s", line, col,
                 why ? why : "");
    } else {
        snprintf(err, errsize, "line %zu, column %zu: %s", line, col, msg);
    }
}

/* The rest of in appended to *buf (which holds *len bytes, *cap allocated). */
static int read_rest(FILE *in, FILE *copy, char **buf, size_t *len, size_t *cap)
{
    for (;;) {
        size_t got;
        if (*cap - *len < 65536) {
            size_t ncap = *cap < 65536 ? 131072 : *cap * 2;
            char *p = realloc(*buf, ncap);
            if (!p)
                return -1;
            *buf = p;
            *cap = ncap;
        }
        got = fread(*buf + *len, 1, *cap - *len, in);
        if (copy && got && fwrite(*buf + *len, 1, got, copy) != got)
            return -1;
        *len += got;
        if (got == 0)
            return ferror(in) ? -1 : 0;
    }
}

static int each_of_array(FILE *in, FILE *copy, char *line, size_t linelen, size_t lineno,
                         jrows_fn fn, void *arg, char *err, size_t errsize)
{
    /* The whole input: the lines read so far (re-assembled by the caller into line),
       then the rest. */
    size_t len = linelen, cap = linelen + 1, off = 0;
    char *buf = malloc(cap);
    cJSON *tree = NULL;
    size_t row = 0;
    int rc;

    if (!buf) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    memcpy(buf, line, linelen);
    if (read_rest(in, copy, &buf, &len, &cap)) {
        snprintf(err, errsize, "%s", errno ? strerror(errno) : "reading failed");
        free(buf);
        return -1;
    }
    if (cerd_json_parse_ex(&tree, buf, len, CERD_JSON_RAW_BYTES, &off)) {
        size_t l = lineno, start = 0;
        for (size_t i = 0; i < off && i < len; i++)
            if (buf[i] == '\n') {
                l++;
                start = i + 1;
            }
        parse_error(l, off - start + 1, err, errsize);
        free(buf);
        return -1;
    }
    free(buf);
    rc = 0;
    for (const cJSON *r = tree->child; r && !rc && fn; r = r->next)
        rc = fn(arg, row++, r);
    cJSON_Delete(tree);
    return rc;
}

int jrows_each(FILE *in, FILE *copy, jrows_fn fn, void *arg, int *is_array, char *err,
               size_t errsize)
{
    char *line = NULL, *lead = NULL; /* lead: the blank lines before the first value */
    size_t cap = 0, leadlen = 0, lineno = 0, row = 0;
    bool started = false;
    ssize_t n;
    int rc = 0;

    if (is_array)
        *is_array = 0;
    if (err && errsize)
        err[0] = '\0';
    errno = 0;
    while ((n = getline(&line, &cap, in)) > 0) {
        size_t len = (size_t)n, s = 0, bom = 0;
        cJSON *tree = NULL;
        size_t off = 0;

        lineno++;
        if (copy && fwrite(line, 1, len, copy) != len) {
            snprintf(err, errsize, "writing a copy of the input: %s", strerror(errno));
            rc = -1;
            break;
        }
        if (lineno == 1 && len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3))
            bom = s = 3;
        while (s < len && is_ws(line[s]))
            s++;
        if (s == len) { /* blank */
            if (!started) {
                char *p = realloc(lead, leadlen + len);
                if (!p) {
                    snprintf(err, errsize, "out of memory");
                    rc = -1;
                    break;
                }
                lead = p;
                memcpy(lead + leadlen, line, len);
                leadlen += len;
            }
            continue;
        }
        if (!started && line[s] == '[') {
            /* one array of rows: everything from the first byte on, whole */
            char *all = malloc(leadlen + len + 1);
            if (is_array)
                *is_array = 1;
            if (!all) {
                snprintf(err, errsize, "out of memory");
                rc = -1;
                break;
            }
            if (leadlen)
                memcpy(all, lead, leadlen);
            memcpy(all + leadlen, line, len);
            /* the byte order mark is not part of the JSON */
            if (leadlen == 0 && bom) {
                memmove(all, all + 3, len - 3);
                len -= 3;
            } else if (leadlen >= 3 && !memcmp(all, "\xEF\xBB\xBF", 3)) {
                memmove(all, all + 3, leadlen + len - 3);
                leadlen -= 3;
            }
            rc = each_of_array(in, copy, all, leadlen + len, 1, fn, arg, err, errsize);
            free(all);
            free(line);
            free(lead);
            return rc;
        }
        started = true;
        free(lead);
        lead = NULL;
        leadlen = 0;
        if (line[len - 1] == '\n')
            len--;
        if (len && line[len - 1] == '\r')
            len--;
        if (cerd_json_parse_ex(&tree, line + bom, len - bom, CERD_JSON_RAW_BYTES, &off)) {
            parse_error(lineno, bom + off + 1, err, errsize);
            rc = -1;
            break;
        }
        rc = fn ? fn(arg, row, tree) : 0;
        row++;
        cJSON_Delete(tree);
        if (rc)
            break;
    }
    if (!rc && ferror(in)) {
        snprintf(err, errsize, "%s", strerror(errno ? errno : EIO));
        rc = -1;
    }
    free(line);
    free(lead);
    return rc;
}
