/*
 * bench_queries: two typed queries of queries/ through their generated functions against
 * the same SQL run by hand-written libpq (prepared once, binary parameters and results,
 * every column decoded into a C struct of the same information), in the same run, on the
 * same server.
 *
 *   bench_queries [CONNINFO]   (an empty database it may fill; default: PG* environment)
 *
 * 1. cerd_q_latest_candles_in_sector(): the latest 1h candle of each of 40 assets of a
 *    sector (LEFT JOIN LATERAL over 20,000 candles), 40 rows of 9 columns per call.
 * 2. cerd_q_portfolio_positions_valued(): 40 positions valued at the latest close, with
 *    unrealised P&L, 40 rows of 9 columns per call.
 * Each workload is measured 7 times, each measurement 10 alternating chunks of library and
 * baseline calls; medians, min and max printed as Markdown. Wall-clock time on a loopback
 * server: round trips and server work are in both.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <libpq-fe.h>

#include <cryptoerd/cryptoerd.h>
#include <cryptoerd/queries/market.h>
#include <cryptoerd/queries/portfolio.h>

#define ROUNDS 7
#define CHUNKS 10
#define ASSETS 40

static int CALLS = 4000; /* per side and measurement; CERD_BENCH_QUICK=1: a tenth */

static PGconn *pg;
static cerd_conn *conn;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
           u.ru_stime.tv_usec / 1e6;
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

static uint16_t be16(const char *p)
{
    return (uint16_t)(((unsigned char)p[0] << 8) | (unsigned char)p[1]);
}

/* An exact decimal as the wire has it: the same information cerd_numeric keeps. */
typedef struct hand_numeric {
    int16_t ndigits, weight;
    uint16_t sign, dscale;
    uint16_t digits[32];
    int valid;
} hand_numeric;

static void hand_numeric_decode(const PGresult *r, int row, int col, hand_numeric *n)
{
    n->valid = !PQgetisnull(r, row, col);
    if (!n->valid)
        return;
    const char *p = PQgetvalue(r, row, col);
    n->ndigits = (int16_t)be16(p);
    n->weight = (int16_t)be16(p + 2);
    n->sign = be16(p + 4);
    n->dscale = be16(p + 6);
    for (int i = 0; i < n->ndigits && i < 32; i++)
        n->digits[i] = be16(p + 8 + 2 * i);
}

