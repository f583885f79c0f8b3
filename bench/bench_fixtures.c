/*
 * bench_fixtures: what a test harness waits for.
 *
 *   bench_fixtures [CONNINFO]   (default: libpq's PG* environment; the role needs CREATEDB)
 *
 * Three measurements, 7 runs each (CERD_BENCH_RUNS), printed as a Markdown table with the
 * median, minimum and maximum in milliseconds:
 *   - "fresh database from the template": cerd_testdb_clone() of a migrated template
 *     (CREATE DATABASE ... TEMPLATE ...);
 *   - "fresh database by migrating": cerd_template_create() with no fixture, i.e. CREATE
 *     DATABASE, connect, cerd_migrate() (schema 001..011), disconnect;
 *   - "seed the default scenario": cerd_seed() of preset "demo" at scale 1, seed 0, on a
 *     fresh clone (connection opened before the clock starts).
 * Databases are dropped outside the timed part.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cryptoerd/cryptoerd.h>

#define MAX_RUNS 64

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *ms, int n, const char *note)
{
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
    printf("| %s | %.1f | %.1f | %.1f | %s |\n", what, ms[n / 2], ms[0], ms[n - 1], note);
}

static int fail(const char *what)
{
    const cerd_error *e = cerd_error_last();
    fprintf(stderr, "bench_fixtures: %s: %s\n", what, e && e->message ? e->message : "?");
    return 1;
}

int main(int argc, char **argv)
{
    const char *conninfo = argc > 1 ? argv[1] : "";
    const char *env = getenv("CERD_BENCH_RUNS");
    int runs = env ? atoi(env) : 7;
    double clone_ms[MAX_RUNS], migrate_ms[MAX_RUNS], seed_ms[MAX_RUNS];
    cerd_template *tpl = NULL;
    int64_t rows = 0;

    if (runs < 1 || runs > MAX_RUNS)
        runs = 7;
    if (cerd_template_create(&tpl, conninfo, "cerd_bench_fixtures_tpl", NULL))
        return fail("template");
    for (int i = 0; i < runs; i++) {
        cerd_template *scratch = NULL;
        cerd_testdb *db = NULL;
        cerd_conn *conn = NULL;
        cerd_seed_options so = CERD_SEED_OPTIONS_INIT;
        double t0 = now_ms();

        if (cerd_testdb_clone(&db, tpl))
            return fail("clone");
        clone_ms[i] = now_ms() - t0;
        if (cerd_testdb_drop(db))
            return fail("drop clone");

        t0 = now_ms();
        if (cerd_template_create(&scratch, conninfo, "cerd_bench_fixtures_scratch", NULL))
            return fail("migrate from scratch");
        migrate_ms[i] = now_ms() - t0;
        if (cerd_template_drop(scratch))
            return fail("drop scratch");

        if (cerd_testdb_clone(&db, tpl) || cerd_conn_open(&conn, cerd_testdb_conninfo(db)))
            return fail("clone for the seed");
        t0 = now_ms();
        if (cerd_seed(&rows, conn, &so))
            return fail("seed");
        seed_ms[i] = now_ms() - t0;
        cerd_conn_free(conn);
        if (cerd_testdb_drop(db))
            return fail("drop seeded clone");
    }
    printf("| measurement (%d runs) | median ms | min ms | max ms | note |\n", runs);
    printf("| --- | --- | --- | --- | --- |\n");
    report("fresh migrated database from the template (cerd_testdb_clone)", clone_ms, runs,
           "CREATE DATABASE ... TEMPLATE");
    report("fresh migrated database by migrating (CREATE DATABASE + cerd_migrate)",
           migrate_ms, runs, "schema 001..011");
    {
        char note[96];
        snprintf(note, sizeof note, "preset demo, scale 1: %" PRId64 " rows", rows);
        report("seed the default scenario (cerd_seed)", seed_ms, runs, note);
    }
    cerd_template_drop(tpl);
    return 0;
}
