/* What the subcommands of cryptoerd share: options, connecting, exit statuses, messages,
   the progress bar. */
#ifndef CRYPTOERD_TOOL_CLI_H
#define CRYPTOERD_TOOL_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cryptoerd/cryptoerd.h>

#include "cmd_validate.h" /* EXIT_* */

/* Options every database command takes. */
typedef struct cli_common {
    const char *cmd;  /* "migrate", "partitions create", ... (messages) */
    const char *dsn;  /* --dsn, else CRYPTOERD_DSN, else libpq's PG* variables */
    bool quiet;       /* --quiet */
} cli_common;

/* Matches option `name` (also short, when not NULL) at argv[*i]: "--name VALUE" or
   "--name=VALUE". Returns 1 and sets *value (advancing *i), 0 when argv[*i] is not it,
   -1 when the value is missing (message printed). */
int cli_value(int argc, char **argv, int *i, const char *name, const char *shrt,
              const char **value);

/* Handles --dsn, --quiet at argv[*i]: 1 taken, 0 not, -1 usage error. */
int cli_common_option(cli_common *c, int argc, char **argv, int *i);

/* Prints "cryptoerd CMD: <message>\nTry 'cryptoerd CMD --help'." and returns EXIT_USAGE. */
int cli_usage(const cli_common *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Opens the connection; on failure prints the reason and returns EXIT_USAGE. */
int cli_connect(cerd_conn **out, const cli_common *c);

/* Prints the library's error for rc and returns the exit status it means: 1 when the data
   was refused, 2 for usage and connection errors. */
int cli_fail(const cli_common *c, int rc);

/* The progress bar (on standard error when it is a terminal and not --quiet). */
typedef struct cli_progress {
    bool on;
    const char *label;
    double start, last;
    int64_t done;
} cli_progress;

void cli_progress_start(cli_progress *p, const cli_common *c, const char *label);
/* A cerd_progress_fn. */
void cli_progress_cb(void *arg, int64_t done, int64_t total);
/* Ends the line of the bar. */
void cli_progress_end(cli_progress *p);

/* Opens FILE for writing ("-" or NULL: standard output). */
FILE *cli_open_out(const cli_common *c, const char *path);

int cmd_migrate(int argc, char **argv);
int cmd_seed(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_partitions(int argc, char **argv);
int cmd_distribute(int argc, char **argv);

/* Help texts (standard output). Returns 0 when @p cmd is known. */
int cli_help(const char *cmd);

#endif
