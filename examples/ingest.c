/*
 * ingest: a CSV file of candles into price_data through the binary COPY writer.
 *
 *   ingest FILE.csv [CONNINFO]     (default: $CRYPTOERD_DSN, else libpq's PG* environment)
 *   ingest --sample N START [SYMBOL] > FILE.csv
 *                                  writes N one-minute candles from START (ISO 8601) of
 *                                  SYMBOL (default BTC): a file to try it with
 *
 * The first line names the columns, in any order: symbol or asset_id, timeframe,
 * candle_time, open_price, high_price, low_price, close_price, and optionally volume,
 * market_cap, trade_count, vwap (price_data's column names; "open", "high", "low", "close"
 * are accepted too). Fields are separated by commas, not quoted; an empty field is NULL
 * (refused by validation in a NOT NULL column). The header's columns are the COPY's.
 * Prices are parsed as exact decimals (cerd_numeric_parse: no binary floating point on the
 * way), times as ISO 8601 (cerd_timestamp_parse).
 *
 * With a symbol column, the file holds one asset (an export per pair, as exchanges give
 * them): its id is looked up (the asset created if it is new) before the COPY starts,
 * because a connection in COPY can do nothing else. Every row is validated by the library
 * before it is sent; everything goes in one transaction, with the months that have no
 * partition yet created on the way: an invalid row or a candle already stored (the unique
 * key asset, timeframe, candle_time) writes nothing, and the error names the row.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cryptoerd/cryptoerd.h>

#define MAX_FIELDS 16

enum field { F_SKIP, F_SYMBOL, F_ASSET, F_TIMEFRAME, F_TIME, F_OPEN, F_HIGH, F_LOW, F_CLOSE,
             F_VOLUME, F_MCAP, F_TRADES, F_VWAP };

/* the column of each field (-1: none) */
static const int COLUMN[] = {
    [F_SKIP] = -1, [F_SYMBOL] = -1, [F_ASSET] = CERD_PRICE_DATA_ASSET_ID,
    [F_TIMEFRAME] = CERD_PRICE_DATA_TIMEFRAME, [F_TIME] = CERD_PRICE_DATA_CANDLE_TIME,
    [F_OPEN] = CERD_PRICE_DATA_OPEN_PRICE, [F_HIGH] = CERD_PRICE_DATA_HIGH_PRICE,
    [F_LOW] = CERD_PRICE_DATA_LOW_PRICE, [F_CLOSE] = CERD_PRICE_DATA_CLOSE_PRICE,
    [F_VOLUME] = CERD_PRICE_DATA_VOLUME, [F_MCAP] = CERD_PRICE_DATA_MARKET_CAP,
    [F_TRADES] = CERD_PRICE_DATA_TRADE_COUNT, [F_VWAP] = CERD_PRICE_DATA_VWAP,
};

static const struct { const char *name; enum field f; } NAMES[] = {
    {"symbol", F_SYMBOL},         {"asset_id", F_ASSET},     {"timeframe", F_TIMEFRAME},
    {"candle_time", F_TIME},      {"open_price", F_OPEN},    {"open", F_OPEN},
    {"high_price", F_HIGH},       {"high", F_HIGH},          {"low_price", F_LOW},
    {"low", F_LOW},               {"close_price", F_CLOSE},  {"close", F_CLOSE},
    {"volume", F_VOLUME},         {"market_cap", F_MCAP},    {"trade_count", F_TRADES},
    {"vwap", F_VWAP},
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
    const cerd_error *e = cerd_error_last();
    fprintf(stderr, "ingest: %s: %s (%s)\n", what, e->message, cerd_strerror(e->code));
    return 1;
}

/* Splits line at commas in place; returns the number of fields. */
static int split(char *line, char **fields)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *p = line;; p++) {
        char *comma = strchr(p, ',');
        if (n == MAX_FIELDS)
            return -1;
        fields[n++] = p;
        if (!comma)
            return n;
        *comma = 0;
        p = comma;
    }
}

/* The asset of a symbol: its id, read by the assets' unique key on symbol; a symbol not
   seen before becomes a new asset (an upsert, in case another session adds it meanwhile). */
