/* libFuzzer target: the importer of `cryptoerd import` offline (no database): arbitrary
   bytes as a CSV or JSON Lines file read by cerd_import_parse(), each row handed over
   validated with cerd_row_validate() and written back to JSON and read again.

   The first byte chooses the format (bit 0: CSV or JSON Lines) and how many bytes each
   read returns (bits 1-2: 1, 7, 4096 or all, so records cross the reader's buffer
   anywhere); the second byte chooses the table (modulo the number of tables); the rest is
   the file.

   Besides crashes, leaks and sanitizer reports, the target aborts when an invariant
   breaks:
   - the only codes for bad text are ::CERD_EINVALID and ::CERD_ERANGE (::CERD_ENOMEM
     aside); their message starts with `fuzz.csv:L:` (or `.jsonl`), L a line of the text,
     and the error record names the constraint "csv", "type", "encoding" or
     "numeric_precision";
   - the rows counted are the rows handed over, with lines in order inside the text;
   - validation returns 0 exactly when it lists no violation, each violation naming a
     constraint, a message and columns of the table;
   - a valid row written as JSON (cerd_row_to_json()) and read back (cerd_row_from_json())
     gives the same JSON again.
   CERD_FUZZ_VERBOSE=1 in the environment prints what each input reached (to check a seed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include <cryptoerd/cryptoerd.h>

typedef struct input {
    const uint8_t *data;
    size_t len, pos, chunk;
} input;

static long read_chunk(void *arg, char *buf, size_t size)
{
    input *in = arg;
    size_t n = in->len - in->pos;
    if (n > size)
        n = size;
    if (n > in->chunk)
        n = in->chunk;
    memcpy(buf, in->data + in->pos, n);
    in->pos += n;
    return (long)n;
}

typedef struct state {
    const cerd_table *t;
    int64_t lines;     /* lines of the text */
    int64_t last_line; /* line of the previous row */
    int64_t rows;      /* rows handed over */
    int64_t valid;     /* of them valid */
} state;

static char *json_text(const cerd_table *t, const void *row)
{
    cJSON *j = NULL;
    char *text = NULL;
    if (cerd_row_to_json(&j, t, row))
        abort();
    if (cerd_json_print(&text, j, 0))
        abort();
    cJSON_Delete(j);
    return text;
}

/* A valid row as JSON, read back, prints the same. */
static void round_trip(const cerd_table *t, const void *row)
{
    char *first = json_text(t, row), *second;
    cJSON *j = NULL;
    void *back = calloc(1, t->row_size);
    int rc;

    if (!back)
        abort();
    if (cerd_json_parse(&j, first, strlen(first)))
        abort();
    if ((rc = cerd_row_from_json(back, t, j))) {
        fprintf(stderr, "row_from_json(row_to_json(row)) = %d: %s\n%s\n", rc,
                cerd_error_last()->message, first);
        abort();
    }
    cJSON_Delete(j);
    second = json_text(t, back);
    if (strcmp(first, second)) {
        fprintf(stderr, "round trip differs:\n%s\n%s\n", first, second);
        abort();
    }
    free(second);
    free(first);
    cerd_row_clear(t, back);
    free(back);
}

static int on_row(void *arg, int64_t line, const void *row)
{
    state *s = arg;
    const cerd_table *t = s->t;
    cerd_violations v = {0};
    int rc;

    if (line < 1 || line > s->lines || line <= s->last_line)
        abort();
    s->last_line = line;
    s->rows++;
    rc = cerd_row_validate(&v, t, row, CERD_VALIDATE_INSERT);
    if (rc != 0 && rc != CERD_EINVALID && rc != CERD_ENOMEM)
        abort();
    if (rc != CERD_ENOMEM && (rc == 0) != (v.count == 0))
        abort();
    for (size_t i = 0; i < v.count; i++) {
        const cerd_violation *x = &v.items[i];
        if (!x->constraint || !*x->constraint || !x->message || !*x->message)
            abort();
        for (uint16_t k = 0; k < x->ncolumns; k++)
            if (x->columns[k] >= t->ncolumns)
                abort();
    }
    cerd_violations_free(&v);
    if (rc == 0) {
        s->valid++;
        round_trip(t, row);
    }
    return 0;
}

static void check_refusal(int rc, const char *name, const state *s)
{
    const cerd_error *e = cerd_error_last();
    size_t nl = strlen(name);
    long long line;

    if (rc == CERD_ENOMEM)
        return;
    if (rc != CERD_EINVALID && rc != CERD_ERANGE)
        abort();
    if (strncmp(e->message, name, nl) || e->message[nl] != ':')
        abort();
    if (sscanf(e->message + nl + 1, "%lld", &line) != 1 || line < 1 || line > s->lines) {
        fprintf(stderr, "bad place in \"%s\" (%lld lines)\n", e->message, (long long)s->lines);
        abort();
    }
    if (strcmp(e->constraint, "csv") && strcmp(e->constraint, "type") &&
        strcmp(e->constraint, "encoding") && strcmp(e->constraint, "numeric_precision")) {
        fprintf(stderr, "constraint \"%s\" in \"%s\"\n", e->constraint, e->message);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t chunks[] = {1, 7, 4096, SIZE_MAX};
    cerd_import_options o = CERD_IMPORT_OPTIONS_INIT;
    input in;
    state s = {0};
    int64_t rows = -1;
    int rc;

    if (size < 2)
        return 0;
    o.format = (data[0] & 1) ? CERD_FORMAT_JSONL : CERD_FORMAT_CSV;
    o.name = (data[0] & 1) ? "fuzz.jsonl" : "fuzz.csv";
    in.chunk = chunks[(data[0] >> 1) & 3];
    s.t = cerd_table_at(data[1] % cerd_table_count());
    in.data = data + 2;
    in.len = size - 2;
    in.pos = 0;
    s.lines = 1; /* LF, CRLF and a lone CR each end a line (CSV reads all three) */
    for (size_t i = 0; i < in.len; i++)
        s.lines += in.data[i] == '\n' || (in.data[i] == '\r' && (i + 1 == in.len || in.data[i + 1] != '\n'));

    rc = cerd_import_parse(&rows, s.t, read_chunk, &in, &o, on_row, &s);
    if (rc)
        check_refusal(rc, o.name, &s);
    if (rows != s.rows)
        abort();
    if (getenv("CERD_FUZZ_VERBOSE")) /* to see what a seed reaches */
        fprintf(stderr, "%s, table %s: %lld rows (%lld valid), %s%s\n", o.name, s.t->name,
                (long long)s.rows, (long long)s.valid, cerd_error_name(rc),
                rc ? cerd_error_last()->message : "");
    return 0;
}
