/* Token-level helpers over SQL source text (see sqltext.h). */
#include "sqltext.h"

#include <ctype.h>
#include <string.h>

static bool is_ident_start(unsigned char c)
{
    return isalpha(c) || c == '_' || c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

size_t sql_skip_blank(const char *s, size_t pos, size_t end)
{
    while (pos < end) {
        unsigned char c = (unsigned char)s[pos];
        if (isspace(c)) {
            pos++;
        } else if (c == '-' && pos + 1 < end && s[pos + 1] == '-') {
            while (pos < end && s[pos] != '\n')
                pos++;
        } else if (c == '/' && pos + 1 < end && s[pos + 1] == '*') {
            int depth = 0;
            while (pos < end) {
                if (s[pos] == '/' && pos + 1 < end && s[pos + 1] == '*') {
                    depth++;
                    pos += 2;
                } else if (s[pos] == '*' && pos + 1 < end && s[pos + 1] == '/') {
                    pos += 2;
                    if (--depth == 0)
                        break;
                } else {
                    pos++;
                }
            }
        } else {
            break;
        }
    }
    return pos;
}

/* A quoted string or identifier from the opening quote at pos. With backslashes true
   (E'...'), a backslash escapes the next byte. A doubled quote stands for itself. */
static size_t quoted_end(const char *s, size_t pos, size_t end, bool backslashes)
{
    char q = s[pos++];
    while (pos < end) {
        if (backslashes && s[pos] == '\\' && pos + 1 < end) {
            pos += 2;
        } else if (s[pos] == q) {
            if (pos + 1 < end && s[pos + 1] == q)
                pos += 2;
            else
                return pos + 1;
        } else {
            pos++;
        }
    }
    return end;
}

/* A dollar-quoted string ($tag$ ... $tag$) from pos, or 0 when pos does not open one. */
static size_t dollar_end(const char *s, size_t pos, size_t end)
{
    size_t t = pos + 1;
    if (t < end && is_ident_start((unsigned char)s[t]) && !isdigit((unsigned char)s[t])) {
        while (t < end && is_ident_char((unsigned char)s[t]) && s[t] != '$')
            t++;
    }
    if (t >= end || s[t] != '$')
        return 0;
    size_t taglen = t + 1 - pos;
    for (size_t p = t + 1; p + taglen <= end; p++)
        if (s[p] == '$' && memcmp(s + p, s + pos, taglen) == 0)
            return p + taglen;
    return end;
}

size_t sql_token_end(const char *s, size_t pos, size_t end)
{
    unsigned char c = (unsigned char)s[pos];
    if (c == '\'' || c == '"')
        return quoted_end(s, pos, end, false);
    if (c == '$') {
        size_t e = dollar_end(s, pos, end);
        return e ? e : pos + 1;
    }
    if (is_ident_start(c)) {
        /* E'..', B'..', X'..', N'..' and U&'..' are strings with a prefix. */
        if (pos + 1 < end && s[pos + 1] == '\'' && strchr("eEbBxXnN", c))
            return quoted_end(s, pos + 1, end, c == 'e' || c == 'E');
        if ((c == 'u' || c == 'U') && pos + 2 < end && s[pos + 1] == '&' &&
            (s[pos + 2] == '\'' || s[pos + 2] == '"'))
            return quoted_end(s, pos + 2, end, false);
        size_t p = pos + 1;
        while (p < end && is_ident_char((unsigned char)s[p]))
            p++;
        return p;
    }
    if (isdigit(c) || (c == '.' && pos + 1 < end && isdigit((unsigned char)s[pos + 1]))) {
        size_t p = pos + 1;
        while (p < end && (isalnum((unsigned char)s[p]) || s[p] == '.' || s[p] == '_'))
            p++;
        return p;
    }
    return pos + 1;
}

bool sql_token_is_word(const char *s, size_t a, size_t b, const char *word)
{
    size_t n = strlen(word);
    if (b - a != n || !is_ident_start((unsigned char)s[a]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)s[a + i]) != tolower((unsigned char)word[i]))
            return false;
    return true;
}

size_t sql_trim_end(const char *s, size_t pos, size_t end)
{
    size_t last = pos;
    pos = sql_skip_blank(s, pos, end);
    while (pos < end) {
        size_t e = sql_token_end(s, pos, end);
        last = e;
        pos = sql_skip_blank(s, e, end);
    }
    return last;
}

bool sql_expr_extent(const char *s, size_t pos, size_t limit, size_t *a, size_t *b)
{
    int depth = 0;
    pos = sql_skip_blank(s, pos, limit);
    *a = pos;
    *b = pos;
    while (pos < limit) {
        char c = s[pos];
        if (depth == 0 && (c == ',' || c == ')'))
            break;
        if (c == '(' || c == '[')
            depth++;
        else if (c == ')' || c == ']')
            depth--;
        size_t e = sql_token_end(s, pos, limit);
        *b = e;
        pos = sql_skip_blank(s, e, limit);
    }
    return *b > *a;
}

bool sql_paren_group(const char *s, size_t pos, size_t end, size_t *a, size_t *b)
{
    pos = sql_skip_blank(s, pos, end);
    while (pos < end && s[pos] != '(')
        pos = sql_skip_blank(s, sql_token_end(s, pos, end), end);
    if (pos >= end)
        return false;
    size_t open = pos;
    int depth = 0;
    while (pos < end) {
        if (s[pos] == '(') {
            depth++;
        } else if (s[pos] == ')' && --depth == 0) {
            *a = sql_skip_blank(s, open + 1, pos);
            *b = sql_trim_end(s, open + 1, pos);
            if (*b < *a)
                *b = *a;
            return true;
        }
        pos = sql_skip_blank(s, sql_token_end(s, pos, end), end);
    }
    return false;
}

size_t sql_after_word(const char *s, size_t pos, size_t end, const char *word)
{
    int depth = 0;
    pos = sql_skip_blank(s, pos, end);
    while (pos < end) {
        size_t e = sql_token_end(s, pos, end);
        if (s[pos] == '(' || s[pos] == '[')
            depth++;
        else if (s[pos] == ')' || s[pos] == ']')
            depth--;
        else if (depth == 0 && sql_token_is_word(s, pos, e, word))
            return sql_skip_blank(s, e, end);
        pos = sql_skip_blank(s, e, end);
    }
    return end;
}

int sql_line_of(const char *s, size_t pos)
{
    int line = 1;
    for (size_t i = 0; i < pos && s[i]; i++)
        if (s[i] == '\n')
            line++;
    return line;
}
