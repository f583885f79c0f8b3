/* cerdgen: generates the typed per-table API of libcryptoerd from the migrations.

     cerdgen --schema DIR --include-out DIR --lib-out DIR

     cerdgen ... --python-out FILE   also writes the Python binding's _tables.py

   reads the .sql files of the schema directory (in file-name order) and writes
     <include-out>/tables/<table>.h   row struct, column enum, typed functions
     <include-out>/tables.h           includes every table header
     <lib-out>/<table>.c              descriptor and typed wrappers
     <lib-out>/registry.c             the registry: every descriptor, in schema order
     <go-out>/tables_gen.go           the Go binding's typed API (with --go-out only)
     <go-out>/queries_gen.go          the Go binding's typed queries (--go-out and --queries)
     _queries.py next to --python-out the Python binding's typed queries (with --queries)
   See docs/generated-api.md. Exit status: 0, 1 on an error (message on stderr), 2 on
   bad usage. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "api.h"
#include "check_compile.h"
#include "dump_model.h"
#include "emit.h"
#include "hints.h"
#include "model.h"
#include "output.h"
#include "parse.h"
#include "query.h"

static void usage(void)
{
    fputs("usage: cerdgen --schema DIR --include-out DIR --lib-out DIR [--go-out DIR]\n"
          "         [--python-out FILE]\n"
          "         [--queries DIR --queries-lib-out DIR]\n"
          "       cerdgen --schema DIR --dump-model\n"
          "  --schema DIR       the migrations (.sql files)\n"
          "  --include-out DIR  include/cryptoerd: gets tables/<table>.h and tables.h\n"
          "  --lib-out DIR      lib/tables: gets <table>.c and registry.c\n"
          "  --queries DIR      queries/*.sql: typed queries (docs/queries.md) into\n"
          "                     <include-out>/queries/<file>.h and <queries-lib-out>/<file>.c\n"
          "  --go-out DIR       bindings/go/cryptoerd: gets tables_gen.go\n"
          "  --python-out FILE  also write the Python binding's typed tables (_tables.py)\n"
          "  --dump-model       print what cerdgen read from the schema, write nothing\n",
          stderr);
    exit(2);
}

/* The cerd_ and CERD_ identifiers of the library's own public headers in dir (the
   generated tables.h and tables/ excepted): a table must not generate one of them. */
