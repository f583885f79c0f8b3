/* cryptoerd: command-line tools of libcryptoerd. */
#include <stdio.h>
#include <string.h>

#include <cryptoerd/cryptoerd.h>

#include "cmd_validate.h"

static void help(FILE *out)
{
    fputs("Usage: cryptoerd COMMAND [OPTIONS]\n"
          "\n"
          "Commands:\n"
          "  validate --table TABLE [FILE]  validate rows (JSON) of a table without a\n"
          "                                 database, as PostgreSQL would judge them\n"
          "  tables                         list the tables of the schema\n"
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
    const char *cmd = argc > 1 ? argv[1] : NULL;

    if (!cmd) {
        help(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        if (argc > 2 && !strcmp(argv[2], "validate"))
            cmd_validate_help();
        else
            help(stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("cryptoerd %s\n", cerd_version_string());
        return 0;
    }
    if (!strcmp(cmd, "validate"))
        return cmd_validate(argc - 1, argv + 1);
    if (!strcmp(cmd, "tables"))
        return cmd_tables();
    fprintf(stderr, "cryptoerd: unknown command \"%s\"\nTry 'cryptoerd --help'.\n", cmd);
    return EXIT_USAGE;
}
