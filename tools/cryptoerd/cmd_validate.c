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
        "integer columns take JSON numbers only (a JSON string such as \"1\" is a type\n"
        "violation); numeric columns take JSON numbers or JSON strings holding exact\n"
        "decimal text (\"12.50\", \"NaN\"); timestamps as ISO 8601 strings, inet as\n"
        "strings, arrays as JSON arrays, jsonb as any JSON (the library's rule, see\n"
        "cerd_row_from_json). Numbers are read exactly, whatever their length:\n"
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

/* What the second pass needs to judge and print each row. */
typedef struct judge {
    const cerd_table *t;
    int status;
    int is_array; /* the input is one array: judged as soon as it parsed */
    bool second;  /* the second pass over JSON Lines */
} judge;

static int judge_row(void *arg, size_t row, const cJSON *value)
{
    judge *j = arg;
    verdict v = {0};
    char *line;
    int rc;

    if (!j->is_array && !j->second)
        return 0; /* first pass over JSON Lines: only parsing */
    rc = verdict_row(&v, j->t, value);

    if (rc < 0 || !(line = verdict_format(j->t, row, &v))) {
        verdict_free(&v);
        fprintf(stderr, "cryptoerd validate: out of memory at row %zu\n", row);
        return EXIT_USAGE;
    }
    if (rc)
        j->status = EXIT_SOME_INVALID;
    fputs(line, stdout);
    free(line);
    verdict_free(&v);
    return 0;
}

int cmd_validate(int argc, char **argv)
{
    const char *table = NULL, *file = NULL, *name;
    bool options = true;
    FILE *in, *copy = NULL;
    char err[1024];
    judge j = {NULL, EXIT_ALL_VALID, 0, false};
    int rc;

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
    if (!(j.t = cerd_table_find(table)))
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

    /* Nothing is printed when the input is not JSON, and JSON Lines are read one line at
       a time: a first pass parses every line (and keeps a copy of input that cannot be
       read twice, such as a pipe, in a temporary file), the second judges and prints.
       An array is parsed whole in the first pass and judged right after. */
    if (fseek(in, 0, SEEK_CUR) != 0 && !(copy = tmpfile())) {
        fprintf(stderr, "cryptoerd validate: a temporary file: %s\n", strerror(errno));
        rc = EXIT_USAGE;
        goto done;
    }
    rc = jrows_each(in, copy, judge_row, &j, &j.is_array, err, sizeof err);
    if (!rc && !j.is_array) {
        FILE *again = copy ? copy : in;
        j.second = true;
        if (fseek(again, 0, SEEK_SET) != 0) {
            snprintf(err, sizeof err, "reading the input again: %s", strerror(errno));
            rc = -1;
        } else {
            rc = jrows_each(again, NULL, judge_row, &j, NULL, err, sizeof err);
        }
    }
    if (rc == -1)
        fprintf(stderr, "cryptoerd validate: %s: %s\n", name, err);
    if (rc) {
        rc = EXIT_USAGE;
        goto done;
    }
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "cryptoerd validate: writing the output: %s\n", strerror(errno));
        rc = EXIT_USAGE;
        goto done;
    }
    rc = j.status;
done:
    if (in != stdin)
        fclose(in);
    if (copy)
        fclose(copy);
    return rc;
}
