/*
 * bench_bulk: the bulk and streaming paths of libcryptoerd against hand-written libpq, as
 * the C side of bench/bulk_bench.py (which runs the peers — psql, pgx, asyncpg, psycopg —
 * interleaved with it, takes medians and prints docs/benchmarks.md's table).
 *
 *   bench_bulk migrate                 bring the schema up to date (cerd_migrate)
 *   bench_bulk gen FILE N              write N deterministic candles (COPY text format)
 *   bench_bulk load-copy FILE          cerd_copy_* of every row of FILE, one COPY
 *   bench_bulk load-insert FILE [N]    cerd_row_insert() of the first N rows, one transaction
 *   bench_bulk upsert-batch FILE N C   cerd_batch_upsert() of the first N rows, batches of C
 *   bench_bulk upsert-single FILE N    cerd_row_upsert() of the first N rows, one at a time
 *   bench_bulk upsert-bulk FILE N      cerd_bulk_upsert() of the first N rows, one call
 *   bench_bulk range ROUNDS            range read of asset 1 into structs, library and libpq
 *                                      alternating, ROUNDS times each
 *   bench_bulk stream-lib|stream-libpq [N]
 *                                      the whole table through cerd_stream_* / a cursor by
 *                                      hand (N: rows expected, checked)
 *
 * The server: $CRYPTOERD_BENCH_DSN, else libpq's PG* environment. Every measuring command
 * prints one JSON object per measurement on stdout: rows, wall and cpu seconds (cpu: this
 * process's user+system time, getrusage) and maxrss_kib (peak RSS of the process).
 * Reading FILE into row structs happens before the clock starts.
 *
 * FILE is what `COPY price_data (all 16 columns in table order) FROM STDIN` reads: one line
 * per candle, tab-separated, \N for NULL, timestamps ISO 8601 in UTC ("...T...Z").
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include <cryptoerd/cryptoerd.h>

#include "hand_candle.h"

#define PAGE 10000
#define FETCH 1000
#define EPOCH_2000_US INT64_C(946684800000000)

static const cerd_table *T = &cerd_price_data_table;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec
           + ru.ru_stime.tv_usec / 1e6;
}

static long maxrss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_bulk: %s: %s\n", what, cerd_error_last()->message);
    exit(1);
}

static const char *dsn(void)
{
    const char *d = getenv("CRYPTOERD_BENCH_DSN");
    return d ? d : "";
}

static void report(const char *what, int64_t rows, double wall, double cpu)
{
    printf("{\"what\": \"%s\", \"rows\": %" PRId64 ", \"wall\": %.6f, \"cpu\": %.6f,"
           " \"maxrss_kib\": %ld}\n",
           what, rows, wall, cpu, maxrss_kib());
    fflush(stdout);
}

/* ------------------------------------------------------------------ the data */

static uint64_t next_random(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u; /* 64-bit LCG */
    return *state >> 11;
}

static void iso(char out[32], int64_t unix_s)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* units of 10^-8 as an exact decimal text */
static void units8(char *out, size_t size, int64_t v)
{
    snprintf(out, size, "%" PRId64 ".%08" PRId64, v / 100000000, v % 100000000);
}

/* Candle i: asset 1, timeframe 1m, one a minute from 2025-01-01 (1,000,000 span 23
   monthly partitions), a random walk of prices, every 10th market_cap NULL. */
