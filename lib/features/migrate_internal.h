/* The embedded migrations, generated at build time by cmake/EmbedSchema.cmake. */
#ifndef CERD_MIGRATE_INTERNAL_H
#define CERD_MIGRATE_INTERNAL_H

#include <stddef.h>

typedef struct cerd__migration {
    const char *version; /* "002" */
    const char *name;    /* "users" */
    const char *sql;     /* the file's text, NUL-terminated */
    size_t length;       /* bytes of sql */
} cerd__migration;

extern const cerd__migration cerd__migrations[];
extern const size_t cerd__migration_count;

#endif
