/* libFuzzer target: the fixture reader offline (no database): arbitrary bytes as one or
   two fixture files (split at the first NUL byte, so references can cross files), parsed
   with cerd_fixture_set_add_text() and resolved with cerd_fixture_set_resolve().

   Besides crashes and sanitizer reports, the target aborts when an invariant breaks:
   - a refused file leaves the set as it was (row counts unchanged) and its message
     starts with the file's name; a `name:line:column:` place lies inside the text
     (line 1..lines of the text, column >= 1);
   - only ::CERD_EINVALID, ::CERD_ERANGE or ::CERD_ENOMEM are returned for bad input;
   - the row count of the set is the sum of its tables' row counts;
   - once resolved (successfully), adding another file is refused with ::CERD_EMISUSE. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cryptoerd/cryptoerd.h>

static size_t lines_of(const uint8_t *text, size_t len)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    return n;
}

static void check_refusal(int rc, const char *name, const uint8_t *text, size_t len)
{
    const cerd_error *e = cerd_error_last();
    size_t nl = strlen(name);
    unsigned long line, col;
    char sep;

    if (rc != CERD_EINVALID && rc != CERD_ERANGE && rc != CERD_ENOMEM)
        abort();
    if (rc == CERD_ENOMEM)
        return;
    if (!e || !e->message || strncmp(e->message, name, nl) || e->message[nl] != ':')
        abort();
    if (sscanf(e->message + nl, ":%lu:%lu%c", &line, &col, &sep) == 3 && sep == ':') {
        if (line < 1 || line > lines_of(text, len) || col < 1)
            abort();
    }
}

static size_t table_sum(const cerd_fixture_set *set)
{
    size_t n = 0;
    for (size_t i = 0; i < cerd_table_count(); i++)
        n += cerd_fixture_set_table_rows(set, cerd_table_at(i)->name);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cerd_fixture_set *set = NULL;
    const uint8_t *nul = memchr(data, 0, size);
    size_t len1 = nul ? (size_t)(nul - data) : size;
    const uint8_t *text2 = nul ? nul + 1 : NULL;
    size_t len2 = nul ? size - len1 - 1 : 0;
    int rc;

    if (cerd_fixture_set_new(&set))
        return 0;
    rc = cerd_fixture_set_add_text(set, "a.json", (const char *)data, len1);
    if (rc) {
        check_refusal(rc, "a.json", data, len1);
        if (cerd_fixture_set_row_count(set) != 0)
            abort();
    }
    if (text2) {
        size_t before = cerd_fixture_set_row_count(set);
        int rc2 = cerd_fixture_set_add_text(set, "b.json", (const char *)text2, len2);
        if (rc2) {
            check_refusal(rc2, "b.json", text2, len2);
            if (cerd_fixture_set_row_count(set) != before)
                abort();
        }
    }
    if (cerd_fixture_set_row_count(set) != table_sum(set))
        abort();
    rc = cerd_fixture_set_resolve(set);
    if (rc && rc != CERD_EINVALID && rc != CERD_ENOMEM)
        abort();
    if (rc == 0 && cerd_fixture_set_add_text(set, "c.json", "{}", 2) != CERD_EMISUSE)
        abort();
    cerd_fixture_set_free(set);
    return 0;
}