static int gen(const char *path, long n)
{
    FILE *f = fopen(path, "w");
    uint64_t seed = 20261206;
    int64_t price = INT64_C(6450000000000);
    const int64_t start = 1735689600; /* 2025-01-01T00:00:00Z */
    if (!f) {
        perror(path);
        return 1;
    }
    for (long i = 0; i < n; i++) {
        int64_t open = price, close, high, low, vwap;
        char o[32], h[32], l[32], c[32], w[32], ct[32], at[32];
        close = open + (int64_t)(next_random(&seed) % 2000000001u) - 1000000000;
        if (close < INT64_C(100000000000))
            close = INT64_C(100000000000) + (int64_t)(next_random(&seed) % 1000000000u);
        high = (open > close ? open : close) + (int64_t)(next_random(&seed) % 500000000u);
        low = (open < close ? open : close) - (int64_t)(next_random(&seed) % 500000000u);
        vwap = (open + close) / 2;
        price = close;
        units8(o, sizeof o, open);
        units8(h, sizeof h, high);
        units8(l, sizeof l, low);
        units8(c, sizeof c, close);
        units8(w, sizeof w, vwap);
        iso(ct, start + 60 * i);
        iso(at, start + 60 * i + 60);
        fprintf(f, "%ld\t1\t1m\t%s\t%s\t%s\t%s\t%" PRIu64 ".%02u\t", i + 1, o, h, l, c,
                1000000 + next_random(&seed) % 100000000u, (unsigned)(i % 100));
        if (i % 10 == 9)
            fputs("\\N", f);
        else
            fprintf(f, "%" PRIu64 ".%02u", UINT64_C(1200000000000) + next_random(&seed) % 100000000000u,
                    (unsigned)(next_random(&seed) % 100));
        fprintf(f, "\t%u\t%s\t{\"rsi_14\": %u.%02u}\t%s\t%s\t%s\t%s\n",
                (unsigned)(100 + next_random(&seed) % 5000), w,
                (unsigned)(20 + next_random(&seed) % 60), (unsigned)(next_random(&seed) % 100), ct,
                i % 2 == 0 ? "t" : "f", at, at);
    }
    if (fclose(f)) {
        perror(path);
        return 1;
    }
    return 0;
}

/* Reads FILE into row structs (owned; never freed: the process ends). */
static cerd_price_data *read_rows(const char *path, size_t *count)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    size_t n = 0, cap = 1 << 16;
    cerd_price_data *rows = calloc(cap, sizeof *rows);
    if (!f || !rows) {
        perror(path);
        exit(1);
    }
    while (fgets(line, sizeof line, f)) {
        char *field[16], *save = NULL;
        int k = 0;
        cerd_price_data *r;
        line[strcspn(line, "\n")] = 0;
        for (char *tok = strtok_r(line, "\t", &save); tok && k < 16;
             tok = strtok_r(NULL, "\t", &save))
            field[k++] = tok;
        if (k != 16) {
            fprintf(stderr, "bench_bulk: %s: line %zu has %d fields\n", path, n + 1, k);
            exit(1);
        }
        if (n == cap) {
            rows = realloc(rows, 2 * cap * sizeof *rows);
            if (!rows)
                exit(1);
            memset(rows + cap, 0, cap * sizeof *rows);
            cap *= 2;
        }
        r = &rows[n++];
        r->id = strtoll(field[0], NULL, 10);
        r->asset_id = strtoll(field[1], NULL, 10);
        r->timeframe = strcmp(field[2], "1m") == 0 ? "1m" : strdup(field[2]);
        if (cerd_numeric_parse(&r->open_price, field[3])
            || cerd_numeric_parse(&r->high_price, field[4])
            || cerd_numeric_parse(&r->low_price, field[5])
            || cerd_numeric_parse(&r->close_price, field[6])
            || cerd_numeric_parse(&r->volume.value, field[7]))
            die("numeric");
        r->volume.valid = true;
        if (strcmp(field[8], "\\N") != 0) {
            if (cerd_numeric_parse(&r->market_cap.value, field[8]))
                die("numeric");
            r->market_cap.valid = true;
        }
        r->trade_count = CERD_SOME(cerd_opt_int32, (int32_t)strtol(field[9], NULL, 10));
        if (cerd_numeric_parse(&r->vwap.value, field[10]))
            die("numeric");
        r->vwap.valid = true;
        if (cerd_json_parse(&r->technical_indicators, field[11], strlen(field[11])))
            die("json");
        if (cerd_timestamp_parse(&r->candle_time, field[12])
            || cerd_timestamp_parse(&r->created_at.value, field[14])
            || cerd_timestamp_parse(&r->updated_at.value, field[15]))
            die("timestamp");
        r->created_at.valid = r->updated_at.valid = true;
        r->is_validated = CERD_SOME(cerd_opt_bool, field[13][0] == 't');
    }
    fclose(f);
    *count = n;
    return rows;
}

