/* Reading the migrations: every .sql file of a directory, in file-name order, parsed by
   libpg_query into its JSON parse tree, and the tables, columns, keys, foreign keys,
   CHECK constraints and comments found there collected into a cg_schema. */
#ifndef CERDGEN_PARSE_H
#define CERDGEN_PARSE_H

#include "model.h"

/* Fills *out from the migrations in schema_dir. On anything cerdgen does not
   understand in a table definition, prints a message naming the file, line and
   statement to stderr and exits with status 1. */
void cg_parse_schema(const char *schema_dir, cg_schema *out);

#endif
