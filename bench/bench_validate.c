/*
 * bench_validate: client-side validation throughput on one thread, no server.
 *
 *   bench_validate [price_data | ai_regime_analysis]
 *
 * 1. price_data rows: a random walk of OHLC prices with 8 decimals (numeric(20,8)),
 *    volume and market cap with 2 decimals (numeric(30,2)), a trade count, a VWAP, a
 *    small technical_indicators object and a timeframe from the CHECK's list: every
 *    column rule and the 4 CHECKs (OHLC comparisons, positive prices, volume, timeframe
 *    IN list), as cerd_price_data_insert() runs them.
 * 2. ai_regime_analysis rows (the row of tests/crud/rows with its scores varied): 62
 *    columns, 36 CHECKs, several jsonb documents.
 * Both workloads' rows are made first; then 7 rounds (CERD_BENCH_ROUNDS, at most 31),
 * each validating every workload for at least 0.3 s of this thread's CPU time over its
 * 4096 distinct valid rows, the workloads taking turns (so a slow spell of the machine
 * falls on both). Printed as a Markdown row per workload: the median rate of the rounds,
 * the spread (min-max) and the best:
 * | validate price_data | median rows/s | min-max | best |.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include <cryptoerd/cryptoerd.h>

#define NROWS 4096
#define MAX_ROUNDS 31

static int ROUNDS = 7;

/* CPU time of this thread: the rate of one core, whatever else the machine runs. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_validate: %s: %s\n", what, cerd_error_last()->message);
    exit(1);
}

/* A deterministic generator (xorshift64*), so runs validate the same rows. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717u;
}

/* units / 10^scale as an exact numeric */
static cerd_numeric fixed(int64_t units, int scale)
{
    char text[64];
    int64_t p = 1;
    cerd_numeric n;
    for (int i = 0; i < scale; i++)
        p *= 10;
    snprintf(text, sizeof text, "%s%lld.%0*lld", units < 0 ? "-" : "",
             (long long)(llabs(units) / p), scale, (long long)(llabs(units) % p));
    if (cerd_numeric_parse(&n, text))
        die(text);
    return n;
}

/* One workload: its rows and the rate of each round. */
typedef struct workload {
    const cerd_table *t;
    const char *rows;
    size_t row_size, n;
    double rate[MAX_ROUNDS];
} workload;