static cerd_conn *connect_lib(void)
{
    cerd_conn *conn = NULL;
    if (cerd_conn_open(&conn, dsn()))
        die("connect");
    return conn;
}

/* ------------------------------------------------------------------ loads */

static int load_copy(const char *path)
{
    size_t n;
    cerd_price_data *rows = read_rows(path, &n);
    cerd_conn *conn = connect_lib();
    cerd_colset all = {0};
    cerd_copy *w = NULL;
    int64_t written = 0;
    double t0, c0;

    for (int i = 0; i < T->ncolumns; i++)
        cerd_colset_add(&all, (unsigned)i);
    t0 = now_s();
    c0 = cpu_s();
    if (cerd_copy_begin(&w, conn, T, &all, NULL) || cerd_copy_put_rows(w, rows, n)
        || cerd_copy_end(&written, w))
        die("copy");
    report("load-copy", written, now_s() - t0, cpu_s() - c0);
    cerd_conn_free(conn);
    return written == (int64_t)n ? 0 : 1;
}

static int load_insert(const char *path, long limit)
{
    size_t n;
    cerd_price_data *rows = read_rows(path, &n);
    cerd_conn *conn = connect_lib();
    double t0, c0;

    if (limit > 0 && (size_t)limit < n)
        n = (size_t)limit;
    t0 = now_s();
    c0 = cpu_s();
    if (cerd_conn_begin(conn))
        die("begin");
    for (size_t i = 0; i < n; i++)
        if (cerd_row_insert(NULL, conn, T, &rows[i]))
            die("insert");
    if (cerd_conn_commit(conn))
        die("commit");
    report("load-insert", (int64_t)n, now_s() - t0, cpu_s() - c0);
    cerd_conn_free(conn);
    return 0;
}

/* ------------------------------------------------------------------ upserts */

static int candle_key(void)
{
    for (int k = 0; k < T->nunique; k++)
        if (strcmp(T->unique_keys[k].name, "unique_asset_timeframe_candle") == 0)
            return k;
    fprintf(stderr, "bench_bulk: no key unique_asset_timeframe_candle\n");
    exit(1);
}

/* The first n candles of the file as re-sent corrections: the key (asset, timeframe,
   candle_time) and new values; id and the timestamps absent (kept / set by the trigger). */
static cerd_price_data *corrections(const char *path, size_t *n)
{
    size_t count;
    cerd_price_data *rows = read_rows(path, &count);
    cerd_numeric cent;
    cerd_numeric_parse(&cent, "0.01");
    if (*n > count)
        *n = count;
    for (size_t i = 0; i < *n; i++) {
        rows[i].id = 0;
        rows[i].created_at.valid = rows[i].updated_at.valid = false;
        cerd_numeric_add(&rows[i].volume.value, &rows[i].volume.value, &cent);
    }
    return rows;
}

static int upsert_batch(const char *path, size_t n, size_t chunk)
{
    cerd_price_data *rows = corrections(path, &n);
    cerd_conn *conn = connect_lib();
    cerd_batch_options o = CERD_BATCH_OPTIONS_INIT;
    int key = candle_key();
    double t0, c0;

    o.atomic = true;
    t0 = now_s();
    c0 = cpu_s();
    if (cerd_conn_begin(conn))
        die("begin");
    for (size_t at = 0; at < n; at += chunk) {
        cerd_batch *b = NULL;
        size_t end = at + chunk < n ? at + chunk : n;
        if (cerd_batch_new(&b, &o))
            die("batch");
        for (size_t i = at; i < end; i++)
            if (cerd_batch_upsert(b, T, key, &rows[i]))
                die("queue");
        if (cerd_batch_run(b, conn))
            die("batch run");
        cerd_batch_free(b);
    }
    if (cerd_conn_commit(conn))
        die("commit");
    report("upsert-batch", (int64_t)n, now_s() - t0, cpu_s() - c0);
    cerd_conn_free(conn);
    return 0;
}

