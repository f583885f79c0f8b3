/* The --help texts of cryptoerd's subcommands. */
#include <string.h>

#include "cli.h"

#define COMMON                                                                            \
    "Connection: --dsn DSN (-d), else $CRYPTOERD_DSN, else libpq's PG* variables\n"       \
    "(PGHOST, PGDATABASE, ...).\n"                                                        \
    "  -q, --quiet   no progress bar and no summary on standard error (the progress bar\n" \
    "                is drawn only when standard error is a terminal)\n"                  \
    "  -h, --help    print this help and exit\n"                                          \
    "Exit status: 0 success, 1 the data was refused (the message on standard error\n"     \
    "names it), 2 usage or connection error.\n"

static const struct {
    const char *name;
    const char *text;
} helps[] = {
    {"migrate",
     "Usage: cryptoerd migrate [--status] [--dsn DSN] [--quiet]\n"
     "\n"
     "Applies every migration compiled into the library that the database has not\n"
     "recorded (cerd_migrate()), under an advisory lock. Prints {\"applied\":N,\"migrations\":M}.\n"
     "A recorded migration whose text differs, or one this library does not have: exit 1.\n"
     "\n"
     "  --status   apply nothing; print one line per migration, tab-separated:\n"
     "             NAME STATE CHECKSUM RECORDED_CHECKSUM APPLIED_AT, STATE being applied,\n"
     "             pending, changed (checksums differ) or unknown (recorded, not in this\n"
     "             library; exit 1 for changed or unknown); \"-\" for an empty field.\n"
     "\n" COMMON},
    {"seed",
     "Usage: cryptoerd seed FILE|DIR [--dsn DSN] [--quiet]\n"
     "       cryptoerd seed [--preset NAME] [--scale N] [--seed S] [--dsn DSN] [--quiet]\n"
     "\n"
     "Loads a fixture file, or every *.json file of a folder (docs/fixtures.md), in one\n"
     "transaction (cerd_fixture_load()); or generates a scenario with the factories\n"
     "(cerd_seed()): --preset NAME (default demo), --scale N (1..100000, default 1),\n"
     "--seed S (default 0; the same seed and scale give the same database).\n"
     "Presets: demo (assets, sectors, hourly candles through COPY, snapshots, AI models,\n"
     "analyses and signals, users with portfolios, watchlists, trades, notifications).\n"
     "Prints {\"rows\":N}. A fixture that cannot be read or loaded (the message names\n"
     "file:line:column and the row, column and constraint): exit 1, nothing written.\n"
     "\n" COMMON},
    {"import",
     "Usage: cryptoerd import --table TABLE [--format csv|jsonl] [--create-partitions]\n"
     "                        [--dsn DSN] [--quiet] FILE\n"
     "\n"
     "Imports FILE (\"-\": standard input) into TABLE through binary COPY in one\n"
     "transaction (cerd_import()). All or nothing: a refused row stops the import with\n"
     "exit 1, nothing is written, and the message names FILE:LINE, the column and the\n"
     "constraint (a CHECK's name, not_null, length, numeric_precision, type, encoding,\n"
     "or csv for malformed CSV). Prints {\"table\":T,\"rows\":N}.\n"
     "\n"
     "  --format csv    (default) RFC 4180: commas, LF or CRLF, fields in double quotes\n"
     "                  may hold commas, line breaks and doubled quotes. The first record\n"
     "                  names the columns; columns it leaves out get their default. An\n"
     "                  unquoted empty field is NULL, \"\" the empty string. Integers as\n"
     "                  decimal integers, numerics as exact decimal text, booleans as\n"
     "                  t/true/yes/on/1 or f/false/no/off/0, timestamps ISO 8601, jsonb as\n"
     "                  JSON text, arrays as {1,2,NULL} or [1,2,null].\n"
     "  --format jsonl  one JSON object per line (cryptoerd validate --help describes\n"
     "                  the values), numbers exact.\n"
     "  --create-partitions  create the monthly partitions of the rows' months\n"
     "                  (price_data, price_data_archive) instead of filling the default.\n"
     "\n" COMMON},
    {"dump",
     "Usage: cryptoerd dump [-o FILE] [--table TABLE]... [--root TABLE:ID]... [--dsn DSN]\n"
     "\n"
     "Writes the database in the fixture format (cerd_fixture_dump(), docs/fixtures.md)\n"
     "to standard output or FILE: every table (but audit_log), or the tables given with\n"
     "--table, or the rows reached from the rows given with --root (the roots, the rows\n"
     "referring to them, and the rows they refer to). `cryptoerd seed` loads it back.\n"
     "  -o, --output FILE  write to FILE instead of standard output\n"
     "\n" COMMON},
    {"export",
     "Usage: cryptoerd export --table TABLE --format jsonl|csv|binary\n"
     "                        [--where-range COLUMN:FROM:TO] [-o FILE] [--dsn DSN]\n"
     "\n"
     "Streams the rows of TABLE (cerd_export()): the whole table in primary-key order\n"
     "through binary COPY, or the rows with FROM <= COLUMN < TO through a cursor (either\n"
     "bound may be empty; FROM and TO read as the column's type, e.g.\n"
     "candle_time:2025-01-01:2025-02-01).\n"
     "  jsonl   one JSON object per row, as PostgreSQL's to_jsonb (numerics exact)\n"
     "  csv     a header row, NULL as an empty field, \"\" the empty string, JSON and\n"
     "          arrays as JSON text: what cryptoerd import reads back\n"
     "  binary  PostgreSQL's binary COPY format of every column\n"
     "  -o, --output FILE  write to FILE instead of standard output\n"
     "\n" COMMON},
    {"partitions",
     "Usage: cryptoerd partitions create --from YYYY-MM --to YYYY-MM [--table T]\n"
     "       cryptoerd partitions list [--table T]\n"
     "       cryptoerd partitions archive --before YYYY-MM\n"
     "\n"
     "Monthly partitions of price_data (default) or price_data_archive (--table).\n"
     "  create   creates the missing partitions of every month from --from to --to,\n"
     "           both included (create_monthly_partitions()); prints\n"
     "           {\"table\":T,\"created\":N}\n"
     "  list     one line per partition: MONTH ROWS NAME (tab-separated; MONTH is\n"
     "           \"default\" for the default partition, listed last); exact counts\n"
     "  archive  moves every whole month of price_data before --before into\n"
     "           price_data_archive in one transaction (archive_price_data_months(),\n"
     "           migration 011): detach, copy, check that counts and sums match, drop;\n"
     "           writers wait, readers see each month in exactly one table. Prints one\n"
     "           line per month moved: MONTH ROWS NAME -> price_data_archive.\n"
     "\n" COMMON},
    {"distribute",
     "Usage: cryptoerd distribute [--dsn DSN]\n"
     "\n"
     "On a Citus coordinator, distributes a database migrated through 011_scale_out:\n"
     "runs schema/citus/distribute.sql (compiled into the library, cerd_distribute()) in\n"
     "one transaction: reference tables, distributed tables by co-location group, then\n"
     "the foreign keys Citus can enforce (docs/scale-out.md). Idempotent. Without the\n"
     "citus extension it changes nothing and exits 1 with the server's message.\n"
     "Prints {\"distributed\":true}.\n"
     "\n" COMMON},
};

int cli_help(const char *cmd)
{
    if (!strcmp(cmd, "partitions create") || !strcmp(cmd, "partitions list") ||
        !strcmp(cmd, "partitions archive"))
        cmd = "partitions";
    if (!strcmp(cmd, "validate")) {
        cmd_validate_help();
        return 0;
    }
    for (size_t i = 0; i < sizeof helps / sizeof *helps; i++)
        if (!strcmp(helps[i].name, cmd)) {
            fputs(helps[i].text, stdout);
            return 0;
        }
    return -1;
}
