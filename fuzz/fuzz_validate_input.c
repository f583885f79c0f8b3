/* libFuzzer target: arbitrary bytes as the input of `cryptoerd validate`, through the
   tool's own reader (tools/cryptoerd/json_rows.c) and row verdict (row_verdict.c).

   The first byte chooses the table (modulo the number of tables); the rest is the input.
   Besides crashes and sanitizer reports, the target aborts when an invariant breaks:
   - unparsable input gets a message naming the line ("line L, column C: ...");
   - every verdict line is valid JSON (UTF-8, exact), with "row", "valid" and, for an
     invalid row, a non-empty "violations" array;
   - a verdict is valid exactly when it lists no violation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include <cryptoerd/cryptoerd.h>

#include "json_rows.h"
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

typedef struct fuzz_arg {
    const cerd_table *t;
} fuzz_arg;

static int judge(void *arg, size_t row, const cJSON *value)
{
    const cerd_table *t = ((fuzz_arg *)arg)->t;
    verdict v = {0};
    int rc = verdict_row(&v, t, value);
    char *line;
    if (rc < 0)
        abort();
    if ((rc == 0) != (v.count == 0))
        abort();
    if (!(line = verdict_format(t, row, &v)))
        abort();
    check_line(line, row, rc);
    free(line);
    verdict_free(&v);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_arg a;
    char err[1024];
    FILE *in;

    if (size <= 1)
        return 0;
    a.t = cerd_table_at(data[0] % cerd_table_count());
    if (!(in = fmemopen((void *)(data + 1), size - 1, "rb")))
        abort();
    if (jrows_each(in, NULL, judge, &a, NULL, err, sizeof err)) {
        if (strncmp(err, "line ", 5) && strcmp(err, "out of memory"))
            abort();
    }
    fclose(in);
    return 0;
}