static int upsert_bulk(const char *path, size_t n)
{
    cerd_price_data *rows = corrections(path, &n);
    cerd_conn *conn = connect_lib();
    cerd_bulk_result r;
    double t0, c0;

    t0 = now_s();
    c0 = cpu_s();
    if (cerd_bulk_upsert(&r, conn, T, candle_key(), rows, n, NULL))
        die("bulk upsert");
    report("upsert-bulk", (int64_t)n, now_s() - t0, cpu_s() - c0);
    if ((size_t)(r.inserted + r.updated + r.skipped) != n) {
        fprintf(stderr, "bench_bulk: upsert-bulk counted %lld + %lld + %lld of %zu rows\n",
                (long long)r.inserted, (long long)r.updated, (long long)r.skipped, n);
        return 1;
    }
    cerd_conn_free(conn);
    return 0;
}

static int upsert_single(const char *path, size_t n)
{
    cerd_price_data *rows = corrections(path, &n);
    cerd_conn *conn = connect_lib();
    cerd_price_data out = {0};
    int key = candle_key();
    double t0, c0;

    t0 = now_s();
    c0 = cpu_s();
    if (cerd_conn_begin(conn))
        die("begin");
    for (size_t i = 0; i < n; i++)
        if (cerd_row_upsert(&out, conn, T, key, &rows[i]))
            die("upsert");
    if (cerd_conn_commit(conn))
        die("commit");
    report("upsert-single", (int64_t)n, now_s() - t0, cpu_s() - c0);
    cerd_row_clear(T, &out);
    cerd_conn_free(conn);
    return 0;
}

/* ------------------------------------------------------------------ range reads */

static void column_list(char *out, size_t size)
{
    size_t used = 0;
    for (int i = 0; i < T->ncolumns; i++)
        used += (size_t)snprintf(out + used, size - used, "%s\"%s\"", i ? ", " : "",
                                 T->columns[i].name);
}

/* asset 1, timeframe 1m, candle_time in [2025-01-01, 2100-01-01), oldest first, pages */
static const int64_t FROM_UNIX = 1735689600, TO_UNIX = 4102444800;

static size_t range_library(cerd_conn *conn)
{
    cerd_price_data key = {0}, from = {0}, to = {0}, last = {0};
    cerd_range r = {0};
    size_t total = 0;
    bool more = true;

    key.asset_id = 1;
    key.timeframe = "1m";
    from.candle_time = FROM_UNIX * INT64_C(1000000) - EPOCH_2000_US;
    to.candle_time = TO_UNIX * INT64_C(1000000) - EPOCH_2000_US;
    r.ncolumns = 3;
    r.columns[0] = CERD_PRICE_DATA_ASSET_ID;
    r.columns[1] = CERD_PRICE_DATA_TIMEFRAME;
    r.columns[2] = CERD_PRICE_DATA_CANDLE_TIME;
    r.nequal = 2;
    r.equal = &key;
    r.from = &from;
    r.to = &to;
    r.limit = PAGE;
    while (more) {
        cerd_rows page = {0};
        cerd_price_data *rows;
        if (cerd_row_range(&page, conn, T, &r))
            die("range");
        rows = page.rows;
        total += page.count;
        more = page.next.valid;
        if (more) { /* keep the last row as the keyset position */
            cerd_row_clear(T, &last);
            last = rows[page.count - 1];
            memset(&rows[page.count - 1], 0, sizeof *rows);
            r.after = &last;
        }
        cerd_rows_free(T, &page);
    }
    cerd_row_clear(T, &last);
    return total;
}