static char *hand_text(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

typedef struct hand_candle_row {
    int64_t asset_id;
    char *symbol, *name;
    int64_t candle_time;
    int candle_time_valid;
    hand_numeric open, high, low, close, volume;
} hand_candle_row;

typedef struct hand_position_row {
    int64_t position_id;
    char *symbol, *trade_status;
    hand_numeric quantity, entry_price, last_price;
    int64_t priced_at;
    int priced_at_valid;
    hand_numeric market_value, unrealized_pnl;
} hand_position_row;

static PGresult *hand_exec(const char *name, int n, const char *const *values,
                           const int *lengths)
{
    static const int formats[4] = {1, 1, 1, 1};
    PGresult *r = PQexecPrepared(pg, name, n, values, lengths, formats, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        die(name);
    return r;
}

static size_t candles_libpq(int calls)
{
    size_t rows = 0;
    unsigned char sector[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    const char *values[2] = {"1h", (const char *)sector};
    int lengths[2] = {2, 8};
    for (int i = 0; i < calls; i++) {
        PGresult *r = hand_exec("hand_candles", 2, values, lengths);
        int n = PQntuples(r);
        hand_candle_row *out = calloc((size_t)n, sizeof *out);
        for (int k = 0; k < n; k++) {
            hand_candle_row *c = &out[k];
            c->asset_id = be64(PQgetvalue(r, k, 0));
            c->symbol = hand_text(r, k, 1);
            c->name = hand_text(r, k, 2);
            c->candle_time_valid = !PQgetisnull(r, k, 3);
            c->candle_time = c->candle_time_valid ? be64(PQgetvalue(r, k, 3)) : 0;
            hand_numeric_decode(r, k, 4, &c->open);
            hand_numeric_decode(r, k, 5, &c->high);
            hand_numeric_decode(r, k, 6, &c->low);
            hand_numeric_decode(r, k, 7, &c->close);
            hand_numeric_decode(r, k, 8, &c->volume);
        }
        rows += (size_t)n;
        for (int k = 0; k < n; k++) {
            free(out[k].symbol);
            free(out[k].name);
        }
        free(out);
        PQclear(r);
    }
    return rows;
}

static size_t candles_library(int calls)
{
    size_t rows = 0;
    cerd_q_latest_candles_in_sector_params p = {.timeframe = "1h", .sector_id = 1};
    cerd_q_latest_candles_in_sector_rows out = {0};
    for (int i = 0; i < calls; i++) {
        if (cerd_q_latest_candles_in_sector(&out, conn, &p))
            die("cerd_q_latest_candles_in_sector");
        rows += out.count;
        cerd_q_latest_candles_in_sector_rows_free(&out);
    }
    return rows;
}

static size_t positions_libpq(int calls)
{
    size_t rows = 0;
    unsigned char portfolio[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    const char *values[2] = {"1h", (const char *)portfolio};
    int lengths[2] = {2, 8};
    for (int i = 0; i < calls; i++) {
        PGresult *r = hand_exec("hand_positions", 2, values, lengths);
        int n = PQntuples(r);
        hand_position_row *out = calloc((size_t)n, sizeof *out);
        for (int k = 0; k < n; k++) {
            hand_position_row *c = &out[k];
            c->position_id = be64(PQgetvalue(r, k, 0));
            c->symbol = hand_text(r, k, 1);
            c->trade_status = hand_text(r, k, 2);
            hand_numeric_decode(r, k, 3, &c->quantity);
            hand_numeric_decode(r, k, 4, &c->entry_price);
            hand_numeric_decode(r, k, 5, &c->last_price);
            c->priced_at_valid = !PQgetisnull(r, k, 6);
            c->priced_at = c->priced_at_valid ? be64(PQgetvalue(r, k, 6)) : 0;
            hand_numeric_decode(r, k, 7, &c->market_value);
            hand_numeric_decode(r, k, 8, &c->unrealized_pnl);
        }
        rows += (size_t)n;
        for (int k = 0; k < n; k++) {
            free(out[k].symbol);
            free(out[k].trade_status);
        }
        free(out);
        PQclear(r);
    }
    return rows;
}

static size_t positions_library(int calls)
{
    size_t rows = 0;
    cerd_q_portfolio_positions_valued_params p = {.timeframe = "1h", .portfolio_id = 1};
    cerd_q_portfolio_positions_valued_rows out = {0};
    for (int i = 0; i < calls; i++) {
        if (cerd_q_portfolio_positions_valued(&out, conn, &p))
            die("cerd_q_portfolio_positions_valued");
        rows += out.count;
        cerd_q_portfolio_positions_valued_rows_free(&out);
    }
    return rows;
}

/* ------------------------------------------------------------------ measuring */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v)
{
    qsort(v, ROUNDS, sizeof *v, cmp_double);
    return v[ROUNDS / 2];
}

static void measure(const char *label, size_t (*lib)(int), size_t (*hand)(int))
{
    double wl[ROUNDS], wh[ROUNDS], cl[ROUNDS], ch[ROUNDS];
    size_t rl = 0, rh = 0;
    lib(CALLS / CHUNKS); /* warm: statements prepared, caches filled */
    hand(CALLS / CHUNKS);
    for (int i = 0; i < ROUNDS; i++) {
        wl[i] = wh[i] = cl[i] = ch[i] = 0;
        for (int k = 0; k < CHUNKS; k++) {
            double t0 = now_s(), c0 = cpu_s();
            rl += lib(CALLS / CHUNKS);
            double t1 = now_s(), c1 = cpu_s();
            rh += hand(CALLS / CHUNKS);
            double t2 = now_s(), c2 = cpu_s();
            wl[i] += t1 - t0;
            cl[i] += c1 - c0;
            wh[i] += t2 - t1;
            ch[i] += c2 - c1;
        }
    }
    if (rl != rh)
        die("the library and the baseline saw different row counts");
    double ml = median(wl), mh = median(wh), mcl = median(cl), mch = median(ch);
    printf("| %s | %.3f s (%.3f-%.3f) | %.3f s (%.3f-%.3f) | **%.3f** | %.3f s | %.3f s | %.3f |\n",
           label, ml, wl[0], wl[ROUNDS - 1], mh, wh[0], wh[ROUNDS - 1], ml / mh, mcl, mch,
           mcl / mch);
}

static void prepare(const char *name, const char *sql)
{
    static const Oid types[2] = {25 /* text */, 20 /* int8 */};
    PGresult *r = PQprepare(pg, name, sql, 2, types);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die(name);
    PQclear(r);
}

int main(int argc, char **argv)
{
    const char *conninfo = argc > 1 ? argv[1] : "";
    char sql[1024];
    const char *quick = getenv("CERD_BENCH_QUICK");
    if (quick && *quick == '1')
        CALLS /= 10;
    if (cerd_conn_open(&conn, conninfo) || cerd_migrate(NULL, conn))
        die("open/migrate");
    pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK)
        die("connect");

    exec_ok("SELECT create_monthly_partitions('price_data', date '2026-01-01', "
            "date '2026-02-01')");
    exec_ok("INSERT INTO users (id, email, password_hash) VALUES (1, 'b@example.com', 'x')");
    exec_ok("INSERT INTO sectors (id, coingecko_id, name, description) "
            "VALUES (1, 'bench', 'Bench', 'bench sector')");
    snprintf(sql, sizeof sql,
             "INSERT INTO assets (id, symbol, name, asset_type) "
             "SELECT a, 'SYM' || a, 'Asset number ' || a, 'crypto' "
             "FROM generate_series(1, %d) a", ASSETS);
    exec_ok(sql);
    exec_ok("INSERT INTO sector_mapping (asset_id, sector_id) SELECT id, 1 FROM assets");
    exec_ok("INSERT INTO price_data (asset_id, timeframe, open_price, high_price, low_price, "
            "close_price, volume, candle_time) "
            "SELECT a.id, '1h', 100 + g * 0.12345678, 102 + g * 0.12345678, "
            "99 + g * 0.12345678, 101 + g * 0.12345678, 1000.25 + g, "
            "timestamptz '2026-01-01 00:00:00+00' + g * interval '1 hour' "
            "FROM assets a, generate_series(0, 499) g");
    exec_ok("INSERT INTO portfolios (id, user_id) VALUES (1, 1)");
    exec_ok("INSERT INTO portfolio_assets (portfolio_id, asset_id, asset_type, quantity, "
            "entry_price, trade_status, sort_order, is_active, added_by, last_modified_by) "
            "SELECT 1, id, 'Crypto Asset', 1.5 * id, 90 + id * 0.01, 'open', id::int, true, "
            "1, 1 FROM assets");
    exec_ok("ANALYZE");

    /* the same SQL, prepared by hand with the parameter types the server would infer */
    prepare("hand_candles", cerd_q_latest_candles_in_sector_query.sql);
    prepare("hand_positions", cerd_q_portfolio_positions_valued_query.sql);

    char label[160];
    snprintf(label, sizeof label, "%d calls of latest_candles_in_sector (%d rows each)", CALLS,
             ASSETS);
    measure(label, candles_library, candles_libpq);
    snprintf(label, sizeof label, "%d calls of portfolio_positions_valued (%d rows each)",
             CALLS, ASSETS);
    measure(label, positions_library, positions_libpq);

    PQfinish(pg);
    cerd_conn_free(conn);
    return 0;
}
