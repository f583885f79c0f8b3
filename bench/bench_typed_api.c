/*
 * bench_typed_api: the typed API against a hand-written libpq program doing the same
 * work as fast as libpq allows (prepared statement, binary parameters and results,
 * values decoded into C structs), in the same run, on the same server.
 *
 *   bench_typed_api [CONNINFO]   (an empty database it may fill; default: PG* environment)
 *
 * 1. 100,000 primary-key lookups of assets (all 34 columns decoded).
 * 2. 1,000,000 price_data rows decoded into structs, in pages of 10,000.
 * Each is timed 5 times, alternating library and baseline; medians and ratios printed as
 * Markdown. Wall-clock time on a loopback server: round trips and server work are in both.
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

#define ASSETS 1000
#define PAGE 10000
#define ROUNDS 7

/* Full size by default; CERD_BENCH_QUICK=1 (for profiling) runs a twentieth of it. */
static int LOOKUPS = 100000;
static int CANDLES = 1000000;

static PGconn *pg;
static cerd_conn *conn;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench: %s: %s %s\n", what, cerd_error_last()->message, PQerrorMessage(pg));
    exit(1);
}

static void exec_ok(const char *sql)
{
    PGresult *r = PQexec(pg, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        die(sql);
    PQclear(r);
}

/* ------------------------------------------------ the hand-written baseline's decoding */

static int64_t be64(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | (unsigned char)p[i];
    return (int64_t)v;
}

static int32_t be32(const char *p)
{
    return (int32_t)(((uint32_t)(unsigned char)p[0] << 24) | ((uint32_t)(unsigned char)p[1] << 16)
                     | ((uint32_t)(unsigned char)p[2] << 8) | (uint32_t)(unsigned char)p[3]);
}

static uint16_t be16(const char *p)
{
    return (uint16_t)(((unsigned char)p[0] << 8) | (unsigned char)p[1]);
}

/* An exact decimal as the wire has it: the same information cerd_numeric keeps. */
typedef struct hand_numeric {
    int16_t ndigits, weight;
    uint16_t sign, dscale;
    uint16_t digits[12];
} hand_numeric;

static void hand_numeric_decode(const char *p, int len, hand_numeric *n, int *valid)
{
    *valid = len >= 0;
    if (len < 0)
        return;
    n->ndigits = (int16_t)be16(p);
    n->weight = (int16_t)be16(p + 2);
    n->sign = be16(p + 4);
    n->dscale = be16(p + 6);
    for (int i = 0; i < n->ndigits && i < 12; i++)
        n->digits[i] = be16(p + 8 + 2 * i);
}

static char *hand_text(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

typedef struct hand_asset {
    int64_t id;
    char *symbol, *name, *asset_type, *quote_currency, *logo_url, *description, *data_source;
    cJSON *external_ids, *links, *metrics_details, *timeframe_usage;
    hand_numeric num[12];
    int num_valid[12];
    int32_t market_cap_rank, access_count, data_quality_score;
    int64_t ts[6];
    int ts_valid[6];
    int is_active, is_supported;
} hand_asset;

static cJSON *hand_json(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    /* jsonb binary: a version byte, then the text */
    return cJSON_ParseWithLength(PQgetvalue(r, row, col) + 1, (size_t)PQgetlength(r, row, col) - 1);
}

static void hand_asset_decode(const PGresult *r, int row, hand_asset *a)
{
    int n = 0, t = 0;
    for (int c = 0; c < PQnfields(r); c++) {
        const char *v = PQgetvalue(r, row, c);
        int len = PQgetisnull(r, row, c) ? -1 : PQgetlength(r, row, c);
        switch (PQftype(r, c)) {
        case 20: a->id = be64(v); break;
        case 23:
            if (c == 10) a->market_cap_rank = len < 0 ? 0 : be32(v);
            else if (c == 26) a->access_count = be32(v);
            else a->data_quality_score = be32(v);
            break;
        case 16:
            if (c == 27) a->is_active = v[0]; else a->is_supported = v[0];
            break;
        case 1700: hand_numeric_decode(v, len, &a->num[n], &a->num_valid[n]); n++; break;
        case 1184: a->ts_valid[t] = len >= 0; a->ts[t++] = len < 0 ? 0 : be64(v); break;
        default: break; /* text and jsonb below, by position */
        }
    }
    a->symbol = hand_text(r, row, 1);
    a->name = hand_text(r, row, 2);
    a->asset_type = hand_text(r, row, 3);
    a->quote_currency = hand_text(r, row, 4);
    a->external_ids = hand_json(r, row, 5);
    a->logo_url = hand_text(r, row, 6);
    a->links = hand_json(r, row, 7);
    a->description = hand_text(r, row, 8);
    a->metrics_details = hand_json(r, row, 23);
    a->timeframe_usage = hand_json(r, row, 24);
    a->data_source = hand_text(r, row, 30);
}

static void hand_asset_free(hand_asset *a)
{
    free(a->symbol); free(a->name); free(a->asset_type); free(a->quote_currency);
    free(a->logo_url); free(a->description); free(a->data_source);
    cJSON_Delete(a->external_ids); cJSON_Delete(a->links);
    cJSON_Delete(a->metrics_details); cJSON_Delete(a->timeframe_usage);
    memset(a, 0, sizeof *a);
}

typedef struct hand_candle {
    int64_t id, asset_id, candle_time, created_at, updated_at;
    char *timeframe;
    hand_numeric open, high, low, close, volume, market_cap, vwap;
    int valid[8];
    int32_t trade_count;
    cJSON *technical_indicators;
    int is_validated;
} hand_candle;

static void hand_candle_decode(const PGresult *r, int row, hand_candle *c)
{
#define LEN(col) (PQgetisnull(r, row, col) ? -1 : PQgetlength(r, row, col))
#define VAL(col) PQgetvalue(r, row, col)
    c->id = be64(VAL(0));
    c->asset_id = be64(VAL(1));
    c->timeframe = strdup(VAL(2));
    hand_numeric_decode(VAL(3), LEN(3), &c->open, &c->valid[0]);
    hand_numeric_decode(VAL(4), LEN(4), &c->high, &c->valid[1]);
    hand_numeric_decode(VAL(5), LEN(5), &c->low, &c->valid[2]);
    hand_numeric_decode(VAL(6), LEN(6), &c->close, &c->valid[3]);
    hand_numeric_decode(VAL(7), LEN(7), &c->volume, &c->valid[4]);
    hand_numeric_decode(VAL(8), LEN(8), &c->market_cap, &c->valid[5]);
    c->trade_count = LEN(9) < 0 ? 0 : be32(VAL(9));
    hand_numeric_decode(VAL(10), LEN(10), &c->vwap, &c->valid[6]);
    c->technical_indicators = hand_json(r, row, 11);
    c->candle_time = be64(VAL(12));
    c->is_validated = VAL(13)[0];
    c->created_at = be64(VAL(14));
    c->updated_at = be64(VAL(15));
#undef LEN
#undef VAL
}

/* ------------------------------------------------------------------ the workloads */

static const char ASSET_SQL_FMT[] = "SELECT %s FROM assets WHERE id = $1";
static const char CANDLE_SQL_FMT[] =
    "SELECT %s FROM price_data WHERE asset_id = $1"
    " AND (id, candle_time, asset_id) > ($2, $3, $1)"
    " ORDER BY id, candle_time, asset_id LIMIT $4";

static void column_list(const cerd_table *t, char *out, size_t size)
{
    size_t used = 0;
    for (int i = 0; i < t->ncolumns; i++)
        used += (size_t)snprintf(out + used, size - used, "%s\"%s\"", i ? ", " : "",
                                 t->columns[i].name);
}

static double lookups_library(int count)
{
    double t0 = now_s();
    cerd_assets a = {0};
    for (int i = 0; i < count; i++) {
        if (cerd_assets_get(&a, conn, 1 + i % ASSETS))
            die("cerd_assets_get");
    }
    cerd_assets_clear(&a);
    return now_s() - t0;
}

static double lookups_libpq(int count)
{
    static int prepared;
    double t0 = now_s();
    const int formats[1] = {1};
    hand_asset a = {0};

    if (!prepared) {
        char cols[4096], sql[4200];
        Oid types[1] = {20};
        column_list(&cerd_assets_table, cols, sizeof cols);
        snprintf(sql, sizeof sql, ASSET_SQL_FMT, cols);
        PQclear(PQprepare(pg, "lookup", sql, 1, types));
        prepared = 1;
    }
    for (int i = 0; i < count; i++) {
        unsigned char id[8];
        const char *values[1] = {(const char *)id};
        const int lengths[1] = {8};
        uint64_t v = (uint64_t)(1 + i % ASSETS);
        PGresult *r;
        for (int b = 0; b < 8; b++)
            id[b] = (unsigned char)(v >> (56 - 8 * b));
        r = PQexecPrepared(pg, "lookup", 1, values, lengths, formats, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
            die("lookup");
        hand_asset_free(&a);
        hand_asset_decode(r, 0, &a);
        PQclear(r);
    }
    hand_asset_free(&a);
    return now_s() - t0;
}

static double decode_library(int64_t asset_id, size_t *rows)
{
    double t0 = now_s();
    cerd_page page = {.limit = PAGE};
    *rows = 0;
    do {
        cerd_price_data_rows list = {0};
        if (cerd_price_data_list_by_asset_id(&list, conn, asset_id, &page))
            die("list");
        *rows += list.count;
        page.after = list.next;
        cerd_price_data_list_free(&list);
    } while (page.after.valid);
    return now_s() - t0;
}

static double decode_libpq(int64_t asset_id, size_t *rows)
{
    static int prepared;
    double t0 = now_s();
    const int formats[4] = {1, 1, 1, 1};
    int64_t last_id = 0, last_time = INT64_MIN;
    hand_candle *page = calloc(PAGE, sizeof *page);

    if (!prepared) {
        char cols[4096], sql[4400];
        Oid types[4] = {20, 20, 1184, 20};
        column_list(&cerd_price_data_table, cols, sizeof cols);
        snprintf(sql, sizeof sql, CANDLE_SQL_FMT, cols);
        PQclear(PQprepare(pg, "candles", sql, 4, types));
        prepared = 1;
    }
    *rows = 0;
    for (;;) {
        unsigned char p[4][8];
        const char *values[4] = {(char *)p[0], (char *)p[1], (char *)p[2], (char *)p[3]};
        const int lengths[4] = {8, 8, 8, 8};
        int64_t v[4] = {asset_id, last_id, last_time - INT64_C(946684800000000), PAGE};
        PGresult *r;
        int n;
        if (last_time == INT64_MIN)
            v[2] = INT64_MIN; /* -infinity: before every candle */
        for (int i = 0; i < 4; i++)
            for (int b = 0; b < 8; b++)
                p[i][b] = (unsigned char)((uint64_t)v[i] >> (56 - 8 * b));
        r = PQexecPrepared(pg, "candles", 4, values, lengths, formats, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            die("candles");
        n = PQntuples(r);
        for (int i = 0; i < n; i++)
            hand_candle_decode(r, i, &page[i]);
        if (n) {
            last_id = page[n - 1].id;
            last_time = page[n - 1].candle_time + INT64_C(946684800000000);
        }
        for (int i = 0; i < n; i++) {
            free(page[i].timeframe);
            cJSON_Delete(page[i].technical_indicators);
        }
        PQclear(r);
        *rows += (size_t)n;
        if (n < PAGE)
            break;
    }
    free(page);
    return now_s() - t0;
}

/* CPU time of this process (the client): what the library itself costs. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec
           + ru.ru_stime.tv_usec / 1e6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v)
{
    qsort(v, ROUNDS, sizeof *v, by_value);
    return v[ROUNDS / 2];
}

static void report(const char *what, double *lib, double *hand, double *cpu_l, double *cpu_h)
{
    double l = median(lib), h = median(hand), cl = median(cpu_l), ch = median(cpu_h);
    printf("| %s | %.3f s | %.3f s | **%.3f** | %.3f s | %.3f s | %.3f |\n", what, l, h, l / h,
           cl, ch, cl / ch);
}

static void seed(void)
{
    fprintf(stderr, "seeding %d assets and %d candles...\n", ASSETS, CANDLES);
    exec_ok("INSERT INTO assets (symbol, name, asset_type, quote_currency, external_ids,"
            " logo_url, links, description, market_cap, market_cap_rank, current_price,"
            " total_volume, circulating_supply, total_supply, max_supply,"
            " price_change_percentage_24h, price_change_percentage_7d,"
            " price_change_percentage_30d, ath, ath_date, atl, atl_date, metrics_details,"
            " timeframe_usage, last_accessed_at, last_price_update)"
            " SELECT 'SYM' || g, 'Asset number ' || g, 'crypto', 'USDT',"
            " jsonb_build_object('coingecko', 'asset-' || g, 'coinmarketcap', g::text),"
            " 'https://example.com/logo/' || g || '.png',"
            " jsonb_build_object('website', 'https://example.com/' || g),"
            " 'A test asset used by the benchmark.', 1234567890123.45 * g, g,"
            " 64123.12345678 + g, 98765432.10, 19654321.12345678, 21000000, 21000000,"
            " 1.2345, -2.3456, 10.5, 69000.12345678, '2024-03-14 01:02:03.456789+00',"
            " 0.04865000, '2013-07-06 00:00:00+00',"
            " '{\"1d\": {\"o\": 1, \"h\": 2, \"l\": 0.5, \"c\": 1.5}}',"
            " '{\"1h\": 120, \"1d\": 100}', now(), now()"
            " FROM generate_series(1, 1000) g");
    exec_ok("INSERT INTO price_data (asset_id, timeframe, open_price, high_price, low_price,"
            " close_price, volume, market_cap, trade_count, vwap, candle_time, is_validated)"
            " SELECT 1, '1m', 64000 + (g % 1000) * 0.01234567, 64100 + (g % 1000) * 0.01234567,"
            " 63900 + (g % 1000) * 0.01234567, 64050 + (g % 1000) * 0.01234567,"
            " 123456.78 + g, 1234567890123.45, g % 5000, 64025.12345678,"
            " timestamptz '2025-01-01 00:00:00+00' + g * interval '1 minute', g % 2 = 0"
            " FROM generate_series(1, 1000000) g");
    if (CANDLES != 1000000) {
        char sql[128];
        snprintf(sql, sizeof sql, "DELETE FROM price_data WHERE id > %d", CANDLES);
        exec_ok(sql);
    }
    exec_ok("ANALYZE");
}

int main(int argc, char **argv)
{
    const char *dsn = argc > 1 ? argv[1] : "";
    double lib[ROUNDS], hand[ROUNDS], cpu_l[ROUNDS], cpu_h[ROUNDS];
    size_t rows_lib = 0, rows_hand = 0;

    if (getenv("CERD_BENCH_QUICK")) {
        LOOKUPS /= 20;
        CANDLES /= 20;
    }
    if (cerd_conn_open(&conn, dsn) || cerd_migrate(NULL, conn))
        die("connect/migrate");
    pg = PQconnectdb(dsn);
    if (PQstatus(pg) != CONNECTION_OK)
        die("libpq connect");
    exec_ok("SET TimeZone = 'UTC'");
    seed();
    if (getenv("CERD_BENCH_ONLY_LOOKUPS"))
        CANDLES = 0;

    /* Lookups: 20 alternating chunks of 5,000 per side make one measurement of 100,000
       each, so that drift in machine load hits both sides alike. */
    if (getenv("CERD_BENCH_ONLY_DECODE"))
        goto decode;
    lookups_library(1000); /* warm both: statements prepared, caches hot */
    lookups_libpq(1000);
    for (int i = 0; i < ROUNDS; i++) {
        double cpu_lib = 0, cpu_hand = 0;
        lib[i] = hand[i] = 0;
        for (int chunk = 0; chunk < 20; chunk++) {
            double c0 = cpu_s();
            lib[i] += lookups_library(LOOKUPS / 20);
            double c1 = cpu_s();
            hand[i] += lookups_libpq(LOOKUPS / 20);
            cpu_lib += c1 - c0;
            cpu_hand += cpu_s() - c1;
        }
        cpu_l[i] = cpu_lib;
        cpu_h[i] = cpu_hand;
        fprintf(stderr, "  lookups round %d: library %.3f s (cpu %.3f), libpq %.3f s (cpu %.3f)\n",
                i, lib[i], cpu_lib, hand[i], cpu_hand);
    }
    report("100,000 primary-key lookups of assets (34 columns)", lib, hand, cpu_l, cpu_h);

    if (!CANDLES)
        return 0;
decode:
    decode_library(1, &rows_lib);
    decode_libpq(1, &rows_hand);
    for (int i = 0; i < ROUNDS; i++) { /* alternate which side goes first */
        double c0 = cpu_s(), c1;
        if (i % 2) {
            hand[i] = decode_libpq(1, &rows_hand);
            c1 = cpu_s();
            lib[i] = decode_library(1, &rows_lib);
            cpu_h[i] = c1 - c0;
            cpu_l[i] = cpu_s() - c1;
        } else {
            lib[i] = decode_library(1, &rows_lib);
            c1 = cpu_s();
            hand[i] = decode_libpq(1, &rows_hand);
            cpu_l[i] = c1 - c0;
            cpu_h[i] = cpu_s() - c1;
        }
        fprintf(stderr, "  decode round %d: library %.3f s (cpu %.3f), libpq %.3f s (cpu %.3f)\n",
                i, lib[i], cpu_l[i], hand[i], cpu_h[i]);
    }
    if (rows_lib != (size_t)CANDLES || rows_hand != (size_t)CANDLES) {
        fprintf(stderr, "bench: decoded %zu and %zu rows, expected %d\n", rows_lib, rows_hand,
                CANDLES);
        return 1;
    }
    report("1,000,000 price_data rows decoded into structs, pages of 10,000", lib, hand, cpu_l,
           cpu_h);
    PQfinish(pg);
    cerd_conn_free(conn);
    return 0;
}