static void put64(unsigned char *p, int64_t v)
{
    for (int b = 0; b < 8; b++)
        p[b] = (unsigned char)((uint64_t)v >> (56 - 8 * b));
}

/* The same query the library sends, prepared once, binary in and out, decoded by hand. */
static size_t range_libpq(PGconn *pg)
{
    static int prepared;
    const int formats[7] = {1, 1, 1, 1, 1, 1, 1};
    hand_candle *page = calloc(PAGE, sizeof *page);
    int64_t last_time = 0, last_id = 0;
    size_t total = 0;
    bool first = true;

    if (!prepared) {
        char cols[2048], sql[3072];
        Oid types[7] = {20, 25, 1184, 1184, 1184, 20, 20};
        PGresult *r;
        column_list(cols, sizeof cols);
        snprintf(sql, sizeof sql,
                 "SELECT %s FROM \"price_data\" WHERE TRUE AND \"asset_id\" = $1 AND"
                 " \"timeframe\" = $2 AND \"candle_time\" >= $3 AND \"candle_time\" < $4"
                 " AND (\"candle_time\", \"id\") > ($5, $6) ORDER BY \"candle_time\", \"id\""
                 " LIMIT $7",
                 cols);
        r = PQprepare(pg, "range", sql, 7, types);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            fprintf(stderr, "prepare: %s", PQerrorMessage(pg));
            exit(1);
        }
        PQclear(r);
        prepared = 1;
    }
    for (;;) {
        unsigned char p[7][8];
        const char *values[7] = {(char *)p[0], "1m",        (char *)p[2], (char *)p[3],
                                 (char *)p[4], (char *)p[5], (char *)p[6]};
        const int lengths[7] = {8, 2, 8, 8, 8, 8, 8};
        PGresult *r;
        int n;
        put64(p[0], 1);
        put64(p[2], FROM_UNIX * INT64_C(1000000) - EPOCH_2000_US);
        put64(p[3], TO_UNIX * INT64_C(1000000) - EPOCH_2000_US);
        put64(p[4], first ? INT64_MIN : last_time); /* -infinity before the first page */
        put64(p[5], last_id);
        put64(p[6], PAGE);
        r = PQexecPrepared(pg, "range", 7, values, lengths, formats, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "range: %s", PQerrorMessage(pg));
            exit(1);
        }
        n = PQntuples(r);
        for (int i = 0; i < n; i++)
            hand_candle_decode(r, i, &page[i]);
        if (n) {
            last_id = page[n - 1].id;
            last_time = page[n - 1].candle_time;
            first = false;
        }
        for (int i = 0; i < n; i++)
            hand_candle_free(&page[i]);
        PQclear(r);
        total += (size_t)n;
        if (n < PAGE)
            break;
    }
    free(page);
    return total;
}

static int range(int rounds)
{
    cerd_conn *conn = connect_lib();
    PGconn *pg = PQconnectdb(dsn());
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "libpq: %s", PQerrorMessage(pg));
        return 1;
    }
    /* warm both (statements prepared, pages cached), then alternate who goes first */
    range_library(conn);
    range_libpq(pg);
    for (int i = 0; i < rounds; i++) {
        for (int side = 0; side < 2; side++) {
            int lib = (side + i) % 2 == 0;
            double t0 = now_s(), c0 = cpu_s();
            size_t n = lib ? range_library(conn) : range_libpq(pg);
            report(lib ? "range-lib" : "range-libpq", (int64_t)n, now_s() - t0, cpu_s() - c0);
        }
    }
    PQfinish(pg);
    cerd_conn_free(conn);
    return 0;
}

/* ------------------------------------------------------------------ streams */

