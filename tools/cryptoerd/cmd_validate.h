/* `cryptoerd validate`: rows of a table judged without a database. */
#ifndef CRYPTOERD_TOOL_CMD_VALIDATE_H
#define CRYPTOERD_TOOL_CMD_VALIDATE_H

/* Exit statuses. */
#define EXIT_ALL_VALID 0
#define EXIT_SOME_INVALID 1
#define EXIT_USAGE 2

/* Runs the command; argv[0] is "validate". Returns the exit status. */
int cmd_validate(int argc, char **argv);

/* Prints the command's help to standard output. */
void cmd_validate_help(void);

#endif
