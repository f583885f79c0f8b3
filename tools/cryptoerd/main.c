/* cryptoerd: the command-line front of libcryptoerd. */
#include <stdio.h>
#include <string.h>

#include <cryptoerd/cryptoerd.h>

#include "cli.h"
#include "cmd_validate.h"

static void help(FILE *out)
{
    fputs("Usage: cryptoerd COMMAND [OPTIONS]\n"
          "\n"
          "Commands:\n"
          "  migrate [--status]             apply pending migrations, or list them\n"
          "  seed FILE|DIR                  load fixture files\n"
          "  seed --preset NAME [--scale N] [--seed S]\n"
          "                                 generate a scenario (default preset: demo)\n"
          "  import --table T [--format csv|jsonl] FILE\n"
          "                                 import rows through binary COPY, all or nothing\n"
          "  dump [-o FILE] [--table T]... [--root T:ID]...\n"
          "                                 write rows in the fixture format\n"
          "  export --table T --format jsonl|csv|binary [--where-range COL:FROM:TO]\n"
          "                                 stream rows of a table\n"
          "  partitions create --from YYYY-MM --to YYYY-MM | list | archive --before YYYY-MM\n"
          "                                 monthly partitions of price_data, the archive\n"
          "  distribute                     distribute the schema on a Citus coordinator\n"
          "  validate --table TABLE [FILE]  validate rows (JSON) of a table without a\n"
          "                                 database, as PostgreSQL would judge them\n"
          "  tables                         list the tables of the schema\n"
          "\n"
          "Database commands take --dsn DSN (else $CRYPTOERD_DSN, else libpq's PG*\n"
          "variables) and --quiet. Exit status: 0 success, 1 the data was refused, 2 usage\n"
          "or connection error. Messages go to standard error, results to standard output.\n"
          "\n"
          "Options:\n"
          "  -h, --help     print this help (COMMAND --help: the command's)\n"
          "  -V, --version  print the library's version\n",
          out);
}

static int cmd_tables(void)
{
    for (size_t i = 0; i < cerd_table_count(); i++)
        puts(cerd_table_at(i)->name);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } cmds[] = {
        {"validate", cmd_validate},   {"migrate", cmd_migrate}, {"seed", cmd_seed},
        {"import", cmd_import},       {"dump", cmd_dump},       {"export", cmd_export},
        {"partitions", cmd_partitions}, {"distribute", cmd_distribute},
    };
    const char *cmd = argc > 1 ? argv[1] : NULL;

    if (!cmd) {
        help(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        if (argc > 2 && cli_help(argv[2]) == 0)
            return 0;
        help(stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("cryptoerd %s\n", cerd_version_string());
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (!strcmp(cmd, cmds[i].name))
            return cmds[i].run(argc - 1, argv + 1);
    if (!strcmp(cmd, "tables"))
        return cmd_tables();
    fprintf(stderr, "cryptoerd: unknown command \"%s\"\nTry 'cryptoerd --help'.\n", cmd);
    return EXIT_USAGE;
}