static int asset_id_of(int64_t *id, cerd_conn *conn, const char *symbol)
{
    const cerd_table *t = &cerd_assets_table;
    cerd_assets in = {0}, out = {0};
    int key = -1, rc;
    for (int k = 0; k < t->nunique; k++)
        if (t->unique_keys[k].ncolumns == 1
            && t->unique_keys[k].columns[0] == cerd_table_column(t, "symbol"))
            key = k;
    if (key < 0)
        return -1;
    in.symbol = (char *)symbol;
    rc = cerd_row_get(&out, conn, t, key, &in, 0);
    if (rc == CERD_ENOTFOUND) {
        in.name = (char *)symbol;
        in.asset_type = "crypto";
        in.quote_currency = "USDT";
        rc = cerd_row_upsert(&out, conn, t, key, &in);
    }
    if (rc)
        return rc;
    *id = out.id;
    cerd_row_clear(t, &out);
    return 0;
}

static int parse_row(cerd_price_data *c, char **v, const enum field *map, int n, int64_t asset)
{
    int rc = 0;
    memset(c, 0, sizeof *c);
    c->asset_id = asset;
    for (int i = 0; i < n && !rc; i++) {
        const char *s = v[i];
        if (!*s && map[i] != F_TIMEFRAME && map[i] != F_SYMBOL)
            continue; /* empty: NULL */
        switch (map[i]) {
        case F_SKIP: case F_SYMBOL: break;
        case F_ASSET: c->asset_id = strtoll(s, NULL, 10); break;
        case F_TIMEFRAME: c->timeframe = (char *)s; break;
        case F_TIME: rc = cerd_timestamp_parse(&c->candle_time, s); break;
        case F_OPEN: rc = cerd_numeric_parse(&c->open_price, s); break;
        case F_HIGH: rc = cerd_numeric_parse(&c->high_price, s); break;
        case F_LOW: rc = cerd_numeric_parse(&c->low_price, s); break;
        case F_CLOSE: rc = cerd_numeric_parse(&c->close_price, s); break;
        case F_VOLUME:
            rc = cerd_numeric_parse(&c->volume.value, s);
            c->volume.valid = true;
            break;
        case F_MCAP:
            rc = cerd_numeric_parse(&c->market_cap.value, s);
            c->market_cap.valid = true;
            break;
        case F_VWAP:
            rc = cerd_numeric_parse(&c->vwap.value, s);
            c->vwap.valid = true;
            break;
        case F_TRADES:
            c->trade_count = CERD_SOME(cerd_opt_int32, (int32_t)strtol(s, NULL, 10));
            break;
        }
    }
    return rc;
}

