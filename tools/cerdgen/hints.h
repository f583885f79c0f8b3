/* The factory hints of every column (schema/api/factory_hints.json): cerdgen matches
   each column against the rules of its class, first match wins, and writes the hint
   and the vocabularies it uses into the table's descriptor (lib/features/factory_hint.h
   defines what the runtime reads). */
#ifndef CERDGEN_HINTS_H
#define CERDGEN_HINTS_H

#include "emit_util.h"
#include "model.h"

struct cJSON;
struct cg_api;

typedef struct cg_hints {
    struct cJSON *doc;         /* the whole file, or NULL when there is none */
    const struct cJSON *vocabs; /* "vocabularies": {name: words or records} */
    const struct cJSON *rules;  /* "rules": [...] in order */
    const char *time_reference; /* "time_reference": the creation-time column name */
    const cg_schema *schema;    /* for the vocabulary $tables (its tables, in order) */
} cg_hints;

/* Reads and checks <schema_dir>/api/factory_hints.json (absent: no hints). Returns 0,
   or 1 after a message naming the file and the rule or vocabulary at fault. */
int cg_hints_load(cg_hints *h, const char *schema_dir, const cg_schema *s);
void cg_hints_free(cg_hints *h);

/* Part of lib/tables/<t>.c: the vocabularies t's hints use and
   `static const cerd_factory_hint hints[]`, one per column. Returns false (emitting
   nothing) when there are no hints. */
bool cg_emit_hints(cg_buf *b, const cg_hints *h, const struct cg_api *api);

#endif
