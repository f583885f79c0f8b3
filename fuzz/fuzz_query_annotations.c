/* libFuzzer target: the query reader of the generator (tools/cerdgen/query_parse.c):
   arbitrary bytes as the text of a query file (queries/NAME.sql): `-- name: <name>
   :one|:many|:exec` annotations, doc comments, @name and $n parameters, the statements
   (parsed by libpg_query), read by cg_parse_queries() against the real schema model (the
   migrations in schema/, loaded once), then emitted as the C header and source of the
   file.

   cerdgen is a command: on bad input it prints "cerdgen: ..." and calls exit(1), leaving
   its memory to the operating system. So that one process can read input after input, the
   cerdgen sources are compiled for this target only (fuzz/CMakeLists.txt) with
   exit -> fuzz_cg_exit (a longjmp back here), malloc/calloc/realloc/free/strdup/strndup
   -> tracked versions, fopen/fclose and pg_query_parse/pg_query_free_parse_result ->
   tracked versions; cJSON allocates through the same tracked functions (cJSON_InitHooks). What a
   refused input had allocated is then released here, and only then: after an accepted
   input and cg_query_set_free(), anything still allocated is a leak and the target
   aborts (LeakSanitizer cannot see it, since the tracking list reaches every block).

   CERD_FUZZ_VERBOSE=1 in the environment prints each refusal (to check a seed).

   Besides crashes and sanitizer reports, the target aborts when an invariant breaks:
   - a refusal prints one message starting with "cerdgen: "; when it names a place
     "<path>:<line>:", the line lies inside the text;
   - an accepted file has at least one query, each named by a C identifier, with a shape,
     SQL text, result columns exactly unless :exec, and an origin "queries/fuzz.sql:L"
     (L inside the text); emitting its header and source succeeds. */
#include <cJSON.h>
#include <pg_query.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "parse.h"
#include "check_compile.h"
#include "query.h"

/* ------------------------------------------------------------------ tracked memory */

typedef union block {
    struct {
        union block *prev, *next;
        size_t size;
        int linked;
    } h;
    max_align_t align;
} block;

static block live = {.h = {&live, &live, 0, 0}}; /* blocks of the current input */
static int tracking;                              /* link new blocks into `live` */
static size_t nlive;

void *fuzz_cg_malloc(size_t size)
{
    block *b = malloc(sizeof *b + (size ? size : 1));
    if (!b)
        return NULL;
    b->h.size = size;
    b->h.linked = tracking;
    if (tracking) {
        b->h.prev = live.h.prev;
        b->h.next = &live;
        live.h.prev->h.next = b;
        live.h.prev = b;
        nlive++;
    } else {
        b->h.prev = b->h.next = NULL;
    }
    return b + 1;
}

void fuzz_cg_free(void *p)
{
    block *b;
    if (!p)
        return;
    b = (block *)p - 1;
    if (b->h.linked) {
        b->h.prev->h.next = b->h.next;
        b->h.next->h.prev = b->h.prev;
        nlive--;
    }
    free(b);
}

void *fuzz_cg_calloc(size_t n, size_t size)
{
    void *p;
    if (size && n > SIZE_MAX / size)
        return NULL;
    if ((p = fuzz_cg_malloc(n * size)))
        memset(p, 0, n * size);
    return p;
}

void *fuzz_cg_realloc(void *old, size_t size)
{
    void *p;
    if (!old)
        return fuzz_cg_malloc(size);
    if (!(p = fuzz_cg_malloc(size)))
        return NULL;
    {
        size_t was = ((block *)old - 1)->h.size;
        memcpy(p, old, was < size ? was : size);
    }
    fuzz_cg_free(old);
    return p;
}

char *fuzz_cg_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = fuzz_cg_malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

char *fuzz_cg_strdup(const char *s)
{
    return fuzz_cg_strndup(s, SIZE_MAX);
}

/* Parse results of libpg_query (its own memory) not yet released. */
static PgQueryParseResult results[8];
static int nresults;

PgQueryParseResult fuzz_cg_pg_query_parse(const char *input)
{
    PgQueryParseResult r = pg_query_parse(input);
    if (tracking) {
        if (nresults == (int)(sizeof results / sizeof *results))
            abort();
        results[nresults++] = r;
    }
    return r;
}

void fuzz_cg_pg_query_free_parse_result(PgQueryParseResult r)
{
    for (int i = 0; i < nresults; i++)
        if (results[i].parse_tree == r.parse_tree && results[i].error == r.error &&
            results[i].stderr_buffer == r.stderr_buffer) {
            results[i] = results[--nresults];
            break;
        }
    pg_query_free_parse_result(r);
}

/* Files cerdgen opened and has not closed (it exits with a file open). */
static FILE *files[8];
static int nfiles;

FILE *fuzz_cg_fopen(const char *name, const char *mode)
{
    FILE *f = fopen(name, mode);
    if (f && tracking) {
        if (nfiles == (int)(sizeof files / sizeof *files))
            abort();
        files[nfiles++] = f;
    }
    return f;
}

int fuzz_cg_fclose(FILE *f)
{
    for (int i = 0; i < nfiles; i++)
        if (files[i] == f) {
            files[i] = files[--nfiles];
            break;
        }
    return fclose(f);
}

