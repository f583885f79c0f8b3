/* cryptoerd import and export (see help.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static long read_file(void *arg, char *buf, size_t size)
{
    size_t n = fread(buf, 1, size, (FILE *)arg);
    if (n == 0 && ferror((FILE *)arg))
        return -1;
    return (long)n;
}

static int write_file(void *arg, const char *data, size_t len)
{
    return fwrite(data, 1, len, (FILE *)arg) == len ? 0 : -1;
}

int cmd_import(int argc, char **argv)
{
    cli_common c = {"import", NULL, false};
    const char *table = NULL, *format = "csv", *path = NULL;
    cerd_import_options o = CERD_IMPORT_OPTIONS_INIT;
    const cerd_table *t;
    cerd_conn *conn = NULL;
    cli_progress p;
    FILE *in;
    int64_t rows = 0;
    int r, rc, exit_code = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            cli_help("import");
            return 0;
        }
        if ((r = cli_common_option(&c, argc, argv, &i)) < 0)
            return EXIT_USAGE;
        if (r)
            continue;
        if ((r = cli_value(argc, argv, &i, "--table", "-t", &table)) ||
            (r = cli_value(argc, argv, &i, "--format", "-f", &format))) {
            if (r < 0)
                return EXIT_USAGE;
        } else if (!strcmp(argv[i], "--create-partitions")) {
            o.create_partitions = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage(&c, "unknown option %s", argv[i]);
        } else if (path) {
            return cli_usage(&c, "more than one input file (%s)", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!table)
        return cli_usage(&c, "--table TABLE is required");
    if (!(t = cerd_table_find(table)))
        return cli_usage(&c, "no table named \"%s\" (\"cryptoerd tables\" lists them)", table);
    if (!strcmp(format, "csv"))
        o.format = CERD_FORMAT_CSV;
    else if (!strcmp(format, "jsonl"))
        o.format = CERD_FORMAT_JSONL;
    else
        return cli_usage(&c, "--format is csv or jsonl, not \"%s\"", format);
    if (!path)
        return cli_usage(&c, "an input FILE is required (\"-\" for standard input)");
    if (!strcmp(path, "-")) {
        in = stdin;
    } else if (!(in = fopen(path, "rb"))) {
        fprintf(stderr, "cryptoerd import: %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    o.name = path;
    if ((exit_code = cli_connect(&conn, &c)))
        goto done;
    cli_progress_start(&p, &c, "import");
    o.progress = cli_progress_cb;
    o.progress_arg = &p;
    rc = cerd_import(&rows, conn, t, read_file, in, &o);
    cli_progress_end(&p);
    if (rc)
        exit_code = cli_fail(&c, rc);
    else
        printf("{\"table\":\"%s\",\"rows\":%lld}\n", table, (long long)rows);
done:
    if (in != stdin)
        fclose(in);
    cerd_conn_free(conn);
    return exit_code;
}

/* "col:from:to": the first colon ends the column; the bounds are split at the first
   further colon where both sides read as the column's type (timestamps hold colons). */
static int parse_range(cli_common *c, const cerd_table *t, const char *spec, cerd_range *range,
                       void *from, void *to)
{
    const char *colon = strchr(spec, ':'), *rest;
    char name[64];
    int col;

    if (!colon || (size_t)(colon - spec) >= sizeof name)
        return cli_usage(c, "--where-range takes COLUMN:FROM:TO, not \"%s\"", spec);
    memcpy(name, spec, (size_t)(colon - spec));
    name[colon - spec] = '\0';
    if ((col = cerd_table_column(t, name)) < 0)
        return cli_usage(c, "%s has no column \"%s\"", t->name, name);
    rest = colon + 1;
    for (const char *sep = strchr(rest, ':'); sep; sep = strchr(sep + 1, ':')) {
        char *a = strndup(rest, (size_t)(sep - rest));
        const char *b = sep + 1;
        bool ok = a && (!*a || !cerd_row_set_text(from, t, col, a)) &&
                  (!*b || !cerd_row_set_text(to, t, col, b));
        if (ok) {
            memset(range, 0, sizeof *range);
            range->ncolumns = 1;
            range->columns[0] = (uint16_t)col;
            range->from = *a ? from : NULL;
            range->to = *b ? to : NULL;
            free(a);
            return 0;
        }
        free(a);
        cerd_row_clear(t, from);
        cerd_row_clear(t, to);
    }
    return cli_usage(c, "--where-range \"%s\": FROM and TO must read as values of %s.%s "
                     "(either may be empty)", spec, t->name, name);
}