static int stream_lib(long expect)
{
    cerd_conn *conn = connect_lib();
    cerd_stream *s = NULL;
    cerd_price_data row = {0};
    int64_t n = 0;
    int rc;
    double t0 = now_s(), c0 = cpu_s();

    if (cerd_stream_open(&s, conn, T, NULL, FETCH))
        die("stream open");
    while ((rc = cerd_stream_next(s, &row)) == 1)
        n++;
    if (rc < 0)
        die("stream");
    if (cerd_stream_close(s))
        die("stream close");
    cerd_row_clear(T, &row);
    report("stream-lib", n, now_s() - t0, cpu_s() - c0);
    cerd_conn_free(conn);
    return expect > 0 && n != expect;
}

static void pq_ok(PGconn *pg, PGresult *r)
{
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "libpq: %s", PQerrorMessage(pg));
        exit(1);
    }
}

/* A cursor by hand: DECLARE the library's query, FETCH FORWARD 1000 in binary, each row
   decoded into a struct and released. */
static int stream_libpq(long expect)
{
    PGconn *pg = PQconnectdb(dsn());
    char cols[2048], sql[3072];
    hand_candle c = {0};
    int64_t n = 0;
    double t0, c0;

    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "libpq: %s", PQerrorMessage(pg));
        return 1;
    }
    t0 = now_s();
    c0 = cpu_s();
    column_list(cols, sizeof cols);
    snprintf(sql, sizeof sql,
             "DECLARE s NO SCROLL CURSOR FOR SELECT %s FROM \"price_data\" WHERE TRUE"
             " ORDER BY \"id\", \"candle_time\"",
             cols);
    PGresult *r = PQexec(pg, "BEGIN READ ONLY");
    pq_ok(pg, r);
    PQclear(r);
    r = PQexecParams(pg, sql, 0, NULL, NULL, NULL, NULL, 1);
    pq_ok(pg, r);
    PQclear(r);
    for (;;) {
        int rows;
        char fetch[64];
        snprintf(fetch, sizeof fetch, "FETCH FORWARD %d FROM s", FETCH);
        r = PQexecParams(pg, fetch, 0, NULL, NULL, NULL, NULL, 1);
        pq_ok(pg, r);
        rows = PQntuples(r);
        for (int i = 0; i < rows; i++) {
            hand_candle_decode(r, i, &c);
            hand_candle_free(&c);
        }
        PQclear(r);
        n += rows;
        if (rows < FETCH)
            break;
    }
    r = PQexec(pg, "COMMIT");
    pq_ok(pg, r);
    PQclear(r);
    report("stream-libpq", n, now_s() - t0, cpu_s() - c0);
    PQfinish(pg);
    return expect > 0 && n != expect;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    if (!strcmp(cmd, "migrate")) {
        cerd_conn *conn = connect_lib();
        if (cerd_migrate(NULL, conn))
            die("migrate");
        cerd_conn_free(conn);
        return 0;
    }
    if (!strcmp(cmd, "gen") && argc == 4)
        return gen(argv[2], atol(argv[3]));
    if (!strcmp(cmd, "load-copy") && argc == 3)
        return load_copy(argv[2]);
    if (!strcmp(cmd, "load-insert") && argc >= 3)
        return load_insert(argv[2], argc > 3 ? atol(argv[3]) : 0);
    if (!strcmp(cmd, "upsert-batch") && argc == 5)
        return upsert_batch(argv[2], (size_t)atol(argv[3]), (size_t)atol(argv[4]));
    if (!strcmp(cmd, "upsert-bulk") && argc == 4)
        return upsert_bulk(argv[2], (size_t)atol(argv[3]));
    if (!strcmp(cmd, "upsert-single") && argc == 4)
        return upsert_single(argv[2], (size_t)atol(argv[3]));
    if (!strcmp(cmd, "range") && argc == 3)
        return range(atoi(argv[2]));
    if (!strcmp(cmd, "stream-lib"))
        return stream_lib(argc > 2 ? atol(argv[2]) : 0);
    if (!strcmp(cmd, "stream-libpq"))
        return stream_libpq(argc > 2 ? atol(argv[2]) : 0);
    fprintf(stderr, "usage: see the comment at the top of bench/bench_bulk.c\n");
    return 2;
}