/* Everything the current input allocated or opened. */
static void release_all(void)
{
    while (live.h.next != &live)
        fuzz_cg_free(live.h.next + 1);
    while (nresults)
        pg_query_free_parse_result(results[--nresults]);
    while (nfiles)
        fclose(files[--nfiles]);
}

static jmp_buf on_exit_jump;
static int exit_status;

_Noreturn void fuzz_cg_exit(int status)
{
    exit_status = status;
    longjmp(on_exit_jump, 1);
}

/* ------------------------------------------------------------------ the target */

static cg_schema schema;
static char dir[64], path[96];

static void remove_dir(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    cJSON_Hooks hooks = {fuzz_cg_malloc, fuzz_cg_free};
    (void)argc;
    (void)argv;
    cJSON_InitHooks(&hooks);
    if (setjmp(on_exit_jump)) {
        fprintf(stderr, "fuzz_query_annotations: cannot read the schema in %s/schema\n",
                CERD_SOURCE_DIR);
        abort();
    }
    cg_parse_schema(CERD_SOURCE_DIR "/schema", &schema);
    cg_compile_checks(&schema);
    snprintf(dir, sizeof dir, "/tmp/fuzz_query_annotations.XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(path, sizeof path, "%s/fuzz.sql", dir);
    atexit(remove_dir);
    return 0;
}

static int lines_of(const uint8_t *data, size_t size)
{
    int n = 1;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n;
}

static int is_c_ident(const char *s)
{
    if (!*s || !((*s >= 'a' && *s <= 'z') || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

/* The refusal message: "cerdgen: " first; a place "<path>:<line>:" inside the text. */
static void check_message(const char *msg, int lines)
{
    const char *at;
    size_t pl = strlen(path);
    if (strncmp(msg, "cerdgen: ", 9)) {
        fprintf(stderr, "refusal without \"cerdgen: \": \"%s\"\n", msg);
        abort();
    }
    if ((at = strstr(msg, path)) && at[pl] == ':' && at[pl + 1] >= '0' && at[pl + 1] <= '9') {
        long line = strtol(at + pl + 1, NULL, 10);
        if (line < 1 || line > lines) {
            fprintf(stderr, "place outside the text (%d lines): \"%s\"\n", lines, msg);
            abort();
        }
    }
}

static void check_accepted(const cg_query_set *qs, int lines)
{
    if (qs->nfiles != 1 || qs->files[0].nqueries < 1 || strcmp(qs->files[0].name, "fuzz"))
        abort();
    for (int i = 0; i < qs->files[0].nqueries; i++) {
        const cg_query *q = &qs->files[0].queries[i];
        int line;
        if (!is_c_ident(q->name) || !q->sql || q->nparams < 0)
            abort();
        if (q->shape != CG_Q_ONE && q->shape != CG_Q_MANY && q->shape != CG_Q_EXEC)
            abort();
        if ((q->shape == CG_Q_EXEC) != (q->ncolumns == 0))
            abort();
        if (sscanf(q->origin, "queries/fuzz.sql:%d", &line) != 1 || line != q->line ||
            line < 1 || line > lines)
            abort();
        for (int k = 0; k < q->ncolumns; k++)
            if (!cg_qtype_field(&q->columns[k].type, false))
                abort();
        for (int k = 0; k < q->nparams; k++)
            if (!cg_qtype_field(&q->params[k].type, true))
                abort();
    }
    {
        char *h = cg_emit_query_header(&qs->files[0]);
        char *c = cg_emit_query_source(&qs->files[0]);
        if (!h || !c)
            abort();
        fuzz_cg_free(h); /* emit_query.c allocates with the tracked functions */
        fuzz_cg_free(c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cg_query_set qs;
    static char *msg;
    static size_t msglen;
    FILE *f, *saved_stderr;
    int lines = lines_of(data, size);

    if (!(f = fopen(path, "wb")) || fwrite(data, 1, size, f) != size || fclose(f))
        abort();
    memset(&qs, 0, sizeof qs);
    msg = NULL;
    msglen = 0;
    saved_stderr = stderr;
    if (!(stderr = open_memstream(&msg, &msglen)))
        abort();
    tracking = 1;
    if (!setjmp(on_exit_jump)) {
        cg_parse_queries(dir, &schema, &qs);
        check_accepted(&qs, lines);
        cg_query_set_free(&qs);
        tracking = 0;
        fclose(stderr);
        stderr = saved_stderr;
        if (nlive || nresults || nfiles) {
            fprintf(stderr, "leak: %zu blocks, %d parse results and %d files still allocated "
                    "after an accepted file\n", nlive, nresults, nfiles);
            abort();
        }
    } else {
        tracking = 0;
        fclose(stderr);
        stderr = saved_stderr;
        release_all();
        if (exit_status != 1) {
            fprintf(stderr, "exit status %d\n", exit_status);
            abort();
        }
        check_message(msg, lines);
        if (getenv("CERD_FUZZ_VERBOSE")) /* to see why a seed is refused */
            fprintf(stderr, "refused: %s", msg);
    }
    free(msg);
    return 0;
}
