/*
 * bench_pool: acquire/release throughput of cerd_pool against libzdb's ConnectionPool
 * (Debian's libzdb-dev) doing the same cycle, in the same run, on the same server.
 *
 *   bench_pool [CONNINFO]      (default: libpq's PG* environment; a password is needed
 *                               by libzdb's URL, PGPASSWORD or the string's)
 *
 * For 2, 8 and 32 threads, each pool sized to the thread count (libzdb's
 * ConnectionPool_getConnection() does not wait: it returns NULL when all connections are
 * out, so a smaller pool would measure its callers' retry loops, not the pool):
 *   cycle "acquire/release": take a connection and give it back;
 *   cycle "acquire/query/release": the same with one query in between,
 *     EXISTS (... FROM assets WHERE id = $1) (libcryptoerd: cerd_assets_exists(), a
 *     prepared statement, binary result; libzdb: Connection_executeQuery() of the same
 *     EXISTS as an integer, ResultSet_next(), ResultSet_getInt()).
 * Each (cycle, threads, pool) runs 1 second (CERD_BENCH_SECONDS), 7 times
 * (CERD_BENCH_ROUNDS, at most 31), the pools taking turns and the one going first
 * alternating from round to round; printed as a Markdown table: the median of cycles per
 * second of each pool with its spread (min-max over the rounds), and the ratio of the
 * medians. CERD_BENCH_CYCLE=bare (or query) runs only that cycle. The load average at
 * the start and at the end goes to stderr.
 *
 * What each pool does per cycle: libzdb locks its mutex, scans its vector for an
 * available connection checking PQstatus(), unlocks; on return rolls back an open
 * transaction, clears the connection's statements, locks, marks it available (reading
 * the time of day). cerd_pool, when nobody waits, takes the connection its thread parked
 * with one atomic exchange (else: locks, pops its idle stack or takes another thread's
 * parked connection, or queues the caller FIFO, unlocks); checks the connection's status
 * and transaction status, polls its socket (a killed backend is found here) unless it
 * was released less than 0.1 ms before (measured in TSC ticks: no clock read), and
 * checks it with a query when it was idle longer than idle_check_ms; on release reads
 * the connection's status, pipeline and transaction status (rolls back, resets or closes
 * as needed), reads the coarse clock (lifetime, last use) and, when nobody waits, parks
 * it in the thread's cell with a compare-and-swap (else: locks, hands it to the longest
 * waiter or pushes it, unlocks). docs/reliability.md, "The pool's fast path".
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <zdb.h>

#include <cryptoerd/cryptoerd.h>

#define MAX_ROUNDS 31
#define MAX_THREADS 32

static double SECONDS = 1.0;
static int ROUNDS = 7;
static const char *conninfo;
static char zdb_url[1024];
static int64_t asset_id;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* one cache line each: a thread's counters are not shared with another's */
typedef struct job {
    _Alignas(64) int with_query;
    atomic_int *go, *stop;
    cerd_pool *cerd;
    ConnectionPool_T zdb;
    long cycles, failures;
} job;

static void wait_go(job *j)
{
    while (!atomic_load(j->go))
        ;
}

static void *cerd_thread(void *arg)
{
    job *j = arg;
    wait_go(j);
    while (!atomic_load(j->stop)) {
        cerd_conn *c;
        bool exists;
        if (cerd_pool_acquire(&c, j->cerd)) {
            j->failures++;
            continue;
        }
        if (j->with_query && (cerd_assets_exists(&exists, c, asset_id) || !exists))
            j->failures++;
        cerd_pool_release(j->cerd, c);
        j->cycles++;
    }
    return NULL;
}

static void *zdb_thread(void *arg)
{
    job *j = arg;
    char sql[128];
    /* the same EXISTS as cerd_assets_exists(), as an integer for ResultSet_getInt() */
    snprintf(sql, sizeof sql, "SELECT CASE WHEN EXISTS (SELECT 1 FROM assets WHERE id = %" PRId64
             ") THEN 1 ELSE 0 END", asset_id);
    wait_go(j);
    while (!atomic_load(j->stop)) {
        Connection_T c = ConnectionPool_getConnection(j->zdb);
        if (!c) {
            j->failures++;
            continue;
        }
        if (j->with_query) {
            TRY
            {
                ResultSet_T r = Connection_executeQuery(c, "%s", sql);
                if (!ResultSet_next(r) || !ResultSet_getInt(r, 1))
                    j->failures++;
            }
            ELSE
            {
                j->failures++;
            }
            END_TRY;
        }
        Connection_close(c);
        j->cycles++;
    }
    return NULL;
}

