/* Writing the generated files: only files whose content changed are written (so their
   modification times, and the builds that depend on them, stay put), and generated files
   the schema no longer produces are removed. */
#ifndef CERDGEN_OUTPUT_H
#define CERDGEN_OUTPUT_H

#include <stdbool.h>

/* Creates a directory and its parents when missing. Exits on failure. */
void cg_mkdirs(const char *path);

/* Writes content to path unless the file already holds exactly that. Returns true when
   it wrote. Exits on failure. */
bool cg_write_if_changed(const char *path, const char *content);

/* Removes the files in dir whose names end with `suffix`, start with the banner of
   generated files, and are not in keep[0..nkeep) (full paths). Returns how many. */
int cg_remove_stale(const char *dir, const char *suffix, char **keep, int nkeep);

struct cJSON;

/* Reads the JSON file at path into *out (NULL when the file does not exist). Returns 0,
   or 1 after a message when it cannot be read or is not JSON. */
int cg_read_json(const char *path, struct cJSON **out);

#endif
