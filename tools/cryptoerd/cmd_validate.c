/* `cryptoerd validate --table TABLE [FILE]` (see cmd_validate_help()). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cryptoerd/cryptoerd.h>

#include "cmd_validate.h"
#include "json_rows.h"
#include "row_verdict.h"

void cmd_validate_help(void)
{
    fputs(
        "Usage: cryptoerd validate --table TABLE [FILE]\n"
        "\n"
        "Validates rows of TABLE as PostgreSQL would judge inserting them, without a\n"
        "database, and prints one JSON verdict per row, in input order.\n"
        "\n"
        "Input (FILE, or standard input when FILE is absent or \"-\"): one JSON array of\n"
        "rows, or one row per line (JSON Lines); the input is an array when its first\n"
        "character other than whitespace is '['. A row is a JSON object whose keys are\n"
        "column names and whose values have the form PostgreSQL's to_jsonb() gives:\n"
        "integers and numerics as JSON numbers (a numeric may also be a JSON string, as\n"
        "\"12.50\" or \"NaN\"), timestamps as ISO 8601 strings, inet as strings, arrays as\n"
        "JSON arrays, jsonb as any JSON. Numbers are read exactly, whatever their length:\n"
        "never through floating point. Rows are validated as for an insert: a column\n"
        "whose key is absent gets its default (or NULL); JSON null is SQL NULL.\n"
        "\n"
        "Output, one line per row (\"row\" counts from 0):\n"
        "  {\"row\": 0, \"valid\": true}\n"
        "  {\"row\": 1, \"valid\": false, \"violations\": [{\"constraint\": \"chk_ohlc_logic\",\n"
        "   \"columns\": [\"low_price\",\"open_price\"], \"message\": \"...\"}]}\n"
        "\"constraint\" is the name of a CHECK constraint of the table, or one of:\n"
        "  not_null           NULL in a NOT NULL column (JSON null, or an absent key\n"
        "                     where the column has no default)\n"
        "  length             text longer than its varchar(n) (excess characters that are\n"
        "                     all spaces are allowed: PostgreSQL cuts them off)\n"
        "  numeric_precision  a numeric whose integer part is too long for numeric(p,s)\n"
        "                     once rounded to s decimals (half away from zero), or an\n"
        "                     infinity there\n"
        "  type               a value of the wrong JSON type for its column, or unreadable\n"
        "                     as one (a malformed timestamp or address, an integer with\n"
        "                     a fraction); an integer out of its column's range; a key\n"
        "                     that names no column; a row that is not a JSON object\n"
        "                     (columns []); a numeric with more than 38 significant\n"
        "                     digits in an unconstrained numeric column\n"
        "  encoding           text that is not valid UTF-8 (in a value or a key)\n"
        "\"columns\" names the columns involved. Violations come in this order: those of\n"
        "the row, of single columns (in column order), then CHECKs (in schema order). A\n"
        "column reported as not_null, type or encoding is not judged further: the CHECKs\n"
        "that read it are left out, as PostgreSQL stops at the first error.\n"
        "\n"
        "Exit status: 0 when every row is valid, 1 when some row is not, 2 for bad usage,\n"
        "an unreadable file or input that is not JSON (a message on standard error names\n"
        "the line and column; nothing is printed on standard output then).\n"
        "\n"
        "Options:\n"
        "  -t, --table TABLE  the table (\"cryptoerd tables\" lists them)\n"
        "  -h, --help         print this help and exit\n",
        stdout);
}

static int usage(const char *fmt, const char *arg)
{
    fputs("cryptoerd validate: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'cryptoerd validate --help'.\n", stderr);
    return EXIT_USAGE;
}

/* Reads all of f into a fresh buffer; NULL (errno set) on failure. */
static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        size_t got;
        if (n == cap) {
            char *p = realloc(buf, cap *= 2);
            if (!p) {
                free(buf);
                errno = ENOMEM;
                return NULL;
            }
            buf = p;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                int e = errno ? errno : EIO;
                free(buf);
                errno = e;
                return NULL;
            }
            break;
        }
    }
    *len = n;
    return buf;
}

int cmd_validate(int argc, char **argv)
{
    const char *table = NULL, *file = NULL, *name;
    const cerd_table *t;
    bool options = true;
    FILE *in;
    char *data, err[1024];
    size_t len = 0;
    jrows rows;
    int status = EXIT_ALL_VALID;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
            cmd_validate_help();
            return EXIT_ALL_VALID;
        } else if (options && (!strcmp(a, "-t") || !strcmp(a, "--table"))) {
            if (i + 1 >= argc)
                return usage("%s needs a table name", a);
            table = argv[++i];
        } else if (options && !strncmp(a, "--table=", 8)) {
            table = a + 8;
        } else if (options && !strcmp(a, "--")) {
            options = false;
        } else if (options && a[0] == '-' && a[1]) {
            return usage("unknown option %s", a);
        } else if (file) {
            return usage("more than one input file (%s)", a);
        } else {
            file = a;
        }
    }
    if (!table)
        return usage("%s", "--table TABLE is required");
    if (!(t = cerd_table_find(table)))
        return usage("no table named \"%s\" (\"cryptoerd tables\" lists them)", table);

    if (!file || !strcmp(file, "-")) {
        in = stdin;
        name = "<stdin>";
    } else if (!(in = fopen(file, "rb"))) {
        fprintf(stderr, "cryptoerd validate: %s: %s\n", file, strerror(errno));
        return EXIT_USAGE;
    } else {
        name = file;
    }
    data = read_all(in, &len);
    if (!data) {
        fprintf(stderr, "cryptoerd validate: %s: %s\n", name, strerror(errno));
        if (in != stdin)
            fclose(in);
        return EXIT_USAGE;
    }
    if (in != stdin)
        fclose(in);

    if (jrows_read(&rows, data, len, err, sizeof err)) {
        fprintf(stderr, "cryptoerd validate: %s: %s\n", name, err);
        free(data);
        return EXIT_USAGE;
    }
    free(data);

    for (size_t r = 0; r < rows.count; r++) {
        verdict v = {0};
        char *line;
        int rc = verdict_row(&v, t, rows.rows[r]);
        if (rc < 0 || !(line = verdict_format(t, r, &v))) {
            verdict_free(&v);
            jrows_free(&rows);
            fprintf(stderr, "cryptoerd validate: out of memory at row %zu\n", r);
            return EXIT_USAGE;
        }
        if (rc)
            status = EXIT_SOME_INVALID;
        fputs(line, stdout);
        free(line);
        verdict_free(&v);
    }
    jrows_free(&rows);
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "cryptoerd validate: writing the output: %s\n", strerror(errno));
        return EXIT_USAGE;
    }
    return status;
}