/* Cycles per second of one pool with n threads for SECONDS. */
static double run(int zdb, int with_query, int n)
{
    pthread_t threads[MAX_THREADS];
    job jobs[MAX_THREADS];
    atomic_int go = 0, stop = 0;
    cerd_pool *cp = NULL;
    ConnectionPool_T zp = NULL;
    URL_T url = NULL;
    long cycles = 0, failures = 0;
    double t0, elapsed;

    if (zdb) {
        url = URL_new(zdb_url);
        zp = ConnectionPool_new(url);
        ConnectionPool_setInitialConnections(zp, n);
        ConnectionPool_setMaxConnections(zp, n);
        ConnectionPool_start(zp);
    } else {
        cerd_pool_options o = CERD_POOL_OPTIONS_INIT;
        o.conninfo = conninfo;
        o.min_size = o.max_size = (unsigned)n;
        if (cerd_pool_new(&cp, &o)) {
            fprintf(stderr, "bench_pool: %s\n", cerd_error_last()->message);
            exit(1);
        }
    }
    for (int i = 0; i < n; i++) {
        jobs[i] = (job){with_query, &go, &stop, cp, zp, 0, 0};
        pthread_create(&threads[i], NULL, zdb ? zdb_thread : cerd_thread, &jobs[i]);
    }
    /* warm-up: every connection opened and used once */
    {
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    t0 = now_s();
    atomic_store(&go, 1);
    while (now_s() - t0 < SECONDS) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < n; i++) {
        pthread_join(threads[i], NULL);
        cycles += jobs[i].cycles;
        failures += jobs[i].failures;
    }
    elapsed = now_s() - t0;
    if (failures)
        fprintf(stderr, "bench_pool: %s: %ld failed cycles\n", zdb ? "libzdb" : "cerd", failures);
    if (zdb) {
        ConnectionPool_stop(zp);
        ConnectionPool_free(&zp);
        URL_free(&url);
    } else {
        cerd_pool_free(cp);
    }
    return cycles / elapsed;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The server's coordinates from libpq, as libzdb's URL; the benchmark's asset. */
static void prepare(void)
{
    PGconn *pg = PQconnectdb(conninfo ? conninfo : "");
    cerd_conn *conn = NULL;
    cerd_assets a = {.symbol = "BENCHPOOL", .name = "Pool benchmark", .asset_type = "crypto"},
                out = {0};
    const char *pass;

    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "bench_pool: %s", PQerrorMessage(pg));
        exit(1);
    }
    pass = PQpass(pg) && *PQpass(pg) ? PQpass(pg) : "unused";
    snprintf(zdb_url, sizeof zdb_url, "postgresql://%s:%s@%s:%s/%s", PQuser(pg), pass,
             PQhost(pg)[0] == '/' ? "localhost" : PQhost(pg), PQport(pg), PQdb(pg));
    PQfinish(pg);
    if (cerd_conn_open(&conn, conninfo) || cerd_migrate(NULL, conn)
        || cerd_assets_upsert_by_symbol(&out, conn, &a)) {
        fprintf(stderr, "bench_pool: %s\n", cerd_error_last()->message);
        exit(1);
    }
    asset_id = out.id;
    cerd_assets_clear(&out);
    cerd_conn_free(conn);
}

static void print_load(const char *when)
{
    char line[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            snprintf(line, sizeof line, "?\n");
        fclose(f);
    }
    fprintf(stderr, "bench_pool: load average at the %s: %s", when, line);
}

int main(int argc, char **argv)
{
    static const int threads[] = {2, 8, 32};
    static const char *cycles[] = {"acquire/release", "acquire/query/release"};
    const char *only = getenv("CERD_BENCH_CYCLE");

    conninfo = argc > 1 ? argv[1] : NULL;
    if (getenv("CERD_BENCH_SECONDS"))
        SECONDS = atof(getenv("CERD_BENCH_SECONDS"));
    if (getenv("CERD_BENCH_ROUNDS"))
        ROUNDS = atoi(getenv("CERD_BENCH_ROUNDS"));
    if (ROUNDS < 1 || ROUNDS > MAX_ROUNDS)
        ROUNDS = 7;
    prepare();
    print_load("start");
    printf("| cycle | threads | cerd_pool median (min-max), cycles/s | "
           "libzdb ConnectionPool median (min-max), cycles/s | ratio of medians |\n"
           "|---|---:|---:|---:|---:|\n");
    for (int q = 0; q < 2; q++) {
        if (only && strcmp(only, q ? "query" : "bare") != 0)
            continue;
        for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
            double cerd[MAX_ROUNDS], zdb[MAX_ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                if (r % 2 == 0) {
                    cerd[r] = run(0, q, threads[t]);
                    zdb[r] = run(1, q, threads[t]);
                } else {
                    zdb[r] = run(1, q, threads[t]);
                    cerd[r] = run(0, q, threads[t]);
                }
            }
            qsort(cerd, (size_t)ROUNDS, sizeof *cerd, cmp_double);
            qsort(zdb, (size_t)ROUNDS, sizeof *zdb, cmp_double);
            printf("| %s | %d | %.0f (%.0f-%.0f) | %.0f (%.0f-%.0f) | %.2f |\n", cycles[q],
                   threads[t], cerd[ROUNDS / 2], cerd[0], cerd[ROUNDS - 1], zdb[ROUNDS / 2],
                   zdb[0], zdb[ROUNDS - 1], cerd[ROUNDS / 2] / zdb[ROUNDS / 2]);
            fflush(stdout);
        }
    }
    print_load("end");
    return 0;
}
