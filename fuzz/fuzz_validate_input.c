/* libFuzzer target: arbitrary bytes as the input of `cryptoerd validate`, through the
   tool's own reader (tools/cryptoerd/json_rows.c) and row verdict (row_verdict.c).

   The first byte chooses the table (modulo the number of tables); the rest is the input.
   Besides crashes and sanitizer reports, the target aborts when an invariant breaks:
   - unparsable input gets a message naming the line ("line L, column C: ...");
   - every verdict line is valid JSON (UTF-8, exact), with "row", "valid" and, for an
     invalid row, a non-empty "violations" array;
   - a verdict is valid exactly when it lists no violation;
   - short inputs are also read as the text of a number for a numeric(p,s) column: the
     tool's exact rounding (numeric_text.c) must agree with the library's
     (cerd_numeric_parse + cerd_numeric_round_to_typmod) wherever the library can read
     the number. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include <cryptoerd/cryptoerd.h>

#include "json_rows.h"
#include "numeric_text.h"
#include "row_verdict.h"

static void check_line(const char *line, size_t row, int rc)
{
    cJSON *j = NULL;
    size_t len = strlen(line);
    const cJSON *r, *valid, *violations;

    if (!len || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
        abort();
    if (cerd_json_parse(&j, line, len - 1))
        abort();
    r = cJSON_GetObjectItemCaseSensitive(j, "row");
    valid = cJSON_GetObjectItemCaseSensitive(j, "valid");
    violations = cJSON_GetObjectItemCaseSensitive(j, "violations");
    if (!cJSON_IsNumber(r) || (size_t)r->valuedouble != row || !cJSON_IsBool(valid))
        abort();
    if (cJSON_IsTrue(valid) != (rc == 0))
        abort();
    if (rc && (!cJSON_IsArray(violations) || cJSON_GetArraySize(violations) == 0))
        abort();
    cJSON_Delete(j);
}

/* The tool's rounding against the library's, for text the library can read. */
static void check_number(const uint8_t *data, size_t size)
{
    static const int typmods[][2] = {{20, 8}, {4, 2}, {5, 4}, {30, 2}, {10, 0}};
    char text[80], why[256];
    cerd_numeric n;

    if (size >= sizeof text || memchr(data, 0, size))
        return;
    memcpy(text, data, size);
    text[size] = '\0';
    if (cerd_numeric_parse(&n, text) || (n.sign != CERD_NUMERIC_POS && n.sign != CERD_NUMERIC_NEG))
        return;
    for (size_t i = 0; i < sizeof typmods / sizeof typmods[0]; i++) {
        int p = typmods[i][0], s = typmods[i][1];
        cerd_numeric r;
        char *out = NULL, lib[128];
        int nt = numeric_text_prepare(text, p, s, &out, why, sizeof why);
        int lrc = cerd_numeric_round_to_typmod(&r, &n, p, s);
        if (nt == NT_NOMEM)
            abort();
        if (nt == NT_SYNTAX) { /* an exponent PostgreSQL refuses: nothing to compare */
            free(out);
            continue;
        }
        if ((nt == NT_OVERFLOW) != (lrc != 0)) {
            fprintf(stderr, "numeric(%d,%d) \"%s\": tool %d, library %d\n", p, s, text, nt,
                    lrc);
            abort();
        }
        if (!lrc) {
            cerd_numeric_format(&r, lib, sizeof lib);
            if (!out || strcmp(out, lib)) {
                fprintf(stderr, "numeric(%d,%d) \"%s\": tool %s, library %s\n", p, s, text,
                        out ? out : "(as written)", lib);
                abort();
            }
        }
        free(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const cerd_table *t;
    jrows rows;
    char err[1024];

    if (size == 0)
        return 0;
    check_number(data + 1, size - 1);
    t = cerd_table_at(data[0] % cerd_table_count());
    if (jrows_read(&rows, (const char *)data + 1, size - 1, err, sizeof err)) {
        if (strncmp(err, "line ", 5) && strcmp(err, "out of memory"))
            abort();
        jrows_free(&rows);
        return 0;
    }
    for (size_t i = 0; i < rows.count; i++) {
        verdict v = {0};
        int rc = verdict_row(&v, t, rows.rows[i]);
        char *line;
        if (rc < 0)
            abort();
        if ((rc == 0) != (v.count == 0))
            abort();
        if (!(line = verdict_format(t, i, &v)))
            abort();
        check_line(line, i, rc);
        free(line);
        verdict_free(&v);
    }
    jrows_free(&rows);
    return 0;
}