/* ingest --sample N START [SYMBOL]: a deterministic random walk of one-minute candles. */
static int sample(long n, const char *start_text, const char *symbol)
{
    cerd_timestamp start;
    int64_t price = INT64_C(6450000000000); /* units of 10^-8 USD */
    uint64_t seed = 20261206;
    if (cerd_timestamp_parse(&start, start_text))
        return fail("start");
    printf("symbol,timeframe,candle_time,open,high,low,close,volume,trade_count\n");
    for (long i = 0; i < n; i++) {
        char when[CERD_TIMESTAMP_BUFSIZE];
        int64_t open = price, close, high, low;
        uint64_t r[4];
        for (int k = 0; k < 4; k++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            r[k] = seed >> 11;
        }
        close = open + (int64_t)(r[0] % 2000000001u) - 1000000000; /* +-10 USD */
        if (close < INT64_C(100000000000))
            close = INT64_C(100000000000);
        high = (open > close ? open : close) + (int64_t)(r[1] % 500000000u);
        low = (open < close ? open : close) - (int64_t)(r[2] % 500000000u);
        price = close;
        cerd_timestamp_format(start + i * INT64_C(60000000), when);
        printf("%s,1m,%s,%" PRId64 ".%08" PRId64 ",%" PRId64 ".%08" PRId64 ",%" PRId64
               ".%08" PRId64 ",%" PRId64 ".%08" PRId64 ",%" PRIu64 ".%02u,%u\n",
               symbol, when, open / 100000000, open % 100000000, high / 100000000,
               high % 100000000, low / 100000000, low % 100000000, close / 100000000,
               close % 100000000, 1000 + r[3] % 1000000, (unsigned)(r[3] % 100),
               (unsigned)(10 + r[3] % 900));
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *dsn;
    char line[1024], header[1024], first_symbol[64] = "", where[320];
    char *fields[MAX_FIELDS];
    enum field map[MAX_FIELDS];
    int ncols, rc = 1, symbol_col = -1;
    int64_t asset = 0, rows = 0;
    long lineno = 1;
    cerd_conn *conn = NULL;
    cerd_copy *w = NULL;
    cerd_copy_options opts = CERD_COPY_OPTIONS_INIT;
    cerd_colset columns = {0};
    FILE *in;
    double t0;

    if (argc >= 4 && !strcmp(argv[1], "--sample"))
        return sample(atol(argv[2]), argv[3], argc > 4 ? argv[4] : "BTC");
    if (argc < 2) {
        fprintf(stderr, "usage: ingest FILE.csv [CONNINFO] | ingest --sample N START [SYMBOL]\n");
        return 2;
    }
    dsn = argc > 2 ? argv[2] : getenv("CRYPTOERD_DSN");
    if (!(in = fopen(argv[1], "r")) || !fgets(header, sizeof header, in)) {
        perror(argv[1]);
        return 1;
    }
    /* the header: which field goes where */
    ncols = split(header, fields);
    for (int i = 0; i < ncols; i++) {
        map[i] = F_SKIP;
        for (size_t k = 0; k < sizeof NAMES / sizeof NAMES[0]; k++)
            if (!strcmp(fields[i], NAMES[k].name))
                map[i] = NAMES[k].f;
        if (map[i] == F_SKIP) {
            fprintf(stderr, "ingest: %s: unknown column \"%s\"\n", argv[1], fields[i]);
            return 1;
        }
        if (map[i] == F_SYMBOL)
            symbol_col = i;
        if (COLUMN[map[i]] >= 0)
            cerd_colset_add(&columns, (unsigned)COLUMN[map[i]]);
    }
    cerd_colset_add(&columns, CERD_PRICE_DATA_ASSET_ID); /* from the symbol, or a column */

    if (cerd_conn_open(&conn, dsn))
        return fail("connect");
    t0 = now_s();
    if (cerd_conn_begin(conn)) { /* one transaction: the asset, the partitions, the rows */
        rc = fail("begin");
        goto out;
    }
    opts.create_partitions = true; /* months without a partition get one first */
    while (fgets(line, sizeof line, in)) {
        cerd_price_data candle;
        int n = split(line, fields);
        lineno++;
        if (n == 1 && !*fields[0])
            continue; /* blank line */
        if (n != ncols) {
            fprintf(stderr, "ingest: %s:%ld: %d fields, the header has %d\n", argv[1], lineno,
                    n, ncols);
            goto abort;
        }
        if (symbol_col >= 0) {
            if (!*first_symbol) { /* before the COPY starts: the connection is free */
                snprintf(first_symbol, sizeof first_symbol, "%s", fields[symbol_col]);
                if (asset_id_of(&asset, conn, first_symbol)) {
                    rc = fail("asset");
                    goto abort;
                }
            } else if (strcmp(first_symbol, fields[symbol_col]) != 0) {
                fprintf(stderr, "ingest: %s:%ld: symbol %s, the file is of %s\n", argv[1],
                        lineno, fields[symbol_col], first_symbol);
                goto abort;
            }
        }
        snprintf(where, sizeof where, "%s:%ld", argv[1], lineno);
        if (parse_row(&candle, fields, map, n, asset)) {
            rc = fail(where);
            goto abort;
        }
        if (!w && cerd_copy_begin(&w, conn, &cerd_price_data_table, &columns, &opts)) {
            rc = fail("copy");
            goto abort;
        }
        if (cerd_copy_put(w, &candle)) { /* validated, buffered, sent every 256 KiB */
            rc = fail(where);
            goto abort; /* nothing of the COPY is written */
        }
    }
    if (w && cerd_copy_end(&rows, w)) {
        w = NULL;
        rc = fail("copy");
        goto abort;
    }
    w = NULL;
    if (cerd_conn_commit(conn)) {
        rc = fail("commit");
        goto out;
    }
    {
        double s = now_s() - t0;
        printf("ingested %" PRId64 " candles from %s in %.3f s: %.0f rows/s\n", rows, argv[1], s,
               s > 0 ? (double)rows / s : 0.0);
    }
    rc = 0;
    goto out;
abort:
    cerd_copy_abort(w);
    cerd_conn_rollback(conn);
out:
    fclose(in);
    cerd_conn_free(conn);
    return rc;
}