int cmd_export(int argc, char **argv)
{
    cli_common c = {"export", NULL, false};
    const char *table = NULL, *format = NULL, *range_s = NULL, *outpath = NULL;
    cerd_export_options o = CERD_EXPORT_OPTIONS_INIT;
    const cerd_table *t;
    cerd_range range;
    void *from = NULL, *to = NULL;
    cerd_conn *conn = NULL;
    cli_progress p;
    FILE *out = NULL;
    int64_t rows = 0;
    int r, rc, exit_code = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            cli_help("export");
            return 0;
        }
        if ((r = cli_common_option(&c, argc, argv, &i)) < 0)
            return EXIT_USAGE;
        if (r)
            continue;
        if ((r = cli_value(argc, argv, &i, "--table", "-t", &table)) ||
            (r = cli_value(argc, argv, &i, "--format", "-f", &format)) ||
            (r = cli_value(argc, argv, &i, "--where-range", NULL, &range_s)) ||
            (r = cli_value(argc, argv, &i, "--output", "-o", &outpath))) {
            if (r < 0)
                return EXIT_USAGE;
        } else {
            return cli_usage(&c, "unexpected argument %s", argv[i]);
        }
    }
    if (!table)
        return cli_usage(&c, "--table TABLE is required");
    if (!(t = cerd_table_find(table)))
        return cli_usage(&c, "no table named \"%s\" (\"cryptoerd tables\" lists them)", table);
    if (!format)
        return cli_usage(&c, "--format jsonl|csv|binary is required");
    if (!strcmp(format, "jsonl"))
        o.format = CERD_FORMAT_JSONL;
    else if (!strcmp(format, "csv"))
        o.format = CERD_FORMAT_CSV;
    else if (!strcmp(format, "binary"))
        o.format = CERD_FORMAT_BINARY;
    else
        return cli_usage(&c, "--format is jsonl, csv or binary, not \"%s\"", format);
    from = calloc(1, t->row_size);
    to = calloc(1, t->row_size);
    if (!from || !to) {
        exit_code = EXIT_USAGE;
        goto done;
    }
    if (range_s) {
        if ((exit_code = parse_range(&c, t, range_s, &range, from, to)))
            goto done;
        o.range = &range;
    }
    if ((exit_code = cli_connect(&conn, &c)))
        goto done;
    if (!(out = cli_open_out(&c, outpath))) {
        exit_code = EXIT_USAGE;
        goto done;
    }
    cli_progress_start(&p, &c, "export");
    o.progress = cli_progress_cb;
    o.progress_arg = &p;
    rc = cerd_export(&rows, conn, t, &o, write_file, out);
    cli_progress_end(&p);
    if (rc)
        exit_code = cli_fail(&c, rc);
    if ((out != stdout ? fclose(out) : fflush(out)) != 0 && !exit_code) {
        fprintf(stderr, "cryptoerd export: writing the output: %s\n", strerror(errno));
        exit_code = EXIT_USAGE;
    }
    if (!exit_code && !c.quiet)
        fprintf(stderr, "cryptoerd export: %lld row(s)\n", (long long)rows);
done:
    if (from)
        cerd_row_clear(t, from);
    if (to)
        cerd_row_clear(t, to);
    free(from);
    free(to);
    cerd_conn_free(conn);
    return exit_code;
}