/* Validates rows[0..n) as inserts for at least 0.3 s of CPU time; rows per second. */
static double one_round(const workload *w)
{
    size_t done = 0;
    double start = now_s(), elapsed;
    do {
        for (size_t i = 0; i < w->n; i++)
            if (cerd_row_validate(NULL, w->t, w->rows + i * w->row_size, CERD_VALIDATE_INSERT))
                die(w->t->name);
        done += w->n;
        elapsed = now_s() - start;
    } while (elapsed < 0.3);
    return done / elapsed;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(workload *w)
{
    qsort(w->rate, (size_t)ROUNDS, sizeof *w->rate, cmp_double);
    printf("| validate %s | %.0f rows/s | %.0f-%.0f | %.0f |\n", w->t->name,
           w->rate[ROUNDS / 2], w->rate[0], w->rate[ROUNDS - 1], w->rate[ROUNDS - 1]);
}

static workload price_data;

static void make_price_data(void)
{
    static const char *const timeframes[] = {"1m", "5m", "15m", "1h", "4h", "1d", "1w", "1M"};
    cerd_price_data *rows = calloc(NROWS, sizeof *rows);
    cJSON *indicators = NULL;
    const char *ind = "{\"RSI\": {\"14\": 56.23}, \"MACD\": {\"signal\": -12.5, \"hist\": 3.1}}";
    int64_t price = 6310050000000; /* 63100.50000000 in units of 1e-8 */
    if (!rows || cerd_json_parse(&indicators, ind, strlen(ind)))
        die("setup");
    for (size_t i = 0; i < NROWS; i++) {
        cerd_price_data *r = &rows[i];
        int64_t open = price, close, high, low, vol;
        close = open + (int64_t)(rnd() % 20000000000) - 10000000000; /* +-100.00 */
        if (close < 100000000)
            close = 100000000;
        high = (open > close ? open : close) + (int64_t)(rnd() % 5000000000);
        low = (open < close ? open : close) - (int64_t)(rnd() % 5000000000);
        if (low < 1)
            low = 1;
        price = close;
        vol = (int64_t)(rnd() % 100000000000000); /* up to 1e12 with 2 decimals */
        r->asset_id = 1 + (int64_t)(i % 50);
        r->timeframe = (char *)timeframes[i % 8];
        r->open_price = fixed(open, 8);
        r->high_price = fixed(high, 8);
        r->low_price = fixed(low, 8);
        r->close_price = fixed(close, 8);
        r->volume = CERD_SOME(cerd_opt_numeric, fixed(vol, 2));
        r->market_cap = CERD_SOME(cerd_opt_numeric, fixed(close / 1000000 * 19750000, 2));
        r->trade_count = CERD_SOME(cerd_opt_int32, (int32_t)(rnd() % 500000));
        r->vwap = CERD_SOME(cerd_opt_numeric, fixed((low + high) / 2, 8));
        r->technical_indicators = indicators;
        r->candle_time = INT64_C(1700000000000000) + (int64_t)i * 3600000000;
        r->is_validated = CERD_SOME(cerd_opt_bool, (i & 1) != 0);
    }
    /* rows and the indicators document live until the program ends */
    price_data = (workload){.t = &cerd_price_data_table, .rows = (const char *)rows,
                            .row_size = sizeof *rows, .n = NROWS};
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

static workload ai_regime_analysis;

static void make_ai_regime_analysis(void)
{
    const cerd_table *t = &cerd_ai_regime_analysis_table;
    char path[1024], *text;
    cJSON *doc = NULL, *row, *v;
    cerd_ai_regime_analysis *rows = calloc(NROWS, sizeof *rows);
    snprintf(path, sizeof path, "%s/tests/crud/rows/ai_regime_analysis.json", CERD_SOURCE_DIR);
    if (!rows || !(text = read_file(path)) || cerd_json_parse(&doc, text, strlen(text)))
        die(path);
    free(text);
    row = cJSON_GetObjectItemCaseSensitive(doc, "row");
    v = row ? row->child : NULL;
    for (cJSON *next; v; v = next) { /* parent ids ({"$ref": ...}) become 1 */
        next = v->next;
        if (cJSON_IsObject(v) && cJSON_GetObjectItemCaseSensitive(v, "$ref"))
            cJSON_ReplaceItemInObjectCaseSensitive(row, v->string, cJSON_CreateNumber(1));
    }
    for (size_t i = 0; i < NROWS; i++) {
        if (cerd_row_from_json(&rows[i], t, row))
            die("ai_regime_analysis row");
        /* vary every score between 0.1 and 1 (4 decimals) */
        for (int c = 0; c < t->ncolumns; c++) {
            const cerd_column *col = &t->columns[c];
            cerd_numeric *n;
            if (col->type != CERD_TYPE_NUMERIC || col->scale < 4)
                continue;
            n = (cerd_numeric *)((char *)&rows[i] + col->offset);
            if ((col->flags & CERD_COL_OPTIONAL) && !((cerd_opt_numeric *)n)->valid)
                continue;
            {
                cerd_numeric one = fixed(1, 0), zero = fixed(0, 0);
                if (cerd_numeric_cmp(n, &zero) < 0 || cerd_numeric_cmp(n, &one) > 0)
                    continue;
            }
            *n = fixed(1000 + (int64_t)(rnd() % 9001), 4);
        }
    }
    cJSON_Delete(doc);
    /* the rows live until the program ends */
    ai_regime_analysis = (workload){.t = t, .rows = (const char *)rows,
                                    .row_size = sizeof *rows, .n = NROWS};
}

int main(int argc, char **argv)
{
    /* an argument names the one workload to run (for profiling) */
    workload *w[2];
    int n = 0;

    if (getenv("CERD_BENCH_ROUNDS"))
        ROUNDS = atoi(getenv("CERD_BENCH_ROUNDS"));
    if (ROUNDS < 1 || ROUNDS > MAX_ROUNDS)
        ROUNDS = 7;
    if (argc < 2 || strcmp(argv[1], "price_data") == 0) {
        make_price_data();
        w[n++] = &price_data;
    }
    if (argc < 2 || strcmp(argv[1], "ai_regime_analysis") == 0) {
        make_ai_regime_analysis();
        w[n++] = &ai_regime_analysis;
    }
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < n; i++)
            w[i]->rate[r] = one_round(w[i]);
    printf("| workload | median | min-max | best |\n| --- | ---: | ---: | ---: |\n");
    for (int i = 0; i < n; i++)
        report(w[i]);
    return 0;
}