static void runtime_names(const char *dir, char ***names, int *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char **files = NULL;
    int nfiles = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        bool header = (l > 2 && strcmp(e->d_name + l - 2, ".h") == 0) ||
                      (l > 5 && strcmp(e->d_name + l - 5, ".h.in") == 0);
        if (header && strcmp(e->d_name, "tables.h") != 0) {
            files = cg_grow(files, &nfiles, sizeof *files);
            files[nfiles - 1] = cg_xasprintf("%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    for (int i = 0; i < nfiles; i++) {
        FILE *f = fopen(files[i], "rb");
        char word[256];
        size_t wl = 0;
        int c;
        while (f) {
            c = fgetc(f);
            if (c != EOF && (isalnum(c) || c == '_')) {
                if (wl + 1 < sizeof word)
                    word[wl++] = (char)c;
                continue;
            }
            word[wl] = '\0';
            if (strncmp(word, "cerd_", 5) == 0 || strncmp(word, "CERD_", 5) == 0) {
                *names = cg_grow(*names, n, sizeof **names);
                (*names)[*n - 1] = cg_xstrdup(word);
            }
            wl = 0;
            if (c == EOF)
                break;
        }
        if (f)
            fclose(f);
        free(files[i]);
    }
    free(files);
}

/* schema/api/key_names.json, when present: {"<table>": {"<unique key name>": "<API
   name>", ...}, ...} sets the name of a unique key in the typed API (cg_key_api_name).
   Every table and key it names must exist. Returns 0, or 1 after a message. */
static int read_key_names(const char *schema_dir, cg_schema *s)
{
    char *path = cg_xasprintf("%s/api/key_names.json", schema_dir);
    cJSON *doc = NULL;
    int rc = cg_read_json(path, &doc);
    if (rc || !doc) {
        free(path);
        return rc;
    }
    if (!cJSON_IsObject(doc)) {
        fprintf(stderr, "cerdgen: %s: not a JSON object\n", path);
        rc = 1;
    }
    const cJSON *tj;
    for (tj = doc ? doc->child : NULL; tj && !rc; tj = tj->next) {
        cg_table *t = cg_schema_find_table(s, tj->string);
        if (!t || !cJSON_IsObject(tj)) {
            fprintf(stderr, "cerdgen: %s: %s is not a table of the schema (or not an object)\n",
                    path, tj->string);
            rc = 1;
            break;
        }
        for (const cJSON *kj = tj->child; kj && !rc; kj = kj->next) {
            cg_key *k = NULL;
            for (int i = 0; i < t->nuniques && !k; i++)
                if (strcmp(t->uniques[i].name, kj->string) == 0)
                    k = &t->uniques[i];
            bool ident = cJSON_IsString(kj) && kj->valuestring[0];
            for (const char *p = ident ? kj->valuestring : ""; *p && ident; p++)
                ident = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
            if (!k || !ident) {
                fprintf(stderr, "cerdgen: %s: %s.%s: %s\n", path, tj->string, kj->string,
                        !k ? "no unique key of that name" : "the name must be [a-z0-9_]+");
                rc = 1;
                break;
            }
            free(k->api_name);
            k->api_name = cg_xstrdup(kj->valuestring);
        }
    }
    cJSON_Delete(doc);
    free(path);
    return rc;
}

typedef struct outfile {
    char *path;
    char *content;
} outfile;

static void add_file(outfile **files, int *n, char *path, char *content)
{
    *files = cg_grow(*files, n, sizeof **files);
    (*files)[*n - 1].path = path;
    (*files)[*n - 1].content = content;
}

int main(int argc, char **argv)
{
    const char *schema_dir = NULL, *include_out = NULL, *lib_out = NULL, *go_out = NULL;
    const char *python_out = NULL;
    const char *queries_dir = NULL, *queries_lib_out = NULL;
    bool dump = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dump-model") == 0)
            dump = true;
        else if (i + 1 < argc && strcmp(argv[i], "--schema") == 0)
            schema_dir = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--include-out") == 0)
            include_out = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--lib-out") == 0)
            lib_out = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--queries") == 0)
            queries_dir = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--queries-lib-out") == 0)
            queries_lib_out = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--go-out") == 0)
            go_out = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--python-out") == 0)
            python_out = argv[++i];
        else
            usage();
    }
    if (!schema_dir || (!dump && (!include_out || !lib_out)) ||
        (!queries_dir != !queries_lib_out))
        usage();

    cg_schema schema = {0};
    cg_parse_schema(schema_dir, &schema);
    cg_compile_checks(&schema);
    if (dump) {
        cg_schema_dump(&schema, stdout);
        cg_schema_free(&schema);
        return 0;
    }
    for (int i = 0; i < schema.ntables; i++)
        for (int c = 0; c < schema.tables[i].ncolumns; c++)
            if (strcmp(schema.tables[i].columns[c].name, "defaults") == 0) {
                fprintf(stderr, "cerdgen: table %s: a column may not be named defaults (every "
                        "row struct has a member cerd_colset defaults)\n", schema.tables[i].name);
                return 1;
            }
    if (read_key_names(schema_dir, &schema))
        return 1;
    cg_hints hints;
    if (cg_hints_load(&hints, schema_dir, &schema))
        return 1;
    for (int i = 0; i < schema.ntables; i++)
        if (strcmp(schema.tables[i].name, "registry") == 0) {
            fputs("cerdgen: a table may not be named registry (lib/tables/registry.c is the "
                  "list of descriptors)\n", stderr);
            return 1;
        }

    char **reserved = NULL;
    int nreserved = 0;
    runtime_names(include_out, &reserved, &nreserved);
    cg_api_check_symbols(&schema, reserved, nreserved);
    for (int i = 0; i < nreserved; i++)
        free(reserved[i]);
    free(reserved);

    char *tables_dir = cg_xasprintf("%s/tables", include_out);
    outfile *files = NULL;
    int nfiles = 0;
    for (int i = 0; i < schema.ntables; i++) {
        const cg_table *t = &schema.tables[i];
        add_file(&files, &nfiles, cg_xasprintf("%s/%s.h", tables_dir, t->name),
                 cg_emit_table_header(t));
        add_file(&files, &nfiles, cg_xasprintf("%s/%s.c", lib_out, t->name),
                 cg_emit_table_source(t, &hints));
    }
    add_file(&files, &nfiles, cg_xasprintf("%s/tables.h", include_out),
             cg_emit_tables_header(&schema));
    add_file(&files, &nfiles, cg_xasprintf("%s/registry.c", lib_out),
             cg_emit_registry_source(&schema));
    if (python_out)
        add_file(&files, &nfiles, cg_xstrdup(python_out), cg_emit_python(&schema));

    if (go_out)
        add_file(&files, &nfiles, cg_xasprintf("%s/tables_gen.go", go_out), cg_emit_go(&schema));
    /* Typed queries: every query is read and typed before anything is written. */
    cg_query_set qs = {0};
    char *queries_inc = cg_xasprintf("%s/queries", include_out);
    int nquery_files = 0;
    if (queries_dir) {
        cg_parse_queries(queries_dir, &schema, &qs);
        for (int i = 0; i < qs.nfiles; i++) {
            add_file(&files, &nfiles, cg_xasprintf("%s/%s.h", queries_inc, qs.files[i].name),
                     cg_emit_query_header(&qs.files[i]));
            add_file(&files, &nfiles,
                     cg_xasprintf("%s/%s.c", queries_lib_out, qs.files[i].name),
                     cg_emit_query_source(&qs.files[i]));
        }
        nquery_files = 2 * qs.nfiles;
        /* the same queries in the bindings, next to their typed tables */
        if (go_out)
            add_file(&files, &nfiles, cg_xasprintf("%s/queries_gen.go", go_out),
                     cg_emit_query_go(&qs));
        if (python_out) {
            const char *slash = strrchr(python_out, '/');
            char *dir = slash ? cg_xstrndup(python_out, (size_t)(slash - python_out))
                              : cg_xstrdup(".");
            add_file(&files, &nfiles, cg_xasprintf("%s/_queries.py", dir),
                     cg_emit_query_python(&qs));
            free(dir);
        }
        cg_mkdirs(queries_inc);
        cg_mkdirs(queries_lib_out);
    }

    cg_mkdirs(tables_dir);
    if (go_out)
        cg_mkdirs(go_out);
    cg_mkdirs(lib_out);
    char **keep = cg_xcalloc((size_t)nfiles, sizeof *keep);
    for (int i = 0; i < nfiles; i++)
        keep[i] = files[i].path;
    int removed = cg_remove_stale(tables_dir, ".h", keep, nfiles) +
                  cg_remove_stale(lib_out, ".c", keep, nfiles) +
                  cg_remove_stale(lib_out, ".h", keep, nfiles);
    if (queries_dir)
        removed += cg_remove_stale(queries_inc, ".h", keep, nfiles) +
                   cg_remove_stale(queries_lib_out, ".c", keep, nfiles);
    free(keep);

    int written = 0;
    for (int i = 0; i < nfiles; i++) {
        if (cg_write_if_changed(files[i].path, files[i].content)) {
            printf("cerdgen: wrote %s\n", files[i].path);
            written++;
        }
        free(files[i].path);
        free(files[i].content);
    }
    free(files);
    printf("cerdgen: %d tables, %d query files, %d files: %d written, %d unchanged, "
           "%d removed\n", schema.ntables, nquery_files / 2, nfiles, written,
           nfiles - written, removed);
    cg_query_set_free(&qs);
    free(queries_inc);
    free(tables_dir);
    cg_hints_free(&hints);
    cg_schema_free(&schema);
    return 0;
}
